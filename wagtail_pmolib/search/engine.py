"""Library search: reading a search's parameters, filters, facets, sorting,
paging and results. No HTTP here: the library page (HTML) and the JSON API call
the same functions, so they can never disagree.

The search backend is asked one thing, through Wagtail's backend-neutral API:
which live sessions under the library match the words, best first. Filters,
facet counts and sorting are worked out on the library's catalog
(``catalog.py``), so they cost no query whatever the number of sessions.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..conf import pmolib_settings
from ..feedback.summary import Summary, bayesian_average
from ..models.pages import LINK_FIELDS
from .catalog import Catalog
from .excerpts import excerpt, lead, mark, terms_pattern
from .query import ParsedQuery, parse_query
from .text import handouts_in, html_to_text, raw_stream_data

logger = logging.getLogger(__name__)

SORT_RELEVANCE = "relevance"
SORT_NEWEST = "newest"
SORT_TOP_RATED = "top-rated"
SORT_MOST_RATED = "most-rated"
SORTS = {
    SORT_RELEVANCE: _("Relevance"),
    SORT_NEWEST: _("Newest"),
    SORT_TOP_RATED: _("Top rated"),
    SORT_MOST_RATED: _("Most rated"),
}
FORMATS = {"recording": _("Recording"), "handout": _("Handout")}

# Values read per filter; more are ignored (no visitor selects 20 speakers).
MAX_FILTER_VALUES = 20
# Speakers offered as filters (besides the selected ones): the most frequent.
SPEAKER_FACET_LIMIT = 12


@dataclass
class SearchParams:
    """One search's state, exactly what its URL holds."""

    query: ParsedQuery = field(default_factory=ParsedQuery)
    conferences: tuple[int, ...] = ()
    themes: tuple[str, ...] = ()
    speakers: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()
    sort: str = ""  # "" is the default: relevance with words, newest without
    page: int = 1
    per_page: int | None = None  # as asked for in the URL, already capped
    notices: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return bool(self.conferences or self.themes or self.speakers or self.formats)

    @property
    def effective_sort(self) -> str:
        if self.sort == SORT_RELEVANCE and not self.query:
            return SORT_NEWEST
        return self.sort or (SORT_RELEVANCE if self.query else SORT_NEWEST)

    def items(self, **changes):
        """The URL parameters, in a stable order, with ``changes`` applied."""
        state = {
            "q": self.query.text,
            "conference": self.conferences,
            "theme": self.themes,
            "speaker": self.speakers,
            "format": self.formats,
            "sort": self.sort,
            "per_page": self.per_page,
            "page": None,
        }
        state.update(changes)
        pairs = []
        for name, value in state.items():
            if value in (None, "", ()):
                continue
            for one in value if isinstance(value, tuple) else (value,):
                pairs.append((name, one))
        return pairs

    def url(self, **changes) -> str:
        """A query string (``?…``) for this search with ``changes``; ``?`` alone if empty."""
        return "?" + urlencode(self.items(**changes))

    def toggle_url(self, name: str, value) -> str:
        attribute = {
            "conference": "conferences",
            "theme": "themes",
            "speaker": "speakers",
            "format": "formats",
        }[name]
        current = getattr(self, attribute)
        new = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.url(**{name: new})


def _clean_values(values, convert, known, label, notices):
    """Distinct known values; anything else is left out with one notice."""
    found, bad = [], False
    for raw in values[:MAX_FILTER_VALUES]:
        try:
            value = convert(raw)
        except (TypeError, ValueError):
            bad = True
            continue
        if value not in known:
            bad = True
        elif value not in found:
            found.append(value)
    if bad or len(values) > MAX_FILTER_VALUES:
        notices.append(
            _("A %(filter)s filter in the address was not recognised and is not applied.")
            % {"filter": label}
        )
    return tuple(found)


def _whole_number(raw) -> int:
    raw = str(raw).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


def parse_params(data, catalog: Catalog, *, default_page_size: int | None = None) -> SearchParams:
    """Read a search from a ``QueryDict`` (``request.GET``), keeping what is valid.

    Nothing here raises: unknown ids, words where numbers belong, repeated and
    negative values are left out, and the visitor gets a notice saying so.
    """
    notices: list[str] = []
    raw_q = data.get("q", "")
    query = parse_query(raw_q)
    if query.truncated:
        notices.append(
            _("Your search was shortened to its first %(count)s characters.")
            % {"count": pmolib_settings.SEARCH_MAX_QUERY_LENGTH}
        )
    elif raw_q.strip() and not query:
        notices.append(_("Your search has no words to look for, so all sessions are shown."))
    params = SearchParams(query=query, notices=notices)
    params.conferences = _clean_values(
        data.getlist("conference"), _whole_number, catalog.conferences, _("conference"), notices
    )
    params.themes = _clean_values(data.getlist("theme"), str, catalog.themes, _("theme"), notices)
    params.speakers = _clean_values(
        data.getlist("speaker"), _whole_number, catalog.speakers, _("speaker"), notices
    )
    params.formats = _clean_values(data.getlist("format"), str, FORMATS, _("format"), notices)
    sort = data.get("sort", "")
    if sort and sort not in SORTS:
        notices.append(_("The sort order in the address was not recognised."))
        sort = ""
    params.sort = sort
    try:
        params.page = max(1, _whole_number(data.get("page", "1")))
    except ValueError:
        params.page = 1
    try:
        asked = _whole_number(data["per_page"])
    except (KeyError, ValueError):
        asked = None
    if asked is not None:
        params.per_page = max(1, min(asked, pmolib_settings.MAX_PAGE_SIZE))
    return params


# --- Facets -----------------------------------------------------------------


@dataclass
class FacetOption:
    value: object
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class Facet:
    name: str  # the URL parameter
    label: str
    options: list[FacetOption]


def _failed_dimensions(entry, params: SearchParams) -> list[str]:
    failed = []
    if params.conferences and entry.conference not in params.conferences:
        failed.append("conference")
    if params.themes and entry.theme not in params.themes:
        failed.append("theme")
    if params.speakers and not any(s in params.speakers for s in entry.speakers):
        failed.append("speaker")
    if params.formats and not any(_has_format(entry, f) for f in params.formats):
        failed.append("format")
    return failed


def _has_format(entry, name) -> bool:
    return entry.has_recording if name == "recording" else entry.has_handouts


def _count(counts, dimension, entry):
    if dimension == "conference":
        counts["conference"][entry.conference] = counts["conference"].get(entry.conference, 0) + 1
    elif dimension == "theme":
        counts["theme"][entry.theme] = counts["theme"].get(entry.theme, 0) + 1
    elif dimension == "speaker":
        for speaker in entry.speakers:
            counts["speaker"][speaker] = counts["speaker"].get(speaker, 0) + 1
    else:
        for name in FORMATS:
            if _has_format(entry, name):
                counts["format"][name] = counts["format"].get(name, 0) + 1


DIMENSIONS = ("conference", "theme", "speaker", "format")


def filter_and_count(candidates, params: SearchParams):
    """The candidates that pass every filter, and the facet counts.

    A value's count is the number of results the visitor would get by adding it
    to the filters: counted with every *other* filter applied (a conference's
    count ignores the conference filter), so choosing a second conference adds
    results and the counts say how many. One pass over the candidates.
    """
    counts = {"conference": {}, "theme": {}, "speaker": {}, "format": {}}
    results = []
    for entry in candidates:
        failed = _failed_dimensions(entry, params)
        if not failed:
            results.append(entry)
            for dimension in DIMENSIONS:
                _count(counts, dimension, entry)
        elif len(failed) == 1:
            _count(counts, failed[0], entry)
    return results, counts


def build_facets(catalog: Catalog, params: SearchParams, counts) -> list[Facet]:
    conference_options = [
        FacetOption(
            pk,
            conference.title,
            counts["conference"].get(pk, 0),
            pk in params.conferences,
            params.toggle_url("conference", pk),
        )
        for pk, conference in catalog.conferences.items()
    ]
    theme_options = [
        FacetOption(
            key,
            name,
            counts["theme"].get(key, 0),
            key in params.themes,
            params.toggle_url("theme", key),
        )
        for key, name in catalog.themes.items()
    ]
    speaker_counts = counts["speaker"]
    ranked = sorted(
        (pk for pk in catalog.speakers if speaker_counts.get(pk) or pk in params.speakers),
        key=lambda pk: (pk not in params.speakers, -speaker_counts.get(pk, 0)),
    )
    shown = set(ranked[: max(SPEAKER_FACET_LIMIT, len(params.speakers))])
    speaker_options = [
        FacetOption(
            pk,
            speaker.name,
            speaker_counts.get(pk, 0),
            pk in params.speakers,
            params.toggle_url("speaker", pk),
        )
        for pk, speaker in catalog.speakers.items()
        if pk in shown
    ]
    format_options = [
        FacetOption(
            key,
            str(label),
            counts["format"].get(key, 0),
            key in params.formats,
            params.toggle_url("format", key),
        )
        for key, label in FORMATS.items()
    ]
    facets = [
        Facet("conference", _("Conference"), conference_options),
        Facet("theme", _("Theme"), theme_options),
        Facet("speaker", _("Speaker"), speaker_options),
        Facet("format", _("Format"), format_options),
    ]
    for facet in facets:
        facet.options = [o for o in facet.options if o.count or o.selected]
    return [facet for facet in facets if facet.options]


def selected_filters(catalog: Catalog, params: SearchParams) -> list[dict]:
    """The filters in force, each with the address that removes it."""
    chosen = []
    for pk in params.conferences:
        chosen.append(("conference", pk, _("Conference"), catalog.conferences[pk].title))
    for key in params.themes:
        chosen.append(("theme", key, _("Theme"), catalog.themes[key]))
    for pk in params.speakers:
        chosen.append(("speaker", pk, _("Speaker"), catalog.speakers[pk].name))
    for key in params.formats:
        chosen.append(("format", key, _("Format"), FORMATS[key]))
    return [
        {
            "name": name,
            "value": value,
            "facet": facet,
            "label": label,
            "remove_url": params.toggle_url(name, value),
        }
        for name, value, facet, label in chosen
    ]


# --- Matching and sorting -------------------------------------------------------


class SearchUnavailable(Exception):
    """The search backend failed; the library is browsed instead."""


def _matching_ids(results) -> list[int]:
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


def match(queryset, query: ParsedQuery) -> tuple[list[int], bool]:
    """Ids of the sessions in ``queryset`` matching ``query``, best first, and
    whether the words had to be matched with OR because nothing had them all."""
    try:
        with rollback_on_error():
            ids = _matching_ids(queryset.search(query.backend_query("and")))
            if ids or len(query.terms) < 2:
                return ids, False
            return _matching_ids(queryset.search(query.backend_query("or"))), True
    except Exception as exc:  # a backend outage or a query it refuses must not fail the page
        logger.exception("The library search failed for %r", query.text)
        raise SearchUnavailable from exc


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
            ranked_ids, outcome.matched_any_word = match(queryset, params.query)
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


def load_results(entries, catalog: Catalog, session_model, query: ParsedQuery, ratings=None):
    """The sessions of one results page, each with ``conference``, ``speaker_list``,
    ``theme_name``, ``rating``, ``title_marked`` and ``excerpt`` (at most three queries)."""
    from ..models import DocumentText, RatingSummary

    if not entries:
        return []
    ids = [entry.id for entry in entries]
    fields = [*LINK_FIELDS, "abstract", "has_recording", "has_handouts"]
    if query:
        fields += ["notes", "body"]
    pages = session_model.objects.filter(pk__in=ids).only(*fields).in_bulk()
    if ratings is None:
        ratings = {
            page_id: (count, total)
            for page_id, count, total in RatingSummary.objects.filter(
                page_id__in=ids, count__gt=0
            ).values_list("page_id", "count", "total")
        }
    pattern = terms_pattern(query.terms) if query else None
    sessions, need_pdf = [], {}
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
            ):
                session.excerpt = excerpt(text, pattern)
                if session.excerpt:
                    break
            else:
                documents = [h["document"] for h in handouts if h["document"]]
                if documents:
                    need_pdf[session.pk] = documents
        if session.excerpt is None:
            session.excerpt = mark(lead(abstract), pattern)
        sessions.append(session)
    if need_pdf:
        texts = dict(
            DocumentText.objects.filter(
                document_id__in={d for docs in need_pdf.values() for d in docs}
            ).values_list("document_id", "text")
        )
        for session in sessions:
            for document in need_pdf.get(session.pk, ()):
                found = excerpt(texts.get(document, ""), pattern)
                if found:
                    session.excerpt = found
                    break
    return sessions


# --- Suggestions (autocomplete) ------------------------------------------------------


def suggest(index_page, request, text, catalog: Catalog, session_model) -> dict:
    """Session titles and speakers for what a visitor is typing (``catalog`` is
    the visitor's, as for ``run_search``).

    Titles come from the search backend's autocomplete (the last word may be
    partly typed); speakers from the catalog, by the start of any of their names'
    words. Only sessions the visitor may view, and speakers of such sessions.
    """
    query = parse_query(text)
    limit = pmolib_settings.SEARCH_SUGGESTIONS
    found = {"query": query.text, "sessions": [], "speakers": []}
    if not query or not limit:
        return found
    queryset = session_model.objects.live().descendant_of(index_page).defer_streamfields()
    try:
        with rollback_on_error():
            ids = _matching_ids(queryset.autocomplete(" ".join(query.terms)))
    except Exception:  # a backend outage must not fail the endpoint
        logger.exception("Library autocomplete failed for %r", query.text)
        ids = []
    chosen = [pk for pk in ids if pk in catalog.entries][:limit]
    if chosen:
        pages = session_model.objects.filter(pk__in=chosen).only(*LINK_FIELDS).in_bulk()
        for pk in chosen:
            page = pages.get(pk)
            if page is None:
                continue
            conference = catalog.conferences.get(catalog.entries[pk].conference)
            found["sessions"].append(
                {
                    "title": page.title,
                    "url": page.get_url(request),
                    "conference": conference.title if conference else "",
                }
            )
    terms = [term.casefold() for term in query.terms]
    sessions_by_speaker: dict[int, int] = {}
    for entry in catalog.entries.values():
        for speaker in entry.speakers:
            sessions_by_speaker[speaker] = sessions_by_speaker.get(speaker, 0) + 1
    params = SearchParams()
    for pk, speaker in catalog.speakers.items():
        if pk not in sessions_by_speaker:
            continue
        words = speaker.name.casefold().split()
        if all(any(word.startswith(term) for word in words) for term in terms):
            found["speakers"].append(
                {
                    "name": speaker.name,
                    "url": index_page.get_url(request) + params.url(speaker=(pk,)),
                    "sessions": sessions_by_speaker[pk],
                }
            )
            if len(found["speakers"]) >= limit:
                break
    return found
