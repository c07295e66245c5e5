"""The "Popular searches" and "Searches with no results" reports, from the
library's search log (``SearchTerm``), filterable by date and exportable; and
hiding a search from the popular searches offered to visitors.

The reports list every search, for editors; the popular searches visitors are
offered follow ``search/log.py``'s rule, and the "Popular searches" report says
for each text whether it is offered and lets editors hide it."""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.defaults import permission_denied
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.reports import ReportView

from ..conf import pmolib_settings
from ..models import SearchTerm
from ..search.log import hide_search, search_terms, with_public_status
from .exports import SafeSpreadsheetExportMixin


def can_view_searches(user) -> bool:
    """``wagtail_pmolib.view_searchterm`` (superusers have it)."""
    return bool(user and user.is_authenticated) and user.has_perm("wagtail_pmolib.view_searchterm")


def can_hide_searches(user) -> bool:
    """``wagtail_pmolib.hide_searchterm``: hide a search from the popular searches
    offered to visitors, or show it again."""
    return can_view_searches(user) and user.has_perm("wagtail_pmolib.hide_searchterm")


class SearchTermFilterSet(WagtailFilterSet):
    date = django_filters.DateFromToRangeFilter(
        label=_("Date range"),
        widget=DateRangePickerWidget,
        help_text=_("Counts the searches made between these dates, inclusive."),
    )

    class Meta:
        model = SearchTerm
        fields = ["date"]


class DayColumn(Column):
    """The day a search was last made: the log keeps days, not times, so not
    Wagtail's DateColumn, which showed today's searches as "22 hours ago" (the
    time since midnight)."""

    def get_value(self, instance):
        day = super().get_value(instance)
        if day is None:
            return ""
        today = timezone.localdate()
        if day == today:
            return _("Today")
        if day == today - datetime.timedelta(days=1):
            return _("Yesterday")
        return date_format(day, "j F Y")


class BaseSearchReportView(SafeSpreadsheetExportMixin, ReportView):
    header_icon = "search"
    # A help line above the report: what it counts, and how it differs from the
    # other search reports in the menu (issue 12: three look alike).
    template_name = "wagtail_pmolib/admin/search_report.html"
    help_text = ""
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
            DayColumn("last_seen", label=_("Last searched"), sort_key="last_seen"),
        ]

    def get_queryset(self):
        return search_terms(
            self.filter_queryset(SearchTerm.objects.all()), no_results=self.no_results
        )

    def get_filtered_queryset(self):
        # ``get_queryset`` filters the days before grouping them by text.
        return self.get_queryset()


def offered_status(row) -> str:
    """Whether the popular searches offered to visitors may include this text."""
    if row["hidden"]:
        return _t("No: hidden by an editor")
    needed = pmolib_settings.POPULAR_SEARCHES_MIN_VISITORS
    if row["public_visitors"] < needed:
        return _t("Not yet: %(count)s of %(needed)s visitors") % {
            "count": row["public_visitors"],
            "needed": needed,
        }
    return _t("Yes")


class HideSearchColumn(Column):
    """A "Hide" or "Show" button posting to ``HideSearchView``."""

    cell_template_name = "wagtail_pmolib/admin/hide_search_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context.update(
            action_url=reverse("wagtail_pmolib_admin:hide_search"),
            csrf_token=get_token(request) if request is not None else "",
            next_url=request.get_full_path() if request is not None else "",
        )
        return context


class PopularSearchesReportView(BaseSearchReportView):
    page_title = _("Popular searches")
    help_text = _(
        "Every search visitors made in the library, by text: how often, how often it found "
        "nothing, and whether it is offered to visitors as a popular search (hide it here). "
        "“Searches with no results” shows only the searches that found nothing. Wagtail’s "
        "“Search terms” report counts searches for promoted search results only, "
        "without the results or the visitors."
    )
    index_url_name = "wagtail_pmolib_admin:popular_searches"
    index_results_url_name = "wagtail_pmolib_admin:popular_searches_results"
    export_filename = "popular-searches"
    verbose_name_plural = _("searches")
    list_export = [*BaseSearchReportView.list_export, "public_visitors", "offered"]
    export_headings = {
        **BaseSearchReportView.export_headings,
        "public_visitors": _("Visitors shown public sessions"),
        "offered": _("Offered to visitors"),
    }

    @cached_property
    def columns(self):
        columns = [
            *super().columns,
            Column("public_visitors", label=_("Visitors shown public sessions")),
            Column("offered", label=_("Offered to visitors"), accessor=offered_status),
        ]
        if can_hide_searches(self.request.user):
            columns.append(HideSearchColumn("hide", label=_("Actions")))
        return columns

    def get_queryset(self):
        return with_public_status(super().get_queryset())

    def to_row_dict(self, item):
        return super().to_row_dict({**item, "offered": offered_status(item)})


class NoResultSearchesReportView(BaseSearchReportView):
    page_title = _("Searches with no results")
    help_text = _(
        "The searches visitors made in the library that found nothing: words to add to "
        "sessions, handouts or promoted search results. “Popular searches” shows every "
        "search; Wagtail’s “Search terms” report counts searches for promoted search "
        "results only."
    )
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
            DayColumn("last_seen", label=_("Last searched"), sort_key="last_seen"),
        ]


def hide_search_view(request):
    """``POST`` ``query_string`` and ``action`` ("hide" or "show"): hide a search
    from the popular searches offered to visitors, or show it again; back to
    the report (or a safe ``next``)."""
    if not can_hide_searches(request.user):
        return permission_denied(request, PermissionDenied())
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    text = (request.POST.get("query_string") or "").strip()
    action = request.POST.get("action")
    max_length = SearchTerm._meta.get_field("query_string").max_length
    if not text or len(text) > max_length:
        return HttpResponseBadRequest(
            _t("query_string: give the search to hide, at most %(max)s characters.")
            % {"max": max_length}
        )
    if action not in ("hide", "show"):
        return HttpResponseBadRequest(_t("action: must be “hide” or “show”."))
    hide_search(text, request.user, hidden=action == "hide")
    if action == "hide":
        message = _t("“%(text)s” is no longer offered to visitors.")
    else:
        message = _t("“%(text)s” may be offered to visitors again.")
    messages.success(request, message % {"text": text})
    return redirect(
        get_valid_next_url_from_request(request) or reverse("wagtail_pmolib_admin:popular_searches")
    )
