"""The members' search index: the full searchable text of each live members-only
session, searched only for callers who may read it (``search.matching``).

A members-only session's own index entry holds its teaser only (its gated parts:
``AbstractSessionPage.search_notes``, ``search_handouts``), so whoever searches
finds it by its teaser. Its full text (teaser and gated parts, as a free
session's entry holds them) is one ``SessionMembersText`` row, in its own index:
a row per live members-only session, keyed by the session's page id, so a match
gives session ids directly. Free and non-live sessions have no row. The rows
and their index entries are kept by ``search.members_index`` whenever the
session's own entry is (re)built.
"""

from __future__ import annotations

import contextlib

import swapper
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

PAGE_MODEL = swapper.get_model_name("wagtailcore", "Page")


class SessionMembersText(index.Indexed, models.Model):
    """What a reader of a members-only session can find it by (see the module)."""

    session = models.OneToOneField(
        PAGE_MODEL,
        verbose_name=_("session"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The session's title, in the index's title column as the session's own entry
    # has it; everything else of its entry, gated parts included, in ``text``.
    title = models.TextField(_("title"), blank=True)
    text = models.TextField(_("text"), blank=True)

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("text"),
    ]

    # Not Wagtail's reference index's business: the session references its documents.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("members' search text")
        verbose_name_plural = _("members' search texts")

    def __str__(self):
        return f"{self.session_id}: {self.title}"


@contextlib.contextmanager
def with_gated_parts(session):
    """While in this block, ``session``'s search fields give its gated parts too
    (``AbstractSessionPage.indexes_gated_parts``)."""
    session._pmolib_members_text = True
    try:
        yield session
    finally:
        del session._pmolib_members_text


def full_text(session) -> tuple[str, str]:
    """``(title, text)``: every value of ``session``'s search fields, gated parts
    included, read as the search backends read them (``SearchField.get_value``,
    following ``RelatedFields``): the ``title`` field's, and all the others'."""
    title, text = [], []

    def walk(obj, fields):
        for field in fields:
            if isinstance(field, index.SearchField):
                value = field.get_value(obj)
                (title if field.field_name == "title" and obj is session else text).append(
                    _plain(value)
                )
            elif isinstance(field, index.RelatedFields):
                related = field.get_value(obj)
                if related is None:
                    continue
                if isinstance(related, models.Manager):
                    related = related.all()
                elif callable(related):
                    related = [related()]
                else:
                    related = [related]
                for one in related:
                    walk(one, field.fields)

    with with_gated_parts(session):
        walk(session, type(session).get_search_fields())
    return " ".join(p for p in title if p), "\n".join(p for p in text if p)


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(one) for one in value)
    if isinstance(value, dict):
        return ", ".join(_plain(one) for one in value.values())
    return str(value)
