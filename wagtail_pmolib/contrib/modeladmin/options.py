"""``FeedbackModelAdmin``: the feedback listing, moderation and export through modeladmin.

The same rules as the built-in snippet admin:

- permissions come from Wagtail's permission policy for ``Feedback`` (a host's
  own policy is obeyed); nobody creates feedback here (visitors do);
- the edit view changes the status only (page, rating and comment are shown read
  only); saving recounts the page's summary, so "Spam" takes a vote out of it;
- CSV exports neutralise cells a spreadsheet would run as formulas, with the
  core admin's ``SafeSpreadsheetExportMixin``;
- ``WAGTAIL_PMOLIB["FEEDBACK_ADMIN"]`` decides: unless it is ``"modeladmin"``,
  the menu item is hidden and the views answer 404 (the snippet admin is the
  one admin for feedback then), and edit links elsewhere in the admin lead to
  whichever admin is chosen.
"""

from __future__ import annotations

import functools

from django.contrib.admin import display
from django.contrib.admin.utils import quote
from django.http import Http404
from django.urls import re_path
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.admin_url_finder import finder_classes
from wagtail.admin.panels import FieldPanel
from wagtail.coreutils import multigetattr
from wagtail.permissions import policy_registry
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.menus import ModelAdminMenuItem
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import IndexView

from ...admin.exports import (
    FEEDBACK_EXPORT_FIELDS,
    FEEDBACK_EXPORT_HEADINGS,
    SafeSpreadsheetExportMixin,
)
from ...conf import pmolib_settings
from ...models import Feedback

COMMENT_EXCERPT_LENGTH = 120


def is_chosen() -> bool:
    """Whether the site chose this admin for feedback (``FEEDBACK_ADMIN``)."""
    return pmolib_settings.FEEDBACK_ADMIN == "modeladmin"


def only_when_chosen(view):
    """A view that answers 404 unless ``FEEDBACK_ADMIN`` is ``"modeladmin"``.

    Wagtail's admin URLs check sign-in and admin access first, so visitors learn
    nothing; editors find feedback in the snippet admin instead.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_chosen():
            raise Http404(
                _(
                    "Feedback is managed with Wagtail's snippets on this site "
                    '(WAGTAIL_PMOLIB["FEEDBACK_ADMIN"] is not "modeladmin").'
                )
            )
        return view(request, *args, **kwargs)

    return wrapped


class FeedbackPermissionHelper(PermissionHelper):
    """Asks Wagtail's permission policy for ``Feedback``, as the snippet admin does."""

    @property
    def policy(self):
        return policy_registry.get_by_type(self.model)

    def user_can_list(self, user):
        return self.policy.user_has_any_permission(user, ["view", "change", "delete"])

    def user_can_inspect_obj(self, user, obj):
        # The "view" permission: read-only access to one piece of feedback.
        return self.inspect_view_enabled and self.user_can_list(user)

    def user_can_create(self, user):
        # Visitors write feedback; editors read and moderate it.
        return False

    def user_can_edit_obj(self, user, obj):
        return self.policy.user_has_permission_for_instance(user, "change", obj)

    def user_can_delete_obj(self, user, obj):
        return self.policy.user_has_permission_for_instance(user, "delete", obj)


class FeedbackMenuItem(ModelAdminMenuItem):
    def is_shown(self, request):
        return is_chosen() and super().is_shown(request)


class FeedbackIndexView(SafeSpreadsheetExportMixin, IndexView):
    """The listing. Exports read dotted paths (``page.title``) as Wagtail's own
    listings do, with empty cells for empty values (not the listing's "-")."""

    @property
    def export_headings(self):
        # wagtail-modeladmin reads headings from the view only.
        return self.model_admin.export_headings

    def to_row_dict(self, item):
        row = {}
        for field in self.list_export:
            value = multigetattr(item, field)
            row[field] = "" if value is None else value
        return row


class FeedbackModelAdmin(ModelAdmin):
    model = Feedback
    menu_label = gettext_lazy("Feedback")
    menu_item_name = "pmolib_feedback_modeladmin"
    menu_icon = "comment"
    menu_order = 291  # just after Speakers, where the snippet admin's item would be
    add_to_admin_menu = True
    permission_helper_class = FeedbackPermissionHelper
    index_view_class = FeedbackIndexView
    inspect_view_enabled = True
    inspect_view_fields = ["page", "rating", "comment", "status", "period", "created_at"]

    list_display = ["page", "rating", "comment_excerpt", "status", "created_at"]
    list_filter = ["rating", "status", "created_at"]
    list_select_related = ["page"]
    list_per_page = 50
    search_fields = ["comment"]
    ordering = ["-created_at", "-pk"]

    list_export = FEEDBACK_EXPORT_FIELDS
    export_headings = FEEDBACK_EXPORT_HEADINGS
    export_filename = "feedback"

    panels = [
        FieldPanel("status"),
        FieldPanel("page", read_only=True),
        FieldPanel("rating", read_only=True),
        FieldPanel("comment", read_only=True),
    ]

    @display(description=gettext_lazy("comment"))
    def comment_excerpt(self, obj):
        # Plain text: the listing escapes it, like every other cell.
        return Truncator(obj.comment).chars(COMMENT_EXCERPT_LENGTH)

    def get_menu_item(self, order=None):
        return FeedbackMenuItem(self, order or self.get_menu_order())

    def get_admin_urls_for_registration(self):
        return tuple(
            re_path(url.pattern.regex.pattern, only_when_chosen(url.callback), name=url.name)
            for url in super().get_admin_urls_for_registration()
        )

    def register_admin_url_finders(self):
        model_admin = self

        class FeedbackAdminURLFinder:
            """Edit links to feedback lead to the admin ``FEEDBACK_ADMIN`` chose."""

            def __init__(self, user=None):
                self.user = user

            def get_edit_url(self, instance):
                if is_chosen():
                    helper = model_admin.permission_helper
                    if self.user is None or helper.user_can_edit_obj(self.user, instance):
                        return model_admin.url_helper.get_action_url("edit", quote(instance.pk))
                    return None
                viewset = getattr(Feedback, "snippet_viewset", None)
                if viewset is None:
                    return None
                return viewset.url_finder_class(self.user).get_edit_url(instance)

        # exact_class: consulted before the snippet admin's finder, whichever
        # registers first; it hands over to that finder when snippets are chosen.
        finder_classes.register(self.model, value=FeedbackAdminURLFinder, exact_class=True)

    def register_indexing(self):
        # Feedback references only its page and user: not worth a reference-index
        # row per vote (and two queries per deleted row when feedback is purged).
        pass
