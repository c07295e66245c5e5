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


def speakers_of(session_id: int, links_model=None) -> list:
    """The speakers of the session ``session_id`` in their order, each with its
    photo and the photo's renditions (so that ``{% image %}`` asks nothing more):
    one statement (see ``rows.py``) where the ORM made two."""
    from django.db import connections, router

    from .rows import columns

    if links_model is None:
        from .sessions import SessionSpeaker as links_model
    speaker_field = links_model._meta.get_field("speaker")
    speaker_model = speaker_field.related_model
    photo_field = speaker_model._meta.get_field("photo")
    image_model = photo_field.related_model
    rendition_model = image_model.get_rendition_model()
    connection = connections[router.db_for_read(speaker_model)]
    quote = connection.ops.quote_name
    speaker = columns(connection, speaker_model, "s")
    image = columns(connection, image_model, "i")
    rendition = columns(connection, rendition_model, "r")

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    def table(model):
        return quote(model._meta.db_table)

    sql = (
        f"SELECT {speaker.sql}, {image.sql}, {rendition.sql} FROM {table(links_model)} l "
        f"JOIN {table(speaker_model)} s "
        f"ON s.{quote(speaker_model._meta.pk.column)} = l.{quote(speaker_field.column)} "
        f"LEFT JOIN {table(image_model)} i "
        f"ON i.{quote(image_model._meta.pk.column)} = s.{quote(photo_field.column)} "
        f"LEFT JOIN {table(rendition_model)} r "
        f"ON r.{column(rendition_model, 'image')} = i.{quote(image_model._meta.pk.column)} "
        f"WHERE l.{column(links_model, 'page')} = %s "
        f"ORDER BY l.{column(links_model, 'sort_order')}, l.{quote(links_model._meta.pk.column)}, "
        f"r.{quote(rendition_model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id])
        rows = cursor.fetchall()
    found: dict = {}
    image_end = len(speaker) + len(image)
    for row in rows:
        key = row[speaker.pk_index]
        if key not in found:
            person = speaker.instance(row[: len(speaker)])
            photo = image.instance(row[len(speaker) : image_end])
            if photo is not None:
                photo.prefetched_renditions = []  # Wagtail's prefetched renditions
            photo_field.set_cached_value(person, photo)
            found[key] = person
        photo = found[key].photo
        made = rendition.instance(row[image_end:])
        if made is not None and photo is not None:
            made.image = photo
            photo.prefetched_renditions.append(made)
    return list(found.values())
