"""The library on the Wagtail dashboard: tiles beside "Pages", "Images" and
"Documents" (``construct_homepage_summary_items``), each shown only to those
who may open what it links to."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from wagtail.admin.site_summary import SummaryItem

from ..models.permissions import can_view_feedback


class SessionsSummaryItem(SummaryItem):
    """Live sessions, linking to the admin's search for them."""

    order = 150
    template_name = "wagtail_pmolib/admin/summary_sessions.html"

    def get_context_data(self, parent_context):
        from ..models import SessionPage

        return {
            "total": SessionPage.objects.live().count(),
            "url": reverse("wagtailadmin_pages:search")
            + "?"
            + urlencode({"content_type": "wagtail_pmolib.sessionpage"}),
        }


class NewFeedbackSummaryItem(SummaryItem):
    """Feedback nobody has looked at yet (status New), linking to that listing."""

    order = 160
    template_name = "wagtail_pmolib/admin/summary_feedback.html"

    def is_shown(self):
        return can_view_feedback(self.request.user)

    def get_context_data(self, parent_context):
        from ..models import Feedback, FeedbackStatus

        listing = Feedback.snippet_viewset.get_url_name("list")
        return {
            "total": Feedback.objects.filter(status=FeedbackStatus.NEW).count(),
            "url": reverse(listing) + "?" + urlencode({"status": FeedbackStatus.NEW}),
        }
