"""Library search: matching, sorting, paging and the results a page shows.
No HTTP here: the library page (HTML) and the JSON API call the same
functions, so they can never disagree.

The search backend is asked one thing, through Wagtail's backend-neutral API:
which live sessions under the library match the words, best first. Filters,
facet counts and sorting are worked out on the library's catalog
(``catalog.py``), so they cost no query whatever the number of sessions.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast, Greatest, Lower, StrIndex, Substr
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..conf import pmolib_settings
from ..feedback.summary import Summary, bayesian_average
from ..models.pages import LINK_FIELDS
from .catalog import Catalog
from .excerpts import excerpt, lead, mark, stem, terms_pattern
from .facets import Facet, build_facets, filter_and_count, selected_filters
from .params import (
    SORT_MOST_RATED,
    SORT_NEWEST,
    SORT_RELEVANCE,
    SORT_TOP_RATED,
    SORTS,
    SearchParams,
)
from .query import ParsedQuery
from .text import handouts_in, html_to_text, raw_stream_data

logger = logging.getLogger(__name__)

# --- Matching and sorting -------------------------------------------------------


class SearchUnavailable(Exception):
    """The search backend failed; the library is browsed instead."""


def matching_ids(results) -> list[int]:
    """The ids of every match, best first.

    Wagtail's database backends (SQLite FTS5, PostgreSQL, MySQL) give their
    results as a queryset: its ids are read in one query without loading pages.
    Any other backend (Elasticsearch, OpenSearch) is read through the standard
    results API, at most ``SEARCH_MAX_MATCHES`` of them.
    """
    get_queryset = getattr(results, "get_queryset", None)
    if callable(get_queryset):
        return list(get_queryset().values_list("pk", flat=True))
    return [obj.pk for obj in results[: pmolib_settings.SEARCH_MAX_MATCHES]]


def rollback_on_error():
    """A savepoint when the request runs in a transaction (``ATOMIC_REQUESTS``), so
    a failed search cannot break the rest of it; nothing otherwise (a read needs
    no transaction of its own)."""
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def backend_ranks() -> bool:
    """Whether the search backend orders matches by relevance for the library.

    ``SEARCH_RANKING = "auto"`` lets every backend rank except Wagtail's SQLite
    (FTS5) backend: it scores each match with a correlated subquery that runs
    the full-text match again, which takes seconds for a common word in a few
    thousand sessions (see the benchmarks). There the library ranks instead.
    """
    setting = pmolib_settings.SEARCH_RANKING
    if setting != "auto":
        return setting == "backend"
    from wagtail.search.backends import get_search_backend

    module = type(get_search_backend()).__module__
    return not module.startswith("modelsearch.backends.database.sqlite")


def rank_in_library(ids, query: ParsedQuery, catalog: Catalog) -> list[int]:
    """Matches ordered by how many of the words their titles have (the title
    weighs most), then by how many their speakers', conference's and theme's
    names have, then newest first: the library's own relevance, from the catalog."""
    pattern = terms_pattern(query.terms)
    entries, position = catalog.entries, catalog.position

    def words_in(text):
        return len({m.group(0).casefold() for m in pattern.finditer(text or "")})

    def score(pk):
        entry = entries.get(pk)
        if entry is None:
            return (0, 0, 0)
        names = " ".join(
            [
                *(s.name for s in catalog.speaker_refs(entry)),
                catalog.themes.get(entry.theme, ""),
                getattr(catalog.conferences.get(entry.conference), "title", ""),
            ]
        )
        return (-words_in(entry.title), -words_in(names), position.get(pk, 0))

    return sorted(ids, key=score)


def match(queryset, query: ParsedQuery, catalog: Catalog | None = None):
    """Ids of the sessions in ``queryset`` matching ``query``, best first, and
    whether the words had to be matched with OR because nothing had them all."""
    ranked = catalog is None or backend_ranks()
    try:
        with rollback_on_error():
            ids = matching_ids(
                queryset.search(query.backend_query("and"), order_by_relevance=ranked)
            )
            any_word = False
            if not ids and len(query.terms) > 1:
                any_word = True
                ids = matching_ids(
                    queryset.search(query.backend_query("or"), order_by_relevance=ranked)
                )
    except Exception as exc:  # a backend outage or a query it refuses must not fail the page
        logger.exception("The library search failed for %r", query.text)
        raise SearchUnavailable from exc
    if not ranked:
        ids = rank_in_library(ids, query, catalog)
    return ids, any_word


def library_ratings(index_page) -> dict[int, tuple[int, int]]:
    """``{page id: (count, total)}`` for every rated page below the library (one query)."""
    from ..models import RatingSummary

    return {
        page_id: (count, total)
        for page_id, count, total in RatingSummary.objects.filter(
            page__path__startswith=index_page.path,
            page__depth__gt=index_page.depth,
            count__gt=0,
        ).values_list("page_id", "count", "total")
    }


def sort_entries(entries, sort: str, catalog: Catalog, ratings=None):
    """``entries`` in ``sort`` order (relevance keeps the backend's order)."""
    if sort == SORT_RELEVANCE:
        return list(entries)
    position = catalog.position
    if sort == SORT_NEWEST:
        return sorted(entries, key=lambda e: position[e.id])
    ratings = ratings or {}
    count_sum = sum(c for c, _t in ratings.values())
    prior_mean = sum(t for _c, t in ratings.values()) / count_sum if count_sum else 0.0
    weight = pmolib_settings.BAYESIAN_PRIOR_WEIGHT

    def bayes(entry):
        count, total = ratings.get(entry.id, (0, 0))
        return bayesian_average(count, total, prior_mean, weight) or 0.0

    def count(entry):
        return ratings.get(entry.id, (0, 0))[0]

    if sort == SORT_TOP_RATED:
        return sorted(entries, key=lambda e: (-bayes(e), -count(e), position[e.id]))
    return sorted(entries, key=lambda e: (-count(e), -bayes(e), position[e.id]))


# --- Running a search --------------------------------------------------------------


@dataclass
class SearchOutcome:
    params: SearchParams
    total: int = 0  # results with the filters
    without_filters: int = 0  # results for the words alone
    matched_any_word: bool = False  # nothing had every word: OR was used
    page: object = None  # a Django paginator page of the result entries
    paginator: Paginator | None = None
    results: list = field(default_factory=list)  # the sessions on this page, annotated
    facets: list[Facet] = field(default_factory=list)
    selected: list[dict] = field(default_factory=list)
    sort_options: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    failed: bool = False  # the backend failed: this is the browse view
    page_links: list[dict] = field(default_factory=list)
    previous_url: str = ""
    clear_url: str = "?"  # this search without its filters

    @property
    def max_length(self) -> int:
        return pmolib_settings.SEARCH_MAX_QUERY_LENGTH

    next_url: str = ""

    @property
    def searched(self) -> bool:
        return bool(self.params.query) and not self.failed

    @property
    def count_display(self) -> str:
        return ngettext("%(count)s session", "%(count)s sessions", self.total) % {
            "count": self.total
        }


def run_search(index_page, request, params: SearchParams, catalog: Catalog, session_model):
    """Everything a library page shows for ``params``, for ``request``'s visitor.

    ``catalog`` must be the visitor's (``Catalog.for_request``): only its sessions
    can be results."""
    outcome = SearchOutcome(params=params, notices=list(params.notices))
    entries = catalog.entries
    ranked_ids = None
    if params.query:
        queryset = session_model.objects.live().descendant_of(index_page).defer_streamfields()
        try:
            ranked_ids, outcome.matched_any_word = match(queryset, params.query, catalog)
        except SearchUnavailable:
            outcome.failed = True
            outcome.notices.append(
                _("Search is not available right now, so all sessions are shown.")
            )
    if ranked_ids is None:
        candidates = [entries[pk] for pk in catalog.newest]
    else:
        candidates = [entries[pk] for pk in ranked_ids if pk in entries]
    if outcome.matched_any_word and candidates:
        outcome.notices.append(_("No session has all of your words; these have some of them."))

    results, counts = filter_and_count(candidates, params)
    outcome.total = len(results)
    outcome.without_filters = len(candidates)
    outcome.facets = build_facets(catalog, params, counts)
    outcome.selected = selected_filters(catalog, params)
    outcome.clear_url = params.url(conference=(), theme=(), speaker=(), format=())

    sort = params.effective_sort if not outcome.failed else SORT_NEWEST
    ratings = None
    if sort in (SORT_TOP_RATED, SORT_MOST_RATED):
        ratings = library_ratings(index_page)
    results = sort_entries(results, sort, catalog, ratings)
    default_sort = SORT_RELEVANCE if params.query else SORT_NEWEST
    outcome.sort_options = [
        {
            "value": value,
            "label": label,
            "selected": value == sort,
            "url": params.url(sort="" if value == default_sort else value),
        }
        for value, label in SORTS.items()
        if value != SORT_RELEVANCE or params.query
    ]

    per_page = params.per_page or pmolib_settings.INDEX_PAGE_SIZE
    outcome.paginator = Paginator(results, per_page)
    outcome.page = page = outcome.paginator.get_page(params.page)
    outcome.page_links = [
        {
            "number": number,
            "url": params.url(page=number if number > 1 else None)
            if number != Paginator.ELLIPSIS
            else None,
            "current": number == page.number,
        }
        for number in outcome.paginator.get_elided_page_range(page.number, on_each_side=2)
    ]
    if page.has_previous():
        number = page.previous_page_number()
        outcome.previous_url = params.url(page=number if number > 1 else None)
    if page.has_next():
        outcome.next_url = params.url(page=page.next_page_number())
    outcome.results = load_results(
        list(outcome.page.object_list),
        catalog,
        session_model,
        params.query if outcome.searched else ParsedQuery(),
        ratings,
    )
    return outcome


PDF_SNIPPET_CHARS = 600


def pdf_snippet(query: ParsedQuery):
    """An expression for a session query: about ``PDF_SNIPPET_CHARS`` characters of
    the PDF text of one of the session's handout documents that contains the
    query's longest word, around its first occurrence; ``None`` if none does.

    The session's documents come from Wagtail's reference index, so the passage
    is read in the query that loads the results: the whole text (up to
    ``PDF_MAX_TEXT``) never leaves the database and no query is added.
    """
    from django.contrib.contenttypes.models import ContentType
    from wagtail.documents import get_document_model
    from wagtail.models import Page, ReferenceIndex

    from ..models import DocumentText

    word = stem(max(query.terms, key=len)[:32].casefold())  # "frameworks" finds "framework"
    documents = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id=Cast(OuterRef(OuterRef("pk")), CharField()),  # the session, two levels out
        to_content_type=ContentType.objects.get_for_model(get_document_model()),
    ).values("to_object_id")
    position = StrIndex(Lower("text"), Value(word))
    start = Greatest(position - PDF_SNIPPET_CHARS // 3, Value(1))
    texts = (
        DocumentText.objects.annotate(document_key=Cast("document_id", CharField()))
        .filter(document_key__in=documents, text__icontains=word)
        .annotate(snippet=Substr("text", start, PDF_SNIPPET_CHARS))
        .order_by("document_id")
        .values("snippet")[:1]
    )
    return Subquery(texts, output_field=TextField())


def load_results(entries, catalog: Catalog, session_model, query: ParsedQuery, ratings=None):
    """The sessions of one results page, each with ``conference``, ``speaker_list``,
    ``theme_name``, ``rating``, ``title_marked`` and ``excerpt`` (two queries)."""
    from ..models import RatingSummary

    if not entries:
        return []
    ids = [entry.id for entry in entries]
    fields = [*LINK_FIELDS, "abstract", "has_recording", "has_handouts"]
    if query:
        fields += ["notes", "body"]
    pages = session_model.objects.filter(pk__in=ids).only(*fields)
    if query:
        pages = pages.annotate(pdf_snippet=pdf_snippet(query))
    pages = pages.in_bulk()
    if ratings is None:
        ratings = {
            page_id: (count, total)
            for page_id, count, total in RatingSummary.objects.filter(
                page_id__in=ids, count__gt=0
            ).values_list("page_id", "count", "total")
        }
    pattern = terms_pattern(query.terms) if query else None
    sessions = []
    for entry in entries:
        session = pages.get(entry.id)
        if session is None:  # deleted since the catalog was read
            continue
        session.conference = catalog.conferences.get(entry.conference)
        session.speaker_list = catalog.speaker_refs(entry)
        session.theme_name = catalog.themes.get(entry.theme, "")
        count, total = ratings.get(entry.id, (0, 0))
        session.rating = Summary(count=count, total=total) if count else None
        abstract = html_to_text(session.abstract)
        session.title_marked = mark(session.title, pattern)
        session.excerpt = None
        if pattern is not None:
            handouts = handouts_in(raw_stream_data(session.body))
            for text in (
                abstract,
                html_to_text(session.notes),
                *(f"{h['title']} {h['description']}".strip() for h in handouts),
                getattr(session, "pdf_snippet", None) or "",
            ):
                session.excerpt = excerpt(text, pattern)
                if session.excerpt:
                    break
        if session.excerpt is None:
            session.excerpt = mark(lead(abstract), pattern)
        sessions.append(session)
    return sessions
