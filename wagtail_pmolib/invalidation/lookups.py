"""The database's answers to what the rule asks (``rules.Lookups``), and the
look-ups made when a change is reported, before rows go (``pending.py``).

Each answers an empty question without a query; all together, a few queries
per transaction.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site, get_page_models

from ..models import (
    AbstractConferencePage,
    AbstractLibraryIndexPage,
    AbstractSessionPage,
    SessionSpeaker,
    Speaker,
)
from ..references import pages_referencing
from .rules import CONFERENCE, LIBRARY, SESSION

ROLES = {
    SESSION: AbstractSessionPage,
    CONFERENCE: AbstractConferencePage,
    LIBRARY: AbstractLibraryIndexPage,
}


def page_role(page) -> str | None:
    """``SESSION``, ``CONFERENCE``, ``LIBRARY`` or ``None`` for ``page``'s type."""
    return _role_of(page.specific_class or type(page))


def _role_of(model) -> str | None:
    return next((role for role, base in ROLES.items() if issubclass(model, base)), None)


def any_of(lookup, values) -> Q | None:
    """``Q(lookup=v1) | Q(lookup=v2) | …``, or ``None`` for no values."""
    condition = None
    for value in values:
        condition = Q(**{lookup: value}) if condition is None else condition | Q(**{lookup: value})
    return condition


def pages_linking_to_pages_under(paths) -> set[int]:
    """Ids of the pages linking to a page at or below one of ``paths``."""
    if not paths:
        return set()
    targets = (
        Page.objects.filter(any_of("path__startswith", paths))
        .annotate(text_id=Cast("pk", models.CharField()))
        .values("text_id")
    )
    return pages_referencing(Page, targets)


def speakers_with_photos(image_ids) -> set[int]:
    if not image_ids:
        return set()
    return set(Speaker.objects.filter(photo_id__in=image_ids).values_list("pk", flat=True))


def sessions_keeping_theme(theme) -> set[int]:
    """Sessions outside ``theme``'s conference that show it (moved there with it)."""
    sessions = set()
    conference_path = (
        Page.objects.filter(pk=theme.page_id).values_list("path", flat=True).first() or "-"
    )
    for relation in type(theme)._meta.related_objects:
        if theme.pk is not None and issubclass(relation.related_model, AbstractSessionPage):
            sessions |= set(
                relation.related_model.objects.filter(**{relation.field.name: theme.pk})
                .exclude(path__startswith=conference_path)
                .values_list("pk", flat=True)
            )
    return sessions


class DatabaseLookups:
    """``rules.Lookups`` answered from the database."""

    speakers_with_photos = staticmethod(speakers_with_photos)
    pages_linking_to_pages_under = staticmethod(pages_linking_to_pages_under)

    def sessions_showing(self, speaker_ids) -> set[int]:
        if not speaker_ids:
            return set()
        return set(
            SessionSpeaker.objects.filter(speaker_id__in=speaker_ids).values_list(
                "page_id", flat=True
            )
        )

    def documents_in(self, collection_ids) -> set[int]:
        if not collection_ids:
            return set()
        paths = Collection.objects.filter(pk__in=collection_ids).values_list("path", flat=True)
        condition = any_of("collection__path__startswith", paths)
        if condition is None:
            return set()
        return set(get_document_model().objects.filter(condition).values_list("pk", flat=True))

    def pages_showing(self, document_ids, image_ids) -> set[int]:
        pages = set()
        for model, pks in [(get_document_model(), document_ids), (get_image_model(), image_ids)]:
            if pks:
                pages |= pages_referencing(model, [str(pk) for pk in pks])
        return pages

    def pages(self, page_ids) -> list[tuple[int, str, str | None]]:
        if not page_ids:
            return []
        roles = self._content_types()
        return [
            (pk, path, roles.get(content_type_id))
            for pk, path, content_type_id in Page.objects.filter(pk__in=page_ids).values_list(
                "pk", "path", "content_type_id"
            )
        ]

    def parent_path(self, path: str) -> str:
        return path[: -Page.steplen]

    def ids_at(self, paths) -> set[int]:
        if not paths:
            return set()
        return set(Page.objects.filter(path__in=paths).values_list("pk", flat=True))

    def has_sessions_below(self, path: str) -> bool:
        sessions = [ct for ct, role in self._content_types().items() if role == SESSION]
        return Page.objects.filter(path__startswith=path, content_type_id__in=sessions).exists()

    def is_a_site_root(self, page_ids) -> bool:
        return bool(page_ids) and Site.objects.filter(root_page_id__in=page_ids).exists()

    def speakers_of(self, session_ids, under_paths) -> set[int]:
        condition = any_of("page__path__startswith", under_paths)
        if session_ids:
            sessions = Q(page_id__in=session_ids)
            condition = sessions if condition is None else condition | sessions
        if condition is None:
            return set()
        return set(
            SessionSpeaker.objects.filter(condition).values_list("speaker_id", flat=True).distinct()
        )

    def _content_types(self) -> dict[int, str]:
        """Content type id → role, for the concrete page types playing one."""
        if not hasattr(self, "_roles"):
            roles = {model: _role_of(model) for model in get_page_models()}
            content_types = ContentType.objects.get_for_models(*roles)
            self._roles = {content_types[model].pk: role for model, role in roles.items() if role}
        return self._roles
