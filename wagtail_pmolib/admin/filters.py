"""Filters for the feedback listing and the ratings report."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from ..models import Feedback, FeedbackStatus
from ..models.feedback import RATING_CHOICES


def pages_with_feedback(request):
    """The choices of the page filter: only pages that have feedback, by title."""
    page_model = Feedback._meta.get_field("page").related_model
    return page_model.objects.filter(pk__in=Feedback.objects.order_by().values("page_id")).order_by(
        "title", "pk"
    )


class FeedbackFilterSet(WagtailFilterSet):
    page = django_filters.ModelChoiceFilter(
        label=_("Page"), queryset=pages_with_feedback, empty_label=_("All pages")
    )
    rating = django_filters.ChoiceFilter(
        label=_("Rating"),
        choices=RATING_CHOICES,
        empty_label=_("Any"),
        null_label=_("No rating"),
        widget=forms.RadioSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=FeedbackStatus.choices,
        empty_label=_("Any"),
        widget=forms.RadioSelect,
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Created"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Feedback
        fields = ["page", "rating", "status", "created_at"]


class RatingsReportFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Date range"),
        widget=DateRangePickerWidget,
        help_text=_("Counts the feedback given between these dates, inclusive."),
    )

    class Meta:
        model = Feedback
        fields = ["created_at"]
