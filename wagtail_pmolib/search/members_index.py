"""Keeping the members' search index (``models.members_text``) right: a row, and
its index entry, for each live members-only session, holding its full text.

``refresh`` is called with the sessions whenever their own index entries are
(re)built: by ``reindex`` for every change made elsewhere (a level changed on a
conference or library, a move, a speaker, a conference, a document, a
collection's privacy), and by ``refresh_sessions`` (``tasks.members_text_task``)
after a session itself is saved (published, unpublished, its own level
changed). A session deleted takes its row with it (``on_delete=CASCADE``;
Wagtail's search then drops the row's index entry). Idempotent: running it
again gives the same rows and entries.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router


def _members_only(session) -> bool:
    return bool(session.live) and session.is_gated


def refresh(sessions) -> None:
    """Bring the rows and index entries of ``sessions`` (loaded as for indexing:
    ``get_indexed_objects()``, speakers prefetched) up to date: live members-only
    ones get their full text; the others lose any row they had."""
    from ..models.members_text import SessionMembersText, full_text
    from .reindex import index_in_backends

    sessions = list(sessions)
    if not sessions:
        return
    remove([s.pk for s in sessions if not _members_only(s)])
    rows = []
    for session in sessions:
        if _members_only(session):
            title, text = full_text(session)
            rows.append(SessionMembersText(session_id=session.pk, title=title, text=text))
    if not rows:
        return
    connection = connections[router.db_for_write(SessionMembersText)]
    # MySQL and MariaDB upsert on any unique key and refuse to be told which.
    target = ["session"] if connection.features.supports_update_conflicts_with_target else None
    SessionMembersText.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=target, update_fields=["title", "text"]
    )
    index_in_backends(SessionMembersText, rows, "sessions' members' texts")


def remove(session_ids: Iterable[int]) -> int:
    """Delete the rows of these sessions, and so their index entries (Wagtail's
    search drops an indexed object's entry when it is deleted); how many."""
    from ..models.members_text import SessionMembersText

    ids = sorted({int(pk) for pk in session_ids})
    if not ids:
        return 0
    deleted, _by_model = SessionMembersText.objects.filter(pk__in=ids).delete()
    return deleted


def refresh_sessions(session_ids: Iterable[int]) -> None:
    """``refresh`` for these sessions, read afresh (a session gone, or of no
    session type, loses its row)."""
    from ..models.access import AccessLevel
    from .reindex import session_models

    ids = {int(pk) for pk in session_ids}
    if not ids:
        return
    gated = set()
    for model in session_models():
        sessions = list(
            model.get_indexed_objects()
            .filter(pk__in=ids, live=True)
            .exclude(access_effective=AccessLevel.FREE)
            .prefetch_related("session_speakers__speaker")
        )
        refresh(sessions)
        gated.update(s.pk for s in sessions)
    remove(ids - gated)
