"""Who may keep a library page: what a signed-in visitor (or one who passed a page
password) is shown may hold more than an anonymous visitor sees (sessions behind
a login, members' excerpts), so a shared cache in front must not keep it."""

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from wagtail.models import PageViewRestriction

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import build_conference, build_library, build_session, restrict


@override_settings(WAGTAIL_PMOLIB={"MEMBER_GROUPS": []})
class LibraryCacheHeadersTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        open_conference = build_conference(cls.library, "Open 2021")
        members = build_conference(cls.library, "Members 2022", access_level="members")
        build_session(open_conference, "Free clinic", abstract="<p>Clinic words.</p>")
        build_session(members, "Gated clinic", abstract="<p>Clinic words.</p>")
        restrict(
            build_session(open_conference, "Login clinic", abstract="<p>Clinic words.</p>"),
            PageViewRestriction.LOGIN,
        )
        cls.user = get_user_model().objects.create_user("reader", password="x")

    def headers(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return response.get("Cache-Control", ""), response.get("Vary", "")

    def test_anonymous_pages_may_be_shared_a_signed_in_visitors_not(self):
        for url in (self.library.url + "?q=clinic", self.library.url + "suggest/?q=clin"):
            with self.subTest(url=url):
                control, vary = self.headers(url)
                self.assertNotIn("private", control)
                self.assertIn("Cookie", vary)
                self.client.force_login(self.user)
                control, vary = self.headers(url)
                self.assertIn("private", control)
                self.assertIn("Cookie", vary)
                self.client.logout()
        # What the signed-in visitor was shown is indeed more than anyone's.
        self.client.force_login(self.user)
        response = self.client.get(self.library.url, {"q": "clinic"})
        self.assertEqual(response.context["search"].total, 3)
        self.client.logout()
        response = self.client.get(self.library.url, {"q": "clinic"})
        self.assertEqual(response.context["search"].total, 2)
