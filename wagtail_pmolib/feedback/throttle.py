"""How often feedback may be sent, counted in Django's default cache.

Three limits, each a fixed window counted with the cache's atomic ``incr()``, so
with a shared cache (Redis, Memcached) every process sees the same counts:

- per visitor: ``RATE_LIMIT`` submissions in ``RATE_LIMIT_PERIOD`` seconds;
- per address: ``ADDRESS_RATE_LIMIT`` submissions in the same period, whoever
  sends them (a new user agent or no cookie makes a new visitor, not a new address);
- per address and page: ``ADDRESS_VOTES_PER_PAGE`` new ratings counted in
  ``ADDRESS_VOTES_PERIOD`` seconds (``count_page_vote``, called by ``votes``
  only for a rating that would start to count).

The keys hold keyed hashes (``identity``), never an address or a user agent.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..conf import pmolib_settings


class Throttled(Exception):
    """A limit is reached: nothing was stored; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int, message: str):
        super().__init__(message)
        self.retry_after = retry_after
        self.message = message


def _hit(name: str, limit: int, period: int) -> int | None:
    """Count one event for ``name``. ``None`` when allowed (or ``limit`` is 0:
    no limit), else the seconds until the window that started with the first
    event ends."""
    if not limit:
        return None
    now = time.time()
    start_key = f"wagtail_pmolib:throttle:{name}:start"
    cache.add(start_key, now, period)
    started = cache.get(start_key) or now
    # One counter per window, created with add() (never reset by a set()), counted
    # with the cache's atomic incr(): no process can wipe another's hits.
    count_key = f"wagtail_pmolib:throttle:{name}:{started!r}"
    cache.add(count_key, 0, period + 1)
    try:
        count = cache.incr(count_key)
    except ValueError:  # evicted meanwhile
        cache.add(count_key, 1, period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil(started + period - now))


def hit(visitor_key: str) -> int | None:
    """Count one submission of a visitor: ``None`` when allowed, else the seconds to wait."""
    return _hit(visitor_key, pmolib_settings.RATE_LIMIT, pmolib_settings.RATE_LIMIT_PERIOD)


def check_submission(visitor) -> None:
    """Count one submission of ``visitor`` (an ``identity.Visitor``) against the
    per-visitor and per-address limits; raises ``Throttled`` when either is reached.

    Called before the body is read: the cheap check first.
    """
    wait = hit(visitor.key)
    if wait is None and visitor.address:
        wait = _hit(
            f"address:{visitor.address}",
            pmolib_settings.ADDRESS_RATE_LIMIT,
            pmolib_settings.RATE_LIMIT_PERIOD,
        )
    if wait is not None:
        raise Throttled(
            wait,
            _("Too many submissions: please try again in %(seconds)s seconds.") % {"seconds": wait},
        )


def count_page_vote(page_id: int, address: str) -> None:
    """Count a new rating on a page from an address (an ``identity.address_key``);
    raises ``Throttled`` past ``ADDRESS_VOTES_PER_PAGE`` in ``ADDRESS_VOTES_PERIOD``."""
    wait = _hit(
        f"page-votes:{page_id}:{address}",
        pmolib_settings.ADDRESS_VOTES_PER_PAGE,
        pmolib_settings.ADDRESS_VOTES_PERIOD,
    )
    if wait is not None:
        raise Throttled(
            wait,
            _("This page has had too many ratings from your network: please try again in %(time)s.")
            % {"time": _duration(wait)},
        )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}
    if seconds < 2 * 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
