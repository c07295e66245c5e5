"""Work an editor should not wait for, as Django tasks (the ``django_tasks``
backport that Wagtail 8 uses for its own reference index and search index).

- ``document_changed_task``: read the text of a document's PDF
  (``pdftext``, bounded by ``PDF_MAX_*``), then re-index the live sessions that
  show the document.
- ``reindex_speaker_sessions_task``, ``reindex_conference_sessions_task``,
  ``reindex_sessions_task``: re-index the live sessions that show a changed
  speaker, conference, or that a deleted speaker spoke in.
- ``reindex_collection_sessions_task``: re-index the live sessions that show a
  document of a collection whose privacy changed (a restriction added, removed
  or changed, or the collection moved).
- ``members_text_task``: bring the members' index up to date for sessions that
  were saved (``search.members_index``; Wagtail re-indexes the session itself).

Which backend runs them is the host's ``TASKS`` setting. With none, Django's
immediate backend runs each task as it is enqueued, in the request, as a site
without a worker expects; with a queue backend (e.g. ``django_tasks_db``
and its ``db_worker`` command) the request only records the task.

Tasks are enqueued with ``enqueue_on_commit`` once the change has committed, so
a worker reads committed rows, never the state before the save. Their
arguments are ids (JSON, whatever the backend); each task reads its object
afresh and does nothing when the object was deleted meanwhile, and running a
task twice gives the same result.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django_tasks import task

from .search import reindex

logger = logging.getLogger(__name__)

# Session ids per re-indexing task: a deleted speaker of 10,000 sessions
# becomes 10 tasks, each a bounded unit of work a worker can retry.
SESSION_IDS_PER_TASK = 1000


@task()
def document_changed_task(document_id: int) -> dict:
    """Store the text of the document's PDF if its file changed, then re-index
    the live sessions that show the document (its title or text may be new)."""
    from wagtail.documents import get_document_model

    from .pdftext import update_document_text

    document = get_document_model().objects.filter(pk=document_id).first()
    if document is None:
        return {"document": None, "sessions": 0}
    try:
        update_document_text(document)
    except Exception:  # a broken file must not keep its sessions from re-indexing
        logger.exception("Could not store the text of document %s", document_id)
    return {
        "document": document.pk,
        "sessions": reindex.reindex_sessions_showing_document(document),
    }


@task()
def reindex_speaker_sessions_task(speaker_id: int) -> int:
    """Re-index the live sessions a speaker speaks in; the number re-indexed."""
    return reindex.reindex_sessions_of_speaker(speaker_id)


@task()
def reindex_conference_sessions_task(conference_id: int) -> int:
    """Re-index the live sessions of a conference; the number re-indexed."""
    return reindex.reindex_sessions_of_conference(conference_id)


@task()
def reindex_collection_sessions_task(collection_id: int) -> int:
    """Re-index the live sessions showing a document of the collection (or of one
    below it); the number re-indexed."""
    return reindex.reindex_sessions_showing_collection(collection_id)


@task()
def members_text_task(session_ids: list[int]) -> None:
    """Rows and index entries of the members' index for these sessions: their full
    text if they are live and members-only, none otherwise."""
    from .search import members_index

    members_index.refresh_sessions(session_ids)


@task()
def reindex_sessions_task(session_ids: list[int]) -> int:
    """Re-index these sessions (those still live); the number re-indexed."""
    return reindex.reindex_sessions(session_ids)


def enqueue_on_commit(task_, *args, using=None) -> None:
    """Enqueue ``task_`` with ``args`` once the current transaction commits (at
    once outside one); dropped if it rolls back.

    If the backend cannot take the task (a queue that is down), that is logged,
    not raised into a request whose change has already committed; the next
    change, or ``manage.py update_index``, brings the search index up to date.
    """
    transaction.on_commit(lambda: task_.enqueue(*args), using=using, robust=True)


def enqueue_document_changed(document_id: int) -> None:
    enqueue_on_commit(document_changed_task, int(document_id))


def enqueue_reindex_speaker(speaker_id: int) -> None:
    enqueue_on_commit(reindex_speaker_sessions_task, int(speaker_id))


def enqueue_reindex_conference(conference_id: int) -> None:
    enqueue_on_commit(reindex_conference_sessions_task, int(conference_id))


def enqueue_reindex_collection(collection_id: int, using=None) -> None:
    enqueue_on_commit(reindex_collection_sessions_task, int(collection_id), using=using)


def enqueue_reindex_sessions(session_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in session_ids})
    for start in range(0, len(ids), SESSION_IDS_PER_TASK):
        enqueue_on_commit(reindex_sessions_task, ids[start : start + SESSION_IDS_PER_TASK])


def enqueue_members_text(session_ids: Iterable[int], using=None) -> None:
    ids = sorted({int(pk) for pk in session_ids})
    for start in range(0, len(ids), SESSION_IDS_PER_TASK):
        enqueue_on_commit(members_text_task, ids[start : start + SESSION_IDS_PER_TASK], using=using)
