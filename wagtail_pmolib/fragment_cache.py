"""Caching the rendered session article.

A session page shows more than its own fields: its conference, speakers,
neighbours in the running order and other sessions by the same speakers. The
rendered article is kept in Django's cache under a key made of the page, its
last change, the language, the day (embargoes end at midnight) and a
library-wide *version*. Any save or delete of a page, speaker, document, image,
view restriction or site bumps the version, so no visitor ever sees an article
older than the content it shows. Previews are never cached.
"""

from __future__ import annotations

import functools
import time

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone, translation
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_unpublished, post_page_move

from .conf import pmolib_settings

VERSION_KEY = "wagtail_pmolib:fragment-version"


def library_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Not 1: after the cache is flushed, the numbers must not repeat ones that
        # processes may still hold (the search catalog is kept in memory).
        version = time.time_ns() // 1000
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY, version)
    return version


def bump_library_version(**kwargs):
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet, or evicted
        cache.set(VERSION_KEY, library_version() + 1, None)


def fragment_key(page, request) -> str | None:
    """The cache key for ``page``'s article, or ``None`` when it must not be cached."""
    timeout = pmolib_settings.FRAGMENT_CACHE_TIMEOUT
    if not timeout or request is None or getattr(request, "is_preview", False) or not page.pk:
        return None
    known = request.__dict__.setdefault("_pmolib_fragment_keys", {})
    if page.pk not in known:
        known[page.pk] = _make_key(page)
    return known[page.pk]


def _make_key(page):
    changed = page.last_published_at.isoformat() if page.last_published_at else ""
    return ":".join(
        [
            "wagtail_pmolib:article",
            str(library_version()),
            str(page.pk),
            changed,
            translation.get_language() or "",
            timezone.localdate().isoformat(),
        ]
    )


def _bump_for_instance(sender, instance, **kwargs):
    if isinstance(instance, Page) or sender in _watched_models():
        bump_library_version()


@functools.cache
def _watched_models():
    from .models import ConferenceTheme, SessionSpeaker, Speaker

    return {
        Speaker,
        SessionSpeaker,
        ConferenceTheme,
        PageViewRestriction,
        Site,
        get_document_model(),
        get_image_model(),
    }


def register_signal_handlers():
    post_save.connect(_bump_for_instance, dispatch_uid="wagtail_pmolib_fragment_save")
    post_delete.connect(_bump_for_instance, dispatch_uid="wagtail_pmolib_fragment_delete")
    page_unpublished.connect(bump_library_version, dispatch_uid="wagtail_pmolib_unpublished")
    post_page_move.connect(bump_library_version, dispatch_uid="wagtail_pmolib_moved")
    # A view restriction's groups are set after the restriction is saved.
    m2m_changed.connect(
        bump_library_version,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="wagtail_pmolib_restriction_groups",
    )
