from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string


class DocumentText(models.Model):
    """The text of a PDF document, extracted when it was saved (for search)."""

    document = models.OneToOneField(
        get_document_model_string(),
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="pmolib_text",
    )
    file_hash = models.CharField(_("file hash"), max_length=40, blank=True)
    text = models.TextField(_("text"), blank=True)
    pages_read = models.PositiveIntegerField(_("pages read"), default=0)
    truncated = models.BooleanField(_("truncated"), default=False)
    error = models.CharField(_("why there is no text"), max_length=255, blank=True)
    extracted_at = models.DateTimeField(_("extracted"), auto_now=True)

    class Meta:
        verbose_name = _("document text")
        verbose_name_plural = _("document texts")

    def __str__(self):
        return f"{self.document_id}: {len(self.text)} characters"
