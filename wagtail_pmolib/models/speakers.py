from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index


class AbstractSpeaker(index.Indexed, models.Model):
    """A person who speaks at sessions. Registered as a snippet."""

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(
        _("slug"),
        max_length=255,
        unique=True,
        blank=True,
        allow_unicode=True,
        help_text=_("Used in links; made from the name when left blank."),
        error_messages={
            # Not Django's "Speaker with this Slug already exists."
            "unique": _(
                "Another speaker already uses this slug. Choose another, or leave it "
                "blank to make one from the name."
            )
        },
    )
    role = models.CharField(_("role"), max_length=255, blank=True, help_text=_("e.g. PMO Lead"))
    organisation = models.CharField(_("organisation"), max_length=255, blank=True)
    bio = models.TextField(
        _("short bio"),
        blank=True,
        validators=[MaxLengthValidator(1000)],
        help_text=_("A few sentences, at most 1,000 characters."),
    )
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [FieldPanel("role"), FieldPanel("organisation")], heading=_("Role and organisation")
        ),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("slug"),
    ]

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("organisation"),
        index.SearchField("role"),
        index.SearchField("bio"),
        index.FilterField("slug"),
    ]

    class Meta:
        abstract = True
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    @property
    def role_line(self):
        """ "PMO Lead, Acme" — the parts that are filled in."""
        return ", ".join(part for part in (self.role, self.organisation) if part)

    def _unique_slug(self):
        base = slugify(self.name, allow_unicode=True)[:240] or "speaker"
        slug, n = base, 1
        others = type(self)._default_manager.exclude(pk=self.pk)
        while others.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class Speaker(AbstractSpeaker):
    class Meta(AbstractSpeaker.Meta):
        pass
