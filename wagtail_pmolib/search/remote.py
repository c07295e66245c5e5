"""Searching with words on a backend that is not the database (Elasticsearch,
OpenSearch), through Wagtail's documented search API only.

The visitor's scope and filters are ``FilterField`` lookups on the searched
queryset (``live``, ``path``, ``theme``, ``has_recording``, ``has_handouts``,
and the speakers through ``RelatedFields("session_speakers",
[FilterField("speaker")])``), so the backend applies them to every match. Each
facet is counted by the backend with ``.facet()`` over the query and every
*other* filter, so counts are right whatever the number of matches. The facets
use the ``FilterField``s ``conference_id``, ``theme_id``, ``speaker_ids``,
``has_recording``, ``has_handouts`` and ``access_effective`` of ``AbstractSessionPage``.

Limits of Wagtail's API on these backends: ``.facet()`` returns the 10 most
frequent values of a field (the backend's default bucket count), so at most 10
conferences, themes and speakers are offered; and the rating sorts, which the
index does not hold, order the first ``SEARCH_MAX_MATCHES`` matches (by
relevance) in the database. Without words, the library is read from the
database as on every backend.
"""

from __future__ import annotations

from django.db import models
from django.db.models.expressions import RawSQL
from wagtail.models import Page

from ..conf import pmolib_settings
from .facets import FORMAT_FIELDS, Counts, access_q, count_facets
from .params import (
    SORT_MOST_RATED,
    SORT_NEWEST,
    SORT_RELEVANCE,
    SORT_TOP_RATED,
    SearchParams,
    several_parts,
)
from .scope import theme_key

# The facet field of each filter (``FilterField``s of ``AbstractSessionPage``).
FACET_FIELDS = {"conference": "conference_id", "theme": "theme_id", "speaker": "speaker_ids"}


def filter_q(params: SearchParams, skip: str = "") -> models.Q:
    """The visitor's filters as ``FilterField`` lookups, leaving out ``skip``."""
    known = params.known
    q = models.Q()
    if params.conferences and skip != "conference":
        either = models.Q()
        for pk in params.conferences:
            path = known.conferences[pk].path
            either |= models.Q(path__startswith=path, depth=len(path) // Page.steplen + 1)
        q &= either
    if params.themes and skip != "theme":
        q &= models.Q(theme_id__in=[pk for key in params.themes for pk in known.theme_ids[key]])
    if params.formats and skip != "format":
        either = models.Q()
        for name in params.formats:
            either |= models.Q(**{FORMAT_FIELDS[name]: True})
        q &= either
    if params.access and skip != "access":
        q &= access_q(params.access)
    if params.speakers and skip != "speaker":
        q &= models.Q(session_speakers__speaker_id__in=params.speakers)
    return q


def _bucket(facet: dict, value) -> int:
    """A facet's count for ``value`` (buckets come back keyed by the indexed value:
    numbers or strings, booleans as 1/0, and 0 is reported as ``None``)."""
    for key in (value, str(value), int(value) if isinstance(value, bool) else value):
        if key in facet:
            return facet[key] or 0
    return 0


def search_counts(scope, params: SearchParams, operator="and", prior=False) -> Counts:
    """The facet counts for ``params`` from the backend (one request per facet and
    one for the total), with the names from one database query."""
    query = params.query.backend_query(operator)
    base = scope.live_sessions().filter(scope.hidden_q())

    def results(skip=""):
        return base.filter(filter_q(params, skip)).search(query, order_by_relevance=False)

    # Names of the library's conferences and themes (the database, no counts).
    counts = count_facets_names(scope, prior)
    counts.total = results().count()
    counts.without_filters = base.search(query, order_by_relevance=False).count()
    conference_ids = {c.id: path for path, c in counts.conferences.items()}
    for pk, n in results("conference").facet(FACET_FIELDS["conference"]).items():
        if pk is not None and int(pk) in conference_ids:
            counts.conference[conference_ids[int(pk)]] = n
    for pk, n in results("theme").facet(FACET_FIELDS["theme"]).items():
        name = counts.theme_names.get(int(pk)) if pk is not None else None
        if name is not None:
            key = theme_key(name)
            counts.theme[key] = counts.theme.get(key, 0) + n
    speaker_facet = results("speaker").facet(FACET_FIELDS["speaker"])
    names = _speaker_names([int(pk) for pk in speaker_facet if pk is not None])
    counts.speaker = {
        int(pk): (names[int(pk)], n)
        for pk, n in speaker_facet.items()
        if pk is not None and int(pk) in names
    }
    by_format = results("format")
    for name, field in FORMAT_FIELDS.items():
        counts.format[name] = _bucket(by_format.facet(field), True)
    by_access = results("access").facet("access_effective")
    counts.access["free"] = _bucket(by_access, "free")
    counts.access["members"] = _bucket(by_access, "members") + _bucket(by_access, "groups")
    return counts


def count_facets_names(scope, prior=False) -> Counts:
    """The names of the library's conferences and themes, and with ``prior`` its
    rating figures: ``count_facets`` over no session (one query)."""
    nothing = models.Q(pk__in=RawSQL("SELECT 0 WHERE 1 = 0", []))
    return count_facets(scope, SearchParams(), match=nothing, prior=prior)


def _speaker_names(ids):
    from ..models.speakers import Speaker

    return dict(Speaker.objects.filter(pk__in=ids).values_list("pk", "name"))


def run_search(scope, params: SearchParams, outcome):
    """``engine.run_search`` for these backends (it catches their failures)."""
    from .engine import _finish, _Results

    sort = params.effective_sort
    prior = sort in (SORT_TOP_RATED, SORT_MOST_RATED)
    operator = "and"
    counts = search_counts(scope, params, operator, prior)
    if not counts.without_filters and several_parts(params.query):
        operator = "or"
        counts = search_counts(scope, params, operator, prior)
    outcome.matched_any_word = operator == "or"
    if outcome.matched_any_word and counts.without_filters:
        from django.utils.translation import gettext_lazy as _

        outcome.notices.append(_("No session has all of your words; these have some of them."))
    filtered = scope.live_sessions().filter(scope.hidden_q()).filter(filter_q(params))
    query = params.query.backend_query(operator)
    if sort == SORT_RELEVANCE:
        results = _Backend(filtered.search(query))
    elif sort == SORT_NEWEST:
        results = _Backend(
            filtered.order_by("-starts_at", "-first_published_at").search(
                query, order_by_relevance=False
            )
        )
    else:
        from .engine import rating_sort

        limit = pmolib_settings.SEARCH_MAX_MATCHES
        ids = [page.pk for page in filtered.search(query)[:limit]]
        results = scope.session_model.objects.filter(pk__in=ids)
        results = rating_sort(results, sort, counts)
    return _finish(outcome, params, counts, sort, _Results(counts.total, results), scope, True)


class _Backend:
    """Backend results as ``_Results`` reads a queryset: ``values_list("pk")[slice]``."""

    def __init__(self, results):
        self.results = results

    def values_list(self, *fields, flat=False):
        return self

    def __getitem__(self, key):
        return [page.pk for page in self.results[key]]
