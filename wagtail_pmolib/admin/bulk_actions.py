"""Bulk actions on the feedback listing: "Set status", and Wagtail's "Delete"
made to honour the listing's filters and to recount each page once."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_list_or_404
from django.utils import timezone
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from ..models import FeedbackStatus

SPAM = FeedbackStatus.SPAM


def set_status(queryset, status) -> int:
    """Give every feedback in ``queryset`` the status ``status``; returns how many changed.

    One UPDATE, then one recount for each page whose summary changes (a rated
    feedback moving into or out of Spam), so the stored summaries stay equal
    to a recount of the votes.
    """
    from ..feedback.votes import deferred_recounts

    changing = queryset.exclude(status=status)
    moving = changing.filter(rating__isnull=False)
    moving = moving.exclude(status=SPAM) if status == SPAM else moving.filter(status=SPAM)
    with deferred_recounts() as pages:
        pages.update(moving.order_by().values_list("page_id", flat=True).distinct())
        return changing.update(status=status, updated_at=timezone.now())


class FeedbackBulkActionMixin:
    @classproperty
    def models(cls):
        from ..models import Feedback

        return [Feedback]

    @classmethod
    def get_queryset(cls, model, object_ids):
        return get_list_or_404(model.objects.select_related("page"), pk__in=object_ids)

    def get_all_objects_in_listing_query(self, parent_id):
        """ "Select all in listing" means the listing as filtered and searched.

        (Wagtail's snippet actions would take every row of the model: a bulk
        "Spam" or "Delete" on a filtered listing would reach all feedback.)
        """
        from ..models import Feedback
        from .filters import FeedbackFilterSet

        filterset = FeedbackFilterSet(
            data=self.request.GET, request=self.request, queryset=Feedback.objects.all()
        )
        if not filterset.is_valid():
            return Feedback.objects.none().values_list("pk", flat=True)
        queryset = filterset.qs
        query = self.request.GET.get("q", "").strip()
        if query:
            queryset = queryset.filter(comment__icontains=query)
        return queryset.values_list("pk", flat=True)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"), choices=FeedbackStatus.choices, widget=forms.RadioSelect
    )


class SetFeedbackStatusBulkAction(FeedbackBulkActionMixin, SnippetBulkAction):
    display_name = _("Set status")
    action_type = "set_status"
    aria_label = _("Set the status of the selected feedback")
    template_name = "wagtail_pmolib/admin/confirm_bulk_set_status.html"
    action_priority = 20
    form_class = StatusForm

    def check_perm(self, obj):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", obj
        )

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "status": self.cleaned_form.cleaned_data["status"],
        }

    @classmethod
    def execute_action(cls, objects, status=None, **kwargs):
        from ..models import Feedback

        set_status(Feedback.objects.filter(pk__in=[obj.pk for obj in objects]), status)
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d feedback set to “%(status)s”.",
            "%(count)d feedback set to “%(status)s”.",
            num_parent_objects,
        ) % {
            "count": num_parent_objects,
            "status": FeedbackStatus(self.cleaned_form.cleaned_data["status"]).label,
        }


class DeleteFeedbackBulkAction(FeedbackBulkActionMixin, DeleteBulkAction):
    """Wagtail's snippet "Delete", for feedback: the page summaries are recounted
    (``post_delete``), once per page rather than once per deleted row."""

    @classmethod
    def execute_action(cls, objects, **kwargs):
        from ..feedback.votes import deferred_recounts

        with deferred_recounts():
            return super().execute_action(objects, **kwargs)
