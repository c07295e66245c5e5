"""Filters and facet counts, counted in the database over every candidate session.

A value's count is the number of results the visitor would get by adding it to
the filters: it is counted with every *other* filter applied (a conference's
count ignores the conference filter), so choosing a second conference adds
results and the counts say how many. Values of one filter combine with OR,
filters with AND.

One statement (``count_facets``) returns everything a results page needs beside
the results: the candidates grouped by conference, theme, formats and whether
they pass the speaker filter (and have all of the words), the most frequent
speakers, the names of the library's conferences and themes, and the ratings
prior when sorting by rating. Its size depends on the number of conferences,
themes and shown speakers, never on the number of sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models.functions import Length, Lower, Substr
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from .params import FORMATS, SearchParams
from .scope import Conference, LibraryScope, theme_key
from .sql import union_rows

# Speakers offered as filters (besides the selected ones): the most frequent.
SPEAKER_FACET_LIMIT = 12

_RECORDING, _HANDOUTS, _SPEAKER_OK, _ALL_WORDS = 1, 2, 4, 8
FORMAT_FIELDS = {"recording": "has_recording", "handout": "has_handouts"}
_FORMAT_BITS = {"recording": _RECORDING, "handout": _HANDOUTS}


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


@dataclass
class Counts:
    total: int = 0  # candidates passing every filter
    without_filters: int = 0  # candidates
    all_words: bool = True  # False: no candidate has every word, the counts are for any
    conference: dict[str, int] = field(default_factory=dict)  # parent path → count
    theme: dict[str, int] = field(default_factory=dict)  # theme key → count
    format: dict[str, int] = field(default_factory=dict)
    speaker: dict[int, tuple[str, int]] = field(default_factory=dict)  # id → (name, count)
    conferences: dict[str, Conference] = field(default_factory=dict)  # path → conference
    theme_names: dict[int, str] = field(default_factory=dict)  # ConferenceTheme id → name
    rated_count: int = 0  # ratings below the library (for the Bayesian prior)
    rated_total: int = 0


def parent_path():
    return Substr("path", 1, Length("path") - Page.steplen)


def filter_q(params: SearchParams, skip: str = "") -> models.Q:
    """The visitor's filters as a condition on sessions (aliased with
    ``with_parent``), leaving out the ``skip`` dimension."""
    from ..models.sessions import SessionSpeaker

    known = params.known
    q = models.Q()
    if params.conferences and skip != "conference":
        q &= models.Q(_pmolib_parent__in=[known.conferences[pk].path for pk in params.conferences])
    if params.themes and skip != "theme":
        q &= models.Q(theme_id__in=[pk for key in params.themes for pk in known.theme_ids[key]])
    if params.formats and skip != "format":
        either = models.Q()
        for name in params.formats:
            either |= models.Q(**{FORMAT_FIELDS[name]: True})
        q &= either
    if params.speakers and skip != "speaker":
        q &= models.Exists(
            SessionSpeaker.objects.filter(
                page_id=models.OuterRef("pk"), speaker_id__in=params.speakers
            )
        )
    return q


def with_parent(queryset):
    return queryset.alias(_pmolib_parent=parent_path())


def _flag(condition, bit):
    return models.Case(
        models.When(condition, then=models.Value(bit)),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def _text(value=""):
    return models.Value(value, output_field=models.CharField())


def _int(value=0):
    return models.Value(value, output_field=models.IntegerField())


def count_facets(
    scope: LibraryScope, params: SearchParams, *, match_all=None, match_any=None, prior=False
) -> Counts:
    """The counts for ``params`` over the visitor's sessions that match (``match_all``
    / ``match_any``: subqueries of ids, see ``matching.py``; ``None`` for all
    sessions). With both, candidates have any of the words, and the counts are for
    those with all of them unless none has (``Counts.all_words``)."""
    from ..models import RatingSummary
    from ..models.pages import ConferenceTheme
    from ..models.sessions import SessionSpeaker

    index_page = scope.index_page
    two_levels = match_any is not None and match_all is not None
    candidates = with_parent(scope.sessions())
    if two_levels:
        candidates = candidates.filter(pk__in=match_any)
    elif match_all is not None:
        candidates = candidates.filter(pk__in=match_all)
    speaker_ok = filter_q(SearchParams(speakers=params.speakers, known=params.known))
    flags = (
        _flag(models.Q(has_recording=True), _RECORDING)
        + _flag(models.Q(has_handouts=True), _HANDOUTS)
        + (_flag(speaker_ok, _SPEAKER_OK) if params.speakers else _int(_SPEAKER_OK))
    )
    if two_levels:
        flags = flags + _flag(models.Q(pk__in=match_all), _ALL_WORDS)
    cube = (
        candidates.annotate(_pmolib_group=parent_path(), _pmolib_flags=flags)
        .values("_pmolib_group", "theme_id", "_pmolib_flags")
        .annotate(_pmolib_n=models.Count("pk"))
        .order_by()
        .values_list("_pmolib_group", _text(), "theme_id", "_pmolib_flags", "_pmolib_n")
    )
    arms = [cube]
    limit = max(SPEAKER_FACET_LIMIT, len(params.speakers))
    levels = (_ALL_WORDS, 0) if two_levels else (0,)
    for level in levels:
        sessions = candidates.filter(filter_q(params, skip="speaker"))
        if level:
            sessions = sessions.filter(pk__in=match_all)
        arms.append(
            SessionSpeaker.objects.filter(page_id__in=sessions.values("pk"))
            .values("speaker_id", "speaker__name")
            .annotate(_pmolib_n=models.Count("pk"))
            .order_by(
                models.Case(
                    models.When(speaker_id__in=params.speakers, then=0),
                    default=1,
                    output_field=models.IntegerField(),
                ),
                "-_pmolib_n",
                Lower("speaker__name"),
                "speaker_id",
            )
            .values_list(_text(), "speaker__name", "speaker_id", _int(level), "_pmolib_n")[
                :limit
            ]
        )
    arms.append(
        Page.objects.descendant_of(index_page)
        .not_type(scope.session_model)
        .order_by()
        .values_list("path", "title", "pk", _int(), _int())
    )
    arms.append(
        ConferenceTheme.objects.filter(
            page__path__startswith=index_page.path, page__depth__gt=index_page.depth
        )
        .order_by()
        .values_list(_text(), "name", "pk", _int(), _int())
    )
    if prior:
        arms.append(
            RatingSummary.objects.filter(
                page__path__startswith=index_page.path,
                page__depth__gt=index_page.depth,
                count__gt=0,
            )
            .order_by()
            .values(_pmolib_all=_int(1))  # one group: the whole library
            .annotate(_pmolib_total=models.Sum("total"), _pmolib_count=models.Sum("count"))
            .values_list(_text(), _text(), "_pmolib_total", _int(), "_pmolib_count")
        )
    rows = union_rows(arms)
    return _tally(rows, params, two_levels, prior)


def _tally(rows, params: SearchParams, two_levels: bool, prior: bool) -> Counts:
    counts = Counts()
    speaker_arms = 2 if two_levels else 1
    cube, speakers = [], {}
    for arm, text, name, number, flags, n in rows:
        if arm == 0:
            cube.append((text, number, int(flags), int(n)))
        elif arm <= speaker_arms:
            speakers.setdefault(int(flags), []).append((number, name, int(n)))
        elif arm == speaker_arms + 1:
            counts.conferences[text] = Conference(number, text, name)
        elif arm == speaker_arms + 2:
            counts.theme_names[number] = name
        elif prior:
            counts.rated_total, counts.rated_count = int(number or 0), int(n or 0)
    if two_levels:
        counts.all_words = any(flags & _ALL_WORDS for _p, _t, flags, _n in cube)
        if counts.all_words:
            cube = [row for row in cube if row[2] & _ALL_WORDS]
    level = _ALL_WORDS if two_levels and counts.all_words else 0
    counts.speaker = {pk: (name, n) for pk, name, n in speakers.get(level, [])}

    known = params.known
    conference_paths = {known.conferences[pk].path for pk in params.conferences}
    theme_ids = {pk for key in params.themes for pk in known.theme_ids[key]}
    format_bits = sum(_FORMAT_BITS[name] for name in params.formats)
    for parent, theme, flags, n in cube:
        conference_ok = not conference_paths or parent in conference_paths
        theme_ok = not theme_ids or theme in theme_ids
        format_ok = not format_bits or bool(flags & format_bits)
        speaker_ok = bool(flags & _SPEAKER_OK)
        counts.without_filters += n
        if conference_ok and theme_ok and format_ok and speaker_ok:
            counts.total += n
        if theme_ok and format_ok and speaker_ok:
            counts.conference[parent] = counts.conference.get(parent, 0) + n
        if conference_ok and format_ok and speaker_ok and theme is not None:
            key = theme_key(counts.theme_names.get(theme, ""))
            counts.theme[key] = counts.theme.get(key, 0) + n
        if conference_ok and theme_ok and speaker_ok:
            for name, bit in _FORMAT_BITS.items():
                if flags & bit:
                    counts.format[name] = counts.format.get(name, 0) + n
    return counts


def build_facets(counts: Counts, params: SearchParams) -> list[Facet]:
    known = params.known
    selected_paths = {known.conferences[pk].path for pk in params.conferences}
    conference_options = [
        FacetOption(
            conference.id,
            conference.title,
            counts.conference.get(path, 0),
            path in selected_paths,
            params.toggle_url("conference", conference.id),
        )
        # Newest edition first: the last in the library's order first.
        for path, conference in sorted(counts.conferences.items(), reverse=True)
        if counts.conference.get(path) or path in selected_paths
    ]
    themes = {}
    for pk, name in counts.theme_names.items():
        themes.setdefault(theme_key(name), name)
    themes.update(known.themes)
    theme_options = [
        FacetOption(
            key, name, counts.theme.get(key, 0), key in params.themes, params.toggle_url("theme", key)
        )
        for key, name in sorted(themes.items(), key=lambda item: item[1].casefold())
        if counts.theme.get(key) or key in params.themes
    ]
    speakers = {pk: name for pk, (name, _n) in counts.speaker.items()}
    speakers.update({pk: known.speakers[pk] for pk in params.speakers})
    speaker_options = [
        FacetOption(
            pk,
            name,
            counts.speaker.get(pk, (name, 0))[1],
            pk in params.speakers,
            params.toggle_url("speaker", pk),
        )
        for pk, name in sorted(speakers.items(), key=lambda item: item[1].casefold())
    ]
    format_options = [
        FacetOption(
            key,
            str(label),
            counts.format.get(key, 0),
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


def selected_filters(params: SearchParams) -> list[dict]:
    """The filters in force, each with the address that removes it."""
    known = params.known
    chosen = []
    for pk in params.conferences:
        chosen.append(("conference", pk, _("Conference"), known.conferences[pk].title))
    for key in params.themes:
        chosen.append(("theme", key, _("Theme"), known.themes[key]))
    for pk in params.speakers:
        chosen.append(("speaker", pk, _("Speaker"), known.speakers[pk]))
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
