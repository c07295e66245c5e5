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
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from .params import ACCESS, FORMATS, SearchParams
from .scope import Conference, LibraryScope, theme_key
from .sql import union_rows

# Speakers offered as filters (besides the selected ones): the most frequent.
SPEAKER_FACET_LIMIT = 12

_RECORDING, _HANDOUTS, _SPEAKER_OK, _FREE, _TEASER = 1, 2, 4, 8, 16
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
    conference: dict[str, int] = field(default_factory=dict)  # parent path → count
    theme: dict[str, int] = field(default_factory=dict)  # theme key → count
    format: dict[str, int] = field(default_factory=dict)
    access: dict[str, int] = field(default_factory=dict)  # "free" / "members" → count
    speaker: dict[int, tuple[str, int]] = field(default_factory=dict)  # id → (name, count)
    conferences: dict[str, Conference] = field(default_factory=dict)  # path → conference
    theme_names: dict[int, str] = field(default_factory=dict)  # ConferenceTheme id → name
    rated_count: int = 0  # ratings below the library (for the Bayesian prior)
    rated_total: int = 0
    named_speakers: dict[int, str] = field(default_factory=dict)  # see count_facets
    page: list[int] = field(default_factory=list)  # see count_facets
    # Of ``total``, those anyone would find (see count_facets' ``teaser``); None: all.
    teaser_total: int | None = None


def parent_path():
    return Substr("path", 1, Length("path") - Page.steplen)


def filter_q(params: SearchParams, skip: str = "", only: str = "") -> models.Q:
    """The visitor's filters as a condition on sessions (aliased with
    ``with_parent``), leaving out the ``skip`` dimension (or all but ``only``)."""
    from ..models.sessions import SessionSpeaker

    known = params.known
    q = models.Q()
    if params.conferences and skip != "conference" and only in ("", "conference"):
        q &= models.Q(_pmolib_parent__in=[known.conferences[pk].path for pk in params.conferences])
    if params.themes and skip != "theme" and only in ("", "theme"):
        q &= models.Q(theme_id__in=[pk for key in params.themes for pk in known.theme_ids[key]])
    if params.formats and skip != "format" and only in ("", "format"):
        either = models.Q()
        for name in params.formats:
            either |= models.Q(**{FORMAT_FIELDS[name]: True})
        q &= either
    if params.access and skip != "access" and only in ("", "access"):
        q &= access_q(params.access)
    if params.speakers and skip != "speaker" and only in ("", "speaker"):
        q &= models.Exists(
            SessionSpeaker.objects.filter(
                page_id=models.OuterRef("pk"), speaker_id__in=params.speakers
            )
        )
    return q


def access_q(values) -> models.Q:
    """Sessions of the Access facet's ``values`` ("free", "members"): a
    ``FilterField`` lookup, for the database and the other backends alike."""
    if set(values) >= set(ACCESS):
        return models.Q()
    free = models.Q(access_effective="free")
    return free if "free" in values else ~free


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
    scope: LibraryScope,
    params: SearchParams,
    *,
    match=None,
    scored=None,
    page=None,
    prior=False,
    name_terms=(),
    teaser=None,
) -> Counts:
    """The counts for ``params`` over the visitor's sessions that match (``match``: a
    condition on sessions, ``matching.match_q``; ``None`` for all sessions). ``prior``
    adds the library's rating figures, ``name_terms`` the speakers whose names have
    a word starting with one of them (``Counts.named_speakers``, for the library's
    relevance).

    ``scored`` instead of ``match``: the backend's matches as a queryset annotated
    with their relevance ``_pmolib_score``, and whether higher is better
    (``matching.scored``); with ``page``
    (``(offset, limit)``) the same statement also returns that page of the results
    in relevance order (``Counts.page``), so the backend's match and scores are
    computed once for the whole request.

    ``teaser``: for a caller whose ``match`` includes the members' index, the
    part of it anyone's search has (the session index's matches); the same
    statement counts those passing every filter (``Counts.teaser_total``: the
    search log offers to visitors only searches that found sessions for anyone)."""
    from ..models import RatingSummary
    from ..models.pages import ConferenceTheme
    from ..models.speakers import Speaker
    from . import matching

    index_page = scope.index_page
    if scored is not None:
        scored, descending = scored
        candidates = with_parent(scope.exclude_hidden(scored))
        score = models.F("_pmolib_score")
    else:
        candidates = with_parent(scope.sessions())
        score = models.Value(0.0, output_field=models.FloatField())
    if match is not None:
        candidates = candidates.filter(match)
    flags = (
        _flag(models.Q(has_recording=True), _RECORDING)
        + _flag(models.Q(has_handouts=True), _HANDOUTS)
        + _flag(models.Q(access_effective="free"), _FREE)
        + (
            _flag(filter_q(params, only="speaker"), _SPEAKER_OK)
            if params.speakers
            else _int(_SPEAKER_OK)
        )
    )
    if teaser is not None:
        flags = flags + _flag(teaser, _TEASER)
    # The candidates are read once (a common table expression), with what the
    # counts need of each: its conference's path, its theme and its flags.
    rows = candidates.annotate(
        _pmolib_group=parent_path(), _pmolib_flags=flags, _pmolib_rank=score
    ).values_list("pk", "_pmolib_group", "theme_id", "_pmolib_flags", "_pmolib_rank")
    ctes = {
        "pmolib_candidates": (
            ("id", "grp", "theme", "flags", "score"),
            RawSQL(*rows.order_by().query.sql_with_params()),
        )
    }
    arms = [
        (
            'SELECT "grp", \'\' AS "label", "theme", "flags", COUNT(*) AS "n" '
            'FROM "pmolib_candidates" GROUP BY "grp", "theme", "flags"',
            [],
        ),
        _speakers_arm(params),
    ]
    kinds = ["cube", "speakers"]
    below = {
        "path__gt": index_page.path,
        "path__lt": index_page.path + "~",  # after every step character: below the library
    }
    kinds += ["conferences", "themes"]
    arms.append(
        Page.objects.filter(**below, depth__gt=index_page.depth)
        .not_type(scope.session_model)
        .order_by()
        .values_list("path", "title", "pk", _int(), _int())
    )
    arms.append(
        ConferenceTheme.objects.filter(**{f"page__{k}": v for k, v in below.items()})
        .order_by()
        .values_list(_text(), "name", "pk", _int(), _int())
    )
    if prior:
        kinds.append("prior")
        arms.append(
            RatingSummary.objects.filter(**{f"page__{k}": v for k, v in below.items()})
            .filter(count__gt=0)
            .order_by()
            .values(_pmolib_all=_int(1))  # one group: the whole library
            .annotate(_pmolib_total=models.Sum("total"), _pmolib_count=models.Sum("count"))
            .values_list(_text(), _text(), "_pmolib_total", _int(), "_pmolib_count")
        )
    if name_terms:
        kinds.append("named")
        named = models.Q()
        for term in name_terms:
            named |= matching.starts_a_word("_pmolib_words", term)
        arms.append(
            Speaker.objects.annotate(_pmolib_words=matching.words_text("name"))
            .filter(named)
            .order_by()
            .values_list(_text(), "name", "pk", _int(), _int())[:NAMED_SPEAKERS_LIMIT]
        )
    if page is not None:
        kinds.append("page")
        arms.append(_page_arm(params, *page, descending=descending))
    rows = union_rows(arms, with_=ctes)
    counts = _tally([(kinds[row[0]], *row[1:]) for row in rows], params)
    counts.teaser_total = (counts.teaser_total or 0) if teaser is not None else None
    return counts


# Speakers whose names have one of the words, used by the library's relevance: at most.
NAMED_SPEAKERS_LIMIT = 500


def _where(params: SearchParams, speaker=False):
    """The filters (all but the speaker filter, unless ``speaker``) as SQL over the
    columns of ``pmolib_candidates`` (aliased ``c``)."""
    known = params.known
    where, where_params = ["1 = 1"], []

    def within(column, values):
        where.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
        where_params.extend(values)

    if params.conferences:
        within('c."grp"', [known.conferences[pk].path for pk in params.conferences])
    if params.themes:
        within('c."theme"', [pk for key in params.themes for pk in known.theme_ids[key]])
    if params.formats:
        where.append('(c."flags" & %s) <> 0')
        where_params.append(sum(_FORMAT_BITS[name] for name in params.formats))
    if len(set(params.access)) == 1:
        where.append(f'(c."flags" & {_FREE}) {"<>" if "free" in params.access else "="} 0')
    if speaker:
        where.append(f'(c."flags" & {_SPEAKER_OK}) <> 0')
    return " AND ".join(where), where_params


def _page_arm(params: SearchParams, offset: int, limit: int, descending=True):
    """One page of the candidates that pass every filter, most relevant first, as
    rows ``(…, id, …, position)``: the page at ``offset``, or the last page when
    there are fewer results (as Django's ``Paginator.get_page`` shows it)."""
    where, where_params = _where(params, speaker=True)
    order = f'c."score" {"DESC" if descending else "ASC"}, c."id" DESC'
    # The first position shown: ``offset``, or the start of the last page.
    first = 'CASE WHEN %s < r."total" THEN %s ELSE ((r."total" - 1) / %s) * %s END'
    sql = (
        'SELECT \'\' AS "grp", \'\' AS "label", r."id" AS "theme", 0 AS "flags", '
        'r."position" AS "n" FROM ('
        f'SELECT c."id" AS "id", ROW_NUMBER() OVER (ORDER BY {order}) AS "position", '
        'COUNT(*) OVER () AS "total" '
        f'FROM "pmolib_candidates" c WHERE {where}) r '
        f'WHERE r."position" > {first} AND r."position" <= {first} + %s'
    )
    clamp = [offset, offset, limit, limit]
    return sql, [*where_params, *clamp, *clamp, limit]


def _speakers_arm(params: SearchParams):
    """The most frequent speakers of the candidates that pass every filter but the
    speaker filter (the chosen speakers first), as SQL over ``pmolib_candidates``."""
    from django.db import connection

    from ..models.sessions import SessionSpeaker
    from ..models.speakers import Speaker

    quote = connection.ops.quote_name
    where, where_params = _where(params)
    chosen = ""
    if params.speakers:
        chosen = f"CASE WHEN g.speaker_id IN ({', '.join(['%s'] * len(params.speakers))}) "
        chosen += "THEN 0 ELSE 1 END, "
    links = quote(SessionSpeaker._meta.db_table)
    speakers = quote(Speaker._meta.db_table)
    sql = (
        f'SELECT \'\' AS "grp", s.{quote("name")} AS "label", g.speaker_id AS "theme", '
        f'0 AS "flags", g.n AS "n" FROM ('
        f"SELECT l.{quote('speaker_id')} AS speaker_id, COUNT(*) AS n FROM {links} l "
        f'JOIN "pmolib_candidates" c ON c."id" = l.{quote("page_id")} '
        f"WHERE {where} GROUP BY l.{quote('speaker_id')}"
        f") g JOIN {speakers} s ON s.{quote('id')} = g.speaker_id "
        f"ORDER BY {chosen}g.n DESC, LOWER(s.{quote('name')}), g.speaker_id LIMIT %s"
    )
    return sql, [*where_params, *params.speakers, max(SPEAKER_FACET_LIMIT, len(params.speakers))]


def _tally(rows, params: SearchParams) -> Counts:
    counts = Counts()
    cube = []
    for kind, text, name, number, flags, n in rows:
        if kind == "cube":
            cube.append((text, number, int(flags), int(n)))
        elif kind == "speakers":
            counts.speaker[number] = (name, int(n))
        elif kind == "conferences":
            counts.conferences[text] = Conference(number, text, name)
        elif kind == "themes":
            counts.theme_names[number] = name
        elif kind == "prior":
            counts.rated_total, counts.rated_count = int(number or 0), int(n or 0)
        elif kind == "named":
            counts.named_speakers[number] = name
        else:
            counts.page.append((int(n), number))
    counts.page = [pk for _position, pk in sorted(counts.page)]

    known = params.known
    conference_paths = {known.conferences[pk].path for pk in params.conferences}
    theme_ids = {pk for key in params.themes for pk in known.theme_ids[key]}
    format_bits = sum(_FORMAT_BITS[name] for name in params.formats)
    for parent, theme, flags, n in cube:
        conference_ok = not conference_paths or parent in conference_paths
        theme_ok = not theme_ids or theme in theme_ids
        format_ok = not format_bits or bool(flags & format_bits)
        speaker_ok = bool(flags & _SPEAKER_OK)
        access = "free" if flags & _FREE else "members"
        access_ok = not params.access or access in params.access
        counts.without_filters += n
        if conference_ok and theme_ok and format_ok and speaker_ok and access_ok:
            counts.total += n
            if flags & _TEASER:
                counts.teaser_total = (counts.teaser_total or 0) + n
        if theme_ok and format_ok and speaker_ok and access_ok:
            counts.conference[parent] = counts.conference.get(parent, 0) + n
        if conference_ok and format_ok and speaker_ok and access_ok and theme is not None:
            key = theme_key(counts.theme_names.get(theme, ""))
            counts.theme[key] = counts.theme.get(key, 0) + n
        if conference_ok and theme_ok and speaker_ok and access_ok:
            for name, bit in _FORMAT_BITS.items():
                if flags & bit:
                    counts.format[name] = counts.format.get(name, 0) + n
        if conference_ok and theme_ok and format_ok and speaker_ok:
            counts.access[access] = counts.access.get(access, 0) + n
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
    for name in counts.theme_names.values():
        themes.setdefault(theme_key(name), name)
    themes.update(known.themes)
    theme_options = [
        FacetOption(
            key,
            name,
            counts.theme.get(key, 0),
            key in params.themes,
            params.toggle_url("theme", key),
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
    format_options = _fixed_options("format", FORMATS, counts.format, params.formats, params)
    access_options = _fixed_options("access", ACCESS, counts.access, params.access, params)
    if not counts.access.get("members") and not params.access:
        access_options = []  # nothing members-only here: nothing to tell apart
    facets = [
        Facet("conference", _("Conference"), conference_options),
        Facet("theme", _("Theme"), theme_options),
        Facet("speaker", _("Speaker"), speaker_options),
        Facet("format", _("Format"), format_options),
        Facet("access", _("Access"), access_options),
    ]
    for facet in facets:
        facet.options = [o for o in facet.options if o.count or o.selected]
    return [facet for facet in facets if facet.options]


def _fixed_options(name, labels, counts, chosen, params) -> list[FacetOption]:
    """The options of a filter whose values are fixed (``FORMATS``, ``ACCESS``)."""
    return [
        FacetOption(
            key, str(label), counts.get(key, 0), key in chosen, params.toggle_url(name, key)
        )
        for key, label in labels.items()
    ]


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
    for key in params.access:
        chosen.append(("access", key, _("Access"), ACCESS[key]))
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
