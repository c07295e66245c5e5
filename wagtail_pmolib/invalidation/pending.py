"""Collecting what a transaction changed, and bumping the stale versions once
after it commits.

Signal handlers report each change here (``page_changed``…). The changes of one
transaction are collected per connection and flushed once, **after it commits**
(``transaction.on_commit``): the rule (``rules.stale_scopes``) is applied with
the database's answers (``lookups.py``) and the stale scopes' versions are
bumped (``models/versions.py``). Nothing is bumped for a transaction that rolls
back. A change made on another database than the versions' is flushed when
that database's transaction commits; if working out the scopes fails, ``tree``
is bumped (everything stale, never nothing).
"""

from __future__ import annotations

import logging

from django.db import connections, router, transaction
from django.dispatch import Signal
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from ..models.versions import ContentVersion, bump_versions
from ..references import pages_referencing
from . import lookups
from .rules import (
    CONTENT,
    MOVED,
    SHOWS,
    SITES,
    TREE,
    Changes,
    page_scope,
    settings_scope,
    speaker_scope,
    stale_scopes,
)

logger = logging.getLogger(__name__)

# Sent once a transaction's changes are flushed (after it committed and the stale
# versions were bumped), with ``changes`` (``rules.Changes``) and ``scopes`` (the
# stale scopes): for what lives outside the database's versions, such as a
# front-end cache in front of the JSON API (``api/purge.py``). Receivers' errors
# are logged, never raised into the request that committed.
changes_committed = Signal()


class Pending(Changes):
    """One transaction's changes, flushed once after it commits."""

    def __init__(self, atomic=None):
        super().__init__()
        self.atomic = atomic  # the outermost atomic block these changes belong to
        self.flushed = False

    def flush(self):
        if self.flushed:
            return
        self.flushed = True
        try:
            scopes = stale_scopes(self, lookups.DatabaseLookups())
        except Exception:
            # Scoping failed (a database error, a change too large to look up):
            # every cached thing is stale rather than none.
            logger.exception("Could not work out which cached library content changed")
            scopes = {TREE}
        try:
            bump_versions(scopes)
        except Exception:
            # Never fail the request that committed the change; caches still
            # expire (FRAGMENT_CACHE_TIMEOUT), and the next change bumps again.
            logger.exception("Could not record which cached library content changed")
        for receiver, error in changes_committed.send_robust(
            sender=type(self), changes=self, scopes=scopes
        ):
            if isinstance(error, Exception):
                logger.error(
                    "%r failed on committed library changes",
                    receiver,
                    exc_info=(type(error), error, error.__traceback__),
                )


def _record(change, using=None) -> None:
    """Apply ``change`` to the pending changes of the transaction that wrote it
    on database ``using`` (where the versions are kept if not given); they are
    flushed once after it commits (at once outside a transaction). With several
    databases, the versions move only after the content's own transaction
    commits, wherever the versions are kept."""
    using = using or router.db_for_write(ContentVersion)
    connection = connections[using]
    if not connection.in_atomic_block:
        pending = Pending()
    else:
        outer = connection.atomic_blocks[0]
        pending = getattr(connection, "_pmolib_pending", None)
        if pending is None or pending.atomic is not outer or pending.flushed:
            pending = connection._pmolib_pending = Pending(atomic=outer)
    change(pending)
    # One callback per change: Django drops the callbacks of a savepoint that rolls
    # back, so registering only once could lose the flush of the whole transaction.
    # The first callback to run flushes everything; the others do nothing.
    transaction.on_commit(pending.flush, using=using)


# --- What signal handlers report ------------------------------------------------------


def page_changed(page, what: str) -> None:
    """``page`` (any page type) was published, unpublished, moved, restricted…"""
    if page.pk is not None:
        _record(lambda p: p.page(page.pk, what), using=page._state.db)


def page_id_changed(page_id, what: str, using=None) -> None:
    """The page with id ``page_id`` changed (a view restriction, a theme…)."""
    if page_id is not None:
        _record(lambda p: p.page(page_id, what), using=using)


def page_deleted(page) -> None:
    """``page`` is being deleted (called before the row goes, once for each
    page of a deleted subtree). Articles linking to it (rich text, page
    choosers) are looked up now: Wagtail drops references to what it deletes."""
    if not page.path:
        return
    role = lookups.page_role(page)

    def change(pending):
        if not any(page.path.startswith(done) for done in pending.deleted):
            linking = lookups.pages_linking_to_pages_under([page.path])
            pending.scopes.update(map(page_scope, linking))
        pending.deleted[page.path] = (page.pk, role)
        if page.url_path:
            pending.addresses[page.url_path] = None

    _record(change, using=page._state.db)


def page_moved(page, old_parent_path: str, old_url_path: str = "") -> None:
    """``page`` moved (or its slug changed: ``old_parent_path`` is empty then);
    ``old_url_path``: its address before, if it changed."""

    def change(pending):
        pending.page(page.pk, MOVED)
        if old_parent_path:
            pending.old_parents.add(old_parent_path)
        if old_url_path and old_url_path != page.url_path:
            pending.addresses[old_url_path] = page.url_path

    _record(change, using=page._state.db)


def session_speaker_changed(page_id, speaker_id, using=None) -> None:
    """A speaker was added to or removed from a published session."""

    def change(pending):
        pending.page(page_id, CONTENT)
        pending.scopes.add(speaker_scope(speaker_id))  # "other sessions by": their list

    _record(change, using=using)


def theme_changed(theme) -> None:
    """A conference theme was renamed, added or is being deleted (called before
    the row goes: sessions lose a deleted theme with an ``UPDATE`` that sends no
    signal). Its conference's sessions show it, and so does any session moved
    to another conference with it."""
    sessions = lookups.sessions_keeping_theme(theme)

    def change(pending):
        if theme.page_id is not None:
            pending.page(theme.page_id, CONTENT)
        for pk in sessions:
            pending.page(pk, SHOWS)

    _record(change, using=theme._state.db)


def speaker_changed(speaker_id, using=None) -> None:
    _record(lambda p: p.speakers.add(speaker_id), using=using)


def document_changed(document_id, using=None) -> None:
    _record(lambda p: p.documents.add(document_id), using=using)


def document_deleting(document_id, using=None) -> None:
    """The document ``document_id`` is being deleted (called before the row
    goes): the pages showing it are looked up now, while Wagtail's references
    to it still exist."""
    pages = pages_referencing(get_document_model(), [document_id])
    if pages:
        _record(lambda p: p.scopes.update(map(page_scope, pages)), using=using)


def image_changed(image_id, using=None) -> None:
    _record(lambda p: p.images.add(image_id), using=using)


def image_deleting(image_id, using=None) -> None:
    """The image ``image_id`` is being deleted (called before the row goes):
    speakers whose photo it is lose it with an ``UPDATE`` that sends no signal,
    and Wagtail drops the references to it, so both are looked up now."""
    speakers = lookups.speakers_with_photos([image_id])
    pages = pages_referencing(get_image_model(), [image_id])

    def change(pending):
        pending.speakers.update(speakers)
        pending.scopes.update(map(page_scope, pages))

    if speakers or pages:
        _record(change, using=using)


def collection_privacy_changed(collection_id, using=None) -> None:
    _record(lambda p: p.collections.add(collection_id), using=using)


def feedback_settings_changed(site_id, using=None) -> None:
    _record(lambda p: p.scopes.add(settings_scope(site_id)), using=using)


def site_changed(using=None) -> None:
    """A site was saved or deleted: every address may have changed."""
    _record(lambda p: p.scopes.update({TREE, SITES}), using=using)


def invalidate_everything(using=None) -> None:
    """Make every process re-read everything the library caches: call it after
    changing content without signals (bulk inserts, raw SQL, ``QuerySet.update``).
    With several databases, ``using`` names the one the content was written to:
    the versions move once its transaction commits."""
    _record(lambda p: p.scopes.add(TREE), using=using)
