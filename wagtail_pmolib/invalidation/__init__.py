"""What changed → which cached things are stale, after the transaction commits.

The library caches rendered session articles (``fragment_cache``) and each
site's feedback settings; its listing, search, facets and suggestions are read
from the database on every request and cache nothing. Each cached thing is
kept under *versions* read from the database on every request
(``models/versions.py``), one per scope (``rules.py`` lists them).

- ``rules.py``: the rule, what a change makes stale. Plain Python (L1 in
  DESIGN.md's layers): it asks what it needs to know about the content through
  an interface, so it imports nothing of ours and can be read and tested alone.
- ``lookups.py``: the database's answers to the rule's questions (our models,
  Wagtail's reference index), and the look-ups made before rows are deleted.
- ``pending.py``: what signal handlers call. Changes are collected per
  transaction and flushed once after it commits (``transaction.on_commit``):
  a process that renders between a change and its commit keys what it renders
  with the old versions, which nobody reads once the new ones are stored.
  Nothing is bumped for a rollback, a draft, or content outside every library
  that no article shows; if working out the scopes fails, ``tree`` is bumped.

Applying the rule reads the content and writes the versions, so ``lookups.py``
and ``pending.py`` sit with the models (L2), not with the rule: that keeps the
rule free of the ORM without wiring the database in at start-up.
"""

from .pending import (
    changes_committed,
    collection_privacy_changed,
    document_changed,
    document_deleting,
    feedback_settings_changed,
    image_changed,
    image_deleting,
    invalidate_everything,
    page_changed,
    page_deleted,
    page_id_changed,
    page_moved,
    session_speaker_changed,
    site_changed,
    speaker_changed,
    theme_changed,
)
from .rules import (
    CONTENT,
    DRAFT_FIELDS,
    MOVED,
    SHOWS,
    SITES,
    TREE,
    VISIBILITY,
    conference_scope,
    order_scope,
    page_scope,
    settings_scope,
    speaker_scope,
)

__all__ = [
    "CONTENT",
    "DRAFT_FIELDS",
    "MOVED",
    "SHOWS",
    "SITES",
    "TREE",
    "VISIBILITY",
    "changes_committed",
    "collection_privacy_changed",
    "conference_scope",
    "document_changed",
    "document_deleting",
    "feedback_settings_changed",
    "image_changed",
    "image_deleting",
    "invalidate_everything",
    "order_scope",
    "page_changed",
    "page_deleted",
    "page_id_changed",
    "page_moved",
    "page_scope",
    "session_speaker_changed",
    "settings_scope",
    "site_changed",
    "speaker_changed",
    "speaker_scope",
    "theme_changed",
]
