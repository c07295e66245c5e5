"""The shapes of a library search's answers (``libraries/{id}/search/``) and its
suggestions (``libraries/{id}/suggestions/``): what the library page shows,
field for field (``search.engine.SearchOutcome``)."""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from .schemas import PageLink, RatingBrief

Sort = Literal["relevance", "newest", "top-rated", "most-rated"]
FilterName = Literal["conference", "theme", "speaker", "format"]
FormatName = Literal["recording", "handout"]  # search.params.FORMATS


class Match(Schema):
    """Where a matched word is in ``text``: offsets in characters (Unicode code
    points), ``end`` excluded."""

    start: int
    end: int


class Highlighted(Schema):
    html: str = Field(
        description="The text, HTML-escaped, with each matched word in <mark>: no other tag."
    )
    text: str = Field(description="The same text, plain (not escaped).")
    matches: list[Match] = Field(description="Where the marked words are in text.")


class ConferenceName(Schema):
    id: int
    title: str
    api_url: str | None


class SpeakerName(Schema):
    id: int
    name: str
    api_url: str | None


class SearchResult(PageLink):
    """A session as the library's results list shows it."""

    title_highlighted: Highlighted
    excerpt: Highlighted | None = Field(
        description="The passage that matched (abstract, notes, a handout, a PDF's text), "
        "or the abstract's start without words; null when there is no text."
    )
    conference: ConferenceName | None
    starts_at: datetime.datetime | None
    theme: str | None = Field(description="The theme's name.")
    speakers: list[SpeakerName]
    has_recording: bool
    has_handouts: bool
    rating: RatingBrief


class FacetOption(Schema):
    value: int | str = Field(
        description="What to send in the filter's parameter: a conference's or speaker's id, "
        'a theme\'s key, "recording" or "handout".'
    )
    label: str
    count: int = Field(description="The results there would be with this value chosen too.")
    selected: bool


class Facet(Schema):
    name: FilterName = Field(description="The filter's query parameter.")
    label: str
    options: list[FacetOption]


class SelectedFilter(Schema):
    name: FilterName
    value: int | str
    facet: str = Field(description="The filter's label.")
    label: str = Field(description="The value's label.")


class SortOption(Schema):
    value: Sort
    label: str
    selected: bool


class EditorsPick(Schema):
    title: str
    url: str = Field(description="Absolute URL: a page of the site or an external link.")
    description: str


class SearchResults(Schema):
    query: str = Field(description="The words looked for, as the search box shows them.")
    searched: bool = Field(description="Whether words were looked for (else: browsing).")
    matched_any_word: bool = Field(
        description="No session had every word: these have some of them."
    )
    search_failed: bool = Field(
        description="The search backend failed: the sessions are listed without the words."
    )
    sort: Sort = Field(description="The order the results are in.")
    sort_options: list[SortOption]
    count: int = Field(description="Results with the filters, on all pages.")
    count_without_filters: int = Field(description="Results without the filters.")
    page: int
    per_page: int
    pages: int
    items: list[SearchResult]
    facets: list[Facet]
    selected: list[SelectedFilter]
    notices: list[str] = Field(
        description="Sentences for the visitor: a filter not applied, a search shortened…"
    )
    editors_picks: list[EditorsPick]
    popular_searches: list[str] = Field(
        description="When nothing was found: searches others made (send one as q)."
    )


class SessionSuggestion(Schema):
    id: int
    title: str
    url: str | None
    api_url: str | None
    conference: str = Field(description="The conference's title.")


class SpeakerSuggestion(Schema):
    id: int
    name: str
    url: str | None = Field(description="The library page filtered by this speaker.")
    api_url: str | None
    sessions: int = Field(description="Their sessions the caller may see in this library.")


class Suggestions(Schema):
    query: str
    sessions: list[SessionSuggestion]
    speakers: list[SpeakerSuggestion]
