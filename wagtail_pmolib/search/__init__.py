"""The library's search: what visitors typed, the catalog that filters and
facets work on, highlighted excerpts, and the search log. No HTTP here."""

from .catalog import Catalog, clear_catalogs, get_catalog
from .engine import SearchOutcome, run_search
from .params import FORMATS, SORTS, SearchParams, parse_params
from .query import ParsedQuery, parse_query
from .suggest import suggest

__all__ = [
    "FORMATS",
    "SORTS",
    "Catalog",
    "ParsedQuery",
    "SearchOutcome",
    "SearchParams",
    "clear_catalogs",
    "get_catalog",
    "parse_params",
    "parse_query",
    "run_search",
    "suggest",
]
