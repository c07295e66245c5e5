"""The feedback settings of a site.

Read from the database (one row, once per request: Wagtail keeps site settings
on the request), never from a cache: a change an editor saves in one process
applies to the very next request of every other process.
"""

from __future__ import annotations


def settings_for_site(site, request=None):
    from ..models import FeedbackSettings

    if site is None:
        return FeedbackSettings()
    if request is not None:
        return FeedbackSettings.for_request(request)
    return FeedbackSettings.for_site(site)


def settings_for_request(request):
    from wagtail.models import Site

    return settings_for_site(Site.find_for_request(request), request)
