"""A per-visitor rate limit for feedback, counted in Django's default cache."""

from __future__ import annotations

import math
import time

from django.core.cache import cache

from ..conf import pmolib_settings


def hit(visitor_key: str) -> int | None:
    """Count one submission. ``None`` when allowed, else the seconds to wait.

    A fixed window of RATE_LIMIT_PERIOD seconds starting at the visitor's first
    submission; the counter lives in the cache, so with a shared cache (Redis)
    every process sees the same count.
    """
    limit, period = pmolib_settings.RATE_LIMIT, pmolib_settings.RATE_LIMIT_PERIOD
    now = time.time()
    start_key = f"wagtail_pmolib:throttle:{visitor_key}:start"
    cache.add(start_key, now, period)
    started = cache.get(start_key) or now
    # One counter per window, created with add() (never reset by a set()), counted
    # with the cache's atomic incr(): no process can wipe another's hits.
    count_key = f"wagtail_pmolib:throttle:{visitor_key}:{started!r}"
    cache.add(count_key, 0, period + 1)
    try:
        count = cache.incr(count_key)
    except ValueError:  # evicted meanwhile
        cache.add(count_key, 1, period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil(started + period - now))
