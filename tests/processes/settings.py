"""The test site's settings for a ``SiteProcess``: the suite's settings, with the
cache the test asks for (``PMOLIB_PROCESS_CACHE``: ``locmem`` — one per process,
what a ``wagtail start`` site has — or a ``redis://`` URL with a key prefix
after ``#``) and the folder for uploads every process shares."""

import os

from tests.settings import *  # noqa: F403

_cache = os.environ.get("PMOLIB_PROCESS_CACHE", "locmem")
if _cache.startswith("redis://"):
    _location, _, _prefix = _cache.partition("#")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _location,
            "KEY_PREFIX": _prefix,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if os.environ.get("PMOLIB_PROCESS_MEDIA"):
    MEDIA_ROOT = os.environ["PMOLIB_PROCESS_MEDIA"]
