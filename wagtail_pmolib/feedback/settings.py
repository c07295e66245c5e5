"""The feedback settings of a site, read without a query on most page views."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

KEY = "wagtail_pmolib:feedback-settings:{site_id}"


def settings_for_site(site):
    from ..models import FeedbackSettings

    if site is None:
        return FeedbackSettings()
    key = KEY.format(site_id=site.pk)
    found = cache.get(key)
    if found is None:
        found = FeedbackSettings.for_site(site)
        _ = found.fingerprint  # computed once, kept with the cached object
        cache.set(key, found, None)
    return found


def settings_for_request(request):
    from wagtail.models import Site

    return settings_for_site(Site.find_for_request(request))


def _forget(sender, instance, **kwargs):
    cache.delete(KEY.format(site_id=instance.site_id))


def register_signal_handlers():
    from ..models import FeedbackSettings

    post_save.connect(_forget, sender=FeedbackSettings, dispatch_uid="pmolib_feedback_settings")
    post_delete.connect(_forget, sender=FeedbackSettings, dispatch_uid="pmolib_feedback_settings_d")
