"""Suggestions as a visitor types: session titles and speakers."""

from __future__ import annotations

import logging

from ..conf import pmolib_settings
from ..models.pages import LINK_FIELDS
from .catalog import Catalog
from .engine import matching_ids, rollback_on_error
from .params import SearchParams
from .query import parse_query

logger = logging.getLogger(__name__)


def suggest(index_page, request, text, catalog: Catalog, session_model) -> dict:
    """Session titles and speakers for what a visitor is typing (``catalog`` is
    the visitor's, as for ``run_search``).

    Titles come from the search backend's autocomplete (the last word may be
    partly typed); speakers from the catalog, by the start of any of their names'
    words. Only sessions the visitor may view, and speakers of such sessions.
    """
    query = parse_query(text)
    limit = pmolib_settings.SEARCH_SUGGESTIONS
    found = {"query": query.text, "sessions": [], "speakers": []}
    if not query or not limit:
        return found
    queryset = session_model.objects.live().descendant_of(index_page).defer_streamfields()
    try:
        with rollback_on_error():
            ids = matching_ids(queryset.autocomplete(" ".join(query.terms)))
    except Exception:  # a backend outage must not fail the endpoint
        logger.exception("Library autocomplete failed for %r", query.text)
        ids = []
    chosen = [pk for pk in ids if pk in catalog.entries][:limit]
    if chosen:
        pages = session_model.objects.filter(pk__in=chosen).only(*LINK_FIELDS).in_bulk()
        for pk in chosen:
            page = pages.get(pk)
            if page is None:
                continue
            conference = catalog.conferences.get(catalog.entries[pk].conference)
            found["sessions"].append(
                {
                    "title": page.title,
                    "url": page.get_url(request),
                    "conference": conference.title if conference else "",
                }
            )
    terms = [term.casefold() for term in query.terms]
    sessions_by_speaker: dict[int, int] = {}
    for entry in catalog.entries.values():
        for speaker in entry.speakers:
            sessions_by_speaker[speaker] = sessions_by_speaker.get(speaker, 0) + 1
    params = SearchParams()
    for pk, speaker in catalog.speakers.items():
        if pk not in sessions_by_speaker:
            continue
        words = speaker.name.casefold().split()
        if all(any(word.startswith(term) for word in words) for term in terms):
            found["speakers"].append(
                {
                    "name": speaker.name,
                    "url": index_page.get_url(request) + params.url(speaker=(pk,)),
                    "sessions": sessions_by_speaker[pk],
                }
            )
            if len(found["speakers"]) >= limit:
                break
    return found
