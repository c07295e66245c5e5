"""The library's search: what visitors typed, which sessions they may see, filters
and facet counts from the database, highlighted excerpts, and the search log.
No HTTP here, and nothing kept between requests."""

from .engine import SearchOutcome, run_search
from .params import FORMATS, SORTS, SearchParams, parse_params
from .query import ParsedQuery, parse_query
from .scope import LibraryScope, scope_for
from .suggest import suggest

__all__ = [
    "FORMATS",
    "SORTS",
    "LibraryScope",
    "ParsedQuery",
    "SearchOutcome",
    "SearchParams",
    "parse_params",
    "parse_query",
    "run_search",
    "scope_for",
    "suggest",
]
