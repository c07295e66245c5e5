"""The library's admin URLs, mounted by ``wagtail_hooks`` under the namespace
``wagtail_pmolib_admin`` (Wagtail requires admin access for every one)."""

from django.urls import path

from .reports import SessionRatingsReportView
from .search_reports import (
    NoResultSearchesReportView,
    PopularSearchesReportView,
    hide_search_view,
)
from .views import ResetRatingsView


def report_urls(route, view, name):
    """A report's page and its results-only URL (used by its filters)."""
    return [
        path(f"reports/{route}/", view.as_view(), name=name),
        path(f"reports/{route}/results/", view.as_view(results_only=True), name=f"{name}_results"),
    ]


urlpatterns = [
    *report_urls("session-ratings", SessionRatingsReportView, "session_ratings"),
    *report_urls("popular-searches", PopularSearchesReportView, "popular_searches"),
    *report_urls("searches-with-no-results", NoResultSearchesReportView, "no_result_searches"),
    path("reports/popular-searches/hide/", hide_search_view, name="hide_search"),
    path("pages/<int:page_id>/reset-ratings/", ResetRatingsView.as_view(), name="reset_ratings"),
]
