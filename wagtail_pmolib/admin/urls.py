"""The library's admin URLs, mounted by ``wagtail_hooks`` under the namespace
``wagtail_pmolib_admin`` (Wagtail requires admin access for every one)."""

from django.urls import path

from .reports import SessionRatingsReportView
from .search_reports import NoResultSearchesReportView, PopularSearchesReportView
from .views import ResetRatingsView

urlpatterns = [
    path(
        "reports/session-ratings/",
        SessionRatingsReportView.as_view(),
        name="session_ratings",
    ),
    path(
        "reports/session-ratings/results/",
        SessionRatingsReportView.as_view(results_only=True),
        name="session_ratings_results",
    ),
    path(
        "reports/popular-searches/",
        PopularSearchesReportView.as_view(),
        name="popular_searches",
    ),
    path(
        "reports/popular-searches/results/",
        PopularSearchesReportView.as_view(results_only=True),
        name="popular_searches_results",
    ),
    path(
        "reports/searches-with-no-results/",
        NoResultSearchesReportView.as_view(),
        name="no_result_searches",
    ),
    path(
        "reports/searches-with-no-results/results/",
        NoResultSearchesReportView.as_view(results_only=True),
        name="no_result_searches_results",
    ),
    path("pages/<int:page_id>/reset-ratings/", ResetRatingsView.as_view(), name="reset_ratings"),
]
