"""The library's pages in Wagtail's API v2, mounted at /api/v2/ by tests/urls.py."""

import datetime
import json

from django.test import TestCase
from wagtail.embeds.models import Embed
from wagtail.models import PageViewRestriction
from wagtail.rich_text import RichText

from tests import embed_finders
from tests.builders import (
    SEED_TITLE,
    at,
    build_conference,
    build_document,
    build_image,
    build_library,
    build_session,
    recording_stream,
    restrict,
)
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.conftest import SEED_NOTICE
from wagtail_pmolib.models import SessionPage, Speaker
from wagtail_pmolib.toc import flatten

PAGES = "/api/v2/pages/"


def walk_toc(items):
    for item in items:
        yield item
        yield from walk_toc(item["children"])


class PagesAPITests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library(intro="<p>Every session since 2019.</p>")
        cls.conference = build_conference(
            cls.library,
            themes=("PMO Services", "PMO People", "PMO in Practice"),
            start_date=datetime.date(2021, 11, 2),
            end_date=datetime.date(2021, 11, 3),
            venue="Barbican",
            city="London",
            intro="<p>Our 2021 edition.</p>",
        )
        cls.theme = cls.conference.themes.get(name="PMO People")
        cls.photo = build_image("Lindsay")
        cls.lindsay = Speaker.objects.create(
            name="Lindsay Scott",
            role="Director",
            organisation="PMO Learning",
            bio="Runs PMO Flashmob.",
            photo=cls.photo,
        )
        cls.eileen = Speaker.objects.create(name="Eileen Roden", role="PMO Lead")
        cls.document = build_document()
        cls.size = cls.document.file_size
        cls.session = build_session(
            cls.conference,
            speakers=[cls.lindsay, cls.eileen],
            theme=cls.theme,
            starts_at=at(2021, 11, 2, 11),
            duration_minutes=45,
            abstract=(f'<p>Visit <a linktype="page" id="{cls.library.pk}">the library</a>.</p>'),
            recording=recording_stream(),
            body=[
                ("heading", {"text": "Handout – The SORE Framework", "level": "h2", "anchor": ""}),
                (
                    "handout",
                    {"document": cls.document, "title": "", "description": "Take it home."},
                ),
                (
                    "handouts",
                    {
                        "heading": "More handouts",
                        "handouts": [{"document": cls.document, "title": "Again"}],
                    },
                ),
                (
                    "paragraph",
                    RichText(
                        f'<h3>Read more</h3><p>In <a linktype="page" id="{cls.library.pk}">'
                        "the library</a>.</p>"
                    ),
                ),
            ],
            notes=(
                f'<h3>The SORE framework</h3><p><a linktype="document" id="{cls.document.pk}">'
                "Download</a></p>"
            ),
        )
        cls.draft = build_session(cls.conference, "Draft session", publish=False)
        cls.private = build_session(cls.conference, "Private session")
        restrict(cls.private)

    def get_json(self, url, **params):
        response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200, response.content[:500])
        return response.json()

    def session_detail(self, **params):
        return self.get_json(f"{PAGES}{self.session.pk}/", **params)

    def test_listing_sessions_with_all_fields(self):
        data = self.get_json(PAGES, type="wagtail_pmolib.SessionPage", fields="*")
        self.assertEqual(data["meta"]["total_count"], 1)
        [item] = data["items"]
        self.assertEqual(item["id"], self.session.pk)
        self.assertEqual(item["meta"]["type"], "wagtail_pmolib.SessionPage")
        for field in (
            "edition",
            "full_title",
            "abstract",
            "speakers",
            "theme",
            "recording",
            "body",
            "notes",
            "table_of_contents",
            "starts_at",
            "duration_minutes",
            "has_recording",
            "has_handouts",
        ):
            self.assertIn(field, item)
        self.assertEqual(item["full_title"], self.session_detail()["full_title"])

    def test_drafts_and_restricted_sessions_are_not_in_the_api(self):
        data = self.get_json(PAGES, type="wagtail_pmolib.SessionPage")
        titles = [item["title"] for item in data["items"]]
        self.assertEqual(titles, [SEED_TITLE])
        for page in (self.draft, self.private):
            self.assertEqual(self.client.get(f"{PAGES}{page.pk}/").status_code, 404)

    def test_edition_and_full_title(self):
        data = self.session_detail()
        self.assertEqual(data["edition"], "PMO Conference 2021")
        self.assertEqual(data["full_title"], "PMO Conference 2021 \\\\ " + SEED_TITLE)

    def test_programme_fields(self):
        data = self.session_detail()
        self.assertEqual(data["theme"], {"id": self.theme.pk, "name": "PMO People"})
        self.assertEqual(data["duration_minutes"], 45)
        self.assertTrue(data["starts_at"].startswith("2021-11-02T11:00:00"))
        self.assertIs(data["has_recording"], True)
        self.assertIs(data["has_handouts"], True)

    def test_abstract_and_notes_are_front_end_html(self):
        data = self.session_detail()
        self.assertEqual(data["abstract"], '<p>Visit <a href="/library/">the library</a>.</p>')
        self.assertIn(f'href="{self.document.url}"', data["notes"])
        self.assertIn('<h3 id="the-sore-framework">The SORE framework</h3>', data["notes"])
        self.assertNotIn("linktype", data["abstract"] + data["notes"])

    def test_speakers(self):
        speakers = self.session_detail()["speakers"]
        self.assertEqual([s["name"] for s in speakers], ["Lindsay Scott", "Eileen Roden"])
        lindsay, eileen = speakers
        self.assertEqual(lindsay["role"], "Director")
        self.assertEqual(lindsay["organisation"], "PMO Learning")
        self.assertEqual(lindsay["slug"], "lindsay-scott")
        self.assertEqual(lindsay["bio"], "Runs PMO Flashmob.")
        photo = lindsay["photo"]
        self.assertEqual(set(photo), {"url", "full_url", "width", "height", "alt"})
        self.assertIn("fill-240x240", photo["url"])
        self.assertEqual(photo["width"], photo["height"])
        self.assertIsNone(eileen["photo"])
        self.assertEqual(eileen["organisation"], "")

    def test_recording_without_an_oembed_lookup(self):
        calls = len(embed_finders.CALLS)
        [block] = self.session_detail()["recording"]
        self.assertEqual(len(embed_finders.CALLS), calls)
        self.assertFalse(Embed.objects.exists())
        self.assertEqual(block["type"], "recording")
        value = block["value"]
        self.assertEqual(value["status"], "shortened")
        self.assertEqual(value["status_display"], "Shortened edit")
        self.assertEqual(value["notice"], SEED_NOTICE)
        self.assertIs(value["playable"], True)
        self.assertEqual(value["kind"], "embed")
        self.assertEqual(value["url"], "https://www.youtube.com/watch?v=seed123")
        self.assertEqual(
            value["chapters"],
            [
                {
                    "seconds": 0,
                    "label": "0:00",
                    "title": "Introduction",
                    "url": "https://www.youtube.com/watch?v=seed123&t=0",
                },
                {
                    "seconds": 270,
                    "label": "4:30",
                    "title": "SORE",
                    "url": "https://www.youtube.com/watch?v=seed123&t=270",
                },
            ],
        )

    def test_body_handouts_describe_their_document(self):
        body = self.session_detail()["body"]
        self.assertEqual([b["type"] for b in body], ["heading", "handout", "handouts", "paragraph"])
        self.assertEqual(
            body[0]["value"],
            {
                "text": "Handout – The SORE Framework",
                "level": 2,
                "anchor": "handout-the-sore-framework",
            },
        )
        handout = body[1]["value"]
        self.assertEqual(handout["title"], "The SORE Framework")
        self.assertEqual(handout["description"], "Take it home.")
        self.assertIsNone(handout["cover"])
        document = handout["document"]
        self.assertEqual(document["id"], self.document.pk)
        self.assertEqual(document["url"], self.document.url)
        self.assertEqual(document["file_type"], "PDF")
        self.assertEqual(document["file_extension"], "pdf")
        self.assertEqual(document["file_size"], self.size)
        self.assertGreater(self.size, 0)
        self.assertRegex(document["file_size_display"], r"^\d+\s(bytes|KB)$")
        group = body[2]["value"]
        self.assertEqual(group["heading"], "More handouts")
        self.assertEqual(group["anchor"], "more-handouts")
        self.assertEqual([h["title"] for h in group["handouts"]], ["Again"])
        self.assertEqual(group["handouts"][0]["document"]["file_type"], "PDF")

    def test_a_deleted_handout_document_is_left_out_not_an_error(self):
        session = SessionPage.objects.get(pk=self.session.pk)
        other = build_document("Gone", "gone.pdf")
        session.body.append(("handout", {"document": other, "title": "Gone"}))
        session.save_revision().publish()
        other.delete()
        body = self.session_detail()["body"]
        self.assertIsNone(body[-1]["value"])

    def test_table_of_contents_contract(self):
        toc = self.session_detail()["table_of_contents"]
        self.assertEqual(toc, SessionPage.objects.get(pk=self.session.pk).table_of_contents)
        self.assertEqual(
            [item["id"] for item in flatten(toc)],
            [
                "session-recording",
                "handout-the-sore-framework",
                "more-handouts",
                "read-more",
                "session-notes",
                "the-sore-framework",
            ],
        )
        for item in walk_toc(toc):
            self.assertEqual(set(item), {"id", "text", "level", "children"})
            self.assertIsInstance(item["id"], str)
            self.assertIsInstance(item["text"], str)
            self.assertIsInstance(item["level"], int)
            self.assertIsInstance(item["children"], list)
        # The paragraph's h3 sits under the handout group's h2.
        self.assertEqual([c["id"] for c in toc[2]["children"]], ["read-more"])

    def test_conference_fields(self):
        data = self.get_json(f"{PAGES}{self.conference.pk}/")
        self.assertEqual(data["meta"]["type"], "wagtail_pmolib.ConferencePage")
        self.assertEqual(data["start_date"], "2021-11-02")
        self.assertEqual(data["end_date"], "2021-11-03")
        self.assertEqual(data["venue"], "Barbican")
        self.assertEqual(data["city"], "London")
        self.assertIn("Our 2021 edition.", data["intro"])
        self.assertEqual(
            [(t["name"], t["description"]) for t in data["themes"]],
            [("PMO Services", ""), ("PMO People", ""), ("PMO in Practice", "")],
        )
        self.assertEqual(data["themes"][1]["id"], self.theme.pk)

    def test_conference_listing(self):
        data = self.get_json(
            PAGES, type="wagtail_pmolib.ConferencePage", fields="start_date,themes"
        )
        [item] = data["items"]
        self.assertEqual(item["start_date"], "2021-11-02")
        self.assertEqual(len(item["themes"]), 3)

    def test_library_intro(self):
        data = self.get_json(f"{PAGES}{self.library.pk}/")
        self.assertEqual(data["meta"]["type"], "wagtail_pmolib.LibraryIndexPage")
        self.assertEqual(data["intro"], "<p>Every session since 2019.</p>")
        listing = self.get_json(PAGES, type="wagtail_pmolib.LibraryIndexPage", fields="intro")
        self.assertEqual(listing["items"][0]["intro"], "<p>Every session since 2019.</p>")

    def test_intro_follows_the_requested_rich_text_format(self):
        library = type(self.library).objects.get(pk=self.library.pk)
        library.intro = f'<p>See <a linktype="page" id="{self.conference.pk}">2021</a>.</p>'
        library.save_revision().publish()
        data = self.get_json(f"{PAGES}{self.library.pk}/", rich_text_format="html")
        self.assertEqual(data["intro"], f'<p>See <a href="{self.conference.url}">2021</a>.</p>')

    def test_children_of_the_conference(self):
        data = self.get_json(PAGES, child_of=self.conference.pk)
        self.assertEqual([item["title"] for item in data["items"]], [SEED_TITLE])

    def test_no_wagtail_internal_link_markup_in_a_session(self):
        data = self.session_detail()
        self.assertNotIn("linktype", json.dumps(data))


class PagesAPIRestrictionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        library = build_library()
        conference = build_conference(library, "Members only")
        restrict(conference, PageViewRestriction.LOGIN)
        cls.session = build_session(conference, "Members session")

    def test_sessions_under_a_restricted_conference_are_not_in_the_api(self):
        response = self.client.get(PAGES, {"type": "wagtail_pmolib.SessionPage"})
        self.assertEqual(response.json()["meta"]["total_count"], 0)
        self.assertEqual(self.client.get(f"{PAGES}{self.session.pk}/").status_code, 404)
