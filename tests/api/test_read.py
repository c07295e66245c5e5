"""What each read endpoint of the JSON API answers, for the seed library."""

import datetime

from django.test import TestCase, override_settings
from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction, Page

from tests.api.support import API, build_seed_library
from tests.builders import SEED_TITLE, build_conference, build_document, build_session
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.conftest import SEED_NOTICE
from wagtail_pmolib.feedback.identity import Visitor
from wagtail_pmolib.feedback.votes import Submission, submit
from wagtail_pmolib.models import FeedbackSettings, SessionPage
from wagtail_pmolib.toc import flatten

BASE = "http://localhost"


class ReadTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.tree = build_seed_library()

    def get(self, path, **params):
        response = self.client.get(f"{API}{path}", params)
        self.assertEqual(response.status_code, 200, response.content[:500])
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        return response.json()

    def session(self, **params):
        return self.get(f"sessions/{self.tree.session.pk}/", **params)

    # --- Libraries and conferences ----------------------------------------------------

    def test_libraries(self):
        library = self.tree.library
        data = self.get("libraries/")
        self.assertEqual(data["count"], 1)
        self.assertEqual(
            data["items"],
            [
                {
                    "id": library.pk,
                    "title": "PMO Library",
                    "url": f"{BASE}/library/",
                    "api_url": f"{BASE}{API}libraries/{library.pk}/",
                    "updated_at": None,  # built, never published from the admin
                }
            ],
        )
        detail = self.get(f"libraries/{library.pk}/")
        self.assertEqual(detail["intro"], "<p>Every session since 2019.</p>")
        self.assertEqual([c["title"] for c in detail["conferences"]], ["PMO Conference 2021"])

    def test_conference_with_its_themes_and_sessions_in_running_order(self):
        conference = self.tree.conference
        data = self.get(f"conferences/{conference.pk}/")
        self.assertEqual(data["start_date"], "2021-11-02")
        self.assertEqual(data["end_date"], "2021-11-03")
        self.assertEqual(data["date_range"], "2–3 November 2021")
        self.assertEqual((data["venue"], data["city"]), ("Barbican", "London"))
        self.assertEqual(data["intro"], "<p>Our 2021 edition.</p>")
        self.assertEqual(
            [t["name"] for t in data["themes"]], ["PMO Services", "PMO People", "PMO in Practice"]
        )
        self.assertEqual(data["library"]["id"], self.tree.library.pk)
        self.assertEqual([s["title"] for s in data["sessions"]], [SEED_TITLE, "Portfolio offices"])
        listing = self.get("conferences/", library=self.tree.library.pk)
        self.assertEqual([c["id"] for c in listing["items"]], [conference.pk])

    def test_conferences_newest_first(self):
        older = build_conference(self.tree.library, "PMO Conference 2019")
        newer = build_conference(
            self.tree.library, "PMO Conference 2023", start_date=datetime.date(2023, 10, 1)
        )
        ids = [c["id"] for c in self.get("conferences/")["items"]]
        self.assertEqual(ids, [newer.pk, self.tree.conference.pk, older.pk])

    # --- Sessions: the list ------------------------------------------------------------

    def test_session_list_items(self):
        data = self.get("sessions/")
        self.assertEqual(data["count"], 2)
        self.assertEqual(
            [item["title"] for item in data["items"]], ["Portfolio offices", SEED_TITLE]
        )
        item = data["items"][1]
        session = self.tree.session
        self.assertEqual(item["id"], session.pk)
        self.assertEqual(item["full_title"], f"PMO Conference 2021 \\\\ {SEED_TITLE}")
        self.assertEqual(item["url"], f"{BASE}{session.url}")
        self.assertEqual(item["api_url"], f"{BASE}{API}sessions/{session.pk}/")
        self.assertEqual(item["conference"]["title"], "PMO Conference 2021")
        self.assertEqual(item["theme"], {"id": self.tree.theme.pk, "name": "PMO People"})
        self.assertEqual([s["name"] for s in item["speakers"]], ["Lindsay Scott", "Eileen Roden"])
        self.assertEqual(item["starts_at"], "2021-11-02T11:00:00Z")
        self.assertEqual(item["duration_minutes"], 45)
        self.assertIs(item["has_recording"], True)
        self.assertIs(item["has_handouts"], True)
        self.assertEqual(item["rating"], {"count": 0, "average": None})

    def test_session_list_filters(self):
        tree = self.tree
        self.assertEqual(
            [i["id"] for i in self.get("sessions/", theme=tree.theme.pk)["items"]],
            [tree.session.pk],
        )
        self.assertEqual(
            [i["id"] for i in self.get("sessions/", speaker=tree.eileen.pk)["items"]],
            [tree.session.pk],
        )
        self.assertEqual(
            self.get("sessions/", speaker=tree.lindsay.pk, conference=tree.conference.pk)["count"],
            2,
        )
        self.assertEqual(self.get("sessions/", has_handouts="false")["count"], 1)
        self.assertEqual(self.get("sessions/", has_recording="true")["count"], 1)
        self.assertEqual(self.get("sessions/", library=tree.library.pk)["count"], 2)
        other_library = type(tree.library)(title="Other", slug="other")
        Page.objects.get(pk=tree.library.get_parent().pk).add_child(instance=other_library)
        self.assertEqual(self.get("sessions/", library=other_library.pk)["count"], 0)

    def test_session_list_pages(self):
        for n in range(3):
            build_session(self.tree.conference, f"Extra {n}")
        first = self.get("sessions/", per_page=2)
        self.assertEqual(first["count"], 5)
        self.assertEqual(len(first["items"]), 2)
        last = self.get("sessions/", per_page=2, page=3)
        self.assertEqual(len(last["items"]), 1)
        seen = [
            i["id"] for p in (1, 2, 3) for i in self.get("sessions/", per_page=2, page=p)["items"]
        ]
        self.assertEqual(len(set(seen)), 5)

    # --- Sessions: one -----------------------------------------------------------------

    def test_session_heading_and_programme(self):
        data = self.session()
        tree = self.tree
        self.assertEqual(data["title"], SEED_TITLE)
        self.assertEqual(data["edition"], "PMO Conference 2021")
        self.assertEqual(data["full_title"], f"PMO Conference 2021 \\\\ {SEED_TITLE}")
        self.assertEqual(
            data["conference"],
            {
                "id": tree.conference.pk,
                "title": "PMO Conference 2021",
                "url": f"{BASE}/library/pmo-conference-2021/",
                "api_url": f"{BASE}{API}conferences/{tree.conference.pk}/",
                "date_range": "2–3 November 2021",
            },
        )
        self.assertEqual(data["theme"], {"id": tree.theme.pk, "name": "PMO People"})
        self.assertEqual(data["starts_at"], "2021-11-02T11:00:00Z")
        self.assertEqual(data["duration_minutes"], 45)
        session = SessionPage.objects.get(pk=tree.session.pk)
        self.assertEqual(data["updated_at"][:19], session.last_published_at.isoformat()[:19])

    def test_session_speakers_with_photo_renditions_from_the_allowlist(self):
        lindsay, eileen = self.session()["speakers"]
        self.assertEqual(lindsay["name"], "Lindsay Scott")
        self.assertEqual(lindsay["role_line"], "Director, PMO Learning")
        self.assertEqual(lindsay["bio"], "Runs PMO Flashmob.")
        self.assertEqual(lindsay["api_url"], f"{BASE}{API}speakers/{self.tree.lindsay.pk}/")
        photo = lindsay["photo"]
        self.assertEqual(photo["alt"], "")
        self.assertEqual(list(photo["renditions"]), ["fill-96x96", "fill-240x240"])
        small = photo["renditions"]["fill-96x96"]
        self.assertEqual((small["width"], small["height"]), (96, 96))
        self.assertTrue(small["url"].startswith(f"{BASE}/media/images/"))
        self.assertIsNone(eileen["photo"])

    @override_settings(WAGTAIL_PMOLIB={"API_RENDITIONS": {"photo": ["fill-50x50"]}})
    def test_the_renditions_follow_the_setting(self):
        photo = self.session()["speakers"][0]["photo"]
        self.assertEqual(list(photo["renditions"]), ["fill-50x50"])

    def test_abstract_and_notes_are_front_end_html_with_absolute_links(self):
        data = self.session()
        self.assertEqual(
            data["abstract"], f'<p>Visit <a href="{BASE}/library/">the library</a>.</p>'
        )
        self.assertIn(f'href="{BASE}{self.tree.document.url}"', data["notes"])
        self.assertIn('<h3 id="the-sore-framework">The SORE framework</h3>', data["notes"])
        self.assertNotIn("linktype", str(data))

    def test_recording(self):
        recording = self.session()["recording"]
        self.assertEqual(recording["provider"], "youtube")
        self.assertEqual(recording["kind"], "embed")
        self.assertEqual(recording["status"], "shortened")
        self.assertEqual(recording["status_display"], "Shortened edit")
        self.assertEqual(recording["notice"], SEED_NOTICE)
        self.assertIs(recording["playable"], True)
        self.assertEqual(recording["url"], "https://www.youtube.com/watch?v=seed123")
        self.assertEqual(
            [(c["label"], c["title"], c["url"]) for c in recording["chapters"]],
            [
                ("0:00", "Introduction", "https://www.youtube.com/watch?v=seed123&t=0"),
                ("4:30", "SORE", "https://www.youtube.com/watch?v=seed123&t=270"),
            ],
        )
        poster = recording["poster"]["renditions"]["fill-1280x720"]
        self.assertEqual((poster["width"], poster["height"]), (1280, 720))

    def test_body_blocks_each_with_its_own_shape(self):
        body = self.session()["body"]
        # The empty paragraph shows nothing on the page: it is not here either.
        self.assertEqual(
            [b["type"] for b in body],
            ["heading", "handout", "handouts", "figure", "quote", "paragraph"],
        )
        heading, handout, group, figure, quote, paragraph = (b["value"] for b in body)
        self.assertEqual(
            heading,
            {
                "text": "Handout – The SORE Framework",
                "level": 2,
                "anchor": "handout-the-sore-framework",
            },
        )
        document = self.tree.document
        self.assertEqual(handout["title"], "The SORE Framework")
        self.assertEqual(handout["description"], "Take it home.")
        self.assertEqual(
            handout["document"],
            {
                "id": document.pk,
                "title": "The SORE Framework",
                "private": False,
                "url": f"{BASE}{document.url}",
                "file_type": "PDF",
                "file_extension": "pdf",
                "file_size": document.file_size,
                "file_size_display": f"{document.file_size}\u00a0bytes",
            },
        )
        self.assertEqual(list(handout["cover"]["renditions"]), ["fill-120x160"])
        self.assertEqual(group["heading"], "More handouts")
        self.assertEqual(group["anchor"], "more-handouts")
        self.assertEqual(group["description"], "For the team.")
        self.assertEqual([h["title"] for h in group["handouts"]], ["Again"])
        self.assertEqual(figure["caption"], "The SORE framework")
        self.assertEqual(figure["image"]["alt"], "A chart")
        self.assertEqual(list(figure["image"]["renditions"]), ["max-1200x1200"])
        self.assertEqual(quote, {"quote": "Step up.", "attribution": "Lindsay"})
        self.assertEqual(
            paragraph,
            '<h3 id="read-more">Read more</h3>'
            f'<p>In <a href="{BASE}/library/">the library</a>.</p>',
        )
        self.assertTrue(all(b["id"] for b in body))

    def test_a_private_documents_handout_says_so_without_its_title(self):
        members = Collection.get_first_root_node().add_child(name="Members")
        CollectionViewRestriction.objects.create(
            collection=members, restriction_type=BaseViewRestriction.LOGIN
        )
        secret = build_document("Board minutes", "minutes.pdf")
        secret.collection = members
        secret.save()
        session = SessionPage.objects.get(pk=self.tree.session.pk)
        session.body.append(("handout", {"document": secret, "title": ""}))
        session.save_revision().publish()
        [public, private] = [b["value"] for b in self.session()["body"] if b["type"] == "handout"]
        self.assertIs(public["document"]["private"], False)
        self.assertIs(private["document"]["private"], True)
        self.assertEqual(private["title"], "")
        self.assertEqual(private["document"]["title"], "")
        self.assertEqual(private["document"]["url"], f"{BASE}{secret.url}")

    def test_a_handout_whose_document_was_deleted_is_left_out(self):
        gone = build_document("Gone", "gone.pdf")
        session = SessionPage.objects.get(pk=self.tree.session.pk)
        session.body.append(("handout", {"document": gone, "title": "Gone"}))
        session.save_revision().publish()
        gone.delete()
        body = self.session()["body"]
        handouts = [b["value"]["title"] for b in body if b["type"] == "handout"]
        self.assertEqual(handouts, ["The SORE Framework"])

    def test_table_of_contents_is_the_pages(self):
        data = self.session()
        session = SessionPage.objects.get(pk=self.tree.session.pk)
        self.assertEqual(data["table_of_contents"], session.table_of_contents)
        self.assertEqual(
            [item["id"] for item in flatten(data["table_of_contents"])],
            [
                "session-recording",
                "handout-the-sore-framework",
                "more-handouts",
                "read-more",
                "session-notes",
                "the-sore-framework",
            ],
        )

    def test_rating_summary_with_the_bayesian_average(self):
        settings = FeedbackSettings()
        for visitor, rating in (("a", 5), ("b", 4)):
            submit(self.tree.session, Visitor(key=visitor), Submission(rating, ""), settings)
        submit(self.tree.next_session, Visitor(key="c"), Submission(1, ""), settings)
        rating = self.session()["rating"]
        self.assertEqual(rating["count"], 2)
        self.assertEqual(rating["average"], 4.5)
        self.assertEqual(rating["average_display"], "4.5")
        self.assertEqual(rating["headline"], "4.5 out of 5 stars")
        # The library's mean is 10 / 3; five ratings at it, then these two.
        self.assertEqual(rating["bayesian_average"], round((5 * 10 / 3 + 9) / 7, 2))
        self.assertEqual(
            rating["distribution"],
            [
                {"stars": 5, "count": 1, "percent": 50},
                {"stars": 4, "count": 1, "percent": 50},
                {"stars": 3, "count": 0, "percent": 0},
                {"stars": 2, "count": 0, "percent": 0},
                {"stars": 1, "count": 0, "percent": 0},
            ],
        )
        listed = self.get("sessions/", conference=self.tree.conference.pk)["items"]
        self.assertEqual(
            {i["id"]: i["rating"] for i in listed}[self.tree.session.pk],
            {"count": 2, "average": 4.5},
        )
        # The same figures in Wagtail's API v2.
        v2 = self.client.get(f"/api/v2/pages/{self.tree.session.pk}/").json()
        self.assertEqual(v2["rating_summary"], rating)

    def test_feedback_and_neighbours(self):
        data = self.session()
        session = self.tree.session
        self.assertEqual(
            data["feedback"],
            {
                "enabled": True,
                "url": f"{BASE}{session.url}feedback/",
                "api_url": f"{BASE}{API}sessions/{session.pk}/feedback/",
            },
        )
        self.assertIsNone(data["previous"])
        self.assertEqual(data["next"]["title"], "Portfolio offices")
        self.assertEqual(
            data["next"]["api_url"], f"{BASE}{API}sessions/{self.tree.next_session.pk}/"
        )
        after = self.get(f"sessions/{self.tree.next_session.pk}/")
        self.assertEqual(after["previous"]["id"], session.pk)

    def test_by_path_is_the_same_session(self):
        by_id = self.client.get(f"{API}sessions/{self.tree.session.pk}/")
        for path in (self.tree.session.url, self.tree.session.url.rstrip("/")):
            by_path = self.client.get(f"{API}sessions/by-path/", {"path": path})
            self.assertEqual(by_path.status_code, 200)
            self.assertEqual(by_path.content, by_id.content)
            self.assertEqual(by_path["ETag"], by_id["ETag"])

    # --- Speakers -------------------------------------------------------------------

    def test_speakers_with_their_sessions(self):
        listing = self.get("speakers/")
        self.assertEqual([s["name"] for s in listing["items"]], ["Eileen Roden", "Lindsay Scott"])
        data = self.get(f"speakers/{self.tree.lindsay.pk}/")
        self.assertEqual(data["organisation"], "PMO Learning")
        self.assertEqual([s["title"] for s in data["sessions"]], ["Portfolio offices", SEED_TITLE])
