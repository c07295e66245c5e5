from django.contrib import messages
from django.urls import include, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet

from .admin.bulk_actions import DeleteFeedbackBulkAction, SetFeedbackStatusBulkAction
from .models.permissions import can_reset_ratings, can_view_feedback
from .viewsets import FeedbackViewSet, SpeakerViewSet

register_snippet(SpeakerViewSet)
register_snippet(FeedbackViewSet)

hooks.register("register_bulk_action", SetFeedbackStatusBulkAction)
# After wagtail.snippets' own "Delete" (order 0), so this one is Feedback's.
hooks.register("register_bulk_action", DeleteFeedbackBulkAction, order=1)


@hooks.register("register_admin_urls")
def register_pmolib_admin_urls():
    from .admin import urls

    return [path("pmolib/", include((urls.urlpatterns, "wagtail_pmolib_admin")))]


class FeedbackReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_feedback(request.user)


@hooks.register("register_reports_menu_item")
def register_session_ratings_menu_item():
    return FeedbackReportMenuItem(
        _("Session ratings"),
        reverse("wagtail_pmolib_admin:session_ratings"),
        name="pmolib-session-ratings",
        icon_name="table",
        order=1290,
    )


class SearchReportMenuItem(MenuItem):
    def is_shown(self, request):
        from .admin.search_reports import can_view_searches

        return can_view_searches(request.user)


@hooks.register("register_reports_menu_item")
def register_popular_searches_menu_item():
    return SearchReportMenuItem(
        _("Popular searches"),
        reverse("wagtail_pmolib_admin:popular_searches"),
        name="pmolib-popular-searches",
        icon_name="search",
        order=1310,
    )


@hooks.register("register_reports_menu_item")
def register_no_result_searches_menu_item():
    return SearchReportMenuItem(
        _("Searches with no results"),
        reverse("wagtail_pmolib_admin:no_result_searches"),
        name="pmolib-no-result-searches",
        icon_name="search",
        order=1320,
    )


# Wagtail's own "Search terms" report (``wagtail.contrib.search_promotions``)
# counts the same searches in its query log, for promoted search results. It
# stands after the library's two search reports, named for what it is for; each
# of the library's reports says how they differ.
WAGTAIL_SEARCH_TERMS_ORDER = 1330


@hooks.register("construct_reports_menu")
def group_search_reports(request, menu_items):
    for item in menu_items:
        if item.name == "search-terms":
            item.label = _("Search terms (promoted results)")
            item.order = WAGTAIL_SEARCH_TERMS_ORDER
    menu_items.sort(key=lambda item: item.order)


@hooks.register("register_permissions")
def register_search_report_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="wagtail_pmolib",
        codename__in=["view_searchterm", "hide_searchterm"],
    )


@hooks.register("register_page_header_buttons")
def reset_ratings_button(page, user, view_name, next_url=None):
    from .models import FeedbackMixin

    if not issubclass(page.specific_class or type(page), FeedbackMixin):
        return
    if not can_reset_ratings(user):
        return
    url = reverse("wagtail_pmolib_admin:reset_ratings", args=[page.pk])
    if next_url:
        url += "?" + urlencode({"next": next_url})
    yield Button(
        _("Reset ratings"),
        url,
        icon_name="rotate",
        attrs={"title": _("Start a new rating period: the public summary restarts")},
        priority=90,
    )


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_editor(request, page):
    """What a page found worth telling the editor on save, without blocking it
    (an anchor rewritten, a date outside the conference, an unreachable video
    provider), and, for a private library page, the documents it shows that
    anyone may download (``access.documents``): shown beside Wagtail's own
    "Page saved" message."""
    from .access.documents import exposed_documents_warning
    from .models.pages import LibraryPageMixin

    get_warnings = getattr(page, "get_editor_warnings", None)
    warnings = list(get_warnings()) if get_warnings is not None else []
    if isinstance(page, LibraryPageMixin):
        warnings += exposed_documents_warning(page)
    for warning in warnings:
        messages.warning(request, warning)


@hooks.register("construct_homepage_summary_items")
def add_library_summary_items(request, items):
    from .admin.dashboard import NewFeedbackSummaryItem, SessionsSummaryItem

    items += [SessionsSummaryItem(request), NewFeedbackSummaryItem(request)]


@hooks.register("before_serve_document")
def gate_members_documents(document, request):
    """Handouts, recordings and captions of members-only sessions download only
    for callers with access (``access.documents.download_access``): callers who
    are not signed in are sent to sign in (and back), others are refused. (What a
    member downloads is served by Wagtail with ``Vary: Cookie``: the session
    cookie was read to decide.)"""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect
    from django.utils.cache import add_never_cache_headers

    from .access import documents
    from .access.members import sign_in_url

    if documents.download_access(document, request) != documents.REFUSED:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        response = redirect(sign_in_url(request.get_full_path()))
        add_never_cache_headers(response)
        return response
    raise PermissionDenied(_("This document is for members with access to its session."))
