"""The "Session ratings" report: every rated page, ranked by Bayesian average."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView

from ..feedback.summary import STARS, bayesian_average, percentages, rating_prior
from ..feedback.votes import COUNTED_VOTE
from ..models import Feedback, FeedbackStatus
from ..models.panels import feedback_listing_url
from ..models.permissions import can_view_feedback
from .exports import SafeSpreadsheetExportMixin
from .filters import RatingsReportFilterSet


@dataclass
class PageRatings:
    """One page's figures in the report."""

    page_id: int
    count: int
    total: int
    stars: dict[int, int]
    comments: int
    bayesian_average: float | None = None
    page: object = None
    percents: dict[int, int] = field(init=False)

    def __post_init__(self):
        self.percents = percentages(self.stars)
        for n in STARS:
            setattr(self, f"stars_{n}", self.stars[n])
            setattr(self, f"percent_{n}", self.percents[n])

    @property
    def pk(self):
        return self.page_id

    @property
    def title(self) -> str:
        if self.page is None:
            return _("Page %(id)s") % {"id": self.page_id}
        return self.page.get_admin_display_title()

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def average_rounded(self) -> float | None:
        return None if self.average is None else round(self.average, 2)

    @property
    def bayesian_rounded(self) -> float | None:
        return None if self.bayesian_average is None else round(self.bayesian_average, 2)


def session_ratings(feedback) -> list[PageRatings]:
    """Figures for every page with at least one counted vote in ``feedback``.

    ``feedback`` is a ``Feedback`` queryset (already narrowed, e.g. to a date
    range). Pages are ranked as the library's "Top rated" sort ranks them
    (``feedback.summary``): a page's votes in its current rating period (after
    "Reset ratings", the old votes stay in the feedback listing but count here no
    more), spam nowhere, by Bayesian average with the mean of all the counted
    votes here as the prior; best first (ties: more ratings first). One
    aggregate query grouped by page.
    """
    grouped = (
        feedback.exclude(status=FeedbackStatus.SPAM)
        .order_by()
        .values("page_id")
        .annotate(
            count=Count("pk", filter=COUNTED_VOTE),
            total=Sum("rating", filter=COUNTED_VOTE),
            comments=Count("pk", filter=~Q(comment="")),
            **{f"stars_{n}": Count("pk", filter=COUNTED_VOTE & Q(rating=n)) for n in STARS},
        )
        .filter(count__gt=0)
    )
    rows = [
        PageRatings(
            page_id=row["page_id"],
            count=row["count"],
            total=row["total"] or 0,
            stars={n: row[f"stars_{n}"] for n in STARS},
            comments=row["comments"],
        )
        for row in grouped
    ]
    prior = rating_prior(sum(row.count for row in rows), sum(row.total for row in rows))
    for row in rows:
        row.bayesian_average = bayesian_average(row.count, row.total, prior)
    rows.sort(key=lambda row: (-row.bayesian_average, -row.count, row.page_id))
    return rows


def attach_pages(rows: list[PageRatings]) -> list[PageRatings]:
    """Give each row its page (for the title), in one query."""
    page_model = Feedback._meta.get_field("page").related_model
    pages = page_model.objects.only("title", "draft_title").in_bulk([row.page_id for row in rows])
    for row in rows:
        row.page = pages.get(row.page_id)
    return rows


def _decimal(value):
    # Rounded first: number_format cuts off digits of a float instead of rounding.
    return "" if value is None else number_format(round(value, 2), 2)


def _stars_cell(n):
    def value(row):
        return f"{row.stars[n]} ({row.percents[n]}%)"

    return value


class SessionRatingsReportView(SafeSpreadsheetExportMixin, ReportView):
    page_title = _("Session ratings")
    header_icon = "table"
    index_url_name = "wagtail_pmolib_admin:session_ratings"
    index_results_url_name = "wagtail_pmolib_admin:session_ratings_results"
    filterset_class = RatingsReportFilterSet
    export_filename = "session-ratings"
    verbose_name_plural = _("rated pages")
    list_export = [
        "title",
        "page_id",
        "count",
        "average_rounded",
        "bayesian_rounded",
        *(f"{kind}_{n}" for n in STARS for kind in ("stars", "percent")),
        "comments",
    ]
    export_headings = {
        "title": _("Page"),
        "page_id": _("Page ID"),
        "count": _("Ratings"),
        "average_rounded": _("Average"),
        "bayesian_rounded": _("Bayesian average"),
        **{f"stars_{n}": ngettext_lazy("%(n)s star", "%(n)s stars", "n") % {"n": n} for n in STARS},
        **{
            f"percent_{n}": ngettext_lazy("%(n)s star (%%)", "%(n)s stars (%%)", "n") % {"n": n}
            for n in STARS
        },
        "comments": _("Comments"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_view_feedback(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Page"),
                get_url=lambda row: feedback_listing_url(row.page_id),
            ),
            Column("count", label=_("Ratings")),
            Column("average", label=_("Average"), accessor=lambda row: _decimal(row.average)),
            Column(
                "bayesian_average",
                label=_("Bayesian average"),
                accessor=lambda row: _decimal(row.bayesian_average),
            ),
            *(
                Column(
                    f"stars_{n}",
                    label=ngettext_lazy("%(n)s star", "%(n)s stars", "n") % {"n": n},
                    accessor=_stars_cell(n),
                )
                for n in STARS
            ),
            Column("comments", label=_("Comments")),
        ]

    def get_queryset(self):
        return session_ratings(self.filter_queryset(Feedback.objects.all()))

    def get_filtered_queryset(self):
        # ``get_queryset`` filters the votes before grouping them by page.
        return self.get_queryset()

    def decorate_paginated_queryset(self, object_list):
        return attach_pages(list(object_list))
