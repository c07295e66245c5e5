"""A host site's own session type (``tests/hostapp``: ``HostSessionPage``, a
``SessionPage`` with a field, a template and context of its own) is served, found
and linked as Wagtail would serve it: as its own type. (Found in review: the
conference's routing served it as a plain ``SessionPage``.)"""

from django.contrib.auth.models import Group, User
from django.test import RequestFactory, TestCase
from wagtail.models import Page

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    build_conference,
    build_library,
    build_session,
    committed,
    found,
    soup_of,
    text_of,
)
from tests.hostapp.models import HostSessionPage
from wagtail_pmolib.models import SessionPage


class HostSessionTypeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library)
        with committed():  # the search index is kept after commit
            page = HostSessionPage(
                title="Host session",
                slug="host-session",
                host_note="From the host",
                abstract="<p>Wallaby governance.</p>",
            )
            cls.conference.add_child(instance=page)
            page.save_revision().publish()
            cls.plain = build_session(cls.conference, title="Plain session")
        cls.session = page

    def test_routed_as_wagtail_routes_it(self):
        request = RequestFactory().get(self.session.url)
        conference = Page.objects.get(pk=self.conference.pk).specific
        wagtail_says = Page.route(conference, request, ["host-session"]).page
        ours = conference.route(request, ["host-session"]).page
        self.assertIs(type(wagtail_says), HostSessionPage)
        self.assertIs(type(ours), HostSessionPage)
        self.assertEqual(ours.host_note, "From the host")
        # Our own type still comes in one statement, as it did.
        self.assertIs(type(conference.route(request, ["plain-session"]).page), SessionPage)

    def test_served_with_its_own_template_and_context(self):
        response = self.client.get(self.session.url)
        self.assertEqual(response.status_code, 200)
        self.assertIs(type(response.context["page"]), HostSessionPage)
        soup = soup_of(response)
        self.assertEqual(text_of(soup.select_one(".host-note")), "From the host")
        self.assertIn("Host session", text_of(soup.select_one("h1")))
        # Its neighbour in the running order links to it, and back.
        self.assertIn(self.plain.url, [a["href"] for a in soup.select(".pmolib-pager a")])

    def test_found_in_the_library(self):
        self.assertEqual(found(self.client, self.library, "wallaby"), ["Host session"])

    def test_chosen_groups_on_a_host_session(self):
        """Its access groups are its parent type's (one through table): the rule reads
        them there (found with this test app: every signed-in search failed)."""
        from wagtail_pmolib.access.members import can_read_full, readable_q

        board = Group.objects.create(name="Board")
        with committed():
            page = HostSessionPage.objects.get(pk=self.session.pk)
            page.access_level = "groups"
            page.access_groups.set([board])  # in memory (modelcluster), saved with the page
            page.save_revision().publish()
        director = User.objects.create_user("director", password="pw")
        director.groups.add(board)
        outsider = User.objects.create_user("outsider", password="pw")
        page = HostSessionPage.objects.get(pk=self.session.pk)
        self.assertEqual(page.access_effective, "groups")
        for user, reads in ((director, True), (outsider, False)):
            with self.subTest(user=user.username):
                self.assertEqual(can_read_full(user, page), reads)
                readable = SessionPage.objects.filter(readable_q(user), pk=page.pk).exists()
                self.assertEqual(readable, reads)
                self.client.force_login(user)
                response = self.client.get(self.session.url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(bool(soup_of(response).select(".host-note")), reads)
                # Signed-in searches work (they read every page type's groups).
                self.assertEqual(found(self.client, self.library, "wallaby"), ["Host session"])
