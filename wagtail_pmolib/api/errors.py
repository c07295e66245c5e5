"""Errors as ``application/problem+json`` (RFC 9457), each naming what was wrong.

``Problem`` is what the API's views raise: a status, a sentence for people and
the request parameter it is about. It is a django-ninja ``HttpError``, so a host
that mounts the routers in another ninja API (Wagtail's API v3) still answers
with its status and sentence. The handlers here turn ninja's own validation
errors (a word where a number belongs, a missing parameter) into the same shape.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Literal

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

PROBLEM_JSON = "application/problem+json"


class ParameterError(Schema):
    detail: str
    parameter: str
    # Where the parameter is, as OpenAPI names it ("body": a field of the request body).
    location: Literal["query", "path", "body"]


class ProblemDetails(Schema):
    """RFC 9457 problem details: ``errors`` lists each parameter that was wrong."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ParameterError] = []


class Problem(HttpError):
    """An answer other than success: ``status``, ``detail`` (a sentence) and,
    when it is about one, the ``parameter`` and where it is (``location``)."""

    def __init__(self, status: int, detail: str, parameter: str = "", location: str = "query"):
        super().__init__(status, detail)
        self.detail = detail
        self.errors = (
            [{"detail": detail, "parameter": parameter, "location": location}] if parameter else []
        )


def problem_response(status: int, detail: str, errors=()) -> HttpResponse:
    body = ProblemDetails(
        type="about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=list(errors),
    )
    response = HttpResponse(body.model_dump_json(), status=status, content_type=PROBLEM_JSON)
    # An error is cheap to answer again and may stop being one (a page published).
    response["Cache-Control"] = "no-store"
    return response


def _parameter_message(error: dict) -> tuple[str, str, str]:
    """``(sentence, parameter, location)`` for one of ninja's validation errors."""
    loc = [str(part) for part in error.get("loc", ())]
    location = "path" if loc and loc[0] == "path" else "query"
    # ("query", "page"), or ("query", <schema>, "page") for a schema's field, with
    # the position of a value in a list after it (("query", "speaker", "0")).
    names = [part for part in loc[1:] if not part.isdigit()]
    parameter = names[-1] if names else (loc[0] if loc else "")
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if location == "path":
        name = _("The path parameter “%(name)s”") % {"name": parameter}
    else:
        name = _("The query parameter “%(name)s”") % {"name": parameter}
    if kind == "missing":
        reason = _("is required")
    elif kind == "value_error" and "error" in context:
        reason = str(context["error"])
    elif kind in ("greater_than_equal", "greater_than"):
        reason = _("must be at least %(limit)s") % {"limit": context.get("ge", context.get("gt"))}
    elif kind in ("less_than_equal", "less_than"):
        reason = _("must be at most %(limit)s") % {"limit": context.get("le", context.get("lt"))}
    elif kind == "bool_parsing":
        reason = _("must be true or false")
    elif kind == "string_too_long":
        reason = _("must be at most %(limit)s characters long") % {
            "limit": context.get("max_length")
        }
    elif kind == "string_pattern_mismatch" and parameter == "path":
        reason = _(
            "must be an address on this site, starting with “/”, such as /library/2021/talk/"
        )
    elif kind == "too_long":
        reason = _("may be given at most %(limit)s times") % {"limit": context.get("max_length")}
    elif kind == "literal_error":
        reason = _("must be one of %(expected)s") % {"expected": context.get("expected")}
    elif kind == "string_too_short":
        reason = _("must not be empty")
    else:
        reason = _("is not valid (%(reason)s)") % {"reason": error.get("msg", kind)}
    return f"{name} {reason}.", parameter, location


def register_error_handlers(api) -> None:
    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc):
        errors = []
        for error in exc.errors:
            sentence, parameter, location = _parameter_message(error)
            errors.append({"detail": sentence, "parameter": parameter, "location": location})
        detail = " ".join(e["detail"] for e in errors) or _("The request is not valid.")
        return problem_response(400, detail, errors)

    @api.exception_handler(Problem)
    def problem(request, exc):
        return problem_response(exc.status_code, exc.detail, exc.errors)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return problem_response(exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def not_found_error(request, exc):
        return problem_response(404, str(exc) or _("Not found."))
