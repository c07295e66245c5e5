"""Suggestions as a visitor types: session titles and speakers."""

from __future__ import annotations

import logging

from django.db import models
from django.db.models.functions import Lower
from wagtail.models import Page

from ..conf import pmolib_settings
from ..models.pages import LINK_FIELDS
from . import matching
from .engine import rollback_on_error
from .params import SearchParams
from .query import parse_query
from .scope import LibraryScope

logger = logging.getLogger(__name__)


def suggest(scope: LibraryScope, request, text) -> dict:
    """Session titles and speakers for what a visitor is typing, among the sessions
    of ``scope`` (the visitor's, see ``scope.scope_for``).

    Titles come from the search backend's autocomplete (the last word may be
    partly typed), those with the words in their title first, then newest;
    speakers by the start of any of their names' words, with the number of their
    sessions the visitor may see. Three queries, whatever the number of sessions.
    """
    from ..models.speakers import Speaker

    query = parse_query(text)
    limit = pmolib_settings.SEARCH_SUGGESTIONS
    found = {"query": query.text, "sessions": [], "speakers": []}
    if not query or not limit:
        return found
    index_page = scope.index_page
    try:
        with rollback_on_error():
            pages = _titles(scope, query, limit)
    except Exception:  # a backend outage must not fail the endpoint
        logger.exception("Library autocomplete failed for %r", query.text)
        pages = []
    if pages:
        steplen = Page.steplen
        parents = dict(
            Page.objects.filter(path__in={p.path[:-steplen] for p in pages}).values_list(
                "path", "title"
            )
        )
        for page in pages:
            found["sessions"].append(
                {
                    "id": page.pk,
                    "title": page.title,
                    "url": page.get_url(request),
                    "conference": parents.get(page.path[:-steplen], ""),
                }
            )
    names = Speaker.objects.annotate(_pmolib_words=matching.words_text("name"))
    for term in query.terms:
        names = names.filter(matching.starts_a_word("_pmolib_words", term, stemmed=False))
    visible = scope.sessions().values("pk")
    names = (
        names.annotate(
            _pmolib_sessions=models.Count(
                "session_links", filter=models.Q(session_links__page_id__in=visible)
            )
        )
        .filter(_pmolib_sessions__gt=0)
        .order_by(Lower("name"), "pk")
        .values_list("pk", "name", "_pmolib_sessions")[:limit]
    )
    params = SearchParams()
    for pk, name, sessions in names:
        found["speakers"].append(
            {
                "id": pk,
                "name": name,
                "url": index_page.get_url(request) + params.url(speaker=(pk,)),
                "sessions": sessions,
            }
        )
    return found


def _titles(scope, query, limit):
    model = scope.session_model
    if matching.backend_kind() == matching.REMOTE:
        results = scope.live_sessions().filter(scope.hidden_q()).autocomplete(" ".join(query.terms))
        return list(results[:limit])
    sessions = scope.sessions().filter(pk__in=matching.autocomplete_matches(model, query))
    sessions = sessions.alias(_pmolib_title_words=matching.words_text("title"))
    in_title = sum(
        (
            models.Case(
                models.When(matching.starts_a_word("_pmolib_title_words", term), then=1),
                default=0,
                output_field=models.IntegerField(),
            )
            for term in query.terms
        ),
        models.Value(0),
    )
    return list(
        sessions.alias(_pmolib_in_title=in_title)
        .order_by(models.F("_pmolib_in_title").desc(), *matching.NEWEST)
        .only(*LINK_FIELDS)[:limit]
    )
