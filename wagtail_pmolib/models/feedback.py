"""Visitor feedback: ratings and comments, and the stored per-page summary."""

from __future__ import annotations

import swapper
from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

from ..conf import pmolib_settings

PAGE_MODEL = swapper.get_model_name("wagtailcore", "Page")


def comment_max_length():
    return pmolib_settings.COMMENT_MAX_LENGTH


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("New")
    REVIEWED = "reviewed", _("Reviewed")
    ACTIONED = "actioned", _("Actioned")
    SPAM = "spam", _("Spam")


RATING_CHOICES = [(n, _("%(n)s stars") % {"n": n} if n > 1 else _("1 star")) for n in range(1, 6)]


class Feedback(models.Model):
    """One visitor's rating and/or comment on one page, in one rating period.

    A visitor has at most one row per page and period: a second rating replaces
    the first, a new comment replaces the last. The visitor is kept only as a
    keyed hash (see ``wagtail_pmolib.feedback.identity``): no IP address, user
    agent or cookie value is stored.

    Not in Wagtail's search index: the admins search comments with the
    database, and indexing would cost every vote several queries.
    """

    page = models.ForeignKey(
        PAGE_MODEL, verbose_name=_("page"), on_delete=models.CASCADE, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        choices=RATING_CHOICES,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(
        _("comment"), blank=True, validators=[MaxLengthValidator(comment_max_length)]
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FeedbackStatus.choices,
        default=FeedbackStatus.NEW,
        db_index=True,
    )
    period = models.PositiveIntegerField(
        _("rating period"),
        default=1,
        help_text=_("Ratings count towards a page's summary only in its current period."),
    )
    visitor = models.CharField(_("visitor"), max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    panels = [
        FieldPanel("page", read_only=True),
        FieldPanel("created_at", read_only=True),
        FieldPanel("status"),
        FieldPanel("rating", read_only=True),
        FieldPanel("comment", read_only=True),
    ]

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "period", "visitor"], name="pmolib_one_feedback_per_visitor"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="pmolib_rating_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["page", "period"], name="pmolib_feedback_page_period")]

    def __str__(self):
        # Named as editors know it: "2★ on “Step up – …”, 30 November 2026", in
        # the edit view's title, its messages and the history.
        what = _("%(n)s★") % {"n": self.rating} if self.rating else _("Comment")
        page = self.page.get_admin_display_title() if self.page_id else ""
        when = date_format(timezone.localtime(self.created_at), "j F Y") if self.created_at else ""
        return _("%(what)s on “%(page)s”, %(when)s") % {"what": what, "page": page, "when": when}


class RatingSummary(models.Model):
    """A page's rating summary for its current period, kept up to date with each vote.

    Reading it costs one row whatever the number of votes; it is changed only
    inside the transaction that changes a vote, with the row locked, so it
    never drifts from the stored votes (``wagtail_pmolib.feedback.votes``).
    """

    page = models.OneToOneField(
        PAGE_MODEL,
        verbose_name=_("page"),
        on_delete=models.CASCADE,
        related_name="pmolib_rating_summary",
        primary_key=True,
    )
    period = models.PositiveIntegerField(_("rating period"), default=1)
    count = models.PositiveIntegerField(_("ratings"), default=0)
    total = models.PositiveIntegerField(_("sum of ratings"), default=0)
    stars_1 = models.PositiveIntegerField(default=0)
    stars_2 = models.PositiveIntegerField(default=0)
    stars_3 = models.PositiveIntegerField(default=0)
    stars_4 = models.PositiveIntegerField(default=0)
    stars_5 = models.PositiveIntegerField(default=0)
    period_started_at = models.DateTimeField(_("period started"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating summary")
        verbose_name_plural = _("rating summaries")

    def __str__(self):
        return f"{self.page_id}: {self.count}"

    def star_counts(self) -> dict[int, int]:
        return {n: getattr(self, f"stars_{n}") for n in range(1, 6)}


def ratings_below(page) -> tuple[int, int]:
    """``(count, total)`` of the counted ratings of the pages below ``page`` (one
    query): the figures of a library's Bayesian prior, as its "Top rated" order
    reads them (``search/facets.py``)."""
    figures = RatingSummary.objects.filter(
        page__path__startswith=page.path, page__depth__gt=page.depth, count__gt=0
    ).aggregate(count=models.Sum("count"), total=models.Sum("total"))
    return figures["count"] or 0, figures["total"] or 0
