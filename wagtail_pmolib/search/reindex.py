"""Which live sessions show a speaker, a conference, a document or the documents
of a collection, and how to
re-index them: in batches, so a speaker of 10,000 sessions costs a bounded
amount of memory and one query batch per ``BATCH_SIZE`` sessions.

Plain rules over the ORM; the tasks in ``wagtail_pmolib.tasks`` call them with
ids (after the change committed), and whatever runs a task may call them too.
Every function takes ids and reads the database afresh, so running one twice
gives the same index (idempotent), and an id whose object is gone matches
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from wagtail.search import index
from wagtail.search.backends import get_search_backends_with_name

from ..references import pages_referencing

logger = logging.getLogger(__name__)

# Sessions read and sent to the search backends at a time.
BATCH_SIZE = 200


def session_models():
    """The concrete, indexed session page models (ours and a host's subclasses)."""
    from ..models import AbstractSessionPage

    return [
        model
        for model in index.get_indexed_models()
        if issubclass(model, AbstractSessionPage) and not model._meta.abstract
    ]


def index_in_backends(model, objects, what="sessions") -> None:
    """Send ``objects`` of ``model`` to every auto-updated search backend. As
    Wagtail does on save: an external engine that is down must not lose the rest
    of the work (logged); an error of the database backend is a real error."""
    for backend_name, backend in get_search_backends_with_name(with_auto_update=True):
        try:
            backend.add_bulk(model, objects)
        except Exception:
            logger.exception(
                "Could not index %d %s in the '%s' search backend",
                len(objects),
                what,
                backend_name,
            )
            if not backend.catch_indexing_errors:
                raise


def _index_batch(model, sessions) -> None:
    """Send ``sessions`` to the search backends, and their full text to the
    members' index (``members_index``: a members-only session's own entry holds
    its teaser only)."""
    from . import members_index

    index_in_backends(model, sessions)
    members_index.refresh(sessions)


def reindex_live_sessions(**lookups) -> int:
    """Re-index the live sessions matching ``lookups`` (ORM filter arguments),
    ``BATCH_SIZE`` at a time in primary-key order; the number re-indexed."""
    count = 0
    for model in session_models():
        queryset = (
            model.get_indexed_objects()
            .live()
            .filter(**lookups)
            .prefetch_related("session_speakers__speaker")
            .order_by("pk")
        )
        last = None
        while True:
            batch_queryset = queryset if last is None else queryset.filter(pk__gt=last)
            batch = list(batch_queryset[:BATCH_SIZE])
            if not batch:
                break
            _index_batch(model, batch)
            count += len(batch)
            last = batch[-1].pk
    return count


def reindex_sessions(session_ids: Iterable[int]) -> int:
    """Re-index these sessions (those still live)."""
    ids = sorted({int(pk) for pk in session_ids})
    count = 0
    for start in range(0, len(ids), BATCH_SIZE):
        count += reindex_live_sessions(pk__in=ids[start : start + BATCH_SIZE])
    return count


def reindex_sessions_of_speaker(speaker_id: int) -> int:
    """Re-index the live sessions a speaker speaks in (their name and
    organisation are part of each session's entry)."""
    from ..models import SessionSpeaker

    return reindex_live_sessions(
        pk__in=SessionSpeaker.objects.filter(speaker_id=speaker_id).values("page_id")
    )


def reindex_sessions_of_conference(conference_id: int) -> int:
    """Re-index the live sessions of a conference (its title and themes are part
    of each session's entry); nothing if the conference is gone."""
    from wagtail.models import Page

    conference = Page.objects.filter(pk=conference_id).only("path", "depth").first()
    if conference is None:
        return 0
    return reindex_live_sessions(path__startswith=conference.path, depth=conference.depth + 1)


def reindex_sessions_showing_document(document) -> int:
    """Re-index the live sessions whose content shows a document (its title and
    the text of its PDF are part of each session's entry)."""
    return reindex_sessions(pages_referencing(type(document), [document.pk]))


def reindex_sessions_showing_collection(collection_id: int) -> int:
    """Re-index the live sessions that show a document of a collection or of one
    below it (its privacy changed: whether the documents' titles and PDF text
    are searched, ``models.documents.private_q``); nothing if it is gone."""
    from django.db.models import CharField
    from django.db.models.functions import Cast
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    collection = Collection.objects.filter(pk=collection_id).only("path").first()
    if collection is None:
        return 0
    model = get_document_model()
    ids = (
        model.objects.filter(collection__path__startswith=collection.path)
        .annotate(text_id=Cast("pk", CharField()))
        .values("text_id")
    )
    return reindex_sessions(pages_referencing(model, ids))
