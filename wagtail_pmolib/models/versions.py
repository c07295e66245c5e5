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

from django.db import DatabaseError, connections, models, router, transaction
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


class Versions(dict):
    """``{scope: version}``; ``summary`` is the rating summary read with them, if asked."""

    summary = None


def read_versions(scopes, *, speakers_of=None, summary_of=None) -> Versions:
    """``{scope: version}`` for ``scopes``, in one query. A scope never bumped has
    version 0, except the anchored ones (below).

    ``speakers_of`` (``(page id, prefix)``) adds the scopes ``prefix + speaker id``
    of that session page's speakers that have a row (``invalidation.speaker_scope``
    names them). ``summary_of`` (a page id) reads that page's rating summary in
    the same statement, as ``.summary`` of the result (a ``RatingSummary``, or
    ``None`` when the page has none)."""
    scopes = list(scopes)
    asked = [*scopes, SITES] if TREE in scopes else scopes
    stored, summary = _select(asked, speakers_of, summary_of)
    if TREE in scopes:
        _saw_sites(stored.pop(SITES, 0))
    missing = [scope for scope in scopes if scope not in stored and _anchored(scope)]
    if missing:
        stored.update(_anchor(missing))
    found = Versions({**dict.fromkeys(scopes, 0), **stored})
    found.summary = summary
    return found


TREE, SITES = "tree", "sites"  # as wagtail_pmolib.invalidation names them


def _select(scopes, speakers_of, summary_of):
    """The stored versions of ``scopes`` (and of ``speakers_of``'s speakers) and the
    rating summary of ``summary_of``, from one statement written out here: the
    ORM took longer to compile it than the database to answer it (each row is
    read through the primary key: the scope, the page's speaker links, the
    summary's page)."""
    from .feedback import RatingSummary
    from .sessions import SessionSpeaker

    connection = connections[router.db_for_read(ContentVersion)]
    quote = connection.ops.quote_name
    versions = quote(ContentVersion._meta.db_table)
    scope, version = quote("scope"), quote("version")
    # The summary's figures (its integer columns, in the model's order for from_db).
    figures = [f for f in RatingSummary._meta.concrete_fields if isinstance(f, models.IntegerField)]
    padding = ", NULL" * len(figures) if summary_of is not None else ""
    arms, params = [], []
    if summary_of is not None:
        # First: the type of each column of a UNION comes from its first non-NULL
        # value, and PostgreSQL reads the arms in order.
        columns = ", ".join(f"s.{quote(f.column)}" for f in figures)
        arms.append(
            f"SELECT NULL, NULL, {columns} FROM {quote(RatingSummary._meta.db_table)} s "
            f"WHERE s.{quote('page_id')} = %s"
        )
        params.append(summary_of)
    if scopes:
        marks = ", ".join(["%s"] * len(scopes))
        arms.append(
            f"SELECT v.{scope}, v.{version}{padding} FROM {versions} v WHERE v.{scope} IN ({marks})"
        )
        params += scopes
    if speakers_of is not None:
        page_id, prefix = speakers_of
        links = quote(SessionSpeaker._meta.db_table)
        speaker = f"CAST(l.{quote('speaker_id')} AS VARCHAR(20))"
        # "speaker:" || id, as the ORM's Concat writes it for each database.
        name = f"CONCAT(%s, {speaker})" if connection.vendor == "mysql" else f"%s || {speaker}"
        arms.append(
            f"SELECT v.{scope}, v.{version}{padding} FROM {links} l "
            f"JOIN {versions} v ON v.{scope} = {name} WHERE l.{quote('page_id')} = %s"
        )
        params += [prefix, page_id]
    if not arms:
        return {}, None
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(arms), params)
        rows = cursor.fetchall()
    stored, summary = {}, None
    for row in rows:
        if row[0] is not None:
            stored[row[0]] = row[1]
        else:
            summary = RatingSummary.from_db(
                connection.alias,
                ["page_id", *(f.attname for f in figures)],
                [summary_of, *row[2:]],
            )
    return stored, summary


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
    return scope == TREE or scope.startswith("settings:")


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


def request_versions(request, scopes, **also) -> Versions:
    """``read_versions`` remembered on ``request``: a scope read once in a request
    (e.g. with the article's) costs no query when another part asks for it.
    What ``also`` asks for (``speakers_of``, ``summary_of``) is always read."""
    known = request.__dict__.setdefault("_pmolib_versions", {})
    missing = [scope for scope in scopes if scope not in known]
    found = read_versions(missing, **also) if missing or also else Versions()
    known.update(found)
    result = Versions({**{scope: known[scope] for scope in scopes}, **found})
    result.summary = found.summary
    return result


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
