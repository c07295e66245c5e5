"""The HTML and JSON answers of the feedback endpoint, ``POST {page.url}feedback/``.

Thin: it reads the request, asks ``wagtail_pmolib.feedback`` what to do and
answers. Pages stay cacheable (identical for every anonymous visitor, no
cookie), so the endpoint does not use Django's CSRF token; it refuses
cross-site requests by the Origin and Sec-Fetch-Site headers browsers send
(see ``is_cross_site``).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import is_same_domain
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .feedback import identity, throttle
from .feedback.context import feedback_context, is_enabled
from .feedback.settings import settings_for_request
from .feedback.votes import FeedbackError, FeedbackUnavailable, parse, submit
from .fragment_cache import article_keys
from .models.mixins import is_feedback_route
from .search import parse_params, run_search, suggest
from .search.log import record_visitor_search, search_extras
from .templatetags.wagtail_pmolib_tags import prefetch_fragments

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    content_type = request.content_type or ""
    return "application/json" in accept or content_type in JSON_TYPES


def is_cross_site(request) -> bool:
    """Whether a browser sent this request from another site.

    ``Sec-Fetch-Site`` (all current browsers) decides when present; otherwise
    ``Origin`` must be this site or one of ``CSRF_TRUSTED_ORIGINS``. A request
    with neither header does not come from a browser acting for a visitor on
    another site, so it is not a cross-site request forgery.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    parts = urlsplit(origin)
    if f"{parts.scheme}://{parts.netloc}" in {own, *trusted}:
        return False
    # Wildcard subdomains, as Django's CSRF check reads them: "https://*.example.com".
    for entry in trusted:
        allowed = urlsplit(entry)
        if (
            "*" in allowed.netloc
            and allowed.scheme == parts.scheme
            and is_same_domain(parts.netloc, allowed.netloc.lstrip("*"))
        ):
            return False
    return True


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


def _read(request):
    """The submitted fields, or a FeedbackError naming what is wrong with the body."""
    content_type = request.content_type or ""
    if content_type in JSON_TYPES:
        try:
            data = json.loads(request.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FeedbackError(
                {
                    "body": _("The body is not valid JSON: %(reason)s.")
                    % {"reason": getattr(exc, "msg", str(exc))}
                }
            ) from None
        if not isinstance(data, dict):
            raise FeedbackError({"body": _("Send a JSON object with “rating” and “comment”.")})
        return data
    if content_type in FORM_TYPES:
        return request.POST
    raise FeedbackError(
        {
            "body": _(
                "Send the feedback as a form (application/x-www-form-urlencoded or "
                "multipart/form-data) or as JSON (application/json), not “%(type)s”."
            )
            % {"type": content_type or _("no content type")}
        }
    )


def _success(request, page, visitor, feedback_settings, *, summary=None, rating=None):
    thank_you = feedback_settings.text("thank_you")
    if wants_json(request):
        body = {
            "ok": True,
            "message": thank_you,
            "summary": summary.as_dict() if summary is not None else None,
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
    return TemplateResponse(request, page.get_template(request, *args, **kwargs), context)


def feedback_view(request, page):
    """Answer ``POST {page.url}feedback/`` (Wagtail has checked the page is live and viewable)."""
    if request.method != "POST":
        response = HttpResponseNotAllowed(["POST"])
        response.content = _("Send feedback with POST.").encode()
        return response
    if is_cross_site(request):
        return _error(request, page, 403, _("Feedback from another site is refused."))
    feedback_settings = settings_for_request(request)
    if not is_enabled(page, feedback_settings):
        return _error(request, page, 403, _("Feedback is turned off for this page."))
    visitor = identity.visitor_for(request)
    values = {}
    try:
        data = _read(request)
        values = {"rating": data.get("rating"), "comment": data.get("comment")}
        submission = parse(data, feedback_settings)
        if submission.honeypot or identity.is_bot(request):
            # Answered like success, stored nowhere.
            return _success(request, page, visitor, feedback_settings)
        wait = throttle.hit(visitor.key)
        if wait is not None:
            return _error(
                request,
                page,
                429,
                _("Too many submissions: please try again in %(seconds)s seconds.")
                % {"seconds": wait},
                headers={"Retry-After": str(wait)},
            )
        summary = submit(page, visitor, submission, feedback_settings)
    except FeedbackError as exc:
        return _error(
            request,
            page,
            400,
            _("The feedback was not saved."),
            field_errors=exc.errors,
            values=values,
        )
    except FeedbackUnavailable as exc:
        return _error(
            request,
            page,
            503,
            _(
                "The library is busy right now and your feedback was not saved. "
                "Please send it again in a few seconds."
            ),
            values=values,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return _success(
        request, page, visitor, feedback_settings, summary=summary, rating=submission.rating
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
    scope = page.get_search_scope(request)
    search = run_search(scope, request, parse_params(request.GET, scope))
    record_visitor_search(request, search, scope)
    context.update(
        search=search,
        sessions=search.results,
        sessions_page=search.page,
        paginator=search.paginator,
        **search_extras(request, search, scope),
        suggest_url=f"{page.get_url(request) or ''}{page.SUGGEST_ROUTE}/",
    )
    return TemplateResponse(request, page.get_template(request, *args, **kwargs), context)


def suggest_view(request, index_page):
    """``GET {library.url}suggest/?q=…``: session titles and speakers as JSON.

    Answers 405 to anything but GET/HEAD and an empty list for an empty or
    wordless query; never stores anything.
    """
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": _("Use GET.")}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    found = suggest(index_page.get_search_scope(request), request, request.GET.get("q", ""))
    response = JsonResponse(found, json_dumps_params={"ensure_ascii": False})
    patch_vary_headers(response, ["Cookie"])
    return response
