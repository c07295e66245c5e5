"""``PlainSessionPage``: a session's content in plain Wagtail fields."""

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.documents import get_document_model_string
from wagtail.fields import RichTextField
from wagtail.models import Page


class PlainSessionPage(Page):
    """What a site builder would write in ten minutes without wagtail-pmolib."""

    abstract = RichTextField(blank=True)
    recording_url = models.URLField(blank=True)
    handout = models.ForeignKey(
        get_document_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = RichTextField(blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("abstract"),
        FieldPanel("recording_url"),
        FieldPanel("handout"),
        FieldPanel("notes"),
    ]

    template = "plainpage/plain_session_page.html"
    subpage_types = []
