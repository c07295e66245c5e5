"""The one accessor for the ``WAGTAIL_PMOLIB`` setting.

Usage::

    from wagtail_pmolib.conf import pmolib_settings

    pmolib_settings.INDEX_PAGE_SIZE

Every key has a documented default (see ``DEFAULTS`` and the README's settings
reference). Unknown keys raise ``ImproperlyConfigured`` so that a typo in a host's
settings is noticed at once instead of silently falling back to a default. The
values are cached and reloaded on ``setting_changed``, so ``override_settings``
works in tests.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

SETTING_NAME = "WAGTAIL_PMOLIB"

DEFAULTS = {
    # The template every library page extends. It must define the blocks
    # ``title``, ``extra_css``, ``content`` and ``extra_js`` (as the base.html of
    # ``wagtail start`` does).
    "BASE_TEMPLATE": "wagtail_pmolib/base.html",
    # Whether pages add the library stylesheet and scripts to ``extra_css`` / ``extra_js``.
    "INCLUDE_CSS": True,
    "INCLUDE_JS": True,
    # Sessions per page on the library index; ``?per_page=`` may ask for fewer,
    # never for more than MAX_PAGE_SIZE.
    "INDEX_PAGE_SIZE": 12,
    "MAX_PAGE_SIZE": 48,
    # What stands between a conference edition and a session's title in headings:
    # "PMO Conference 2021 \\ Step up – …", as the original library writes it.
    "TITLE_SEPARATOR": "\\\\",
    # How many "other sessions by this speaker" a session page lists.
    "RELATED_SESSIONS_LIMIT": 4,
    # Heading levels that get anchors and appear in the table of contents.
    "TOC_MIN_LEVEL": 2,
    "TOC_MAX_LEVEL": 4,
    # Longest anchor id generated from a heading's text.
    "ANCHOR_MAX_LENGTH": 64,
    # Seconds to keep a rendered session article in Django's cache. Any change to
    # library content invalidates it at once; this only bounds how long a
    # fallback link (provider unreachable) can outlive an outage. 0 disables.
    "FRAGMENT_CACHE_TIMEOUT": 600,
    # Seconds to keep a provider's player (oEmbed result) in Django's cache, on top
    # of Wagtail's embed table, so a page view costs no query for it. 0 disables.
    "EMBED_CACHE_TIMEOUT": 3600,
    # Seconds to remember that an oEmbed lookup failed, so a provider outage does
    # not make every page view wait for it again. 0 disables the memory.
    "EMBED_FAILURE_TIMEOUT": 300,
}

_INT_KEYS = {
    "INDEX_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "RELATED_SESSIONS_LIMIT",
    "TOC_MIN_LEVEL",
    "TOC_MAX_LEVEL",
    "ANCHOR_MAX_LENGTH",
    "EMBED_FAILURE_TIMEOUT",
    "EMBED_CACHE_TIMEOUT",
    "FRAGMENT_CACHE_TIMEOUT",
}


class PmolibSettings:
    def __init__(self):
        self._cached = None

    def _load(self):
        user = getattr(settings, SETTING_NAME, None) or {}
        if not isinstance(user, dict):
            raise ImproperlyConfigured(f"{SETTING_NAME} must be a dict, not {type(user).__name__}.")
        unknown = sorted(set(user) - set(DEFAULTS))
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown key(s) in {SETTING_NAME}: {', '.join(unknown)}. "
                f"Known keys: {', '.join(sorted(DEFAULTS))}."
            )
        values = {**DEFAULTS, **user}
        for key in _INT_KEYS:
            value = values[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ImproperlyConfigured(
                    f"{SETTING_NAME}['{key}'] must be a non-negative whole number, not {value!r}."
                )
        if not 1 <= values["INDEX_PAGE_SIZE"] <= values["MAX_PAGE_SIZE"]:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['INDEX_PAGE_SIZE'] must be between 1 and MAX_PAGE_SIZE."
            )
        if not 8 <= values["ANCHOR_MAX_LENGTH"] <= 80:
            # Heading blocks store anchors in a field of at most 80 characters.
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['ANCHOR_MAX_LENGTH'] must be between 8 and 80."
            )
        if not 1 <= values["TOC_MIN_LEVEL"] <= values["TOC_MAX_LEVEL"] <= 6:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}: TOC_MIN_LEVEL and TOC_MAX_LEVEL must satisfy "
                "1 <= min <= max <= 6."
            )
        return values

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{SETTING_NAME} has no key {name!r}")
        if self._cached is None:
            self._cached = self._load()
        return self._cached[name]

    def reload(self):
        self._cached = None


pmolib_settings = PmolibSettings()


def _reload(*, setting, **kwargs):
    if setting == SETTING_NAME:
        pmolib_settings.reload()


setting_changed.connect(_reload)
