"""The search log and what is built on it: counting visitors' searches, the
"Popular searches" and "Searches with no results" reports, popular searches
offered when nothing matched, and editors' picks from Wagtail's search promotions.
"""

from __future__ import annotations

import datetime
import logging

from django.apps import apps
from django.db import DatabaseError, models
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


def record_search(query: ParsedQuery, found: int) -> None:
    """Count one search for the reports, and in Wagtail's query log when search
    promotions are installed. Never fails the page: a failed write is logged (a
    database locked by other writers past its timeout as a warning: the search is
    shown, not counted)."""
    from ..models import SearchTerm

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
            if promotions_installed():
                from wagtail.contrib.search_promotions.models import Query

                Query.get(query.text).add_hit()
    except DatabaseError as exc:
        if is_busy(exc):
            logger.warning("The database was busy: the library search %r was not counted", text)
        else:
            logger.exception("Could not log the library search %r", text)


def record_visitor_search(request, outcome) -> None:
    """Count ``outcome``'s search if it is a visitor's: words on the first page of
    results, asked with GET, not a preview and not a crawler."""
    from ..feedback.identity import is_bot

    if (
        outcome.searched
        and outcome.page.number == 1
        and request.method == "GET"
        and not getattr(request, "is_preview", False)
        and not is_bot(request)
    ):
        record_search(outcome.params.query, outcome.total)


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


def popular_searches(limit=5, days=90) -> list[str]:
    """Texts often searched recently that found something (one query)."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    rows = (
        search_terms(since=since)
        .filter(total_hits__gt=models.F("total_no_result_hits"))
        .values_list("query_string", flat=True)
    )
    return list(rows[:limit])


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
