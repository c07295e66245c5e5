"""Caching the rendered session article.

A session page shows more than its own fields: its conference, speakers,
handouts, neighbours in the running order and other sessions by the same
speakers. The article is cached in two parts around the feedback section:

``main``  the header, speakers, abstract, recording, handouts and notes: keyed
          by the versions of ``page:<id>``, ``conference:<parent>`` and ``tree``.
``rest``  the table of contents, previous/next links and "other sessions by":
          ``main``'s versions plus ``order:<parent>`` and ``speaker:<id>`` of
          each of its speakers.

The versions are read from the database with one query per request
(``models/versions.py``) and bumped after commit by ``invalidation``, so
every process sees every change on its next request, with any cache backend
(a per-process one included). Keys also hold the language, the day
(embargoes end at midnight) and what the caller is shown of a members-only
session (``access.members.Access.outcome``: the full article or a teaser), so a
teaser and the full article never share an entry. Previews are never cached.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone, translation

from . import invalidation
from .access.members import access_for
from .conf import pmolib_settings
from .models.versions import request_versions


def article_keys(page, request) -> dict[str, str] | None:
    """``{"main": key, "rest": key}`` for ``page``'s article, or ``None`` when it
    must not be cached (previews, caching off, unsaved pages). One query, once
    per request."""
    if (
        not pmolib_settings.FRAGMENT_CACHE_TIMEOUT
        or request is None
        or getattr(request, "is_preview", False)
        or not page.pk
    ):
        return None
    known = request.__dict__.setdefault("_pmolib_fragment_keys", {})
    if page.pk not in known:
        known[page.pk] = _make_keys(page, request)
    return known[page.pk]


def fragment_key(page, request) -> str | None:
    """The key of the article's main part (what the feedback section's cache key
    starts with), or ``None``."""
    keys = article_keys(page, request)
    return keys["main"] if keys else None


def summary_read_with_keys(page, request) -> tuple[bool, object]:
    """``(True, row)``: ``page``'s ``RatingSummary`` row (``None`` if it has none),
    read in the query of the article's keys; ``(False, None)`` when the article is
    not cached, so nothing was read."""
    if not article_keys(page, request):
        return False, None
    return True, request._pmolib_summaries[page.pk]


def _make_keys(page, request) -> dict[str, str]:
    from wagtail.models import Site

    parent = getattr(page, "_cached_parent_obj", None)
    parent_id = parent.pk if parent is not None else _parent_id(page)
    own = [
        invalidation.page_scope(page.pk),
        invalidation.conference_scope(parent_id),
        invalidation.TREE,
    ]
    order = invalidation.order_scope(parent_id)
    speaker_prefix = invalidation.speaker_scope("")  # "speaker:", as invalidation names it
    # The site's feedback settings' version and the page's rating summary come
    # along (the feedback section asks for both next, and keys its own cached
    # part with the figures): one query for everything the page is keyed with.
    site = Site.find_for_request(request)
    extra = [invalidation.settings_scope(site.pk)] if site is not None else []
    versions = request_versions(
        request,
        [*own, order, *extra],
        speakers_of=(page.pk, speaker_prefix),
        summary_of=page.pk,
    )
    request.__dict__.setdefault("_pmolib_summaries", {})[page.pk] = versions.summary
    main = ":".join(
        [
            "wagtail_pmolib:article",
            str(page.pk),
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            access_for(request, page).outcome,
            ".".join(str(versions[scope]) for scope in own),
        ]
    )
    speakers = sorted((s, v) for s, v in versions.items() if s.startswith(speaker_prefix))
    digest = hashlib.sha256(repr((versions[order], speakers)).encode()).hexdigest()[:16]
    return {"main": main, "rest": f"{main}:{digest}"}


def _parent_id(page):
    from wagtail.models import Page

    return Page.objects.filter(path=page.path[: -Page.steplen]).values_list("pk", flat=True).first()
