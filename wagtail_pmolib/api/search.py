"""A library search's outcome (``search.run_search``) and suggestions
(``search.suggest``) as the API's JSON: what the library page shows, with
absolute URLs and the highlights both as HTML and as plain text with offsets."""

from __future__ import annotations

from ..search.excerpts import unmark
from .present import Presenter, _rounded


def highlighted(marked) -> dict | None:
    """HTML with only ``<mark>`` (``search.excerpts.mark``), its text and offsets."""
    if not marked:
        return None
    text, matches = unmark(marked)
    return {
        "html": str(marked),
        "text": text,
        "matches": [{"start": start, "end": end} for start, end in matches],
    }


def _result(presenter: Presenter, session) -> dict:
    conference = session.conference
    rating = session.rating
    return {
        **presenter.link(session, "pmolib_session"),
        "title_highlighted": highlighted(session.title_marked)
        or {"html": "", "text": "", "matches": []},
        "excerpt": highlighted(session.excerpt),
        "conference": (
            {
                "id": conference.id,
                "title": conference.title,
                "api_url": presenter.api_url("pmolib_conference", conference.id),
            }
            if conference is not None
            else None
        ),
        "starts_at": session.starts_at,
        "theme": session.theme_name or None,
        "speakers": [
            {
                "id": speaker.id,
                "name": speaker.name,
                "api_url": presenter.api_url("pmolib_speaker", speaker.id),
            }
            for speaker in session.speaker_list
        ],
        "has_recording": session.has_recording,
        "has_handouts": session.has_handouts,
        "rating": {
            "count": rating.count if rating else 0,
            "average": _rounded(rating.average) if rating else None,
        },
    }


def search_results(presenter: Presenter, outcome, extras: dict) -> dict:
    """``outcome`` (a ``SearchOutcome``) and ``extras`` (``search.log.search_extras``)."""
    page = outcome.page
    return {
        "query": outcome.params.query.text,
        "searched": outcome.searched,
        "matched_any_word": outcome.matched_any_word,
        "search_failed": outcome.failed,
        "sort": next((o["value"] for o in outcome.sort_options if o["selected"]), "newest"),
        "sort_options": [
            {"value": o["value"], "label": str(o["label"]), "selected": o["selected"]}
            for o in outcome.sort_options
        ],
        "count": outcome.total,
        "count_without_filters": outcome.without_filters,
        "page": page.number,
        "per_page": outcome.paginator.per_page,
        "pages": outcome.paginator.num_pages,
        "items": [_result(presenter, session) for session in outcome.results],
        "facets": [
            {
                "name": facet.name,
                "label": str(facet.label),
                "options": [
                    {
                        "value": option.value,
                        "label": option.label,
                        "count": option.count,
                        "selected": option.selected,
                    }
                    for option in facet.options
                ],
            }
            for facet in outcome.facets
        ],
        "selected": [
            {
                "name": chosen["name"],
                "value": chosen["value"],
                "facet": str(chosen["facet"]),
                "label": str(chosen["label"]),
            }
            for chosen in outcome.selected
        ],
        "notices": [str(notice) for notice in outcome.notices],
        "editors_picks": [
            {
                "title": pick["title"],
                "url": presenter.absolute(pick["url"]),
                "description": pick["description"] or "",
            }
            for pick in extras["editors_picks"]
        ],
        "popular_searches": [popular["text"] for popular in extras["popular_searches"]],
    }


def suggestions(presenter: Presenter, found: dict) -> dict:
    """``found`` (``search.suggest``) with absolute URLs and the API's own."""
    return {
        "query": found["query"],
        "sessions": [
            {
                **session,
                "url": presenter.absolute(session["url"]),
                "api_url": presenter.api_url("pmolib_session", session["id"]),
            }
            for session in found["sessions"]
        ],
        "speakers": [
            {
                **speaker,
                "url": presenter.absolute(speaker["url"]),
                "api_url": presenter.api_url("pmolib_speaker", speaker["id"]),
            }
            for speaker in found["speakers"]
        ],
    }
