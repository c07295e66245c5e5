"""``/sessions/{id}/rating/`` and ``/sessions/{id}/feedback/``: a session's rating
summary, and a visitor's rating and comment.

Posting goes through ``views.process_feedback``, the very function behind the
page's ``POST {page.url}feedback/``: the same size limit, origin check, rate
limits (shared across processes through Django's cache), honeypot and bot
answers, spam rules and per-field errors. Only the format of the answer
differs: problem details naming the field instead of the page's HTML or JSON.
Browsers of other origins may post only from ``API_CORS_ORIGINS``.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router

from ...access import visibility_for
from ...conf import pmolib_settings
from ...feedback import identity, votes
from ...models import SessionPage
from ...views import process_feedback
from ..errors import ProblemDetails, problem_response
from ..params import WholeNumber
from ..schemas import FeedbackReceived, Rating
from .common import answers, get_visible

router = Router(tags=["ratings"])


def _session(request, pk):
    return get_visible(visibility_for(request).pages(SessionPage), pk, _("session"))


@router.get(
    "/{id}/rating/",
    response=answers(Rating),
    url_name="pmolib_session_rating",
    operation_id="pmolib_session_rating",
    summary=gettext_lazy("A session's ratings: count, average, Bayesian average, stars"),
)
def get_rating(request, id: WholeNumber):
    session = _session(request, id)
    return session.rating_summary(votes.summary_for(session.pk))


def _body_schema() -> dict:
    """What the body may hold, as the feedback form's rules read it (``votes.parse``):
    the schema accepts what those rules accept, so that a client generated from it
    never sends what is refused for its shape. A body of the right shape may still
    be refused by the site's rules (a comment before any rating, a low rating
    without the comment the site asks for, a comment too long): 400 naming the field."""
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "rating": {
                            "anyOf": [
                                {"type": "integer", "minimum": 1, "maximum": 5},
                                # As a form sends it; "" is no rating.
                                {"type": "string", "pattern": r"^(|[ \t\r\n]*[1-5][ \t\r\n]*)$"},
                                {"type": "null"},
                            ],
                            "description": "Stars, 1 to 5. Leave it out to comment on the "
                            "rating sent before.",
                        },
                        "comment": {
                            "type": ["string", "null"],
                            "description": "How the session could be better: at most "
                            "COMMENT_MAX_LENGTH characters (2000 by default) once blanks "
                            "around it are trimmed.",
                        },
                    },
                    "minProperties": 1,
                },
                "example": {"rating": 5, "comment": "Clear and useful."},
            }
        },
    }


FEEDBACK_ANSWERS = {
    200: FeedbackReceived,
    **dict.fromkeys((400, 403, 404, 413, 429, 503), ProblemDetails),
}


@router.post(
    "/{id}/feedback/",
    response=FEEDBACK_ANSWERS,
    url_name="pmolib_session_feedback",
    operation_id="pmolib_session_feedback",
    summary=gettext_lazy("Rate a session and/or comment on it"),
    description=gettext_lazy(
        "The rules of the page's feedback form: one rating per visitor (sending "
        "again replaces it), rate limits per visitor and per address (429 with "
        "Retry-After), a comment of at most COMMENT_MAX_LENGTH characters, and, "
        "when the site asks for it, a comment after a low rating. A 400 names each "
        "field that was wrong (rating, comment, or body). Browsers of other "
        "origins may post only from WAGTAIL_PMOLIB['API_CORS_ORIGINS'] (403)."
    ),
    openapi_extra={"requestBody": _body_schema()},
)
def post_feedback(request, id: WholeNumber, response: HttpResponse):
    session = _session(request, id)
    answer = process_feedback(request, session, allowed_origins=pmolib_settings.API_CORS_ORIGINS)
    if not answer.ok:
        errors = [
            {"detail": message, "parameter": name, "location": "body"}
            for name, message in (answer.field_errors or {}).items()
        ]
        detail = " ".join(dict.fromkeys([answer.message, *(e["detail"] for e in errors)]))
        failed = problem_response(answer.status, detail, errors)
        for name, value in answer.headers.items():
            failed[name] = value
        return failed
    response["Cache-Control"] = "no-store"
    identity.set_visitor_cookie(response, request, answer.visitor)
    return {
        "message": answer.message,
        "rating": answer.rating,
        "show_comment": answer.settings.comment_wanted(rating=answer.rating, voted=True),
        "summary": session.rating_summary(answer.summary),
    }
