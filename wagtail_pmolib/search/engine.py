"""Library search: matching, sorting, paging and the results a page shows.
No HTTP here: the library page calls these functions (and so will a JSON API,
which then cannot disagree with the page).

Everything is read from the database (and the search backend) per request;
nothing about the sessions is kept between requests. A search request makes a
fixed number of queries whatever the number of sessions: the visitor's scope
(``scope.py``, 1), the filter values in the address (``params.py``, 1 when there
are any), the facet counts (``facets.py``, 1), the ids of the results page in
order (1) and those sessions with their speakers (1); the facet counts once more
when no session has all of the words and the address has no filter values (the
any-word fallback; with filter values that is asked with them). On Wagtail's database
backends the words are matched inside those queries (``matching.py``); other
backends are asked through ``remote.py``.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import CharField, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Greatest, Lower, StrIndex, Substr
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.models import Page

from ..access.members import readable_q
from ..conf import pmolib_settings
from ..feedback.summary import Summary, bayesian_average_sql, rating_prior
from ..models.pages import LINK_FIELDS
from ..text import handouts_in, html_to_text, raw_stream_data
from . import matching
from .excerpts import excerpt, lead, mark, stem, terms_pattern
from .facets import (
    Counts,
    Facet,
    build_facets,
    count_facets,
    filter_q,
    selected_filters,
    with_parent,
)
from .params import (
    SORT_MOST_RATED,
    SORT_NEWEST,
    SORT_RELEVANCE,
    SORT_TOP_RATED,
    SORTS,
    SearchParams,
    several_parts,
)
from .query import ParsedQuery
from .scope import LibraryScope

logger = logging.getLogger(__name__)


def rollback_on_error():
    """A savepoint when the request runs in a transaction (``ATOMIC_REQUESTS``), so
    a failed search cannot break the rest of it; nothing otherwise (a read needs
    no transaction of its own)."""
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def rating_sort(queryset, sort: str, counts: Counts):
    """``queryset`` in "top rated" or "most rated" order: the Bayesian average of the
    ratings (``feedback.summary``; the library's mean as prior) or their number,
    each breaking the other's ties, then newest first."""
    rated = models.Q(pmolib_rating_summary__count__gt=0)
    count = models.Case(
        models.When(rated, then="pmolib_rating_summary__count"),
        default=0,
        output_field=models.IntegerField(),
    )
    total = models.Case(
        models.When(rated, then="pmolib_rating_summary__total"),
        default=0,
        output_field=models.IntegerField(),
    )
    prior = rating_prior(counts.rated_count, counts.rated_total)
    bayes = Coalesce(bayesian_average_sql(count, total, prior), Value(0.0))
    queryset = queryset.alias(_pmolib_bayes=bayes, _pmolib_count=count)
    keys = [models.F("_pmolib_bayes").desc(), models.F("_pmolib_count").desc()]
    if sort == SORT_MOST_RATED:
        keys.reverse()
    return queryset.order_by(*keys, *matching.NEWEST)


# --- Running a search --------------------------------------------------------------


@dataclass
class SearchOutcome:
    params: SearchParams
    total: int = 0  # results with the filters
    # Of those, found by what anyone's search has (not only a members' index match).
    teaser_total: int = 0
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


class _Results:
    """The ordered results for Django's ``Paginator``: their number is known from
    the facet counts; a slice reads that page's ids from the database."""

    def __init__(self, total, queryset, prefetched=None):
        self.total, self.queryset = total, queryset
        self.prefetched = prefetched or {}  # start → a page of ids read with the counts

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, key):
        if not isinstance(key, slice) or not self.total:
            return []
        if key.start in self.prefetched:
            return self.prefetched[key.start][: key.stop - key.start]
        return list(self.queryset.values_list("pk", flat=True)[key])


def run_search(scope: LibraryScope, params: SearchParams) -> SearchOutcome:
    """Everything a library page shows for ``params``, for the visitor whose scope
    (``scope.scope_for``) is ``scope``; links are relative to the library page."""
    outcome = SearchOutcome(params=params, notices=list(params.notices))
    query = params.query
    kind = matching.backend_kind()
    counts = None
    operator = "and"
    rated = params.effective_sort in (SORT_TOP_RATED, SORT_MOST_RATED)
    if query and kind == matching.REMOTE:
        from . import remote

        try:
            with rollback_on_error():
                return remote.run_search(scope, params, outcome)
        except Exception:  # a backend outage or a query it refuses must not fail the page
            logger.exception("The library search failed for %r", query.text)
            outcome.failed = True
    elif query:
        model = scope.session_model
        operator = "or" if params.known.all_words is False else "and"
        # A reader of members-only sessions: the library ranks (``backend_ranks``).
        ranks = matching.backend_ranks(user=scope.user)
        # When the backend ranks, its scores come with the candidates, and the page
        # of results with the counts: the match is computed once for the request.
        page = None
        if ranks and params.effective_sort == SORT_RELEVANCE:
            per_page = params.per_page or pmolib_settings.INDEX_PAGE_SIZE
            page = ((params.page - 1) * per_page, per_page)

        def counted(operator):
            if page is not None:
                found = matching.scored(scope.live_sessions(), query, operator)
                return count_facets(scope, params, scored=found, page=page, prior=rated)
            teaser = None
            if matching.reads_members_text(scope.user):
                teaser = matching.matching_q(model, query, operator)
            return count_facets(
                scope,
                params,
                match=matching.match_q(scope.user, model, query, operator),
                prior=rated,
                name_terms=() if ranks else query.terms,
                teaser=teaser,
            )

        try:
            with rollback_on_error():
                counts = counted(operator)
                if (
                    not counts.without_filters
                    and operator == "and"
                    and several_parts(query)
                    and params.known.all_words is None
                ):
                    # Nothing has all of the words: those with any of them.
                    operator = "or"
                    counts = counted(operator)
        except Exception:  # a backend outage or a query it refuses must not fail the page
            logger.exception("The library search failed for %r", query.text)
            outcome.failed = True
            counts = None
    if outcome.failed:
        outcome.notices.append(_("Search is not available right now, so all sessions are shown."))
    sort = params.effective_sort if not outcome.failed else SORT_NEWEST
    if counts is None:
        counts = count_facets(scope, params, prior=sort in (SORT_TOP_RATED, SORT_MOST_RATED))
    searched = bool(query) and not outcome.failed
    outcome.matched_any_word = searched and operator == "or"
    if outcome.matched_any_word and counts.without_filters:
        outcome.notices.append(_("No session has all of your words; these have some of them."))

    results = with_parent(scope.sessions()).filter(filter_q(params))
    if searched:
        results = results.filter(matching.match_q(scope.user, scope.session_model, query, operator))
    if sort == SORT_RELEVANCE and searched:
        if matching.backend_ranks(user=scope.user):
            ranked = matching.ranked(scope.live_sessions(), query, operator)
            results = scope.exclude_hidden(with_parent(ranked)).filter(filter_q(params))
        else:
            results = matching.library_ranking(
                results,
                query,
                conferences=[(c.path, c.title) for c in counts.conferences.values()],
                themes=list(counts.theme_names.items()),
                speakers=counts.named_speakers,
            )
    elif sort in (SORT_TOP_RATED, SORT_MOST_RATED):
        results = rating_sort(results, sort, counts)
    else:
        results = results.order_by(*matching.NEWEST)
    prefetched = {}
    if searched and counts.page and sort == SORT_RELEVANCE:
        per_page = params.per_page or pmolib_settings.INDEX_PAGE_SIZE
        start = (params.page - 1) * per_page
        if start >= counts.total:  # the last page, as the paginator will show it
            start = (counts.total - 1) // per_page * per_page
        prefetched[start] = counts.page
    return _finish(
        outcome, params, counts, sort, _Results(counts.total, results, prefetched), scope, searched
    )


def _finish(outcome, params, counts, sort, results, scope, searched):
    outcome.total = counts.total
    outcome.teaser_total = counts.total if counts.teaser_total is None else counts.teaser_total
    outcome.without_filters = counts.without_filters
    outcome.facets = build_facets(counts, params)
    outcome.selected = selected_filters(params)
    outcome.clear_url = params.url(conference=(), theme=(), speaker=(), format=(), access=())
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
        list(page.object_list),
        scope.session_model,
        params.query if searched else ParsedQuery(),
        counts.conferences,
        user=scope.user,
    )
    return outcome


PDF_SNIPPET_CHARS = 600


def pdf_snippet(query: ParsedQuery):
    """An expression for a session query: about ``PDF_SNIPPET_CHARS`` characters of
    the PDF text of one of the session's handout documents that contains the
    query's longest word, around its first occurrence; ``None`` if none does.
    Never of a private document (``models.documents.private_q``).

    The session's documents come from Wagtail's reference index, so the passage
    is read in the query that loads the results: the whole text (up to
    ``PDF_MAX_TEXT``) never leaves the database and no query is added.
    """
    from django.contrib.contenttypes.models import ContentType
    from wagtail.documents import get_document_model
    from wagtail.models import Page, ReferenceIndex

    from ..models import DocumentText
    from ..models.documents import private_q

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
        .exclude(private_q("document__"))
        .annotate(snippet=Substr("text", start, PDF_SNIPPET_CHARS))
        .order_by("document_id")
        .values("snippet")[:1]
    )
    return Subquery(texts, output_field=TextField())


def load_results(ids, session_model, query: ParsedQuery, conferences=None, user=None):
    """The sessions ``ids`` (in that order), each with ``conference`` (from
    ``conferences``, parent path → ``Conference``), ``speaker_list`` (names and ids),
    ``theme_name``, ``rating``, ``title_marked``, ``excerpt`` and ``locked``
    (a members-only session ``user`` may not read: its excerpt is from its
    teaser, never its notes, handouts or PDF text; a reader's quotes them as a
    free session's): one query (a row per session and speaker)."""
    if not ids:
        return []
    fields = [
        *LINK_FIELDS,
        "abstract",
        "has_recording",
        "has_handouts",
        "access_effective",
        "access_source_id",
    ]
    if query:
        fields += ["notes", "body"]
    rows = (
        session_model.objects.filter(pk__in=ids)
        .only(*fields)
        .annotate(
            theme_name=models.F("theme__name"),
            rating_count=models.F("pmolib_rating_summary__count"),
            rating_total=models.F("pmolib_rating_summary__total"),
            speaker_name=models.F("session_speakers__speaker__name"),
            speaker_id=models.F("session_speakers__speaker_id"),
            speaker_order=models.F("session_speakers__sort_order"),
            speaker_link=models.F("session_speakers__pk"),
            readable=_readable(user),
        )
        .order_by()
    )
    if query:
        rows = rows.annotate(pdf_snippet=pdf_snippet(query))
    pages, speakers = {}, {}
    for row in rows:
        pages.setdefault(row.pk, row)
        if row.speaker_name is not None:
            speakers.setdefault(row.pk, []).append(
                (row.speaker_order or 0, row.speaker_link, row.speaker_name, row.speaker_id)
            )
    conferences = conferences or {}
    pattern = terms_pattern(query.terms) if query else None
    steplen = Page.steplen
    sessions = []
    for pk in ids:
        session = pages.get(pk)
        if session is None:  # deleted since its id was read
            continue
        session.conference = conferences.get(session.path[:-steplen])
        session.speaker_list = [
            _Speaker(name, speaker_id)
            for _order, _link, name, speaker_id in sorted(speakers.get(pk, []))
        ]
        session.theme_name = session.theme_name or ""
        count = session.rating_count or 0
        session.rating = Summary(count=count, total=session.rating_total or 0) if count else None
        abstract = html_to_text(session.abstract)
        session.title_marked = mark(session.title, pattern)
        session.excerpt = None
        session.locked = not session.readable
        if pattern is not None:
            texts = [abstract]
            if session.readable:
                # A members-only session is quoted from its gated parts only for
                # its readers (who find it by them: ``matching.match_q``).
                handouts = handouts_in(raw_stream_data(session.body))
                texts += [
                    html_to_text(session.notes),
                    *(f"{h['title']} {h['description']}".strip() for h in handouts),
                    getattr(session, "pdf_snippet", None) or "",
                ]
            for text in texts:
                session.excerpt = excerpt(text, pattern)
                if session.excerpt:
                    break
        if session.excerpt is None:
            session.excerpt = mark(lead(abstract), pattern)
        sessions.append(session)
    return sessions


def _readable(user):
    """Whether the caller may read a session's gated parts, as a column."""
    condition = readable_q(user)
    if not condition:  # everything (a superuser)
        return Value(True, output_field=models.BooleanField())
    return models.ExpressionWrapper(condition, output_field=models.BooleanField())


@dataclass(frozen=True)
class _Speaker:
    name: str
    id: int | None = None
