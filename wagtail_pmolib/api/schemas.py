"""The shapes of the API's answers (django-ninja schemas, i.e. pydantic models).

They are the OpenAPI schema's components: every field a client reads is typed
here, StreamField blocks included (one schema per block type, told apart by
``type``). URLs are absolute. Rich text is front-end HTML: links resolved,
headings carrying the ids the table of contents points to.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

# --- Shared parts ------------------------------------------------------------------


class Rendition(Schema):
    url: str
    width: int
    height: int


class Image(Schema):
    id: int
    title: str
    # Text for people who cannot see the image; "" when it only decorates (the
    # page shows it beside a name or a title that says the same).
    alt: str
    width: int
    height: int
    # Keyed by filter spec: the specs of WAGTAIL_PMOLIB["API_RENDITIONS"] for the
    # kind of image (a speaker's photo, a figure, a cover, a poster).
    renditions: dict[str, Rendition]


class PageLink(Schema):
    id: int
    title: str
    url: str | None = Field(description="The page on the site (absolute URL).")
    api_url: str | None = Field(description="The page in this API (absolute URL).")


class Theme(Schema):
    id: int
    name: str
    description: str = ""


class ThemeRef(Schema):
    id: int
    name: str


class TocEntry(Schema):
    """One heading: ``id`` is the anchor in the page's HTML (``#id``)."""

    id: str
    text: str
    level: int
    children: list[TocEntry]


class Paginated(Schema):
    """``{count, items}``: ``count`` is the number of items on all pages together."""

    count: int


# --- Ratings -----------------------------------------------------------------------


class StarCount(Schema):
    stars: int
    count: int
    percent: int


class RatingBrief(Schema):
    count: int
    average: float | None


class Rating(RatingBrief):
    """A session's ratings in its current period, as the page shows them."""

    average_display: str
    headline: str
    count_display: str
    # Ranks sessions with few ratings near the library's mean (the "Top rated" order).
    bayesian_average: float | None
    distribution: list[StarCount]


class Feedback(Schema):
    enabled: bool
    url: str | None = Field(
        description="Where the page's own form posts (POST; refuses other sites' browsers)."
    )
    api_url: str | None = Field(
        description="Where a front end posts ratings and comments in this API (POST)."
    )


class FeedbackReceived(Schema):
    """A rating and/or comment accepted (a visitor's earlier rating is replaced)."""

    message: str = Field(description="The site's thank-you text.")
    rating: int | None = Field(description="The rating sent, if any.")
    show_comment: bool = Field(
        description="Whether the page would now offer the comment box (the site's rule)."
    )
    summary: Rating = Field(description="The session's ratings, this one counted.")


# --- Speakers ----------------------------------------------------------------------


class SpeakerRef(Schema):
    id: int
    name: str
    slug: str
    api_url: str | None


class Speaker(SpeakerRef):
    role: str
    organisation: str
    role_line: str
    bio: str
    photo: Image | None


# --- Libraries and conferences -----------------------------------------------------


class Conference(PageLink):
    start_date: datetime.date | None
    end_date: datetime.date | None
    date_range: str
    venue: str
    city: str
    themes: list[Theme]
    library: PageLink | None
    updated_at: datetime.datetime | None


class Library(PageLink):
    updated_at: datetime.datetime | None


class LibraryDetail(Library):
    intro: str
    conferences: list[Conference]


class ConferenceRef(PageLink):
    date_range: str


# --- Sessions ----------------------------------------------------------------------


class SessionSummary(PageLink):
    full_title: str
    slug: str
    conference: PageLink | None
    theme: ThemeRef | None
    starts_at: datetime.datetime | None
    duration_minutes: int | None
    speakers: list[SpeakerRef]
    has_recording: bool
    has_handouts: bool
    rating: RatingBrief
    first_published_at: datetime.datetime | None
    updated_at: datetime.datetime | None


class ConferenceDetail(Conference):
    intro: str
    sessions: list[SessionSummary]


class SpeakerDetail(Speaker):
    sessions: list[SessionSummary]


class Chapter(Schema):
    seconds: int
    label: str
    title: str
    url: str


class Recording(Schema):
    provider: str = Field(
        description='"youtube", "vimeo", another provider\'s host name, "file" for a '
        'self-hosted file, or "" when there is nothing to play.'
    )
    kind: Literal["embed", "video", "audio", ""]
    status: Literal["full", "shortened", "audio", "unavailable", "embargoed"]
    status_display: str
    notice: str = Field(description="The public notice shown above the player.")
    playable: bool
    url: str = Field(description="The provider's page for the video (embeds).")
    file_url: str
    captions_url: str
    available_from: datetime.date | None
    poster: Image | None
    chapters: list[Chapter]


class Document(Schema):
    id: int
    title: str = Field(description='"" for a private document, as the page shows it.')
    private: bool = Field(
        description="In a collection with a view restriction: Wagtail serves it only "
        "to those who pass it."
    )
    url: str = Field(description="The download address (absolute).")
    file_type: str = Field(description='As people name it: "PDF", "Word", "PowerPoint"…')
    file_extension: str
    file_size: int | None = Field(description="In bytes.")
    file_size_display: str


class Handout(Schema):
    title: str
    description: str
    document: Document
    cover: Image | None


class HeadingValue(Schema):
    text: str
    level: int
    anchor: str


class HandoutGroupValue(Schema):
    heading: str
    anchor: str
    description: str
    handouts: list[Handout]


class FigureValue(Schema):
    image: Image
    caption: str


class QuoteValue(Schema):
    quote: str
    attribution: str


class HeadingBlock(Schema):
    type: Literal["heading"]
    id: str
    value: HeadingValue


class ParagraphBlock(Schema):
    type: Literal["paragraph"]
    id: str
    value: str = Field(description="Front-end HTML; its headings carry their anchors.")


class HandoutBlock(Schema):
    type: Literal["handout"]
    id: str
    value: Handout


class HandoutGroupBlock(Schema):
    type: Literal["handouts"]
    id: str
    value: HandoutGroupValue


class FigureBlock(Schema):
    type: Literal["figure"]
    id: str
    value: FigureValue


class QuoteBlock(Schema):
    type: Literal["quote"]
    id: str
    value: QuoteValue


BodyBlock = Annotated[
    HeadingBlock | ParagraphBlock | HandoutBlock | HandoutGroupBlock | FigureBlock | QuoteBlock,
    Field(discriminator="type"),
]


class SessionDetail(PageLink):
    full_title: str
    edition: str
    slug: str
    conference: ConferenceRef | None
    theme: ThemeRef | None
    starts_at: datetime.datetime | None
    duration_minutes: int | None
    speakers: list[Speaker]
    abstract: str = Field(description="Front-end HTML.")
    recording: Recording | None
    body: list[BodyBlock]
    notes: str = Field(description="Front-end HTML; its headings carry their anchors.")
    table_of_contents: list[TocEntry]
    rating: Rating
    feedback: Feedback
    previous: PageLink | None
    next: PageLink | None
    first_published_at: datetime.datetime | None
    updated_at: datetime.datetime | None = Field(description="When it was last published.")


# --- Pages of results ------------------------------------------------------------


class LibraryList(Paginated):
    items: list[Library]


class ConferenceList(Paginated):
    items: list[Conference]


class SessionList(Paginated):
    items: list[SessionSummary]


class SpeakerList(Paginated):
    items: list[Speaker]
