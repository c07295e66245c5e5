"""The library's catalog: what filters, facets and sorting need to know of every session.

One row a session (conference, theme, speakers, formats, dates), built with
four queries and kept in memory per library page until library content changes
(the versions of ``library:<id>`` and ``tree``, read from the database on
each request, move on every change a visitor of the library could notice:
see ``invalidation.py``). Filters, facet counts
and sorting then cost no query, whatever the number of sessions, and work the
same on every search backend: the backend is asked only which sessions match
the words.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.text import slugify
from wagtail.models import Page, PageViewRestriction

from .. import invalidation
from ..models.versions import read_versions


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    path: str
    title: str
    starts_at: datetime | None
    conference: int | None
    theme: str  # the theme's key (see ``theme_key``), "" for none
    has_recording: bool
    has_handouts: bool
    speakers: tuple[int, ...]
    restrictions: tuple[int, ...]  # ids of the view restrictions on it or its ancestors


@dataclass(frozen=True, slots=True)
class Conference:
    id: int
    title: str
    path: str


@dataclass(frozen=True, slots=True)
class SpeakerRef:
    id: int
    name: str


def theme_key(name: str) -> str:
    """Themes are offered by name across editions ("PMO Services" in 2021 and 2022
    is one choice); the URL holds this key."""
    return slugify(name, allow_unicode=True)[:80] or "-"


@dataclass
class Catalog:
    version: tuple
    entries: dict[int, Entry] = field(default_factory=dict)
    newest: list[int] = field(default_factory=list)  # ids, newest session first
    position: dict[int, int] = field(default_factory=dict)  # id → index in ``newest``
    conferences: dict[int, Conference] = field(default_factory=dict)  # newest first
    themes: dict[str, str] = field(default_factory=dict)  # key → name
    speakers: dict[int, SpeakerRef] = field(default_factory=dict)
    restrictions: dict[int, PageViewRestriction] = field(default_factory=dict)

    _views: dict = field(default_factory=dict, repr=False)

    def for_request(self, request) -> Catalog:
        """The catalog as ``request``'s visitor may see it: without the sessions
        under a view restriction (password, login, groups) the visitor has not
        passed, and without the conferences, themes and speakers that only such
        sessions have — so not even their names show. Kept per set of passed
        restrictions."""
        if not self.restrictions:
            return self
        passed = frozenset(
            pk
            for pk, restriction in self.restrictions.items()
            if request is not None and _accepts(restriction, request)
        )
        if len(passed) == len(self.restrictions):
            return self
        view = self._views.get(passed)
        if view is None:
            view = self._views[passed] = self._narrowed(passed)
        return view

    def _narrowed(self, passed) -> Catalog:
        entries = {
            pk: entry
            for pk, entry in self.entries.items()
            if all(r in passed for r in entry.restrictions)
        }
        conferences = {e.conference for e in entries.values()}
        themes = {e.theme for e in entries.values()}
        speakers = {s for e in entries.values() for s in e.speakers}
        return Catalog(
            version=self.version,
            entries=entries,
            newest=[pk for pk in self.newest if pk in entries],
            position=self.position,
            conferences={k: v for k, v in self.conferences.items() if k in conferences},
            themes={k: v for k, v in self.themes.items() if k in themes},
            speakers={k: v for k, v in self.speakers.items() if k in speakers},
        )

    def speaker_refs(self, entry: Entry) -> list[SpeakerRef]:
        return [self.speakers[pk] for pk in entry.speakers if pk in self.speakers]


def build_catalog(index_page, session_model, version: tuple) -> Catalog:
    """Read the catalog of the sessions below ``index_page`` (four queries, five
    with group restrictions)."""
    from ..models import SessionSpeaker

    catalog = Catalog(version=version)
    sessions = (
        session_model.objects.live()
        .descendant_of(index_page)
        .order_by(models.F("starts_at").desc(nulls_last=True), "-first_published_at", "path")
    )
    restrictions = list(
        PageViewRestriction.objects.filter(
            page__path__startswith=index_page.path, page__depth__gt=index_page.depth
        )
        .select_related("page")
        .prefetch_related("groups")
    )
    for restriction in restrictions:
        restriction.group_ids = {group.pk for group in restriction.groups.all()}
    catalog.restrictions = {r.pk: r for r in restrictions}

    links: dict[int, list[int]] = {}
    for page_id, speaker_id, name in (
        SessionSpeaker.objects.filter(page__in=sessions.values("pk"))
        .order_by("page_id", "sort_order", "pk")
        .values_list("page_id", "speaker_id", "speaker__name")
    ):
        links.setdefault(page_id, []).append(speaker_id)
        catalog.speakers.setdefault(speaker_id, SpeakerRef(speaker_id, name))

    rows = list(
        sessions.values_list(
            "pk", "path", "title", "starts_at", "theme__name", "has_recording", "has_handouts"
        )
    )
    # Conferences (the sessions' parents), ordered by their newest session.
    steplen = Page.steplen
    parents = dict.fromkeys(row[1][:-steplen] for row in rows)
    found = {
        path: (pk, title)
        for pk, path, title in Page.objects.filter(path__in=list(parents)).values_list(
            "pk", "path", "title"
        )
    }
    by_path = {}
    for path in parents:
        if path in found:
            pk, title = found[path]
            by_path[path] = catalog.conferences[pk] = Conference(pk, title, path)

    for row in rows:
        pk, path, title, starts_at, theme_name, has_recording, has_handouts = row
        conference = by_path.get(path[:-steplen])
        key = ""
        if theme_name:
            key = theme_key(theme_name)
            catalog.themes.setdefault(key, theme_name)
        catalog.entries[pk] = Entry(
            id=pk,
            path=path,
            title=title,
            starts_at=starts_at,
            conference=conference.id if conference else None,
            theme=key,
            has_recording=has_recording,
            has_handouts=has_handouts,
            speakers=tuple(links.get(pk, ())),
            restrictions=tuple(r.pk for r in restrictions if path.startswith(r.page.path)),
        )
        catalog.position[pk] = len(catalog.newest)
        catalog.newest.append(pk)
    catalog.themes = dict(sorted(catalog.themes.items(), key=lambda item: item[1].casefold()))
    catalog.speakers = dict(
        sorted(catalog.speakers.items(), key=lambda item: item[1].name.casefold())
    )
    return catalog


def _accepts(restriction, request) -> bool:
    """Wagtail's ``accept_request``, without a query per restriction: the
    restrictions' groups were read with the catalog, and the visitor's groups
    are read once per request."""
    if restriction.restriction_type == PageViewRestriction.GROUPS:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if user.is_superuser:
            return True
        if not hasattr(request, "_pmolib_group_ids"):
            request._pmolib_group_ids = set(user.groups.values_list("pk", flat=True))
        return bool(request._pmolib_group_ids & restriction.group_ids)
    return restriction.accept_request(request)


_catalogs: dict[tuple[int, str], Catalog] = {}
_lock = threading.Lock()


def get_catalog(index_page, session_model) -> Catalog:
    """The catalog of ``index_page``, rebuilt only when library content changed
    (its versions are read from the database: one query). Narrow it with
    ``for_request()`` before showing anything from it."""
    scopes = [invalidation.library_scope(index_page.pk), invalidation.TREE]
    versions = read_versions(scopes)
    version = tuple(versions[scope] for scope in scopes)
    key = (index_page.pk, session_model._meta.label)
    catalog = _catalogs.get(key)
    if catalog is None or catalog.version != version:
        with _lock:  # one rebuild at a time in this process
            catalog = _catalogs.get(key)
            if catalog is None or catalog.version != version:
                catalog = build_catalog(index_page, session_model, version)
                _catalogs[key] = catalog
    return catalog


def clear_catalogs():
    with _lock:
        _catalogs.clear()
