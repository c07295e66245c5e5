"""What an editor is told on saving a session, through the real admin views:
warnings that do not block the save (an anchor rewritten, a date outside the
conference, an unreachable video provider) and errors that do (a provider that
says there is no such video), keeping what was typed."""

import datetime

from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from tests.builders import (
    _media_root as _media_root,  # one MEDIA_ROOT for the module
)
from tests.builders import build_conference, build_library, build_session, recording_form_value
from wagtail_pmolib.models import SessionPage
from wagtail_pmolib.models.pages import ABSTRACT_FEATURES

MISSING = "https://www.youtube.com/watch?v=missing0001"
UNREACHABLE = "https://www.youtube.com/watch?v=unreachable"


class EditorWarningTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(
            cls.library,
            start_date=datetime.date(2021, 11, 2),
            end_date=datetime.date(2021, 11, 3),
        )

    def setUp(self):
        self.login()

    def form(self, slug, *, starts_at="2021-11-02 11:00", url=None, body=()):
        return nested_form_data(
            {
                "title": f"Session {slug}",
                "slug": slug,
                "starts_at": starts_at,
                "duration_minutes": "45",
                "session_speakers": {
                    "TOTAL_FORMS": "0",
                    "INITIAL_FORMS": "0",
                    "MIN_NUM_FORMS": "0",
                    "MAX_NUM_FORMS": "1000",
                },
                "abstract": rich_text("<p>Abstract.</p>", features=ABSTRACT_FEATURES),
                "recording": streamfield([("recording", recording_form_value(url))] if url else []),
                "body": streamfield(list(body)),
                "notes": rich_text(""),
                "action-publish": "publish",
            }
        )

    def create(self, data):
        url = reverse(
            "wagtailadmin_pages:add",
            args=("wagtail_pmolib", "sessionpage", self.conference.pk),
        )
        return self.client.post(url, data)

    def warnings(self, response):
        return [str(m) for m in get_messages(response.wsgi_request) if "warning" in m.tags]

    def test_a_clean_session_gets_no_warning(self):
        response = self.create(self.form("clean", url="https://www.youtube.com/watch?v=ok1"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.warnings(response), [])

    def test_a_date_outside_the_conference_warns_and_saves(self):
        response = self.create(self.form("late", starts_at="2022-01-05 10:00"))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(SessionPage.objects.filter(slug="late", live=True).exists())
        [warning] = self.warnings(response)
        self.assertIn("5 January 2022", warning)
        self.assertIn("outside its conference’s days", warning)
        self.assertIn("2–3 November 2021", warning)

    def test_the_last_day_of_the_conference_is_inside_it(self):
        response = self.create(self.form("last-day", starts_at="2021-11-03 17:30"))
        self.assertEqual(self.warnings(response), [])

    def test_an_edit_warns_too(self):
        session = build_session(self.conference, "Edited", starts_at=None)
        url = reverse("wagtailadmin_pages:edit", args=[session.pk])
        data = self.form(session.slug, starts_at="2020-06-01 09:00")
        data["title"] = "Edited"
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        self.assertIn("outside its conference’s days", " ".join(self.warnings(response)))

    def test_rewritten_anchors_are_named(self):
        body = [
            ("heading", {"text": "Feedback", "level": "h2", "anchor": "feedback"}),
            ("heading", {"text": "Key takeaways", "level": "h2", "anchor": "Key Takeaways"}),
            ("heading", {"text": "Kept", "level": "h2", "anchor": "kept"}),
        ]
        response = self.create(self.form("anchors", body=body))
        self.assertEqual(response.status_code, 302)
        page = SessionPage.objects.get(slug="anchors")
        self.assertEqual(
            [child.value["anchor"] for child in page.body], ["feedback-2", "key-takeaways", "kept"]
        )
        warnings = self.warnings(response)
        self.assertEqual(len(warnings), 2, warnings)
        self.assertIn("“Feedback” links as #feedback-2, not “feedback”", warnings[0])
        self.assertIn("“Key takeaways” links as #key-takeaways, not “Key Takeaways”", warnings[1])

    def test_a_video_the_provider_does_not_know_is_an_error_and_nothing_is_lost(self):
        response = self.create(self.form("typo", url=MISSING))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(SessionPage.objects.filter(slug="typo").exists())
        html = response.content.decode()
        self.assertIn("The video provider found no video at this URL", html)
        # What the editor typed is still in the form.
        self.assertIn("missing0001", html)
        self.assertIn("Session typo", html)

    def test_an_unreachable_provider_warns_and_saves(self):
        response = self.create(self.form("outage", url=UNREACHABLE))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(SessionPage.objects.filter(slug="outage", live=True).exists())
        [warning] = self.warnings(response)
        self.assertIn("could not be reached", warning)
        self.assertIn(UNREACHABLE, warning)

    def test_a_chapter_after_the_end_of_the_session_warns(self):
        data = self.form("long-chapter", url="https://www.youtube.com/watch?v=ok2")
        data.update(
            nested_form_data(
                {
                    "recording": streamfield(
                        [
                            (
                                "recording",
                                recording_form_value(
                                    "https://www.youtube.com/watch?v=ok2",
                                    chapters=[("0:00", "Start"), ("52:10", "Questions")],
                                ),
                            )
                        ]
                    )
                }
            )
        )
        response = self.create(data)
        self.assertEqual(response.status_code, 302)
        [warning] = self.warnings(response)
        self.assertIn("A chapter starts at 52:10, after the session’s 45 minutes", warning)
