"""Panels of a page's edit view, declared by page models (``SessionPage``; host
page types may add them too): "Ratings and comments", and the warning about
documents a private page shows that anyone may download."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

# Pure arithmetic, no models (L1 in tests/test_layering.py).
from ..feedback.summary import Summary
from .feedback import Feedback, FeedbackStatus, RatingSummary
from .permissions import can_reset_ratings, can_view_feedback


def feedback_listing_url(page_id=None) -> str | None:
    """The feedback listing in the admin, filtered to one page when given."""
    viewset = getattr(Feedback, "snippet_viewset", None)
    if viewset is None:
        return None
    try:
        url = reverse(viewset.get_url_name("list"))
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'page': page_id})}" if page_id else url


DEFAULT_HEADING = _("Ratings and comments")


class FeedbackSummaryPanel(Panel):
    """The page's rating summary (current period) and its latest comments.

    Shown only to users who may read feedback (``wagtail_pmolib.view_feedback``)
    and only once the page exists; renders nothing otherwise.
    """

    comments_shown = 5

    def __init__(self, heading=DEFAULT_HEADING, **kwargs):
        super().__init__(heading=heading, **kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_pmolib/admin/feedback_panel.html"

        def is_shown(self):
            return (
                getattr(self.instance, "pk", None) is not None
                and self.request is not None
                and can_view_feedback(self.request.user)
            )

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page_id = self.instance.pk
            stored = RatingSummary.objects.filter(page_id=page_id).first()
            comments = (
                Feedback.objects.filter(page_id=page_id)
                .exclude(comment="")
                .exclude(status=FeedbackStatus.SPAM)
                .order_by("-created_at", "-pk")[: self.panel.comments_shown]
            )
            context.update(
                summary=Summary.from_model(stored),
                period=stored.period if stored else 1,
                period_started_at=stored.period_started_at if stored else None,
                comments=list(comments),
                listing_url=feedback_listing_url(page_id),
                reset_url=(
                    reverse("wagtail_pmolib_admin:reset_ratings", args=[page_id])
                    if can_reset_ratings(self.request.user)
                    else None
                ),
            )
            return context


DOCUMENTS_HEADING = _("Documents anyone can download")


class DocumentPrivacyPanel(Panel):
    """A warning, shown only when it applies: the page is private (it or a page
    above it has a view restriction) but shows documents that anyone with their
    address may download, as their collections are not restricted
    (``access.documents.exposed_documents``). Lists them, with where to fix it.

    Host sites may add it to their own page types' panels.
    """

    def __init__(self, heading=DOCUMENTS_HEADING, **kwargs):
        kwargs.setdefault("icon", "warning")
        super().__init__(heading=heading, **kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_pmolib/admin/document_privacy_panel.html"

        @cached_property
        def documents(self):
            from ..access.documents import exposed_documents

            if getattr(self.instance, "pk", None) is None:
                return []
            return exposed_documents(self.instance)

        def is_shown(self):
            return bool(self.documents)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["documents"] = [
                (document, _document_edit_url(document)) for document in self.documents
            ]
            try:
                context["collections_url"] = reverse("wagtailadmin_collections:index")
            except NoReverseMatch:
                context["collections_url"] = None
            return context


def _document_edit_url(document):
    try:
        return reverse("wagtaildocs:edit", args=[document.pk])
    except NoReverseMatch:
        return None
