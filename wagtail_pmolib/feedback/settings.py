"""The feedback settings of a site.

Kept in Django's cache under the version of ``settings:<site id>``, read from
the database with the session article's versions (``fragment_cache``), so a
page view costs no query for them and a change saved in one process applies to
the very next request of every other process, whatever the cache backend.
"""

from __future__ import annotations

from django.core.cache import cache

from .. import invalidation
from ..conf import pmolib_settings
from ..models.versions import request_versions

KEY = "wagtail_pmolib:feedback-settings:{site_id}:{version}"


def settings_for_request(request):
    from wagtail.models import Site

    from ..models import FeedbackSettings

    site = Site.find_for_request(request)
    if site is None:
        return FeedbackSettings()
    timeout = pmolib_settings.FRAGMENT_CACHE_TIMEOUT
    if not timeout:
        return FeedbackSettings.for_request(request)
    scope = invalidation.settings_scope(site.pk)
    key = KEY.format(site_id=site.pk, version=request_versions(request, [scope])[scope])
    found = cache.get(key)
    if found is None:
        found = FeedbackSettings.for_site(site)
        _ = found.fingerprint  # computed once, kept with the cached object
        cache.set(key, found, timeout)
    return found
