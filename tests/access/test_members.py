"""Members-only sessions (issue 11): who reads a session's gated parts (recording,
handouts, notes), and that nothing of them reaches anyone else by any surface:
the page's HTML and its cached fragments, search (results, excerpts,
suggestions), listings, the JSON API, Wagtail's API v2, document downloads and
the feedback endpoint.

An access matrix: anonymous, signed-in non-member, member, member of a chosen
group, superuser. Runs on Wagtail's database search backend: SQLite FTS5 by
default, PostgreSQL with DATABASE_URL=postgres://….
"""

from django.contrib.auth.models import Group, User
from django.core.checks import Error
from django.test import TestCase, override_settings
from wagtail.models import Page, Revision

from tests.api.support import API
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    build_conference,
    build_document,
    build_library,
    build_session,
    committed,
    handout_body,
    recording_stream,
    soup_of,
    text_of,
)
from wagtail_pmolib.access.members import can_read_full, readable_q
from wagtail_pmolib.checks import check_gated_documents
from wagtail_pmolib.models import Feedback, SessionPage, Speaker

SECRET_NOTES = "quokka governance ledger"
SECRET_HANDOUT = "Wombat staffing matrix"
SECRET_CAPTIONS = "Numbat captions"
SECRET_HEADING = "Kakapo escalation path"
GROUP_SECRET = "platypus board minutes"

MEMBERS = {"MEMBER_GROUPS": ["Members"], "JOIN_URL": "https://example.com/join/"}
SECRETS = ("quokka", "Wombat", "Numbat", "platypus", "wombat", "numbat")


def visible_secrets(text):
    return [word for word in SECRETS if word in text]


@override_settings(WAGTAIL_PMOLIB=MEMBERS)
class MembersAccessTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.open = build_conference(cls.library, "Open 2021")
        cls.members_conf = build_conference(cls.library, "Members 2022", access_level="members")
        cls.speaker = Speaker.objects.create(name="Lindsay Scott")
        cls.handout = build_document(SECRET_HANDOUT, "wombat.pdf")
        cls.captions = build_document(SECRET_CAPTIONS, "numbat.pdf")
        cls.shared = build_document("Shared checklist", "shared.pdf")
        cls.free = build_session(
            cls.open,
            "Free clinic",
            speakers=[cls.speaker],
            abstract="<p>Open to everyone.</p>",
            notes="<p>Free notes about dingo.</p>",
            body=handout_body(cls.shared),
        )
        cls.gated = build_session(
            cls.members_conf,
            "Gated masterclass",
            speakers=[cls.speaker],
            abstract="<p>Teaser abstract about hierarchy.</p>",
            recording=recording_stream(captions=cls.captions),
            body=[
                ("heading", {"text": SECRET_HEADING, "level": "h2", "anchor": ""}),
                *handout_body(cls.handout, description="Slides for members."),
                *handout_body(cls.shared),
            ],
            notes=f"<p>{SECRET_NOTES}</p>",
        )
        cls.board_group = Group.objects.create(name="Board")
        board = SessionPage(
            title="Board briefing",
            slug="board-briefing",
            abstract="<p>For the board.</p>",
            notes=f"<p>{GROUP_SECRET}</p>",
            access_level="groups",
        )
        board.access_groups.set([cls.board_group])
        cls.open.add_child(instance=board)
        board.save_revision().publish()
        cls.board_session = SessionPage.objects.get(pk=board.pk)
        cls.members_group = Group.objects.create(name="Members")
        cls.member = User.objects.create_user("member", password="pw")
        cls.member.groups.add(cls.members_group)
        cls.nonmember = User.objects.create_user("reader", password="pw")
        cls.director = User.objects.create_user("director", password="pw")
        cls.director.groups.add(cls.board_group)
        cls.admin = User.objects.create_superuser("admin", password="pw")
        # An editor of the admin (Wagtail's "Editors" group) without membership: the
        # live site shows them the teaser; a preview shows them everything.
        cls.editor = User.objects.create_user("editor", password="pw")
        cls.editor.groups.add(Group.objects.get(name="Editors"))

    def as_(self, who):
        self.client.logout()
        if who != "anonymous":
            self.client.force_login(getattr(self, who))

    # --- The rule ------------------------------------------------------------------------------

    def test_levels_are_inherited_from_the_conference_then_the_library(self):
        gated = SessionPage.objects.get(pk=self.gated.pk)
        self.assertEqual(gated.access_level, "inherit")
        self.assertEqual(gated.access_effective, "members")
        self.assertEqual(gated.access_source_id, self.members_conf.pk)
        self.assertEqual(SessionPage.objects.get(pk=self.free.pk).access_effective, "free")
        board = SessionPage.objects.get(pk=self.board_session.pk)
        self.assertEqual((board.access_effective, board.access_source_id), ("groups", board.pk))

    def test_the_matrix_of_the_rule_and_its_queryset_form_agree(self):
        expected = {
            "anonymous": {self.free.pk},
            "nonmember": {self.free.pk},
            "editor": {self.free.pk},
            "member": {self.free.pk, self.gated.pk},
            "director": {self.free.pk, self.board_session.pk},
            "admin": {self.free.pk, self.gated.pk, self.board_session.pk},
        }
        from django.contrib.auth.models import AnonymousUser

        for who, ids in expected.items():
            user = AnonymousUser() if who == "anonymous" else getattr(self, who)
            user = User.objects.get(pk=user.pk) if user.pk else user  # no memo
            with self.subTest(who):
                self.assertEqual(
                    set(SessionPage.objects.filter(readable_q(user)).values_list("pk", flat=True)),
                    ids,
                )
                self.assertEqual(
                    {s.pk for s in SessionPage.objects.all() if can_read_full(user, s)}, ids
                )

    def test_a_conference_changing_level_updates_its_sessions_and_the_index(self):
        self.assertEqual(self.search("quokka"), [])
        with committed():
            conference = Page.objects.get(pk=self.members_conf.pk).specific
            conference.access_level = "free"
            conference.save_revision().publish()
        self.assertEqual(SessionPage.objects.get(pk=self.gated.pk).access_effective, "free")
        self.assertEqual(self.search("quokka"), ["Gated masterclass"])
        with committed():
            library = Page.objects.get(pk=self.library.pk).specific
            library.access_level = "members"
            library.save_revision().publish()
        # The open conference inherits from the library now; the board keeps its own.
        self.assertEqual(SessionPage.objects.get(pk=self.free.pk).access_effective, "members")
        self.assertEqual(SessionPage.objects.get(pk=self.gated.pk).access_effective, "free")
        self.assertEqual(
            SessionPage.objects.get(pk=self.board_session.pk).access_effective, "groups"
        )
        self.assertEqual(self.search("dingo"), [])

    def test_a_session_moved_to_a_members_conference_is_gated(self):
        with committed():
            Page.objects.get(pk=self.free.pk).move(self.members_conf, pos="last-child")
        self.assertEqual(SessionPage.objects.get(pk=self.free.pk).access_effective, "members")
        self.assertEqual(self.search("dingo"), [])
        self.as_("anonymous")
        html = self.client.get(SessionPage.objects.get(pk=self.free.pk).url).content.decode()
        self.assertNotIn("dingo", html)

    def test_publishing_an_old_draft_does_not_bring_back_an_old_level(self):
        """The level that applies is worked out when the page is saved, not read
        from the revision (which was saved when the conference was free)."""
        session = build_session(self.open, "Moving later", notes="<p>echidna</p>")
        draft = SessionPage.objects.get(pk=session.pk)
        draft.title = "Moving later, revised"
        revision = draft.save_revision()
        with committed():
            Page.objects.get(pk=session.pk).move(self.members_conf, pos="last-child")
        with committed():
            Revision.objects.get(pk=revision.pk).publish()
        self.assertEqual(SessionPage.objects.get(pk=session.pk).access_effective, "members")

    def test_the_admin_shows_the_level_beside_the_title(self):
        self.as_("admin")
        members = self.client.get(f"/admin/pages/{self.members_conf.pk}/").content.decode()
        self.assertTrue("Gated masterclass · 🔒 Members" in members)
        self.assertTrue("Members 2022 · 🔒 Members" in members)
        open_listing = self.client.get(f"/admin/pages/{self.open.pk}/").content.decode()
        self.assertTrue("Board briefing · 🔒 Chosen groups" in open_listing)
        self.assertTrue("Free clinic" in open_listing)
        self.assertFalse("Free clinic ·" in open_listing)
        edit = self.client.get(f"/admin/pages/{self.gated.pk}/edit/").content.decode()
        self.assertTrue("🔒 Members" in edit)
        self.assertTrue('name="access_level"' in edit)

    # --- The session page ----------------------------------------------------------------------

    def page(self, who, session=None):
        self.as_(who)
        response = self.client.get((session or self.gated).url)
        self.assertEqual(response.status_code, 200)
        return response

    def test_the_teaser_shows_what_is_missing_and_never_the_gated_parts(self):
        for who in ("anonymous", "nonmember", "director", "editor"):
            with self.subTest(who):
                response = self.page(who)
                html = response.content.decode()
                self.assertEqual(visible_secrets(html), [])
                self.assertNotIn(self.handout.url, html)
                self.assertNotIn(self.captions.url, html)
                soup = soup_of(response)
                self.assertIn("Gated masterclass", text_of(soup.select_one("h1")))
                self.assertIn("Teaser abstract about hierarchy.", html)
                self.assertIn("Lindsay Scott", html)
                self.assertIsNotNone(soup.select_one("[data-pmolib-teaser]"))
                # The table of contents' headings (not links: their sections are not here).
                toc = soup.select_one(".pmolib-toc--teaser")
                self.assertIn(SECRET_HEADING, text_of(toc))
                self.assertIsNone(toc.select_one("a"))
                self.assertEqual(
                    soup.select_one("[data-pmolib-join]")["href"], "https://example.com/join/"
                )
                # No rating form for those without access (GATED_FEEDBACK = "readers").
                self.assertIsNone(soup.select_one("[data-pmolib-feedback-form]"))

    def test_signing_in_returns_to_the_session(self):
        link = soup_of(self.page("anonymous")).select_one("[data-pmolib-sign-in]")
        self.assertEqual(
            link["href"], f"/accounts/login/?next={self.gated.url.replace('/', '%2F')}"
        )
        self.assertIsNone(soup_of(self.page("nonmember")).select_one("[data-pmolib-sign-in]"))

    def test_readers_get_the_full_article(self):
        for who, session in (
            ("member", self.gated),
            ("admin", self.gated),
            ("director", self.board_session),
        ):
            with self.subTest(who):
                html = self.page(who, session).content.decode()
                self.assertIsNone(
                    soup_of(self.page(who, session)).select_one("[data-pmolib-teaser]")
                )
                self.assertTrue(visible_secrets(html))

    def test_a_cached_article_is_never_shown_to_someone_without_access(self):
        for first, then in (
            ("member", "anonymous"),
            ("anonymous", "member"),
            ("member", "nonmember"),
        ):
            with self.subTest(first=first, then=then):
                from django.core.cache import cache

                cache.clear()
                self.page(first)
                second = self.page(then).content.decode()
                self.assertEqual(bool(visible_secrets(second)), then == "member")

    def test_an_editors_preview_shows_everything(self):
        self.as_("editor")
        page = SessionPage.objects.get(pk=self.gated.pk)
        response = page.make_preview_request()
        self.assertTrue(visible_secrets(response.content.decode()))

    @override_settings(WAGTAIL_PMOLIB={**MEMBERS, "TEASER_TABLE_OF_CONTENTS": False})
    def test_a_setting_hides_the_teasers_table_of_contents(self):
        html = self.page("anonymous").content.decode()
        self.assertNotIn(SECRET_HEADING, html)
        self.assertIn(SECRET_HEADING, self.page("member").content.decode())

    def test_listings_show_the_badge_not_the_gated_parts(self):
        self.as_("anonymous")
        html = self.client.get(self.members_conf.url).content.decode()
        self.assertIn("Gated masterclass", html)
        self.assertIn("pmolib-badge--members", html)
        self.assertEqual(visible_secrets(html), [])

    # --- Search ------------------------------------------------------------------------------

    def search(self, q, who="anonymous"):
        self.as_(who)
        response = self.client.get(self.library.url, {"q": q})
        self.assertEqual(response.status_code, 200)
        return [text_of(a) for a in soup_of(response).select(".pmolib-result__title a")]

    def test_gated_sessions_are_found_by_their_teaser_only(self):
        for who in ("anonymous", "nonmember", "member", "admin"):
            with self.subTest(who):
                self.assertEqual(self.search("quokka", who), [])
                self.assertEqual(self.search("wombat", who), [])
                self.assertEqual(self.search("numbat", who), [])
                self.assertEqual(self.search("platypus", who), [])
                self.assertEqual(self.search("hierarchy", who), ["Gated masterclass"])
                self.assertEqual(self.search("masterclass", who), ["Gated masterclass"])
        self.assertEqual(self.search("dingo"), ["Free clinic"])

    def test_excerpts_never_quote_gated_text_and_results_carry_a_lock(self):
        self.as_("anonymous")
        response = self.client.get(self.library.url, {"q": "masterclass"})
        soup = soup_of(response)
        [result] = soup.select(".pmolib-result")
        self.assertEqual(visible_secrets(str(result)), [])
        self.assertIn("Teaser abstract", text_of(result.select_one(".pmolib-result__excerpt")))
        self.assertIsNotNone(result.select_one(".pmolib-badge--locked"))
        self.as_("member")
        soup = soup_of(self.client.get(self.library.url, {"q": "masterclass"}))
        self.assertIsNone(soup.select_one(".pmolib-badge--locked"))
        self.assertIsNotNone(soup.select_one(".pmolib-badge--members"))

    def test_suggestions_offer_titles_only(self):
        self.as_("anonymous")
        for q in ("quok", "womb", "numb"):
            found = self.client.get(f"{self.library.url}suggest/", {"q": q}).json()
            self.assertEqual(found["sessions"], [])
        found = self.client.get(f"{self.library.url}suggest/", {"q": "masterc"}).json()
        self.assertEqual([s["title"] for s in found["sessions"]], ["Gated masterclass"])

    # --- The JSON API ---------------------------------------------------------------------------

    def api(self, who, path, **params):
        self.as_(who)
        response = self.client.get(f"{API}{path}", params)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return response

    def test_the_json_api_gives_a_teaser_without_access(self):
        for who in ("anonymous", "nonmember", "director"):
            with self.subTest(who):
                response = self.api(who, f"sessions/{self.gated.pk}/")
                self.assertEqual(visible_secrets(response.content.decode()), [])
                data = response.json()
                self.assertIsNone(data["recording"])
                self.assertEqual((data["body"], data["notes"]), ([], ""))
                self.assertIn("hierarchy", data["abstract"])
                self.assertEqual(data["access"]["level"], "members")
                self.assertIs(data["access"]["full"], False)
                self.assertEqual(data["access"]["join_url"], "https://example.com/join/")
                self.assertIs(data["feedback"]["enabled"], False)
                # Its headings, as the teaser page shows them.
                headings = [entry["text"] for entry in data["table_of_contents"]]
                self.assertIn(SECRET_HEADING, headings)
        signed_out = self.api("anonymous", f"sessions/{self.gated.pk}/").json()
        self.assertIn("/accounts/login/?next=", signed_out["access"]["sign_in_url"])
        data = self.api("member", f"sessions/{self.gated.pk}/").json()
        self.assertIs(data["access"]["full"], True)
        self.assertIn("quokka", data["notes"])
        self.assertTrue(data["body"])

    def test_the_json_api_etag_differs_by_what_the_caller_is_shown(self):
        anonymous = self.api("anonymous", f"sessions/{self.gated.pk}/")["ETag"]
        self.as_("member")
        response = self.client.get(f"{API}sessions/{self.gated.pk}/", HTTP_IF_NONE_MATCH=anonymous)
        self.assertEqual(response.status_code, 200)

    def test_the_json_api_lists_say_the_level(self):
        items = self.api("anonymous", "sessions/").json()["items"]
        levels = {item["title"]: item["access"] for item in items}
        self.assertEqual(levels["Gated masterclass"], "members")
        self.assertEqual(levels["Free clinic"], "free")
        self.assertEqual(levels["Board briefing"], "groups")
        self.assertEqual(visible_secrets(str(items)), [])

    def test_api_v2_gives_a_teaser_without_access(self):
        for who in ("anonymous", "nonmember"):
            with self.subTest(who):
                self.as_(who)
                response = self.client.get(f"/api/v2/pages/{self.gated.pk}/")
                self.assertEqual(visible_secrets(response.content.decode()), [])
                data = response.json()
                self.assertEqual((data["recording"], data["body"], data["notes"]), ([], [], ""))
                self.assertIs(data["access"]["full"], False)
                listing = self.client.get(
                    "/api/v2/pages/", {"type": "wagtail_pmolib.SessionPage", "fields": "*"}
                )
                self.assertEqual(visible_secrets(listing.content.decode()), [])
                for word in ("quokka", "wombat", "numbat"):
                    found = self.client.get("/api/v2/pages/", {"search": word}).json()
                    self.assertEqual(found["meta"]["total_count"], 0)
        self.as_("member")
        data = self.client.get(f"/api/v2/pages/{self.gated.pk}/").json()
        self.assertIn("quokka", data["notes"])
        self.assertIs(data["access"]["full"], True)

    # --- Documents ---------------------------------------------------------------------------

    def download(self, who, document):
        self.as_(who)
        return self.client.get(document.url)

    def test_gated_handouts_and_captions_download_only_with_access(self):
        for document in (self.handout, self.captions):
            with self.subTest(document.title):
                response = self.download("anonymous", document)
                self.assertEqual(response.status_code, 302)
                self.assertIn("/accounts/login/?next=", response["Location"])
                self.assertEqual(self.download("nonmember", document).status_code, 403)
                self.assertEqual(self.download("director", document).status_code, 403)
                for who in ("member", "admin"):
                    response = self.download(who, document)
                    self.assertEqual(response.status_code, 200)
                    # A shared cache in front keeps it apart by the session cookie.
                    self.assertIn("Cookie", response["Vary"])

    def test_a_document_a_free_session_shows_is_free(self):
        """The rule for a document used by both a free and a gated session: its link
        is public on the free one, so it downloads for anyone."""
        self.assertEqual(self.download("anonymous", self.shared).status_code, 200)

    # --- Feedback ------------------------------------------------------------------------------

    def test_only_readers_may_rate_a_gated_session(self):
        for who, status in (("anonymous", 403), ("nonmember", 403), ("member", 200)):
            with self.subTest(who):
                self.as_(who)
                response = self.client.post(
                    f"{self.gated.url}feedback/",
                    {"rating": "5"},
                    HTTP_ACCEPT="application/json",
                )
                self.assertEqual(response.status_code, status, response.content[:200])

    def test_the_json_api_search_finds_the_teaser_only_and_says_locked(self):
        for who, locked in (("anonymous", True), ("nonmember", True), ("member", False)):
            with self.subTest(who):
                for q in ("quokka", "wombat", "numbat", "platypus"):
                    found = self.api(who, f"libraries/{self.library.pk}/search/", q=q).json()
                    self.assertEqual(found["items"], [], q)
                response = self.api(who, f"libraries/{self.library.pk}/search/", q="masterclass")
                self.assertEqual(visible_secrets(response.content.decode()), [])
                [item] = response.json()["items"]
                self.assertEqual((item["title"], item["access"]), ("Gated masterclass", "members"))
                self.assertIs(item["locked"], locked)
                self.assertIn("Teaser abstract", item["excerpt"]["text"])
                suggested = self.api(
                    who, f"libraries/{self.library.pk}/suggestions/", q="womb"
                ).json()
                self.assertEqual(suggested["sessions"], [])
        # The Access facet, as the page offers it ("Free Articles" is one link).
        found = self.api("anonymous", f"libraries/{self.library.pk}/search/", access="free").json()
        titles = {item["title"] for item in found["items"]}
        self.assertIn("Free clinic", titles)
        self.assertNotIn("Gated masterclass", titles)
        [facet] = [facet for facet in found["facets"] if facet["name"] == "access"]
        self.assertEqual({o["value"] for o in facet["options"]}, {"free", "members"})

    def test_only_readers_may_rate_a_gated_session_through_the_json_api(self):
        for who, status in (("anonymous", 403), ("nonmember", 403), ("member", 200)):
            with self.subTest(who):
                self.as_(who)
                response = self.client.post(
                    f"{API}sessions/{self.gated.pk}/feedback/",
                    {"rating": 5},
                    content_type="application/json",
                )
                self.assertEqual(response.status_code, status, response.content[:200])
        self.assertEqual(Feedback.objects.filter(page=self.gated).count(), 1)

    @override_settings(WAGTAIL_PMOLIB={**MEMBERS, "GATED_FEEDBACK": "everyone"})
    def test_a_setting_lets_everyone_rate(self):
        self.as_("anonymous")
        response = self.client.post(
            f"{self.gated.url}feedback/", {"rating": "4"}, HTTP_ACCEPT="application/json"
        )
        self.assertEqual(response.status_code, 200)

    # --- System check --------------------------------------------------------------------------

    def test_direct_document_serving_is_an_error_once_a_session_is_gated(self):
        with override_settings(WAGTAILDOCS_SERVE_METHOD="direct"):
            [error] = check_gated_documents(None)
        self.assertIsInstance(error, Error)
        self.assertEqual(error.id, "wagtail_pmolib.E002")
        with override_settings(WAGTAILDOCS_SERVE_METHOD="serve_view"):
            self.assertEqual(check_gated_documents(None), [])
        SessionPage.objects.update(access_effective="free")
        with override_settings(WAGTAILDOCS_SERVE_METHOD="direct"):
            self.assertEqual(check_gated_documents(None), [])


class RecordingEmbargoTests(TestCase):
    """ "Embargoed until DATE": for everyone, or only for non-members (a setting),
    decided when the page or the API is asked."""

    @classmethod
    def setUpTestData(cls):
        import datetime

        library = build_library()
        conference = build_conference(library, "Open 2021")
        cls.session = build_session(
            conference,
            "Embargoed keynote",
            recording=recording_stream(
                status="embargoed", available_from=datetime.date(2099, 1, 1), notice=""
            ),
        )
        cls.member = User.objects.create_user("member", password="pw")
        cls.member.groups.add(Group.objects.create(name="Members"))

    def playable(self, who):
        self.client.logout()
        if who == "member":
            self.client.force_login(self.member)
        data = self.client.get(f"{API}sessions/{self.session.pk}/").json()
        v2 = self.client.get(f"/api/v2/pages/{self.session.pk}/").json()
        html = self.client.get(self.session.url).content.decode()
        return (
            data["recording"]["playable"],
            v2["recording"][0]["value"]["playable"] if v2["recording"] else None,
            "will be available from" not in html,
        )

    @override_settings(WAGTAIL_PMOLIB={"MEMBER_GROUPS": ["Members"]})
    def test_by_default_an_embargo_holds_for_everyone(self):
        self.assertEqual(self.playable("anonymous"), (False, False, False))
        self.assertEqual(self.playable("member"), (False, False, False))

    def test_an_embargoed_recordings_file_does_not_download_before_the_date(self):
        import datetime

        video = build_document("Keynote video", "keynote.mp4")
        captions = build_document("Keynote captions", "keynote.vtt")
        session = build_session(
            Page.objects.get(pk=self.session.pk).get_parent().specific,
            "Embargoed video",
            recording=recording_stream(
                url="",
                video=video,
                captions=captions,
                status="embargoed",
                available_from=datetime.date(2099, 1, 1),
            ),
        )
        for document in (video, captions):
            self.client.logout()
            self.assertEqual(self.client.get(document.url).status_code, 302)
            self.client.force_login(self.member)
            self.assertEqual(self.client.get(document.url).status_code, 403)
            with override_settings(
                WAGTAIL_PMOLIB={"MEMBER_GROUPS": ["Members"], "RECORDING_EMBARGO": "non-members"}
            ):
                self.assertEqual(self.client.get(document.url).status_code, 200)
        # Once the day has come, for everyone.
        with committed():
            page = SessionPage.objects.get(pk=session.pk)
            page.recording[0].value["available_from"] = datetime.date(2020, 1, 1)
            page.save_revision().publish()
        self.client.logout()
        self.assertEqual(self.client.get(video.url).status_code, 200)

    @override_settings(
        WAGTAIL_PMOLIB={"MEMBER_GROUPS": ["Members"], "RECORDING_EMBARGO": "non-members"}
    )
    def test_members_may_watch_before_the_date(self):
        self.assertEqual(self.playable("member"), (True, True, True))
        # The member's copy of the article is never served to anyone else.
        self.assertEqual(self.playable("anonymous"), (False, False, False))
