"""The rule: what changed → which version scopes are stale.

Plain Python: no ORM, nothing of ours imported. What the rule needs to know
about the content (which sessions show a speaker, a page's path and role…) it
asks ``lookups`` (``Lookups``; the database's answers are in ``lookups.py``),
so it can be read, and tested, on its own.

A scope names what a version keys (``models/versions.py``); these are read:

``page:<id>``        a session's article: its own fields, speakers, handouts,
                     images and the conference heading (``fragment_cache``).
``conference:<id>``  what a conference shows in its sessions' articles (its
                     title, its themes).
``order:<id>``       a conference's running order: previous/next session links.
``speaker:<id>``     the sessions a speaker has ("other sessions by …").
``settings:<id>``    a site's feedback settings (``feedback/settings.py``).
``tree``             everything: addresses changed (a site, a moved library or
                     conference), or a host asked (``invalidate_everything``).
``sites``            a site or a site's root page changed: each process drops
                     Wagtail's cached site root paths (read with ``tree``).

The library's listing, search, facets and suggestions cache nothing, so no
change bumps anything for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

TREE = "tree"
SITES = "sites"


def page_scope(pk) -> str:
    return f"page:{pk}"


def conference_scope(pk) -> str:
    return f"conference:{pk}"


def order_scope(pk) -> str:
    return f"order:{pk}"


def speaker_scope(pk) -> str:
    return f"speaker:{pk}"


def settings_scope(site_id) -> str:
    return f"settings:{site_id}"


# Page fields that saving a draft (``save_revision``), locking or scheduling
# writes: such a save changes nothing a visitor sees.
DRAFT_FIELDS = frozenset(
    {
        "wagtail_admin_comments",
        "comments",
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
    }
)

# What happened to a page.
CONTENT = "content"  # published or saved live: its fields may have changed
VISIBILITY = "visibility"  # unpublished, expired, deleted, privacy added or removed
MOVED = "moved"  # moved, or its slug (so its address and its descendants') changed
SHOWS = "shows"  # a session showing a speaker that changed (its name, photo…)

# What a page is to the library (``Lookups.pages``, ``Changes.deleted``).
SESSION, CONFERENCE, LIBRARY = "session", "conference", "library"


@dataclass
class Changes:
    """What one transaction changed, as signal handlers reported it."""

    scopes: set = field(default_factory=set)  # stale whatever else changed
    pages: dict = field(default_factory=dict)  # id → set of what happened
    deleted: dict = field(default_factory=dict)  # path → (id, role) of deleted pages
    old_parents: set = field(default_factory=set)  # paths of pages moved away from
    speakers: set = field(default_factory=set)  # ids
    documents: set = field(default_factory=set)
    images: set = field(default_factory=set)
    collections: set = field(default_factory=set)  # ids whose privacy changed
    # Addresses (url paths) pages left: old → new (moved, slug changed), or → None
    # (deleted). The rule needs none of them; purging a front-end cache does.
    addresses: dict = field(default_factory=dict)

    def page(self, pk, what: str) -> None:
        self.pages.setdefault(pk, set()).add(what)


class Lookups(Protocol):
    """What the rule asks about the content, as it is after the commit (ids are
    pages' unless said otherwise). An empty question is answered without a query."""

    # Speakers whose photo is one of these images; sessions naming these speakers.
    def speakers_with_photos(self, image_ids) -> set: ...
    def sessions_showing(self, speaker_ids) -> set: ...
    # Documents in these collections (or below); pages showing these files.
    def documents_in(self, collection_ids) -> set: ...
    def pages_showing(self, document_ids, image_ids) -> set: ...
    # These pages as they are now, (id, path, role); a path's parent; the pages at paths.
    def pages(self, page_ids) -> list[tuple[int, str, str | None]]: ...
    def parent_path(self, path: str) -> str: ...
    def ids_at(self, paths) -> set: ...
    def has_sessions_below(self, path: str) -> bool: ...
    def is_a_site_root(self, page_ids) -> bool: ...
    def pages_linking_to_pages_under(self, paths) -> set: ...
    # Speakers of these sessions and of the sessions below these paths.
    def speakers_of(self, session_ids, under_paths) -> set: ...


def stale_scopes(changes: Changes, lookups: Lookups) -> set[str]:
    """The scopes that ``changes`` make stale."""
    scopes = set(changes.scopes)
    pages = {pk: set(what) for pk, what in changes.pages.items()}

    # A speaker (or their photo): "other sessions by", and the articles showing them.
    speakers = changes.speakers | lookups.speakers_with_photos(changes.images)
    scopes.update(map(speaker_scope, speakers))
    for pk in lookups.sessions_showing(speakers):
        pages.setdefault(pk, set()).add(SHOWS)
    # A document or picture (or a collection's privacy): the articles showing it.
    documents = changes.documents | lookups.documents_in(changes.collections)
    scopes.update(map(page_scope, lookups.pages_showing(documents, changes.images)))

    events = [(pk, path, role, pages[pk]) for pk, path, role in lookups.pages(pages)]
    events += [(pk, path, role, {VISIBILITY}) for path, (pk, role) in changes.deleted.items()]
    sessions = []  # whose speakers' "other sessions by" changed
    parents = set()  # paths of the conferences whose running order changed
    subtrees = []  # paths below which sessions appeared or went
    for pk, path, role, what in events:
        if role == SESSION:
            scopes.add(page_scope(pk))  # its article
            if what != {SHOWS}:  # more than a speaker it shows: its neighbours too
                sessions.append(pk)
                parents.add(lookups.parent_path(path))
                if MOVED in what:
                    parents |= changes.old_parents
            continue
        if role == CONFERENCE and CONTENT in what:
            scopes.add(conference_scope(pk))  # its title and themes in its sessions
        if what - {CONTENT}:
            # Sessions below appear in, or leave, "other sessions by".
            subtrees.append(path)
            if MOVED in what and lookups.has_sessions_below(path):
                scopes.add(TREE)  # the address of every session below changed
    scopes.update(map(order_scope, lookups.ids_at(parents)))
    scopes.update(map(speaker_scope, lookups.speakers_of(sessions, subtrees)))

    # Articles linking to a moved page or one below it show its old address.
    moved = [(pk, path) for pk, path, _, what in events if MOVED in what]
    if moved and lookups.is_a_site_root([pk for pk, _ in moved]):
        scopes.update({TREE, SITES})
    if moved and TREE not in scopes:
        scopes.update(map(page_scope, lookups.pages_linking_to_pages_under([p for _, p in moved])))
    return scopes
