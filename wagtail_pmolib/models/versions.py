"""Versions of what the library caches, kept in the database.

Every process keys what it caches (rendered articles, feedback settings) with
versions read from this table on each request, so a
change committed by any process — a web worker, ``publish_scheduled`` from
cron, the shell, a task worker — shows on every process's next request,
whatever cache backend the host configured. ``wagtail_pmolib.invalidation``
decides which versions a change bumps, after the transaction commits.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, models, router, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class ContentVersion(models.Model):
    """One version number per *scope* (``"page:42"``, ``"speaker:3"``…)."""

    scope = models.CharField(_("scope"), max_length=64, primary_key=True)
    version = models.BigIntegerField(_("version"))

    class Meta:
        verbose_name = _("content version")
        verbose_name_plural = _("content versions")

    def __str__(self):
        return f"{self.scope} = {self.version}"


def read_versions(scopes, *, also=None) -> dict[str, int]:
    """``{scope: version}`` for ``scopes`` and the scopes that the queryset
    ``also`` yields (a single-column queryset of scope names), in one query.
    A scope never bumped has version 0, except the anchored ones (below)."""
    scopes = list(scopes)
    condition = models.Q(scope__in=[*scopes, "sites"] if "tree" in scopes else scopes)
    if also is not None:
        condition |= models.Q(scope__in=also)
    stored = dict(ContentVersion.objects.filter(condition).values_list("scope", "version"))
    if "tree" in scopes:
        _saw_sites(stored.pop("sites", 0))
    missing = [scope for scope in scopes if scope not in stored and _anchored(scope)]
    if missing:
        stored.update(_anchor(missing))
    return {**dict.fromkeys(scopes, 0), **stored}


_sites_seen = {"version": 0}


def _saw_sites(version) -> None:
    """Wagtail keeps the sites' root paths (what every page address is made
    from) in Django's cache and clears them only in the process that changes a
    site: with a per-process cache, the other processes would render, and
    cache under the new versions, addresses of before the change. The ``sites``
    version comes with ``tree``; when it moves, this process clears them too."""
    if version != _sites_seen["version"]:
        from wagtail.models import Site

        Site.clear_site_root_paths_cache()
        _sites_seen["version"] = version


# A scope never bumped reads 0, so if the table is emptied (a reset, a copy of
# another database) every such scope reads 0 again, and entries a cache still
# holds from before its first bump would be served as current. These few scopes
# (``tree``, read with every article's key, and each site's feedback
# settings) always have a row: made from the clock when missing, so keys made
# before the table was emptied never come back.
def _anchored(scope) -> bool:
    return scope == "tree" or scope.startswith("settings:")


def _anchor(scopes) -> dict[str, int]:
    """Rows for the anchored ``scopes`` (once, at first use or after the table
    was emptied). A database that refuses the write (a read-only transaction)
    leaves them at 0 for this request rather than failing it."""
    start = time.time_ns() // 1000
    try:
        with transaction.atomic(using=router.db_for_write(ContentVersion)):
            ContentVersion.objects.bulk_create(
                [ContentVersion(scope=scope, version=start) for scope in scopes],
                ignore_conflicts=True,
            )
    except DatabaseError:
        logger.warning("Could not store the versions of %s", ", ".join(scopes), exc_info=True)
        return {}
    return dict(ContentVersion.objects.filter(scope__in=scopes).values_list("scope", "version"))


def request_versions(request, scopes, *, also=None) -> dict[str, int]:
    """``read_versions`` remembered on ``request``: a scope read once in a request
    (e.g. with the article's) costs no query when another part asks for it."""
    known = request.__dict__.setdefault("_pmolib_versions", {})
    missing = [scope for scope in scopes if scope not in known]
    found = read_versions(missing, also=also) if missing or also is not None else {}
    known.update(found)
    return {**{scope: known[scope] for scope in scopes}, **found}


def bump_versions(scopes) -> None:
    """Give each scope a new version (two queries whatever their number).

    A scope's first version comes from the clock, so numbers never repeat ones
    that a cache may still hold if the table is ever emptied.
    """
    scopes = sorted(set(scopes))  # one lock order: concurrent bumps cannot deadlock
    if not scopes:
        return
    start = time.time_ns() // 1000
    with transaction.atomic():
        ContentVersion.objects.bulk_create(
            [ContentVersion(scope=scope, version=start) for scope in scopes],
            ignore_conflicts=True,
        )
        ContentVersion.objects.filter(scope__in=scopes).update(version=F("version") + 1)
