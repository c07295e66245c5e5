"""What the feedback section of a page shows."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.utils.translation import ngettext

from ..access.members import may_give_feedback
from ..conf import pmolib_settings
from ..fragment_cache import fragment_key, summary_read_with_keys
from .settings import settings_for_request
from .summary import Summary
from .votes import HONEYPOT_FIELD, parse_rating, summary_for


def star_choices():
    """``(value, "N stars")`` for the rating radios, in the active language."""
    return [(str(n), ngettext("%(n)s star", "%(n)s stars", n) % {"n": n}) for n in (1, 2, 3, 4, 5)]


def feedback_endpoint(page, request=None) -> str:
    """``{page.url}feedback/``: the address feedback is posted to."""
    url = page.get_url(request) or ""
    return f"{url}{page.FEEDBACK_ROUTE}/" if url else ""


def is_enabled(page, feedback_settings) -> bool:
    return bool(feedback_settings.enabled and getattr(page, "feedback_enabled", False))


def feedback_context(page, request, *, errors=None, values=None) -> dict:
    feedback_settings = settings_for_request(request)
    enabled = (
        is_enabled(page, feedback_settings)
        and page.pk is not None
        and may_give_feedback(request, page)
    )
    summary = _summary(page, request) if page.pk else None
    voted = low = False
    messages = _feedback_messages(request)
    for message in messages:
        voted = voted or "pmolib-voted" in message.tags
        low = low or "pmolib-low" in message.tags
    values = values or {}
    try:
        asked = parse_rating(values.get("rating"))  # the one rule: int() takes "٥" too
    except (TypeError, ValueError):
        asked = None
    cache_key = None
    if enabled and summary is not None and not messages and not errors and not values:
        base = fragment_key(page, request)
        if base:
            cache_key = ":".join(
                [base, "feedback", summary.cache_token, feedback_settings.fingerprint]
            )
    return {
        "cache_key": cache_key,
        "enabled": enabled,
        "settings": feedback_settings,
        "question": feedback_settings.text("question"),
        "share_heading": feedback_settings.text("share_heading"),
        "comment_label": feedback_settings.text("comment_label"),
        "thank_you": feedback_settings.text("thank_you"),
        "summary": summary,
        "show_distribution": bool(summary)
        and summary.count >= feedback_settings.min_ratings_for_distribution,
        # Callables: evaluated by the template only when the section is rendered,
        # not when it comes from the cache.
        "action": lambda: feedback_endpoint(page, request),
        "comment_ratings": " ".join(map(str, feedback_settings.comment_ratings())),
        "comment_required": feedback_settings.comment_required_after_low_rating,
        "show_comment": bool(errors)
        or feedback_settings.comment_wanted(rating=asked, voted=voted, low=low),
        "comment_max_length": pmolib_settings.COMMENT_MAX_LENGTH,
        "honeypot_field": HONEYPOT_FIELD,
        "errors": errors or {},
        "values": values,
        "star_choices": star_choices,
        "just_voted": voted,
        "messages": messages,
    }


def _summary(page, request) -> Summary:
    """The page's rating summary: read with the article's cache keys when the
    article is cached (no query of its own), else from its row."""
    read, row = summary_read_with_keys(page, request)
    return Summary.from_model(row) if read else summary_for(page.pk)


def _feedback_messages(request):
    """This visitor's feedback messages (left for the template to show too)."""
    if request is None or not hasattr(request, "_messages"):
        return []
    return [m for m in get_messages(request) if "pmolib-feedback" in m.tags]
