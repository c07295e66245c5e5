"""Filters and facet counts, worked out on the catalog in one pass."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .catalog import Catalog
from .params import FORMATS, SearchParams

# Speakers offered as filters (besides the selected ones): the most frequent.
SPEAKER_FACET_LIMIT = 12


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


def _failed_dimensions(entry, params: SearchParams) -> list[str]:
    failed = []
    if params.conferences and entry.conference not in params.conferences:
        failed.append("conference")
    if params.themes and entry.theme not in params.themes:
        failed.append("theme")
    if params.speakers and not any(s in params.speakers for s in entry.speakers):
        failed.append("speaker")
    if params.formats and not any(_has_format(entry, f) for f in params.formats):
        failed.append("format")
    return failed


def _has_format(entry, name) -> bool:
    return entry.has_recording if name == "recording" else entry.has_handouts


def _count(counts, dimension, entry):
    if dimension == "conference":
        counts["conference"][entry.conference] = counts["conference"].get(entry.conference, 0) + 1
    elif dimension == "theme":
        counts["theme"][entry.theme] = counts["theme"].get(entry.theme, 0) + 1
    elif dimension == "speaker":
        for speaker in entry.speakers:
            counts["speaker"][speaker] = counts["speaker"].get(speaker, 0) + 1
    else:
        for name in FORMATS:
            if _has_format(entry, name):
                counts["format"][name] = counts["format"].get(name, 0) + 1


DIMENSIONS = ("conference", "theme", "speaker", "format")


def filter_and_count(candidates, params: SearchParams):
    """The candidates that pass every filter, and the facet counts.

    A value's count is the number of results the visitor would get by adding it
    to the filters: counted with every *other* filter applied (a conference's
    count ignores the conference filter), so choosing a second conference adds
    results and the counts say how many. One pass over the candidates.
    """
    counts = {"conference": {}, "theme": {}, "speaker": {}, "format": {}}
    results = []
    for entry in candidates:
        failed = _failed_dimensions(entry, params)
        if not failed:
            results.append(entry)
            for dimension in DIMENSIONS:
                _count(counts, dimension, entry)
        elif len(failed) == 1:
            _count(counts, failed[0], entry)
    return results, counts


def build_facets(catalog: Catalog, params: SearchParams, counts) -> list[Facet]:
    conference_options = [
        FacetOption(
            pk,
            conference.title,
            counts["conference"].get(pk, 0),
            pk in params.conferences,
            params.toggle_url("conference", pk),
        )
        for pk, conference in catalog.conferences.items()
    ]
    theme_options = [
        FacetOption(
            key,
            name,
            counts["theme"].get(key, 0),
            key in params.themes,
            params.toggle_url("theme", key),
        )
        for key, name in catalog.themes.items()
    ]
    speaker_counts = counts["speaker"]
    ranked = sorted(
        (pk for pk in catalog.speakers if speaker_counts.get(pk) or pk in params.speakers),
        key=lambda pk: (pk not in params.speakers, -speaker_counts.get(pk, 0)),
    )
    shown = set(ranked[: max(SPEAKER_FACET_LIMIT, len(params.speakers))])
    speaker_options = [
        FacetOption(
            pk,
            speaker.name,
            speaker_counts.get(pk, 0),
            pk in params.speakers,
            params.toggle_url("speaker", pk),
        )
        for pk, speaker in catalog.speakers.items()
        if pk in shown
    ]
    format_options = [
        FacetOption(
            key,
            str(label),
            counts["format"].get(key, 0),
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


def selected_filters(catalog: Catalog, params: SearchParams) -> list[dict]:
    """The filters in force, each with the address that removes it."""
    chosen = []
    for pk in params.conferences:
        chosen.append(("conference", pk, _("Conference"), catalog.conferences[pk].title))
    for key in params.themes:
        chosen.append(("theme", key, _("Theme"), catalog.themes[key]))
    for pk in params.speakers:
        chosen.append(("speaker", pk, _("Speaker"), catalog.speakers[pk].name))
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
