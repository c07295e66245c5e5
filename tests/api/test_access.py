"""Who sees what through the JSON API: never drafts, never pages under a view
restriction the caller has not passed, only the request's site; a signed-in
caller sees what the HTML shows them."""

from django.contrib.auth.models import Group, User
from django.test import TestCase
from wagtail.models import Page, PageViewRestriction, Site

from tests.api.support import API, problem
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import build_conference, build_library, build_session, restrict
from wagtail_pmolib.models import SessionPage, Speaker

PASSED = PageViewRestriction.passed_view_restrictions_session_key


class AccessTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library, "PMO Conference 2021", themes=["Open"])
        cls.public_speaker = Speaker.objects.create(name="Public Speaker")
        cls.secret_speaker = Speaker.objects.create(name="Secret Speaker")
        cls.public = build_session(cls.conference, "Public session", [cls.public_speaker])
        cls.draft = build_session(cls.conference, "Draft session", publish=False)
        cls.password = build_session(cls.conference, "Password session", [cls.secret_speaker])
        cls.password_restriction = restrict(cls.password)
        cls.members = build_conference(cls.library, "Members 2022", themes=["Members"])
        cls.members_theme = cls.members.themes.get()
        restrict(cls.members, PageViewRestriction.LOGIN)
        cls.members_session = build_session(
            cls.members, "Members session", [cls.public_speaker], theme=cls.members_theme
        )
        cls.board = build_conference(cls.library, "Board 2023")
        cls.board_group = Group.objects.create(name="Board")
        groups = PageViewRestriction.objects.create(
            page=cls.board, restriction_type=PageViewRestriction.GROUPS
        )
        groups.groups.add(cls.board_group)
        cls.board_session = build_session(cls.board, "Board session")
        cls.member = User.objects.create_user("member", password="pw")
        cls.director = User.objects.create_user("director", password="pw")
        cls.director.groups.add(cls.board_group)

    def ids(self, path, **params):
        response = self.client.get(f"{API}{path}", params)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return {item["id"] for item in response.json()["items"]}

    def status(self, path, **params):
        return self.client.get(f"{API}{path}", params).status_code

    def test_anonymous_callers_see_only_public_live_sessions(self):
        self.assertEqual(self.ids("sessions/"), {self.public.pk})
        for session in (self.draft, self.password, self.members_session, self.board_session):
            response = self.client.get(f"{API}sessions/{session.pk}/")
            problem(response, 404, "id")
            response = self.client.get(f"{API}sessions/by-path/", {"path": session.url or "/x/"})
            self.assertEqual(response.status_code, 404)
        self.assertEqual(self.ids("conferences/"), {self.conference.pk})
        for conference in (self.members, self.board):
            self.assertEqual(self.status(f"conferences/{conference.pk}/"), 404)
        library = self.client.get(f"{API}libraries/{self.library.pk}/").json()
        self.assertEqual([c["title"] for c in library["conferences"]], ["PMO Conference 2021"])
        conference = self.client.get(f"{API}conferences/{self.conference.pk}/").json()
        self.assertEqual([s["title"] for s in conference["sessions"]], ["Public session"])

    def test_a_draft_is_not_seen_by_its_path_either(self):
        page = Page.objects.get(pk=self.draft.pk)
        path = page.url_path.removeprefix(page.get_site().root_page.url_path)
        response = self.client.get(f"{API}sessions/by-path/", {"path": f"/{path}"})
        problem(response, 404, "path")

    def test_the_live_version_not_the_latest_draft(self):
        session = SessionPage.objects.get(pk=self.public.pk)
        session.title = "Unpublished new title"
        session.save_revision()
        data = self.client.get(f"{API}sessions/{self.public.pk}/").json()
        self.assertEqual(data["title"], "Public session")
        listed = self.client.get(f"{API}sessions/").json()["items"]
        self.assertEqual([i["title"] for i in listed], ["Public session"])

    def test_speakers_known_only_from_private_sessions_are_not_named(self):
        listed = self.client.get(f"{API}speakers/").json()["items"]
        self.assertEqual([s["name"] for s in listed], ["Public Speaker"])
        problem(self.client.get(f"{API}speakers/{self.secret_speaker.pk}/"), 404, "id")
        problem(
            self.client.get(f"{API}sessions/", {"speaker": self.secret_speaker.pk}), 404, "speaker"
        )
        # The public speaker's private session is not among theirs.
        data = self.client.get(f"{API}speakers/{self.public_speaker.pk}/").json()
        self.assertEqual([s["title"] for s in data["sessions"]], ["Public session"])

    def test_filters_naming_what_the_caller_may_not_see_are_unknown(self):
        unknown = self.client.get(f"{API}sessions/", {"conference": 999999}).json()
        private = self.client.get(f"{API}sessions/", {"conference": self.members.pk})
        body = problem(private, 404, "conference")
        self.assertEqual(body["detail"], unknown["detail"].replace("999999", str(self.members.pk)))
        problem(self.client.get(f"{API}sessions/", {"theme": self.members_theme.pk}), 404, "theme")

    def test_signed_in_callers_see_what_the_html_shows_them(self):
        self.client.force_login(self.member)
        self.assertEqual(self.ids("sessions/"), {self.public.pk, self.members_session.pk})
        response = self.client.get(f"{API}sessions/{self.members_session.pk}/")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Cache-Control"].startswith("private"))
        html = self.client.get(self.members_session.url)
        self.assertEqual(html.status_code, 200)
        # The board's group restriction still applies to them, as on the site.
        self.assertEqual(self.status(f"sessions/{self.board_session.pk}/"), 404)
        self.assertNotEqual(self.client.get(self.board_session.url).status_code, 200)
        self.assertEqual(
            self.ids("sessions/", theme=self.members_theme.pk), {self.members_session.pk}
        )

    def test_group_members_and_superusers(self):
        self.client.force_login(self.director)
        self.assertEqual(self.status(f"sessions/{self.board_session.pk}/"), 200)
        self.assertIn(self.board.pk, self.ids("conferences/"))
        admin = User.objects.create_superuser("admin", password="pw")
        self.client.force_login(admin)
        self.assertEqual(
            self.ids("sessions/"),
            {self.public.pk, self.members_session.pk, self.board_session.pk},
        )

    def test_a_page_password_passed_in_the_callers_session(self):
        session = self.client.session
        session[PASSED] = [self.password_restriction.pk]
        session.save()
        response = self.client.get(f"{API}sessions/{self.password.pk}/")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Cache-Control"].startswith("private"))
        self.assertIn(self.secret_speaker.pk, self.ids("speakers/"))

    def test_public_answers_may_be_stored_by_shared_caches(self):
        response = self.client.get(f"{API}sessions/{self.public.pk}/")
        self.assertEqual(response["Cache-Control"], "public, max-age=0")
        self.assertIn("Cookie", response["Vary"])

    def test_answers_to_a_caller_with_credentials_are_private(self):
        # A token (say, from Wagtail's API v3 where the routers are mounted there)
        # may show more: shared caches must not keep the answer.
        response = self.client.get(
            f"{API}sessions/{self.public.pk}/", HTTP_AUTHORIZATION="Bearer something"
        )
        self.assertTrue(response["Cache-Control"].startswith("private"))
        listing = self.client.get(f"{API}sessions/", HTTP_AUTHORIZATION="Bearer something")
        self.assertTrue(listing["Cache-Control"].startswith("private"))
        self.client.force_login(self.member)
        listing = self.client.get(f"{API}sessions/")
        self.assertTrue(listing["Cache-Control"].startswith("private"))

    def test_neighbours_skip_restricted_siblings_as_the_page_does(self):
        data = self.client.get(f"{API}sessions/{self.public.pk}/").json()
        self.assertIsNone(data["next"])
        self.assertIsNone(data["previous"])


class SiteTests(TestCase):
    """Only the request's site: another site's library is not in the answers."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.session = build_session(build_conference(cls.library), "Main site session")
        root = Page.get_first_root_node()
        other_home = root.add_child(title="Other home", slug="other-home")
        Site.objects.create(hostname="other.example", port=80, root_page=other_home)
        cls.other_library = build_library("Other library", "library", parent=other_home)
        cls.other_session = build_session(build_conference(cls.other_library), "Other session")

    def test_each_site_sees_its_own_sessions(self):
        main = self.client.get(f"{API}sessions/").json()["items"]
        other = self.client.get(f"{API}sessions/", HTTP_HOST="other.example").json()["items"]
        self.assertEqual([i["title"] for i in main], ["Main site session"])
        self.assertEqual([i["title"] for i in other], ["Other session"])
        self.assertEqual(
            self.client.get(f"{API}sessions/{self.other_session.pk}/").status_code, 404
        )
        self.assertEqual(
            self.client.get(f"{API}libraries/{self.other_library.pk}/").status_code, 404
        )
        # The same address on each site is that site's session.
        path = "/library/pmo-conference-2021/other-session/"
        self.assertEqual(
            self.client.get(f"{API}sessions/by-path/", {"path": path}).status_code, 404
        )
        found = self.client.get(
            f"{API}sessions/by-path/", {"path": path}, HTTP_HOST="other.example"
        )
        self.assertEqual(found.json()["id"], self.other_session.pk)
        self.assertTrue(found.json()["url"].startswith("http://other.example/"))

    def test_a_restriction_on_the_sites_root_page_hides_everything(self):
        restrict(Site.objects.get(is_default_site=True).root_page, PageViewRestriction.LOGIN)
        self.assertEqual(self.client.get(f"{API}sessions/").json()["count"], 0)
        self.assertEqual(self.client.get(f"{API}sessions/{self.session.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"{API}libraries/").json()["count"], 0)
