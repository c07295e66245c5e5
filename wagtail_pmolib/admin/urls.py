"""The library's admin URLs, mounted by ``wagtail_hooks`` under the namespace
``wagtail_pmolib_admin`` (Wagtail requires admin access for every one)."""

from django.urls import path

from .reports import SessionRatingsReportView
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
    path("pages/<int:page_id>/reset-ratings/", ResetRatingsView.as_view(), name="reset_ratings"),
]
