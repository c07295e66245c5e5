"""The library's search: what visitors typed, the catalog that filters and
facets work on, highlighted excerpts, and the search log. No HTTP here."""

from .catalog import Catalog, clear_catalogs, get_catalog
from .engine import (
    FORMATS,
    SORTS,
    SearchOutcome,
    SearchParams,
    parse_params,
    run_search,
    suggest,
)
from .query import ParsedQuery, parse_query

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
