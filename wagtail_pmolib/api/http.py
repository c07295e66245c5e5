"""What the API's URLs answer besides their operations: ``HEAD``, ``OPTIONS`` and
cross-origin requests (CORS) from the front ends of ``API_CORS_ORIGINS``.

``browser_view`` wraps each of the API's URL patterns (``api/urls.py``), so it
applies to the API's URLs only, wherever a host mounts them, and to nothing
else of the site:

- ``HEAD`` answers as ``GET`` would (status, headers, ETag, 304), without the
  body. django-ninja routes only the methods an operation declares.
- ``OPTIONS`` says which methods the URL takes (``Allow``); a CORS preflight
  from an allowed origin gets the methods and request headers it may use, any
  other origin's preflight a 403.
- Answers to an allowed origin carry ``Access-Control-Allow-Origin`` (and expose
  ``ETag`` and ``Retry-After``). Credentials (the visitor cookie that counts one
  vote per visitor) are allowed only for ``POST``, i.e. posting feedback: reads
  are answered to allowed origins without credentials, so another origin's page
  can never read what a signed-in visitor may see.

Why not django-cors-headers (DESIGN.md names it): its allowlist and its
``CORS_ALLOW_CREDENTIALS`` are global settings of a middleware the host must
install, matched on paths by a regular expression the host must keep in step
with where it mounted the API; it cannot allow credentials for one operation
only, and the same allowlist must also decide the feedback origin check
(``views.is_cross_site``). Wrapping the API's own URLs needs none of that.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from ..conf import pmolib_settings
from .errors import PROBLEM_JSON, problem_response

# Request headers a front end may send (besides the CORS-safelisted ones).
ALLOWED_HEADERS = ("accept", "accept-language", "authorization", "content-type", "if-none-match")
# Response headers a front end may read (besides the CORS-safelisted ones).
EXPOSED_HEADERS = "ETag, Retry-After"
# Seconds a browser may reuse a preflight's answer.
PREFLIGHT_MAX_AGE = 600


def is_head(request) -> bool:
    """Whether ``request`` is a ``HEAD`` answered as a ``GET`` (its operation runs
    with ``request.method == "GET"``)."""
    return request.__dict__.get("_pmolib_head", False)


def allowed_origin(request) -> str | None:
    """The request's ``Origin`` when ``API_CORS_ORIGINS`` lists it, else ``None``."""
    origin = request.headers.get("Origin")
    if origin and origin.lower() in pmolib_settings.API_CORS_ORIGINS:
        return origin
    return None


def _methods(view, request, args, kwargs) -> list[str]:
    """The methods the URL's operations take, read from django-ninja's 405 (asking
    with a method no operation declares runs none of them)."""
    method = request.method
    request.method = "OPTIONS"
    try:
        refused = view(request, *args, **kwargs)
    finally:
        request.method = method
    if refused.status_code != 405:  # not an operation: the schema or the docs page
        return ["GET", "HEAD"]
    methods = [m.strip() for m in refused.get("Allow", "").split(",") if m.strip()]
    if "GET" in methods:
        methods.append("HEAD")
    return sorted(methods)


def _not_allowed(request, methods) -> object:
    response = problem_response(
        405,
        _("The method %(method)s is not allowed here; use %(allowed)s.")
        % {"method": request.method, "allowed": ", ".join(methods)},
    )
    response["Allow"] = ", ".join([*methods, "OPTIONS"])
    return response


def _options(view, request, args, kwargs):
    methods = _methods(view, request, args, kwargs)
    origin = request.headers.get("Origin")
    asked = request.headers.get("Access-Control-Request-Method")
    if origin is None or asked is None:  # not a preflight: what may be asked here
        response = _empty(204)
        response["Allow"] = ", ".join([*methods, "OPTIONS"])
        return response
    if allowed_origin(request) is None:
        response = problem_response(
            403,
            _(
                "The origin %(origin)s may not call this API from a browser: it is not "
                "in WAGTAIL_PMOLIB['API_CORS_ORIGINS']."
            )
            % {"origin": origin},
        )
    elif asked not in methods:
        return _not_allowed(request, methods)
    else:
        response = _empty(204)
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = ", ".join(methods)
        wanted = request.headers.get("Access-Control-Request-Headers", "")
        headers = [h.strip().lower() for h in wanted.split(",") if h.strip()]
        granted = [h for h in headers if h in ALLOWED_HEADERS]
        if granted:
            response["Access-Control-Allow-Headers"] = ", ".join(granted)
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        if asked == "POST":
            response["Access-Control-Allow-Credentials"] = "true"
    patch_vary_headers(
        response, ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
    )
    return response


def _empty(status):
    response = HttpResponse(status=status)
    response["Cache-Control"] = "no-store"
    return response


def browser_view(view):
    """``view`` (one of django-ninja's) answering ``HEAD``, ``OPTIONS`` and CORS."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            return _options(view, request, args, kwargs)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
            request.__dict__["_pmolib_head"] = True
            try:
                response = view(request, *args, **kwargs)
            finally:
                request.method = "HEAD"
        else:
            response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type") != PROBLEM_JSON:
            # django-ninja's own 405 is plain text and does not name HEAD or OPTIONS.
            response = _not_allowed(request, _methods(view, request, args, kwargs))
        if head and not response.streaming:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        if pmolib_settings.API_CORS_ORIGINS:
            origin = allowed_origin(request)
            if origin is not None:
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
                if request.method == "POST":
                    response["Access-Control-Allow-Credentials"] = "true"
            patch_vary_headers(response, ("Origin",))
        return response

    return wrapper
