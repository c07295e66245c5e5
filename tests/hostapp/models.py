from django.db import models

from wagtail_pmolib.models import SessionPage


class HostSessionPage(SessionPage):
    """A host's own session type: a ``SessionPage`` with a field of its own, its
    own template and context."""

    host_note = models.CharField(max_length=50, blank=True)

    parent_page_types = ["wagtail_pmolib.ConferencePage"]
    template = "pmolib_hostapp/host_session_page.html"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["host_note"] = self.host_note
        return context
