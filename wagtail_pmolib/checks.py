"""System checks: configuration mistakes reported by ``manage.py check``."""

from django.apps import apps
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.compatibility)
def check_settings(app_configs, **kwargs):
    from .conf import pmolib_settings

    try:
        pmolib_settings.validate()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="wagtail_pmolib.E001")]
    return []


@register(Tags.compatibility)
def check_feedback_setup(app_configs, **kwargs):
    from .feedback.context import endpoint_is_mounted

    messages = []
    if not apps.is_installed("wagtail.contrib.settings"):
        messages.append(
            Warning(
                "wagtail.contrib.settings is not in INSTALLED_APPS: editors cannot change "
                "the feedback texts and rules (the defaults apply).",
                hint="Add 'wagtail.contrib.settings' to INSTALLED_APPS.",
                id="wagtail_pmolib.W001",
            )
        )
    if not endpoint_is_mounted():
        messages.append(
            Warning(
                "wagtail_pmolib.urls is not mounted: feedback posted from cached pages "
                "(which carry no CSRF token) is refused by Django's CSRF protection.",
                hint='Add path("", include("wagtail_pmolib.urls")) to your URLconf, '
                "before Wagtail's own URLs.",
                id="wagtail_pmolib.W002",
            )
        )
    return messages
