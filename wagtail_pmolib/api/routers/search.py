"""``/libraries/{id}/search/`` and ``/libraries/{id}/suggestions/``: a library's
search, as its page shows it. The same calls as ``views.library_page_view`` and
``views.suggest_view``: the caller's scope (``scope_for``), the page's own
parameters read by ``parse_params``, ``run_search``, the search log's rule
(``record_visitor_search``) and the editors' picks (``search_extras``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router, Schema
from pydantic import Field

from ...access import visibility_for
from ...conf import pmolib_settings
from ...models import LibraryIndexPage
from ...search import parse_params, run_search, scope_for, suggest
from ...search.log import record_visitor_search, search_extras
from ...search.params import MAX_FILTER_VALUES
from ..errors import Problem
from ..http import is_head
from ..params import WholeNumber
from ..present import Presenter
from ..schemas_search import FormatName, SearchResults, Sort, Suggestions
from ..search import search_results, suggestions
from .common import answers, get_visible

router = Router(tags=["search"])


class SearchQuery(Schema):
    """The library page's own parameters: the same address searches the same way.
    Values that name nothing the caller may see are left out with a notice, as
    the page does (a shared address never breaks); malformed ones are refused."""

    q: str = Field("", description="The words to look for; quote a phrase.")
    conference: list[WholeNumber] = Field(
        [], max_length=MAX_FILTER_VALUES, description="Conference ids (any of them)."
    )
    theme: list[str] = Field(
        [], max_length=MAX_FILTER_VALUES, description="Theme keys, as the facets give them."
    )
    speaker: list[WholeNumber] = Field(
        [], max_length=MAX_FILTER_VALUES, description="Speaker ids (any of them)."
    )
    format: list[FormatName] = Field([], max_length=MAX_FILTER_VALUES)
    sort: Sort | None = Field(None, description="Relevance with words, newest without.")
    page: WholeNumber = 1
    per_page: WholeNumber | None = None


def _library(request, pk):
    return get_visible(visibility_for(request).pages(LibraryIndexPage), pk, _("library"))


@router.get(
    "/{id}/search/",
    response=answers(SearchResults),
    url_name="pmolib_library_search",
    operation_id="pmolib_library_search",
    summary=gettext_lazy("Search a library: results, facets, notices and editors' picks"),
    description=gettext_lazy(
        "The library page's search, parameter for parameter: values of one filter "
        "combine with OR, filters with AND; each facet option's count is the number "
        "of results with it chosen too. Counted in the search log as the page's "
        "searches are (the first page of results, not a crawler)."
    ),
)
def search_library(request, id: WholeNumber, query: Query[SearchQuery]):
    library = _library(request, id)
    if query.per_page is not None and query.per_page > pmolib_settings.MAX_PAGE_SIZE:
        raise Problem(
            400,
            _("The query parameter “per_page” must be at most %(max)s.")
            % {"max": pmolib_settings.MAX_PAGE_SIZE},
            "per_page",
        )
    scope = scope_for(library, request)
    outcome = run_search(scope, parse_params(request.GET, scope))
    paginator = outcome.paginator
    if query.page > paginator.num_pages:
        raise Problem(
            404,
            _("Page %(page)s is after the last page (%(last)s).")
            % {"page": query.page, "last": paginator.num_pages},
            "page",
        )
    if not is_head(request):  # the page's rule: searches asked with GET
        record_visitor_search(request, outcome, scope)
    return search_results(Presenter(request), outcome, search_extras(request, outcome, scope))


class SuggestQuery(Schema):
    q: str = Field("", description="What the visitor has typed so far.")


@router.get(
    "/{id}/suggestions/",
    response=answers(Suggestions),
    url_name="pmolib_library_suggestions",
    operation_id="pmolib_library_suggestions",
    summary=gettext_lazy("Session titles and speakers for what a visitor is typing"),
    description=gettext_lazy(
        "Empty lists for an empty or wordless q; SEARCH_SUGGESTIONS of each at most. "
        "Never stored in the search log."
    ),
)
def suggest_in_library(request, id: WholeNumber, query: Query[SuggestQuery]):
    library = _library(request, id)
    found = suggest(scope_for(library, request), request, query.q)
    return suggestions(Presenter(request), found)
