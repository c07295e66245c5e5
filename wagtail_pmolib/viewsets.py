from django.contrib.auth import get_permission_codename
from django.db.models import Count
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.snippets.views import chooser as chooser_views
from wagtail.snippets.views.snippets import CreateView, IndexView, SnippetViewSet

from .admin.exports import (
    FEEDBACK_EXPORT_FIELDS,
    FEEDBACK_EXPORT_HEADINGS,
    SafeSpreadsheetExportMixin,
)
from .admin.filters import FeedbackFilterSet
from .conf import pmolib_settings
from .models import Feedback, Speaker


class SpeakerIndexView(SafeSpreadsheetExportMixin, IndexView):
    pass


class PhotoColumn(Column):
    cell_template_name = "wagtail_pmolib/admin/photo_cell.html"


def speaker_columns():
    """What tells speakers apart, in the listing and the chooser: photo, role,
    organisation and how many sessions they speak in."""
    return [
        PhotoColumn("photo", label=_("Photo"), width="60px"),
        Column("role", label=_("Role")),
        Column("organisation", label=_("Organisation"), sort_key="organisation"),
        Column("session_count", label=_("Sessions"), sort_key="session_count"),
    ]


def with_session_counts(queryset):
    return queryset.select_related("photo").annotate(
        session_count=Count("session_links__page", distinct=True)
    )


class SpeakerColumnsMixin:
    @property
    def columns(self):
        title, *rest = super().columns
        return [title, *speaker_columns(), *rest]

    def get_object_list(self):
        return with_session_counts(super().get_object_list())


class SpeakerChooseView(SpeakerColumnsMixin, chooser_views.ChooseView):
    pass


class SpeakerChooseResultsView(SpeakerColumnsMixin, chooser_views.ChooseResultsView):
    pass


class SpeakerChooserViewSet(chooser_views.SnippetChooserViewSet):
    choose_view_class = SpeakerChooseView
    choose_results_view_class = SpeakerChooseResultsView


class SpeakerViewSet(SnippetViewSet):
    model = Speaker
    index_view_class = SpeakerIndexView
    icon = "user"
    menu_label = _("Speakers")
    menu_name = "pmolib_speakers"
    add_to_admin_menu = True
    menu_order = 290
    chooser_viewset_class = SpeakerChooserViewSet
    list_display = ["name", *speaker_columns()]
    list_filter = ["organisation"]
    list_export = ["name", "role", "organisation", "bio"]
    search_fields = ["name", "organisation", "role"]
    # Plain database matching: works on every database (SQLite's full-text
    # index does not take per-field searches).
    search_backend_name = None
    ordering = ["name"]

    def get_queryset(self, request):
        return with_session_counts(self.model._default_manager.all())


class NoAddMixin:
    """Feedback comes from visitors: nobody adds (or copies) it in the admin."""

    def user_has_permission(self, permission):
        return permission != "add" and super().user_has_permission(permission)


class FeedbackIndexView(NoAddMixin, SafeSpreadsheetExportMixin, IndexView):
    pass


class FeedbackCreateView(NoAddMixin, CreateView):
    pass


def comment_excerpt(feedback):
    return Truncator(feedback.comment).chars(100)


class FeedbackViewSet(SnippetViewSet):
    """Visitors' feedback: read, filter, search, export and moderate.

    Editors change the status only (the model's panels show the rating and the
    comment read-only); Spam takes a rating out of its page's summary.
    """

    model = Feedback
    icon = "comment"
    menu_label = _("Feedback")
    menu_name = "pmolib_feedback"
    add_to_admin_menu = True
    menu_order = 291
    index_view_class = FeedbackIndexView
    add_view_class = FeedbackCreateView
    copy_view_enabled = False
    # A vote refers only to its page and user: keeping that in Wagtail's
    # reference index would cost every vote (and every purged row) queries.
    add_to_reference_index = False
    # The inspect view comes with the "view" permission: read-only access.
    inspect_view_enabled = True
    inspect_view_fields = ["page", "rating", "comment", "status", "period", "created_at"]
    list_display = [
        "page",
        "rating",
        Column("comment", label=_("Comment"), accessor=comment_excerpt),
        "status",
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]
    filterset_class = FeedbackFilterSet
    search_fields = ["comment"]
    # Plain database matching: SQLite's full-text index does not take per-field searches.
    search_backend_name = None
    ordering = "-created_at"
    list_export = FEEDBACK_EXPORT_FIELDS
    export_headings = FEEDBACK_EXPORT_HEADINGS
    export_filename = "feedback"

    def get_queryset(self, request):
        return self.model._default_manager.select_related("page")

    @cached_property
    def menu_item_class(self):
        base = super().menu_item_class

        def is_shown(item, request):
            # A site that chose the optional modeladmin listing for feedback
            # (WAGTAIL_PMOLIB["FEEDBACK_ADMIN"]) gets one menu item, not two.
            chosen = pmolib_settings.FEEDBACK_ADMIN
            return chosen == "snippets" and base.is_shown(item, request)

        return type(base.__name__, (base,), {"is_shown": is_shown})

    def get_permissions_to_register(self):
        # No "add" permission to hand out: it would grant nothing.
        return (
            super()
            .get_permissions_to_register()
            .exclude(codename=get_permission_codename("add", self.model_opts))
        )
