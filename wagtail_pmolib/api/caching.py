"""Conditional requests and cache headers for the API's answers.

Every successful answer has an ``ETag`` and a ``Cache-Control``; a request whose
``If-None-Match`` names the current ETag gets a ``304 Not Modified``.

- A session's detail is keyed before it is built (``version_etag``), from the
  same content versions the HTML article is cached under (``page:<id>``,
  ``conference:<id>``, ``order:<id>``, ``tree``; see ``wagtail_pmolib.invalidation``)
  and from the figures of its rating summary: a 304 costs a few small queries.
- Every other answer's ETag is a digest of its body, so it changes exactly when
  the body does; a 304 then saves the transfer, not the work.

``Last-Modified`` says when the page was last published, for people and logs;
``If-Modified-Since`` is not answered with a 304, because a session also shows
what changes without being published (a speaker's name, its ratings).

Answers that may show a caller more than an anonymous visitor sees (signed in,
a page password passed, a token) are ``private``; the rest are ``public``.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

import wagtail_pmolib

from ..access import is_personal
from ..conf import pmolib_settings

# Changed whenever the shape or the content of an answer changes for the same data
# (a new field, a different HTML rewrite), so that no client keeps an old copy.
REPRESENTATION = "2"  # 2: sessions have "access" (members-only sessions)


def cache_control(request) -> str:
    scope = "private" if is_personal(request) else "public"
    return f"{scope}, max-age={pmolib_settings.API_CACHE_MAX_AGE}"


def set_headers(response, request, *, etag=None, last_modified=None) -> None:
    if etag is not None:
        response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = cache_control(request)
    # Who the caller is decides what the answer shows (view restrictions).
    patch_vary_headers(response, ("Cookie", "Authorization"))


def version_etag(*parts) -> str:
    """A weak ETag from what an answer was built from (versions, figures…), with
    what makes the same data look different: the language, the day (embargoes
    end at midnight), the settings that shape answers and this code's version."""
    settings_shape = (
        pmolib_settings.TITLE_SEPARATOR,
        pmolib_settings.BAYESIAN_PRIOR_WEIGHT,
        sorted(pmolib_settings.API_RENDITIONS.items()),
    )
    key = repr(
        (
            parts,
            translation.get_language(),
            timezone.localdate().isoformat(),
            settings_shape,
            wagtail_pmolib.__version__,
            REPRESENTATION,
        )
    )
    return "W/" + quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])


def not_modified(request, etag: str, last_modified=None) -> HttpResponse | None:
    """A 304 if the caller's ``If-None-Match`` names ``etag``, else ``None``."""
    if "If-None-Match" not in request.headers:
        return None
    response = HttpResponse()
    set_headers(response, request, etag=etag, last_modified=last_modified)
    answer = get_conditional_response(request, etag=etag, response=response)
    return answer if answer.status_code == 304 else None


def conditional(view):
    """Give every successful GET answer its ETag (a digest of the body unless the
    view set one) and cache headers, and answer 304 when ``If-None-Match``
    matches. A ninja "view" decorator: it sees the final response."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method != "GET" or response.status_code != 200:
            return response
        if "no-store" in response.get("Cache-Control", ""):
            return response  # a draft (headless previews): no ETag, no shared copy
        if not response.has_header("ETag"):
            digest = hashlib.sha256(response.content).hexdigest()[:32]
            response["ETag"] = quote_etag(digest)
        set_headers(response, request)
        return get_conditional_response(request, etag=response["ETag"], response=response)

    return wrapper
