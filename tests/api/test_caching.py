"""ETags, 304s and cache headers: a session's ETag moves with everything its
answer shows, and with nothing else."""

from django.test import TestCase, override_settings
from wagtail.models import Site

from tests.api.support import API, build_seed_library
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import build_conference, build_library, build_session, replace_file
from wagtail_pmolib.feedback.identity import Visitor
from wagtail_pmolib.feedback.votes import Submission, submit
from wagtail_pmolib.models import (
    ConferencePage,
    FeedbackSettings,
    SessionPage,
    Speaker,
)


class SessionETagTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.tree = build_seed_library()
        cls.url = f"{API}sessions/{cls.tree.session.pk}/"

    def etag(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return response["ETag"]

    def assert_changes(self, change):
        before = self.etag()
        change()
        after = self.etag()
        self.assertNotEqual(before, after)
        return after

    def test_headers(self):
        response = self.client.get(self.url)
        self.assertTrue(response["ETag"].startswith('W/"'))
        session = SessionPage.objects.get(pk=self.tree.session.pk)
        self.assertEqual(
            response["Last-Modified"],
            session.last_published_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        )
        self.assertEqual(response["Cache-Control"], "public, max-age=0")

    @override_settings(WAGTAIL_PMOLIB={"API_CACHE_MAX_AGE": 300})
    def test_max_age_follows_the_setting(self):
        self.assertEqual(self.client.get(self.url)["Cache-Control"], "public, max-age=300")

    def test_a_current_copy_gets_304_for_a_few_queries(self):
        etag = self.etag()
        # The site, the view restrictions, the session, its conference and library,
        # the versions with its rating summary, its library's ratings.
        with self.assertNumQueries(7):
            response = self.client.get(self.url, HTTP_IF_NONE_MATCH=etag)
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response.content, b"")
        self.assertEqual(response["ETag"], etag)
        self.assertEqual(response["Cache-Control"], "public, max-age=0")
        other = self.client.get(self.url, HTTP_IF_NONE_MATCH='W/"something-else"')
        self.assertEqual(other.status_code, 200)
        self.assertEqual(self.client.get(self.url, HTTP_IF_NONE_MATCH="*").status_code, 304)

    def test_nothing_changed_same_etag(self):
        first = self.etag()
        session = SessionPage.objects.get(pk=self.tree.session.pk)
        session.title = "A draft's title"
        session.save_revision()  # a draft: the answer does not show it
        Speaker.objects.create(name="Someone else")
        other = build_library("Elsewhere", "elsewhere")
        build_session(build_conference(other), "Not a neighbour")
        self.assertEqual(self.etag(), first)

    def test_publishing_the_session(self):
        def publish():
            session = SessionPage.objects.get(pk=self.tree.session.pk)
            session.duration_minutes = 50
            session.save_revision().publish()

        self.assert_changes(publish)

    def test_a_speaker_renamed(self):
        def rename():
            self.tree.eileen.name = "Eileen Roden-Smith"
            self.tree.eileen.save()

        self.assert_changes(rename)
        self.assertEqual(
            self.client.get(self.url).json()["speakers"][1]["name"], "Eileen Roden-Smith"
        )

    def test_the_conference_renamed(self):
        def rename():
            conference = ConferencePage.objects.get(pk=self.tree.conference.pk)
            conference.title = "PMO Conference 2021 (London)"
            conference.save_revision().publish()

        self.assert_changes(rename)

    def test_a_theme_renamed(self):
        def rename():
            conference = ConferencePage.objects.get(pk=self.tree.conference.pk)
            themes = list(conference.themes.all())
            for theme in themes:
                if theme.pk == self.tree.theme.pk:
                    theme.name = "People"
            conference.themes = themes
            conference.save_revision().publish()

        self.assert_changes(rename)
        self.assertEqual(self.client.get(self.url).json()["theme"]["name"], "People")

    def test_a_handout_file_replaced(self):
        from tests.conftest import make_pdf_bytes

        self.assert_changes(lambda: replace_file(self.tree.document, make_pdf_bytes("v2" * 50)))
        size = self.client.get(self.url).json()["body"][1]["value"]["document"]["file_size"]
        self.assertEqual(size, self.tree.document.file_size)

    def test_a_vote_on_the_session_and_on_another_session_of_the_library(self):
        settings = FeedbackSettings()
        self.assert_changes(
            lambda: submit(self.tree.session, Visitor(key="a"), Submission(5, ""), settings)
        )
        # Another session's vote moves the library's mean, so this Bayesian average.
        self.assert_changes(
            lambda: submit(self.tree.next_session, Visitor(key="b"), Submission(1, ""), settings)
        )

    def test_votes_that_keep_the_count_and_the_sum(self):
        settings = FeedbackSettings()
        session = self.tree.session
        submit(session, Visitor(key="a"), Submission(5, ""), settings)
        submit(session, Visitor(key="b"), Submission(3, ""), settings)

        def revote():
            # Still two ratings adding up to 8, but the stars shown are not the same.
            submit(session, Visitor(key="a"), Submission(4, ""), settings)
            submit(session, Visitor(key="b"), Submission(4, ""), settings)

        self.assert_changes(revote)
        stars = self.client.get(self.url).json()["rating"]["distribution"]
        self.assertEqual([row["count"] for row in stars], [0, 2, 0, 0, 0])

    def test_a_new_neighbour(self):
        from tests.builders import at

        self.assert_changes(
            lambda: build_session(self.tree.conference, "Keynote", starts_at=at(2021, 11, 2, 9))
        )
        self.assertEqual(self.client.get(self.url).json()["previous"]["title"], "Keynote")

    def test_feedback_turned_off_for_the_site(self):
        def turn_off():
            site = Site.objects.get(is_default_site=True)
            settings = FeedbackSettings.for_site(site)
            settings.enabled = False
            settings.save()

        self.assert_changes(turn_off)
        self.assertIs(self.client.get(self.url).json()["feedback"]["enabled"], False)

    def test_the_language(self):
        english = self.etag()
        with self.settings(LANGUAGE_CODE="fr"):
            self.assertNotEqual(self.etag(), english)


class BodyETagTests(TestCase):
    """Every other answer: the ETag is the body's digest."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library)
        cls.session = build_session(cls.conference, "First")

    def test_lists_and_details_answer_304_while_their_body_is_the_same(self):
        for path in (
            "sessions/",
            "libraries/",
            f"libraries/{self.library.pk}/",
            f"conferences/{self.conference.pk}/",
            "conferences/",
            "speakers/",
        ):
            with self.subTest(path):
                first = self.client.get(f"{API}{path}")
                self.assertEqual(first["Cache-Control"], "public, max-age=0")
                again = self.client.get(f"{API}{path}", HTTP_IF_NONE_MATCH=first["ETag"])
                self.assertEqual(again.status_code, 304)

    def test_a_published_session_changes_the_lists_etag(self):
        before = self.client.get(f"{API}sessions/")["ETag"]
        build_session(self.conference, "Second")
        response = self.client.get(f"{API}sessions/", HTTP_IF_NONE_MATCH=before)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 2)

    def test_errors_are_not_stored(self):
        response = self.client.get(f"{API}sessions/999999/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertFalse(response.has_header("ETag"))
