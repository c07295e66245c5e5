"""Admin views of the library: "Reset ratings"."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..feedback import votes
from ..models import Feedback, FeedbackMixin, RatingSummary
from ..models.permissions import can_reset_ratings


class ResetRatingsView(WagtailAdminTemplateMixin, TemplateView):
    """Start a new rating period for a page: GET asks, POST resets.

    The public summary, the "Top rated" order and the "Session ratings" report
    restart at zero (``feedback.summary``); earlier votes stay stored, in the
    feedback listing.
    """

    template_name = "wagtail_pmolib/admin/confirm_reset_ratings.html"
    page_title = gettext_lazy("Reset ratings")
    header_icon = "rotate"

    def dispatch(self, request, page_id):
        if not can_reset_ratings(request.user):
            # A plain 403, not Wagtail's redirect to the dashboard: a refused
            # POST must not look like a success to a script.
            return permission_denied(request, PermissionDenied())
        page_model = Feedback._meta.get_field("page").related_model
        self.page = get_object_or_404(page_model, pk=page_id)
        if not issubclass(self.page.specific_class or page_model, FeedbackMixin):
            raise Http404  # a page type without feedback has no ratings to reset
        return super().dispatch(request)

    def get_page_subtitle(self):
        return self.page.get_admin_display_title()

    @cached_property
    def next_url(self):
        return get_valid_next_url_from_request(self.request) or reverse(
            "wagtailadmin_pages:edit", args=[self.page.pk]
        )

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.page.pk]),
                "label": self.page.get_admin_display_title(),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        stored = RatingSummary.objects.filter(page_id=self.page.pk).first()
        return super().get_context_data(
            page=self.page,
            stored=stored,
            next_url=self.next_url,
            **kwargs,
        )

    def post(self, request):
        period = votes.reset_ratings(self.page.pk)
        messages.success(
            request,
            _("Ratings reset for “%(title)s”: rating period %(period)s has started.")
            % {"title": self.page.get_admin_display_title(), "period": period},
        )
        return redirect(self.next_url)
