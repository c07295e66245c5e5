"""Thin HTTP views, called by the pages' routes: the library page and its
suggestions (``wagtail_pmolib.search``), the session page, and the HTML and JSON
answers of the feedback endpoint, ``POST {page.url}feedback/``.

Each reads the request, asks the rules (``search``, ``feedback``) what to do and
answers. Pages stay cacheable (identical for every anonymous visitor, no
cookie), so the endpoint does not use Django's CSRF token; it refuses
cross-site requests by the Origin and Sec-Fetch-Site headers browsers send
(see ``is_cross_site``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponseNotAllowed, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import is_same_domain
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .access import is_personal
from .access.members import access_for, may_give_feedback
from .feedback import identity, throttle, votes
from .feedback.context import feedback_context, is_enabled
from .feedback.settings import settings_for_request
from .fragment_cache import article_keys
from .models.mixins import is_feedback_route
from .search import parse_params, run_search, scope_for, suggest
from .search.log import record_visitor_search, search_extras
from .templatetags.wagtail_pmolib_tags import prefetch_fragments

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    content_type = request.content_type or ""
    return "application/json" in accept or content_type in JSON_TYPES


def is_cross_site(request, allowed_origins=None) -> bool:
    """Whether a browser sent this request from another site.

    ``Sec-Fetch-Site`` (all current browsers) decides when present: same-origin
    (or ``none``, typed by the visitor) is accepted; from another origin,
    ``same-site`` (a sibling subdomain) or ``cross-site``, only when ``Origin``
    is listed in ``CSRF_TRUSTED_ORIGINS``, as Django's CSRF check accepts it
    (or, with ``allowed_origins``, in that list instead: the JSON API's
    ``API_CORS_ORIGINS``). Without that header, ``Origin`` must be this site or
    an allowed origin. A request with neither header does not come from a
    browser acting for a visitor on another site, so it is not a cross-site
    request forgery.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")

    def allowed(origin):
        if allowed_origins is None:
            return is_trusted_origin(origin)
        return bool(origin) and origin.lower() in allowed_origins

    if fetch_site:
        if fetch_site in ("same-origin", "none"):
            return False
        return not (fetch_site in ("same-site", "cross-site") and allowed(origin))
    if origin is None:
        return False
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    return origin != own and not allowed(origin)


def is_trusted_origin(origin) -> bool:
    """Whether ``origin`` is in ``CSRF_TRUSTED_ORIGINS``, wildcard subdomains
    ("https://*.example.com") read as Django's CSRF check reads them."""
    if not origin or origin == "null":
        return False
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    parts = urlsplit(origin)
    if f"{parts.scheme}://{parts.netloc}" in trusted:
        return True
    for entry in trusted:
        allowed = urlsplit(entry)
        if (
            "*" in allowed.netloc
            and allowed.scheme == parts.scheme
            and is_same_domain(parts.netloc, allowed.netloc.lstrip("*"))
        ):
            return True
    return False


def _error(request, page, status, message, *, field_errors=None, values=None, headers=None):
    """Feedback not saved. JSON: ``{"ok": false, "error": message}`` (and ``errors``).
    HTML, when ``values`` are given: the page again, its form filled in as the
    visitor sent it, with ``field_errors`` (else ``message``) above it; otherwise
    a short page giving ``message``."""
    if wants_json(request):
        body = {"ok": False, "error": message}
        if field_errors:
            body["errors"] = field_errors
        response = JsonResponse(body, status=status)
    elif values is not None:
        context = page.get_context(request)
        context["feedback"] = feedback_context(
            page, request, errors=field_errors or {"form": message}, values=values
        )
        response = TemplateResponse(request, page.get_template(request), context, status=status)
    else:
        context = page.get_context(request)
        context.update(message=message, status=status)
        response = TemplateResponse(
            request, "wagtail_pmolib/feedback_error.html", context, status=status
        )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class _JSONObject(dict):
    """A decoded JSON object that remembers keys it was given more than once
    (``json`` keeps the last silently)."""

    repeated: frozenset = frozenset()


def _json_object(pairs):
    found = _JSONObject(pairs)
    if len(found) < len(pairs):
        found.repeated = frozenset(key for key, n in Counter(k for k, _ in pairs).items() if n > 1)
    return found


def _body_error(message):
    return votes.FeedbackError({"body": message})


def _read_json(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8") or "null", object_pairs_hook=_json_object)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _body_error(
            _("The body is not valid JSON: %(reason)s.")
            % {"reason": getattr(exc, "msg", None) or str(exc)}
        ) from None
    except RecursionError:
        raise _body_error(_("The body is not valid JSON: it is nested too deeply.")) from None
    except ValueError:  # an integer of thousands of digits (int_max_str_digits)
        raise _body_error(_("The body is not valid JSON: a number in it is too long.")) from None
    if not isinstance(data, dict):
        raise _body_error(_("Send a JSON object with “rating” and “comment”."))
    return _fields(data, data.repeated)


def _read_form(request) -> dict:
    try:
        post = request.POST
    except (MultiPartParserError, SuspiciousOperation) as exc:
        # Django would answer its own bare 400 page; say what is wrong with it.
        raise _body_error(
            _("The form data could not be read: %(reason)s.")
            % {"reason": str(exc) or type(exc).__name__}
        ) from None
    return _fields(post, {name for name in votes.FIELDS if len(post.getlist(name)) > 1})


def _fields(data, repeated) -> dict:
    """The submission's fields of ``data``, refusing any sent more than once: the
    body is ambiguous, and a form's last value need not be the one the visitor saw."""
    errors = {
        name: _("“%(field)s” was sent more than once; send it once.") % {"field": name}
        for name in votes.FIELDS
        if name in repeated
    }
    if errors:
        raise votes.FeedbackError(errors)
    return {name: data[name] for name in votes.FIELDS if name in data}


def _read(request):
    """The submitted fields, or a FeedbackError naming what is wrong with the body."""
    content_type = request.content_type or ""
    if content_type in JSON_TYPES:
        try:
            body = request.body
        except SuspiciousOperation:  # over a DATA_UPLOAD_MAX_MEMORY_SIZE below ours
            raise _body_error(_("The body is too large.")) from None
        return _read_json(body)
    if content_type in FORM_TYPES:
        return _read_form(request)
    raise _body_error(
        _(
            "Send the feedback as a form (application/x-www-form-urlencoded or "
            "multipart/form-data) or as JSON (application/json), not “%(type)s”."
        )
        % {"type": content_type or _("no content type")}
    )


def _too_large(request) -> bool:
    """Whether the body is larger than any valid submission (told by
    Content-Length, before a byte of it is read)."""
    length = request.META.get("CONTENT_LENGTH") or ""
    return bool(re.fullmatch(r"[0-9]+", length)) and int(length) > votes.max_body_bytes()


def _success(request, page, visitor, feedback_settings, *, summary, rating):
    thank_you = feedback_settings.text("thank_you")
    if wants_json(request):
        body = {
            "ok": True,
            "message": thank_you,
            "summary": summary.as_dict(),
            "rating": rating,
            "show_comment": feedback_settings.comment_wanted(rating=rating, voted=True),
        }
        response = JsonResponse(body)
    else:
        tags = ["pmolib-feedback", "pmolib-voted"]
        if feedback_settings.is_low(rating):
            tags.append("pmolib-low")
        messages.success(request, thank_you, extra_tags=" ".join(tags), fail_silently=True)
        response = redirect(f"{page.get_url(request)}#feedback", permanent=False)
        response.status_code = 303
    return identity.set_visitor_cookie(response, request, visitor)


def session_page_view(request, page, *args, **kwargs):
    """A session page: its context, and the article's cached parts fetched in one
    round trip (``fragment_cache``)."""
    request.is_preview = getattr(request, "is_preview", False)
    keys = article_keys(page, request)  # first: its query reads the settings' version too
    context = page.get_context(request, *args, **kwargs)
    if keys:
        context["pmolib_fragment_keys"] = keys
        context["pmolib_fragments"] = prefetch_fragments(
            keys["main"], keys["rest"], context["feedback"]["cache_key"]
        )
    response = TemplateResponse(request, page.get_template(request, *args, **kwargs), context)
    access = access_for(request, page)
    if access.gated:
        # A member's article (or a signed-in caller's teaser) is theirs.
        return personal(request, response)
    return response


@dataclass
class FeedbackAnswer:
    """What the feedback rules answered to one submission, whatever the format it
    is told in (the page's HTML or JSON here, problem details in the JSON API)."""

    status: int
    message: str = ""  # a sentence for people (the thank-you text on success)
    field_errors: dict[str, str] | None = None  # field → what is wrong with it
    values: dict | None = None  # the fields as sent, when the body could be read
    headers: dict[str, str] = field(default_factory=dict)
    visitor: identity.Visitor | None = None
    settings: object = None  # the site's FeedbackSettings
    summary: object = None  # the page's rating Summary after the vote (success)
    rating: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


def process_feedback(request, page, *, allowed_origins=None) -> FeedbackAnswer:
    """The feedback rules for a POST to ``page``: every check, then the vote stored.

    Cheap checks first (size, origin, settings, rate limits), then the body is
    read and checked (``votes.parse``), then stored (``votes.submit``). A
    filled-in honeypot or a known bot gets the answer a vote would get
    (``votes.preview``) and nothing is stored. ``allowed_origins``: the other
    origins whose browsers may post (``is_cross_site``); the site's
    ``CSRF_TRUSTED_ORIGINS`` when ``None``.
    """
    if _too_large(request):
        reason = _("The body is larger than %(limit)s bytes, more than any feedback needs.") % {
            "limit": votes.max_body_bytes()
        }
        return FeedbackAnswer(413, reason, field_errors={"body": reason})
    if is_cross_site(request, allowed_origins):
        return FeedbackAnswer(403, _("Feedback from another site is refused."))
    feedback_settings = settings_for_request(request)
    if not is_enabled(page, feedback_settings):
        return FeedbackAnswer(403, _("Feedback is turned off for this page."))
    if not may_give_feedback(request, page):
        return FeedbackAnswer(403, _("Only members with access to this session may rate it."))
    visitor = identity.visitor_for(request)
    values = {}
    try:
        throttle.check_submission(visitor)
        data = _read(request)
        values = {"rating": data.get("rating"), "comment": data.get("comment")}
        submission = votes.parse(data, feedback_settings)
        if submission.honeypot or identity.is_bot(request):
            summary = votes.preview(page, visitor, submission, feedback_settings)
        else:
            summary = votes.submit(page, visitor, submission, feedback_settings)
    except throttle.Throttled as exc:
        return FeedbackAnswer(429, exc.message, headers={"Retry-After": str(exc.retry_after)})
    except votes.FeedbackError as exc:
        return FeedbackAnswer(
            400, _("The feedback was not saved."), field_errors=exc.errors, values=values
        )
    except votes.FeedbackUnavailable as exc:
        return FeedbackAnswer(
            503,
            _(
                "The library is busy right now and your feedback was not saved. "
                "Please send it again in a few seconds."
            ),
            values=values,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return FeedbackAnswer(
        200,
        feedback_settings.text("thank_you"),
        visitor=visitor,
        settings=feedback_settings,
        summary=summary,
        rating=submission.rating,
    )


def feedback_view(request, page):
    """Answer ``POST {page.url}feedback/`` (Wagtail has checked the page is live and
    viewable) with ``process_feedback``'s answer, as HTML or JSON."""
    if request.method != "POST":
        response = HttpResponseNotAllowed(["POST"])
        response.content = _("Send feedback with POST.").encode()
        return response
    answer = process_feedback(request, page)
    if not answer.ok:
        return _error(
            request,
            page,
            answer.status,
            answer.message,
            field_errors=answer.field_errors,
            values=answer.values,
            headers=answer.headers,
        )
    return _success(
        request, page, answer.visitor, answer.settings, summary=answer.summary, rating=answer.rating
    )


@csrf_exempt
def feedback_endpoint(request, path):
    """``wagtail_pmolib.urls``: Wagtail's page serving for ``…/feedback/`` addresses.

    Exempt from Django's CSRF token only when the address is a page's feedback
    endpoint (which checks the request's origin itself); any other page whose
    address ends in ``feedback/`` is served with the usual CSRF protection.
    """
    from wagtail.models import Page
    from wagtail.views import serve

    full_path = f"{path}feedback/"
    route = Page.route_for_request(request, full_path)
    if route is None or (route[1] and is_feedback_route(route[1][0])):
        # No page here (serve() answers 404, running no view), or a feedback endpoint.
        return serve(request, full_path)
    return csrf_protect(serve)(request, full_path)


def library_page_view(request, page, *args, **kwargs):
    """A library page: the visitor's search (or browse) with its facets, results
    and paging, from ``wagtail_pmolib.search``; counted in the search log."""
    request.is_preview = getattr(request, "is_preview", False)
    context = page.get_context(request, *args, **kwargs)
    scope = scope_for(page, request)
    search = run_search(scope, parse_params(request.GET, scope))
    record_visitor_search(request, search, scope)
    context.update(
        search=search,
        sessions=search.results,
        sessions_page=search.page,
        paginator=search.paginator,
        **search_extras(request, search, scope),
        suggest_url=f"{page.get_url(request) or ''}{page.SUGGEST_ROUTE}/",
    )
    response = TemplateResponse(request, page.get_template(request, *args, **kwargs), context)
    return personal(request, response)


def personal(request, response):
    """``response``, marked as the caller's own when it may show more than an
    anonymous visitor sees (sessions behind a password they passed or a login,
    members' excerpts): a shared cache in front must not give it to anyone else."""
    if is_personal(request):
        patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def suggest_view(request, index_page):
    """``GET {library.url}suggest/?q=…``: session titles and speakers as JSON.

    Answers 405 to anything but GET/HEAD and an empty list for an empty or
    wordless query; never stores anything.
    """
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": _("Use GET.")}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    found = suggest(scope_for(index_page, request), request, request.GET.get("q", ""))
    return personal(request, JsonResponse(found, json_dumps_params={"ensure_ascii": False}))
