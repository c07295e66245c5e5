"""Validating and recording feedback, with the page's summary kept exact.

The feedback endpoint (its HTML and JSON answers alike) calls ``parse`` and
``submit`` (or ``preview`` for what is answered but not counted); the summary
on pages and in JSON comes from ``summary_for``.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import pmolib_settings
from ..database import is_busy
from ..models import Feedback, FeedbackStatus, RatingSummary
from . import throttle
from .summary import STARS, Summary

HONEYPOT_FIELD = "website"
# The fields a submission is read from; anything else in a body is ignored.
FIELDS = ("rating", "comment", HONEYPOT_FIELD)

# Only ASCII digits: int() and str.isdigit() take "٥" (Arabic-Indic) or "５"
# (fullwidth) for 5 as well. ASCII blanks around the digit are allowed.
RATING_RE = re.compile(r"[ \t\r\n]*([1-5])[ \t\r\n]*")
# Removed from comments: control characters a visitor cannot see in what they
# pasted. NUL is refused by PostgreSQL in text, the others by XLSX exports.
# Tab and line breaks stay.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Half of a UTF-16 pair on its own: JSON can escape one ("\ud800"), but it is no
# text, and neither database nor UTF-8 can hold it.
SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


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
    # The hidden field people leave empty was filled in: answered like a vote,
    # never stored (``preview``).
    honeypot: bool = False


def max_body_bytes() -> int:
    """The largest request body a valid submission needs: a comment of
    ``COMMENT_MAX_LENGTH`` characters at 12 bytes each (a character outside the
    BMP is ``\\ud83d\\ude00`` in JSON, ``%F0%9F%98%80`` in a form), plus room for
    the other fields. Anything larger is refused before it is read."""
    return 12 * pmolib_settings.COMMENT_MAX_LENGTH + 4096


def parse_rating(value) -> int | None:
    """The rating ``value`` holds: None when empty; 1–5 from an int or ASCII
    digits; ``ValueError`` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        rating = value
    elif isinstance(value, str) and (match := RATING_RE.fullmatch(value)):
        rating = int(match[1])
    else:
        raise ValueError(value)
    if rating not in STARS:
        raise ValueError(value)
    return rating


def parse(data, feedback_settings) -> Submission:
    """Check the submitted fields. Raises ``FeedbackError`` naming each bad field.

    ``data`` is a dict of field → value (a form's fields or decoded JSON). A
    filled-in honeypot is checked like any submission (a bot must not learn
    from a different answer that it fell into the trap) and only flagged.
    """
    errors = {}
    rating = None
    try:
        rating = parse_rating(data.get("rating"))
    except (ValueError, TypeError):
        errors["rating"] = _("Choose a rating: a whole number of stars from 1 to 5.")
    comment = data.get("comment", "")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = _("The comment must be text.")
        comment = ""
    elif SURROGATE_RE.search(comment):
        errors["comment"] = _(
            "The comment is not valid text: it contains half of a UTF-16 surrogate pair."
        )
        comment = ""
    comment = CONTROL_RE.sub("", comment).strip()
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
    honeypot = bool(str(data.get(HONEYPOT_FIELD) or "").strip())
    return Submission(rating=rating, comment=comment, honeypot=honeypot)


def _lock_summary(page_id):
    RatingSummary.objects.get_or_create(
        page_id=page_id, defaults={"period_started_at": timezone.now()}
    )
    return RatingSummary.objects.select_for_update().get(page_id=page_id)


@dataclass
class _Plan:
    """What a submission does to the visitor's row and to the page's summary."""

    status: str  # the row's status afterwards
    old: int | None
    counted_before: bool
    new: int | None
    counted_after: bool

    @property
    def starts_counting(self) -> bool:
        return self.counted_after and not self.counted_before

    def changes(self) -> dict[str, int]:
        """Summary field → delta."""
        changes = {}
        if self.counted_before:
            changes[f"stars_{self.old}"] = -1
            changes["count"] = -1
            changes["total"] = -self.old
        if self.counted_after:
            changes[f"stars_{self.new}"] = changes.get(f"stars_{self.new}", 0) + 1
            changes["count"] = changes.get("count", 0) + 1
            changes["total"] = changes.get("total", 0) + self.new
        return {name: delta for name, delta in changes.items() if delta}


def _was_excluded(page, visitor) -> bool:
    """Whether an editor marked this visitor's feedback on ``page`` as spam in an
    earlier rating period: a reset does not let them back in."""
    return Feedback.objects.filter(
        page_id=page.pk, visitor=visitor.key, status=FeedbackStatus.SPAM
    ).exists()


def _plan(page, visitor, existing, submission, feedback_settings) -> _Plan:
    rating, comment = submission.rating, submission.comment
    if (
        rating is None
        and feedback_settings.comment_needs_vote()
        and (existing is None or existing.rating is None)
    ):
        raise FeedbackError({"rating": _("Rate the article before you comment on it.")})
    if existing is None:
        old, status = None, FeedbackStatus.NEW
        if _was_excluded(page, visitor):
            status = FeedbackStatus.SPAM
    else:
        old, status = existing.rating, existing.status
        # Spam stays spam until an editor changes it: posting again (a new
        # rating, a new comment) never lets an excluded visitor count again.
        if comment and status != FeedbackStatus.SPAM:
            status = FeedbackStatus.NEW  # a new comment to read
    new = rating if rating is not None else old
    return _Plan(
        status=status,
        old=old,
        counted_before=old is not None and existing.status != FeedbackStatus.SPAM,
        new=new,
        counted_after=new is not None and status != FeedbackStatus.SPAM,
    )


def _count_new_vote(page, visitor, plan):
    # Signed-in visitors are counted by account; the others are limited per
    # address too, since a new user agent or no cookie makes a new visitor.
    if plan.starts_counting and visitor.user_id is None and visitor.address:
        throttle.count_page_vote(page.pk, visitor.address)


def submit(page, visitor, submission: Submission, feedback_settings):
    """Store a submission; returns the page's fresh ``Summary``.

    The visitor's earlier rating in this period is replaced, never counted
    twice; the summary row is locked and changed in the same transaction, so it
    always equals a recount of the stored votes. Raises ``FeedbackError`` (a
    comment without the vote the settings ask for), ``throttle.Throttled`` (too
    many new ratings on this page from the visitor's address) and
    ``FeedbackUnavailable`` (the database stayed locked past its timeout); then
    the transaction is rolled back: nothing is stored.
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
    plan = _plan(page, visitor, existing, submission, feedback_settings)
    _count_new_vote(page, visitor, plan)
    rating, comment = submission.rating, submission.comment
    if existing is None:
        Feedback.objects.create(
            page_id=page.pk,
            period=summary.period,
            visitor=visitor.key,
            user_id=visitor.user_id,
            rating=rating,
            comment=comment,
            status=plan.status,
        )
    else:
        # A queryset update: no post_save, so no recount (the delta below is exact).
        changed = {"updated_at": timezone.now()}
        if plan.status != existing.status:
            changed["status"] = plan.status
        if rating is not None:
            changed["rating"] = rating
        if comment:
            changed["comment"] = comment
        Feedback.objects.filter(pk=existing.pk).update(**changed)
    changes = plan.changes()
    if changes:
        RatingSummary.objects.filter(page_id=page.pk).update(
            **{name: F(name) + delta for name, delta in changes.items()}
        )
    summary.refresh_from_db()
    return Summary.from_model(summary)


def preview(page, visitor, submission: Submission, feedback_settings) -> Summary:
    """The summary ``submit`` would answer with, storing nothing.

    For submissions that are answered but not counted (a filled-in honeypot, a
    known bot): the same checks, errors and limits as ``submit``, and a summary
    with the rating in it, so the answer cannot be told from a counted vote's.
    Reads without locking.
    """
    stored = RatingSummary.objects.filter(page_id=page.pk).first()
    period = stored.period if stored is not None else 1
    existing = Feedback.objects.filter(page_id=page.pk, period=period, visitor=visitor.key).first()
    plan = _plan(page, visitor, existing, submission, feedback_settings)
    _count_new_vote(page, visitor, plan)
    summary = Summary.from_model(stored)
    for name, delta in plan.changes().items():
        if name.startswith("stars_"):
            star = int(name.removeprefix("stars_"))
            summary.stars[star] = summary.stars.get(star, 0) + delta
        else:
            setattr(summary, name, getattr(summary, name) + delta)
    return summary


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
