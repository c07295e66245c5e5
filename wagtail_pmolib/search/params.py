"""A library search's state, read from its address and written back into links.

Everything a search shows follows from these parameters, so a search can be
shared and the back button works. Reading never fails: what is not valid is
left out with a notice for the visitor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from ..conf import pmolib_settings
from .query import ParsedQuery, parse_query
from .scope import KnownValues

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
# The Access facet: free sessions, or members-only ones (members or chosen groups).
ACCESS = {"free": _("Free"), "members": _("Members")}

# Values read per filter; more are ignored (no visitor selects 20 speakers).
MAX_FILTER_VALUES = 20


@dataclass
class SearchParams:
    """One search's state, exactly what its URL holds."""

    query: ParsedQuery = field(default_factory=ParsedQuery)
    conferences: tuple[int, ...] = ()
    themes: tuple[str, ...] = ()
    speakers: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    sort: str = ""  # "" is the default: relevance with words, newest without
    page: int = 1
    per_page: int | None = None  # as asked for in the URL, already capped
    notices: list[str] = field(default_factory=list)
    # The names (and conference paths, theme ids) of the chosen values; not in the URL.
    known: KnownValues = field(default_factory=KnownValues, compare=False, repr=False)

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
            "access": self.access,
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
            "access": "access",
        }[name]
        current = getattr(self, attribute)
        new = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.url(**{name: new})


def _read_values(values, convert):
    """Distinct values that ``convert`` accepts, and whether any was refused."""
    found, bad = [], len(values) > MAX_FILTER_VALUES
    for raw in values[:MAX_FILTER_VALUES]:
        try:
            value = convert(raw)
        except (TypeError, ValueError):
            bad = True
            continue
        if value not in found:
            found.append(value)
    return found, bad


def _notice(label):
    return _("A %(filter)s filter in the address was not recognised and is not applied.") % {
        "filter": label
    }


def several_parts(query: ParsedQuery) -> bool:
    """Whether matching all of the words differs from matching any of them."""
    return len(query.phrases) + len(query.words) > 1


def _whole_number(raw) -> int:
    raw = str(raw).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


def parse_params(data, scope) -> SearchParams:
    """Read a search from a ``QueryDict`` (``request.GET``), keeping what is valid.

    Nothing here raises: unknown ids, words where numbers belong, repeated and
    negative values are left out, and the visitor gets a notice saying so. A
    conference, theme or speaker is known when ``scope`` (a ``LibraryScope``, see
    ``scope.py``) has a session of it the visitor may see: a private one's id is
    treated like an id that does not exist. One query when the address has such
    values, none otherwise.
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
    conferences, bad_conference = _read_values(data.getlist("conference"), _whole_number)
    themes, bad_theme = _read_values(data.getlist("theme"), str)
    speakers, bad_speaker = _read_values(data.getlist("speaker"), _whole_number)
    formats, bad_format = _read_values(data.getlist("format"), str)
    access, bad_access = _read_values(data.getlist("access"), str)
    # With several words, the same query also says whether to match all of them or any.
    all_words_of = query if several_parts(query) else None
    params.known = known = scope.known_values(conferences, themes, speakers, all_words_of)
    for values, is_known, bad, label, name in (
        (conferences, known.conferences, bad_conference, _("conference"), "conferences"),
        (themes, known.themes, bad_theme, _("theme"), "themes"),
        (speakers, known.speakers, bad_speaker, _("speaker"), "speakers"),
        (formats, FORMATS, bad_format, _("format"), "formats"),
        (access, ACCESS, bad_access, _("access"), "access"),
    ):
        kept = tuple(value for value in values if value in is_known)
        setattr(params, name, kept)
        if bad or len(kept) < len(values):
            notices.append(_notice(label))
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
