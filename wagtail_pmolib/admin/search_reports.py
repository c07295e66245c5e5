"""The "Popular searches" and "Searches with no results" reports, from the
library's search log (``SearchTerm``), filterable by date and exportable."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView

from ..models import SearchTerm
from ..search.log import search_terms
from .exports import SafeSpreadsheetExportMixin


def can_view_searches(user) -> bool:
    """``wagtail_pmolib.view_searchterm`` (superusers have it)."""
    return bool(user and user.is_authenticated) and user.has_perm("wagtail_pmolib.view_searchterm")


class SearchTermFilterSet(WagtailFilterSet):
    date = django_filters.DateFromToRangeFilter(
        label=_("Date range"),
        widget=DateRangePickerWidget,
        help_text=_("Counts the searches made between these dates, inclusive."),
    )

    class Meta:
        model = SearchTerm
        fields = ["date"]


class BaseSearchReportView(SafeSpreadsheetExportMixin, ReportView):
    header_icon = "search"
    filterset_class = SearchTermFilterSet
    no_results = False
    list_export = ["query_string", "total_hits", "total_no_result_hits", "last_seen"]
    export_headings = {
        "query_string": _("Search"),
        "total_hits": _("Searches"),
        "total_no_result_hits": _("Searches with no results"),
        "last_seen": _("Last searched"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_view_searches(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def columns(self):
        return [
            Column("query_string", label=_("Search")),
            Column("total_hits", label=_("Searches")),
            Column("total_no_result_hits", label=_("With no results")),
            DateColumn("last_seen", label=_("Last searched")),
        ]

    def get_queryset(self):
        return search_terms(
            self.filter_queryset(SearchTerm.objects.all()), no_results=self.no_results
        )

    def get_filtered_queryset(self):
        # ``get_queryset`` filters the days before grouping them by text.
        return self.get_queryset()


class PopularSearchesReportView(BaseSearchReportView):
    page_title = _("Popular searches")
    index_url_name = "wagtail_pmolib_admin:popular_searches"
    index_results_url_name = "wagtail_pmolib_admin:popular_searches_results"
    export_filename = "popular-searches"
    verbose_name_plural = _("searches")


class NoResultSearchesReportView(BaseSearchReportView):
    page_title = _("Searches with no results")
    index_url_name = "wagtail_pmolib_admin:no_result_searches"
    index_results_url_name = "wagtail_pmolib_admin:no_result_searches_results"
    export_filename = "searches-with-no-results"
    verbose_name_plural = _("searches with no results")
    no_results = True

    @cached_property
    def columns(self):
        return [
            Column("query_string", label=_("Search")),
            Column("total_no_result_hits", label=_("Times with no results")),
            Column("total_hits", label=_("Searches")),
            DateColumn("last_seen", label=_("Last searched")),
        ]
