"""Review finding: a host's subclass of SessionPage below a conference is
routed as a plain ``SessionPage`` (``AbstractConferencePage.route`` reads the
child through ``rows.child_page(..., SessionPage)`` and never asks for its
specific class), where Wagtail's ``Page.route`` serves ``subpage.specific``.

The host model is made for this module only (its table is created and dropped
here), so run this file on its own."""

from django.db import connection, models
from django.test import RequestFactory, TestCase
from wagtail.models import Page

from tests.builders import build_conference, build_library
from wagtail_pmolib.models import SessionPage


class HostSession(SessionPage):
    """What a host site declares: its own session type, a SessionPage with more."""

    host_note = models.CharField(max_length=50, blank=True)
    template = "wagtail_pmolib/session_page.html"

    class Meta:
        app_label = "wagtail_pmolib"


class HostSubclassRoutingTests(TestCase):
    @classmethod
    def setUpClass(cls):
        with connection.schema_editor() as editor:
            editor.create_model(HostSession)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        with connection.schema_editor() as editor:
            editor.delete_model(HostSession)

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library)
        page = HostSession(title="Host session", slug="host-session", host_note="from the host")
        cls.conference.add_child(instance=page)
        page.save_revision().publish()
        cls.session = page

    def test_routing_serves_the_specific_class_as_wagtail_does(self):
        request = RequestFactory().get(self.session.url)
        conference = Page.objects.get(pk=self.conference.pk).specific
        # Wagtail's own rule (Page.route): the child's specific class.
        wagtail_says = Page.route(conference, request, ["host-session"]).page
        self.assertIs(type(wagtail_says), HostSession)
        ours = conference.route(request, ["host-session"]).page
        self.assertIs(type(ours), HostSession)  # fails: a plain SessionPage

    def test_the_served_page_is_the_host_type(self):
        response = self.client.get(self.session.url)
        self.assertEqual(response.status_code, 200)
        self.assertIs(type(response.context["page"]), HostSession)
