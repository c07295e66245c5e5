"""Validating and recording feedback, with the page's summary kept exact.

The feedback endpoint (its HTML and JSON answers alike) calls ``parse`` and
``submit``; the summary on pages and in JSON comes from ``summary_for``.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import pmolib_settings
from ..database import is_busy
from ..models import Feedback, FeedbackStatus, RatingSummary
from .summary import STARS, Summary

HONEYPOT_FIELD = "website"


class FeedbackError(Exception):
    """Invalid feedback: ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class FeedbackUnavailable(Exception):
    """The database stayed locked by other writers past its busy timeout: nothing
    was stored, and the same submission may be sent again in ``retry_after`` seconds."""

    retry_after = 5


@dataclass
class Submission:
    rating: int | None
    comment: str
    honeypot: bool = False


def _parse_rating(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        rating = value
    elif isinstance(value, str) and value.strip().isdigit():
        rating = int(value.strip())
    else:
        raise ValueError
    if rating not in STARS:
        raise ValueError
    return rating


def parse(data, feedback_settings) -> Submission:
    """Check the submitted fields. Raises ``FeedbackError`` naming each bad field.

    ``data`` is a dict of field → value (a form's ``QueryDict`` or decoded JSON).
    """
    errors = {}
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        return Submission(rating=None, comment="", honeypot=True)
    rating = None
    try:
        rating = _parse_rating(data.get("rating"))
    except (ValueError, TypeError):
        errors["rating"] = _("Choose a rating: a whole number of stars from 1 to 5.")
    comment = data.get("comment", "")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = _("The comment must be text.")
        comment = ""
    comment = comment.replace("\x00", "").strip()
    limit = pmolib_settings.COMMENT_MAX_LENGTH
    if len(comment) > limit:
        errors["comment"] = _(
            "Keep the comment to %(limit)s characters or fewer (it has %(length)s)."
        ) % {"limit": limit, "length": len(comment)}
    if (
        "rating" not in errors
        and "comment" not in errors
        and feedback_settings.comment_required_after_low_rating
        and feedback_settings.is_low(rating)
        and not comment
    ):
        errors["comment"] = _("Please tell us how we can improve this article.")
    if not errors and rating is None and not comment:
        errors["rating"] = _("Choose a rating from 1 to 5 stars.")
    if errors:
        raise FeedbackError(errors)
    return Submission(rating=rating, comment=comment)


def _lock_summary(page_id):
    RatingSummary.objects.get_or_create(
        page_id=page_id, defaults={"period_started_at": timezone.now()}
    )
    return RatingSummary.objects.select_for_update().get(page_id=page_id)


def submit(page, visitor, submission: Submission, feedback_settings):
    """Store a submission; returns the page's fresh ``Summary``.

    The visitor's earlier rating in this period is replaced, never counted
    twice; the summary row is locked and changed in the same transaction, so it
    always equals a recount of the stored votes. Raises ``FeedbackUnavailable``
    when the database stays locked past its timeout (the transaction is rolled
    back: nothing is stored).
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _submit(page, visitor, submission, feedback_settings)
        except IntegrityError:
            # Two submissions from one visitor raced to create their row (a
            # database without row locks): the retry finds the row and updates it.
            if attempt == 2:
                raise
        except OperationalError as exc:
            if is_busy(exc):
                raise FeedbackUnavailable from exc
            raise
    raise AssertionError("unreachable")


def _submit(page, visitor, submission, feedback_settings):
    summary = _lock_summary(page.pk)
    existing = (
        Feedback.objects.select_for_update()
        .filter(page_id=page.pk, period=summary.period, visitor=visitor.key)
        .first()
    )
    rating, comment = submission.rating, submission.comment
    if (
        rating is None
        and feedback_settings.comment_needs_vote()
        and (existing is None or existing.rating is None)
    ):
        raise FeedbackError({"rating": _("Rate the article before you comment on it.")})
    old = existing.rating if existing is not None else None
    counted_before = old is not None and existing.status != FeedbackStatus.SPAM
    if existing is None:
        Feedback.objects.create(
            page_id=page.pk,
            period=summary.period,
            visitor=visitor.key,
            user_id=visitor.user_id,
            rating=rating,
            comment=comment,
        )
    else:
        # A queryset update: no post_save, so no recount (the delta below is exact).
        changed = {"updated_at": timezone.now()}
        if rating is not None:
            changed["rating"] = rating
        if comment:
            changed["comment"] = comment
            changed["status"] = existing.status = FeedbackStatus.NEW
        Feedback.objects.filter(pk=existing.pk).update(**changed)
    new = rating if rating is not None else old
    counted_after = new is not None and (existing is None or existing.status != FeedbackStatus.SPAM)
    changes = {}
    if counted_before:
        changes[f"stars_{old}"] = -1
        changes["count"] = -1
        changes["total"] = -old
    if counted_after:
        changes[f"stars_{new}"] = changes.get(f"stars_{new}", 0) + 1
        changes["count"] = changes.get("count", 0) + 1
        changes["total"] = changes.get("total", 0) + new
    changes = {name: delta for name, delta in changes.items() if delta}
    if changes:
        RatingSummary.objects.filter(page_id=page.pk).update(
            **{name: F(name) + delta for name, delta in changes.items()}
        )
    summary.refresh_from_db()
    return Summary.from_model(summary)


_deferred_recounts: contextvars.ContextVar[set | None] = contextvars.ContextVar(
    "pmolib_deferred_recounts", default=None
)


@contextlib.contextmanager
def deferred_recounts():
    """Recount each touched page once at the end, not once per changed row
    (bulk deletes, purges, bulk status changes)."""
    pages: set = set()
    token = _deferred_recounts.set(pages)
    try:
        yield pages
    finally:
        _deferred_recounts.reset(token)
    for page_id in pages:
        recount(page_id)


def request_recount(page_id):
    """Recount now, or at the end of the surrounding ``deferred_recounts()``."""
    pages = _deferred_recounts.get()
    if pages is None:
        recount(page_id)
    else:
        pages.add(page_id)


# The condition a vote meets to count in its page's ratings: a rating, not spam,
# in the page's current rating period (the period of its ``RatingSummary``: a page
# without one shows no ratings). What the summary holds, and what pages are
# ranked by (``summary.bayesian_average``: "Top rated", the ratings report).
COUNTED_VOTE = Q(rating__isnull=False, period=F("page__pmolib_rating_summary__period")) & ~Q(
    status=FeedbackStatus.SPAM
)


def recount(page_id) -> Summary:
    """Rebuild a page's stored summary from its votes in the current period."""
    with transaction.atomic():
        summary = _lock_summary(page_id)
        counted = Feedback.objects.filter(COUNTED_VOTE, page_id=page_id)
        figures = counted.aggregate(
            count=Count("pk"),
            total=Sum("rating"),
            **{f"stars_{n}": Count("pk", filter=Q(rating=n)) for n in STARS},
        )
        figures["total"] = figures["total"] or 0
        for name, value in figures.items():
            setattr(summary, name, value)
        summary.save()
    return Summary.from_model(summary)


def reset_ratings(page_id) -> int:
    """Start a new rating period: the public summary restarts, old votes stay."""

    with transaction.atomic():
        summary = _lock_summary(page_id)
        summary.period += 1
        summary.period_started_at = timezone.now()
        summary.count = summary.total = 0
        for n in STARS:
            setattr(summary, f"stars_{n}", 0)
        summary.save()
        return summary.period


def summary_for(page_id) -> Summary:
    """A page's current summary: one row from the database.

    Not cached: with a per-process cache, another process's vote would not show;
    the fragment cache keys the rendered section with the figures instead."""
    return Summary.from_model(RatingSummary.objects.filter(page_id=page_id).first())
