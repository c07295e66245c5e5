"""The search log and what is built on it: counting visitors' searches, the
"Popular searches" and "Searches with no results" reports, popular searches
offered when nothing matched, and editors' picks from Wagtail's search promotions.

Two rules (README, "Search for editors"):

- The admin reports count every search (``SearchTerm``), for editors only.
- The popular searches offered to visitors are public: a text is offered only
  once ``POPULAR_SEARCHES_MIN_VISITORS`` distinct visitors searched for it in
  the last ``POPULAR_SEARCHES_DAYS`` days and were shown sessions anyone may see
  (``SearchVisitor``), and no editor hid it (``HiddenSearchTerm``). A visitor who
  sees more than anyone (signed in, a password given: ``LibraryScope.public``)
  does not count, so words that match only private sessions are never offered;
  nor does one visitor searching again and again.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import logging

from django.apps import apps
from django.core.cache import cache
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from ..conf import pmolib_settings
from ..database import is_busy
from .engine import rollback_on_error
from .params import SearchParams
from .query import ParsedQuery, parse_query

logger = logging.getLogger(__name__)

PROMOTIONS_APP = "wagtail.contrib.search_promotions"


def promotions_installed() -> bool:
    return apps.is_installed(PROMOTIONS_APP)


def search_visitor(request) -> str:
    """Who searched, as the popular searches count visitors: a keyed hash of the
    account when signed in, else of the network address (an IPv6 address's /64,
    which one household or one attacker holds whole). Not the user agent nor a
    cookie, which a visitor changes at will to count as many."""
    from ..feedback.identity import client_ip, keyed_hash

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return keyed_hash(f"search:user:{user.pk}")
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return keyed_hash(f"search:address:{address}")
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        else:
            address = str(ipaddress.ip_network((parsed, 64), strict=False))
            return keyed_hash(f"search:network:{address}")
    return keyed_hash(f"search:address:{parsed}")


def record_search(query: ParsedQuery, found: int, visitor: str | None = None) -> None:
    """Count one search for the reports, and in Wagtail's query log when search
    promotions are installed; with ``visitor`` (``search_visitor``), also as a
    search that showed that visitor sessions anyone may see. Never fails the
    page: a failed write is logged (a database locked by other writers past its
    timeout as a warning: the search is shown, not counted)."""
    from ..models import SearchTerm, SearchVisitor

    if not pmolib_settings.SEARCH_LOG or not query:
        return
    text, today = query.normalised, timezone.localdate()
    increments = {"hits": models.F("hits") + 1}
    if not found:
        increments["no_result_hits"] = models.F("no_result_hits") + 1
    try:
        with rollback_on_error():
            if not SearchTerm.objects.filter(query_string=text, date=today).update(**increments):
                # The day's first such search. Should another request create the
                # row in between, this insert is ignored and one search goes uncounted.
                SearchTerm.objects.bulk_create(
                    [
                        SearchTerm(
                            query_string=text, date=today, hits=1, no_result_hits=int(not found)
                        )
                    ],
                    ignore_conflicts=True,
                )
                # Visitors are kept no longer than they can count (a few times a day).
                SearchVisitor.objects.filter(date__lt=_popular_since()).delete()
            if visitor and found:
                _record_visitor(SearchVisitor(query_string=text, date=today, visitor=visitor))
            if promotions_installed():
                from wagtail.contrib.search_promotions.models import Query

                Query.get(query.text).add_hit()
    except DatabaseError as exc:
        if is_busy(exc):
            logger.warning("The database was busy: the library search %r was not counted", text)
        else:
            logger.exception("Could not log the library search %r", text)


def _record_visitor(row) -> None:
    """Store ``row`` (a ``SearchVisitor``) unless it is stored. The insert is
    idempotent; Django's cache only remembers it was made, so a visitor who
    sorts or filters the same search again costs no write (a cache that forgot
    costs one insert, ignored)."""
    key = (
        "wagtail_pmolib:search-visitor:"
        + hashlib.sha256(f"{row.date}\n{row.visitor}\n{row.query_string}".encode()).hexdigest()
    )
    if cache.get(key):
        return
    type(row).objects.bulk_create([row], ignore_conflicts=True)
    transaction.on_commit(lambda: cache.set(key, True, 60 * 60 * 24))


def record_visitor_search(request, outcome, scope) -> None:
    """Count ``outcome``'s search if it is a visitor's: words on the first page of
    results, asked with GET, not a preview and not a crawler. It counts towards
    the popular searches offered to visitors only if it found sessions anyone
    finds (not only by the members' index) and the visitor's ``scope`` is what
    anyone sees."""
    from ..feedback.identity import is_bot

    if (
        outcome.searched
        and outcome.page.number == 1
        and request.method == "GET"
        and not getattr(request, "is_preview", False)
        and not is_bot(request)
    ):
        # Sessions found only by their members' text are not what anyone finds.
        public = scope.public and outcome.teaser_total > 0
        record_search(
            outcome.params.query, outcome.total, search_visitor(request) if public else None
        )


def search_extras(request, outcome, scope) -> dict:
    """What a results page offers besides results: ``editors_picks`` (first page of
    a search) and, when nothing was found, ``popular_searches`` (text and address)."""
    query = outcome.params.query
    first_page = outcome.searched and outcome.page.number == 1
    popular = []
    if not outcome.total:
        popular = [
            {"text": text, "url": SearchParams(query=parse_query(text)).url()}
            for text in popular_searches()
            if text != query.normalised
        ]
    return {
        "editors_picks": editors_picks(query, request, scope=scope) if first_page else [],
        "popular_searches": popular,
    }


def search_terms(rows=None, *, since=None, no_results=False):
    """Searches grouped by text: ``query_string``, ``total_hits``,
    ``total_no_result_hits``, ``last_seen``; most frequent first. ``rows`` narrows
    the days counted (a ``SearchTerm`` queryset); ``no_results`` keeps only texts
    that found nothing at least once, ordered by how often they did."""
    from ..models import SearchTerm

    rows = SearchTerm.objects.all() if rows is None else rows
    if since:
        rows = rows.filter(date__gte=since)
    if no_results:
        rows = rows.filter(no_result_hits__gt=0)
    rows = rows.values("query_string").annotate(
        total_hits=models.Sum("hits"),
        total_no_result_hits=models.Sum("no_result_hits"),
        last_seen=models.Max("date"),
    )
    order = "-total_no_result_hits" if no_results else "-total_hits"
    return rows.order_by(order, "-last_seen", "query_string")


def _popular_since() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=pmolib_settings.POPULAR_SEARCHES_DAYS)


def public_visitors():
    """Per text: ``visitors``, the distinct visitors it showed public sessions to
    in the last ``POPULAR_SEARCHES_DAYS`` days; most first."""
    from ..models import SearchVisitor

    return (
        SearchVisitor.objects.filter(date__gte=_popular_since())
        .values("query_string")
        .annotate(visitors=models.Count("visitor", distinct=True))
        .order_by("-visitors", "query_string")
    )


def popular_searches(limit=None) -> list[str]:
    """The popular searches offered to visitors (the module's rule), most
    searched first (one query)."""
    from ..models import HiddenSearchTerm

    limit = pmolib_settings.POPULAR_SEARCHES if limit is None else limit
    if not limit:
        return []
    rows = (
        public_visitors()
        .exclude(query_string__in=HiddenSearchTerm.objects.values("query_string"))
        .filter(visitors__gte=pmolib_settings.POPULAR_SEARCHES_MIN_VISITORS)
        .values_list("query_string", flat=True)
    )
    return list(rows[:limit])


def with_public_status(rows):
    """``search_terms`` rows with ``public_visitors`` (as ``public_visitors``
    counts them) and ``hidden`` (whether an editor hid the text), for the report."""
    from ..models import HiddenSearchTerm

    visitors = (
        public_visitors()
        .filter(query_string=models.OuterRef("query_string"))
        .values("visitors")[:1]
    )
    return rows.annotate(
        public_visitors=models.functions.Coalesce(
            models.Subquery(visitors, output_field=models.IntegerField()), 0
        ),
        hidden=models.Exists(
            HiddenSearchTerm.objects.filter(query_string=models.OuterRef("query_string"))
        ),
    )


def hide_search(text: str, user=None, *, hidden=True) -> None:
    """Hide ``text`` (a normalised search) from the popular searches offered to
    visitors, or show it again (``hidden=False``)."""
    from ..models import HiddenSearchTerm

    if hidden:
        HiddenSearchTerm.objects.get_or_create(
            query_string=text, defaults={"hidden_by": user if user and user.pk else None}
        )
    else:
        HiddenSearchTerm.objects.filter(query_string=text).delete()


def editors_picks(query: ParsedQuery, request, *, scope=None) -> list[dict]:
    """The promoted results for this search (``wagtail.contrib.search_promotions``):
    ``{"title", "url", "description"}`` each. Pages not live, or that the visitor may
    not view, are left out (``scope``, the visitor's ``LibraryScope``, answers for
    pages below the library without a query). Empty when search promotions are not
    installed."""
    if not query or not promotions_installed():
        return []
    from wagtail.contrib.search_promotions.models import SearchPromotion
    from wagtail.search.utils import normalise_query_string

    picks = []
    promotions = (
        SearchPromotion.objects.filter(query__query_string=normalise_query_string(query.text))
        .select_related("page")
        .order_by("sort_order")
    )
    for promotion in promotions:
        page = promotion.page
        if page is not None:
            if not page.live:
                continue
            if scope is not None and page.path.startswith(scope.index_page.path):
                if not scope.allows(page.path):
                    continue
            elif any(not r.accept_request(request) for r in page.get_view_restrictions()):
                continue
            url = page.get_url(request)
            title = page.title
        else:
            url = promotion.external_link_url
            title = promotion.external_link_text or promotion.external_link_url
        if url:
            picks.append({"title": title, "url": url, "description": promotion.description})
    return picks
