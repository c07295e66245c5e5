"""Publishing purges the API's answers from a front-end cache.

Where a host configured Wagtail's front-end cache app (``WAGTAILFRONTENDCACHE``:
Varnish, Cloudflare, CloudFront, Azure…), Wagtail purges a page's own URLs when it
is published or unpublished; this purges the JSON API's URLs that show what
changed, once the change has committed, through the same app
(``purge_urls_from_cache``: one batch a transaction, a task like Wagtail's own).
Without ``WAGTAILFRONTENDCACHE`` nothing is computed or sent.

What changed is what the library's own caches are invalidated by
(``wagtail_pmolib.invalidation``: the signal ``changes_committed`` gives the
changes and the stale scopes), read as API addresses:

========================  =====================================================
changed                   purged
========================  =====================================================
a session, or what it      ``sessions/{id}/``, ``sessions/{id}/rating/``,
shows (``page:``: a       ``sessions/by-path/?path=…`` (its address now and the
speaker, image, document) one it left), ``sessions/``, its conference's
                          ``conferences/{id}/``, its library's
                          ``libraries/{id}/search/``
a conference (title,      ``conferences/{id}/``, ``conferences/``, its library's
themes) or its order      ``libraries/{id}/``, each of its sessions' addresses
a library                 ``libraries/{id}/``, ``libraries/``,
                          ``libraries/{id}/search/``
a speaker (``speaker:``)  ``speakers/{id}/``, ``speakers/``
everything (``tree``, a   every library, conference, session and speaker address
site, feedback settings)  and every list
========================  =====================================================

Lists and a library's search are purged at their address without a query
string. Addresses with one (filters, pages, searches, suggestions) cannot be
listed: give them a short ``max-age`` in the front-end cache, or purge by prefix
where the cache can. Ratings change with every vote, which purges nothing (a
vote must not cost a call to a CDN's API): ``API_CACHE_MAX_AGE`` bounds how
long a rating (``sessions/{id}/rating/``, a session's ``rating``) is stale.

The addresses are on ``WAGTAILAPI_BASE_URL`` when set (where the API's absolute
URLs point), else on each site's root URL; the API is found by its URL
namespace, so this covers it mounted with ``include("wagtail_pmolib.api.urls")``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from wagtail.models import Page, Site

from ..invalidation import SITES, TREE
from ..invalidation.lookups import page_role
from ..invalidation.rules import CONFERENCE, LIBRARY, SESSION
from ..models import Speaker
from .urls import NAMESPACE

LISTS = {
    SESSION: "pmolib_sessions",
    CONFERENCE: "pmolib_conferences",
    LIBRARY: "pmolib_libraries",
}
DETAILS = {
    SESSION: "pmolib_session",
    CONFERENCE: "pmolib_conference",
    LIBRARY: "pmolib_library",
}
# The pages' columns the addresses need.
PAGE_FIELDS = ("pk", "path", "url_path", "content_type_id")


def frontend_cache_configured() -> bool:
    from wagtail.contrib.frontend_cache.utils import get_backends

    return bool(get_backends())


def purge_committed_changes(sender, changes, scopes, **kwargs) -> None:
    """The receiver of ``invalidation.changes_committed``."""
    if not frontend_cache_configured():
        return
    urls = stale_urls(changes, scopes)
    if urls:
        from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

        purge_urls_from_cache(sorted(urls))


class _Stale:
    """The API objects (by role) and lists a change makes stale."""

    def __init__(self):
        self.pages: dict[int, tuple[str, str, str]] = {}  # id → (role, path, url_path)
        self.lists: set[str] = set()
        self.speakers: set = set()
        self.addresses: set[str] = set()  # url paths no page has any more
        self.searched: set[int] = set()  # libraries whose search lists what changed

    def add(self, page, role=None) -> None:
        role = role or page_role(page)
        if role is not None:
            self.pages[page.pk] = (role, page.path, page.url_path)


def _scoped_ids(scopes, prefix: str) -> set[int]:
    return {int(scope.split(":", 1)[1]) for scope in scopes if scope.startswith(prefix + ":")}


def _pages(*conditions, **lookup):
    return Page.objects.filter(*conditions, **lookup).only(*PAGE_FIELDS)


def stale_objects(changes, scopes) -> _Stale:
    stale = _Stale()
    everything = bool({TREE, SITES} & set(scopes)) or any(
        scope.startswith("settings:") for scope in scopes
    )
    if everything:
        for page in _pages(depth__gt=1):
            stale.add(page)
        stale.speakers.update(Speaker.objects.values_list("pk", flat=True))
        stale.lists.update(LISTS.values())
        stale.lists.add("pmolib_speakers")
    # Pages that changed, and the articles (page:<id>) a change makes stale.
    for page in _pages(pk__in=set(changes.pages) | _scoped_ids(scopes, "page")):
        stale.add(page)
    # Deleted pages: their ids and their roles were noted before the rows went.
    for path, (pk, role) in changes.deleted.items():
        if role is not None:
            stale.pages[pk] = (role, path, "")
    # A conference's title, themes or running order: each of its sessions shows them.
    conferences = _scoped_ids(scopes, "conference") | _scoped_ids(scopes, "order")
    if conferences:
        children = Q()
        for conference in _pages(pk__in=conferences):
            stale.add(conference, CONFERENCE)
            children |= Q(path__startswith=conference.path, depth=conference.depth + 1)
        if children:  # every conference's sessions in one query
            for session in _pages(children):
                stale.add(session)
    # What lists them: the list of their kind, and the conference listing a session
    # (its title, speakers, theme), the library listing a conference.
    stale.lists.update(LISTS[role] for role, _, _ in stale.pages.values())
    parents = {
        path[: -Page.steplen]
        for role, path, _ in stale.pages.values()
        if role in (SESSION, CONFERENCE)
    }
    for parent in _pages(path__in=parents):
        stale.add(parent)
    # The libraries above a changed session or conference: their search's first
    # address (browsing, without a query string) lists them.
    below = [path for role, path, _ in stale.pages.values() if role in (SESSION, CONFERENCE)]
    above = {path[:end] for path in below for end in range(Page.steplen, len(path), Page.steplen)}
    for library in _pages(path__in=above - {path for _, path, _ in stale.pages.values()}):
        if page_role(library) == LIBRARY:
            stale.searched.add(library.pk)
    stale.searched |= {pk for pk, (role, _, _) in stale.pages.items() if role == LIBRARY}
    speakers = _scoped_ids(scopes, "speaker") | set(changes.speakers)
    if speakers:
        stale.speakers |= speakers
        stale.lists.add("pmolib_speakers")
    stale.addresses = _old_addresses(changes.addresses, stale)
    return stale


def _old_addresses(moves: dict, stale: _Stale) -> set[str]:
    """The addresses sessions had before a move or deletion (theirs or a page's
    above them) that they no longer have."""
    old = {before for before, after in moves.items() if after is None}
    for role, _, url_path in stale.pages.values():
        if role != SESSION or not url_path:
            continue
        for before, after in moves.items():
            if after is not None and url_path.startswith(after):
                old.add(before + url_path[len(after) :])
    return old


def stale_urls(changes, scopes) -> set[str]:
    """The API's absolute URLs that ``changes`` (with their stale ``scopes``) make stale."""
    stale = stale_objects(changes, scopes)
    sites = Site.get_site_root_paths()
    base_url = getattr(settings, "WAGTAILAPI_BASE_URL", None)
    bases = [base_url.rstrip("/")] if base_url else [site.root_url for site in sites]
    paths = {_reverse(name) for name in stale.lists}
    paths |= {_reverse("pmolib_speaker", id=pk) for pk in stale.speakers}
    session_addresses = set(stale.addresses)
    paths |= {_reverse("pmolib_library_search", id=pk) for pk in stale.searched}
    for pk, (role, _, url_path) in stale.pages.items():
        paths.add(_reverse(DETAILS[role], id=pk))
        if role == SESSION:
            # Its ratings: gone with it when it is unpublished or deleted.
            paths.add(_reverse("pmolib_session_rating", id=pk))
            if url_path:
                session_addresses.add(url_path)
    by_path = _reverse("pmolib_session_by_path")
    if by_path is not None:
        for url_path in session_addresses:
            for site in sites:
                if url_path.startswith(site.root_path):
                    relative = "/" + url_path[len(site.root_path) :]
                    # As a browser's URLSearchParams writes it, and as curl is given it.
                    paths.add(f"{by_path}?{urlencode({'path': relative})}")
                    paths.add(f"{by_path}?path={quote(relative, safe='/')}")
    paths.discard(None)
    return {base + path for base in bases for path in paths}


def _reverse(name: str, **kwargs) -> str | None:
    try:
        return reverse(f"{NAMESPACE}:{name}", kwargs=kwargs or None)
    except NoReverseMatch:
        return None  # the API is not mounted with its own URLs
