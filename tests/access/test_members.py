"""Members-only sessions (issue 11): who reads a session's gated parts (recording,
handouts, notes), and that nothing of them reaches anyone else by any surface:
the page's HTML and its cached fragments, search (results, excerpts,
suggestions), listings, the JSON API, Wagtail's API v2, document downloads and
the feedback endpoint.

An access matrix: anonymous, signed-in non-member, member, member of a chosen
group, superuser. Runs on Wagtail's database search backend: SQLite FTS5 by
default, PostgreSQL with DATABASE_URL=postgres://….
"""

import io

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

    def test_gated_sessions_are_found_by_their_teaser_only_without_access(self):
        """Those who may not read it; its readers find it by its full text too
        (``MembersSearchTests``)."""
        for who in ("anonymous", "nonmember", "editor", "director"):
            with self.subTest(who):
                self.assertEqual(self.search("quokka", who), [])
                self.assertEqual(self.search("wombat", who), [])
                self.assertEqual(self.search("hierarchy", who), ["Gated masterclass"])
                self.assertEqual(self.search("masterclass", who), ["Gated masterclass"])
        for who in ("anonymous", "nonmember", "member", "editor"):
            with self.subTest(who):
                self.assertEqual(self.search("platypus", who), [])
        # The recording's captions file is not a handout: searched by no one.
        for who in ("anonymous", "member", "admin"):
            with self.subTest(who):
                self.assertEqual(self.search("numbat", who), [])
        self.assertEqual(self.search("quokka", "member"), ["Gated masterclass"])
        self.assertEqual(self.search("platypus", "director"), ["Board briefing"])
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
                secret_words = ("numbat", "platypus") if who == "member" else SECRETS[:4]
                for q in secret_words:
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


FULL_TEXT_WORDS = {"quokka": "notes", "bilby": "a handout's title", "galah": "a PDF's text"}
WHO = ("anonymous", "nonmember", "member", "director", "outsider", "admin")


@override_settings(WAGTAIL_PMOLIB=MEMBERS)
class MembersSearchTests(TestCase):
    """Readers of a members-only session find it by its full text (notes, handouts,
    PDF text), through the members' index (``models.members_text``); everyone
    else by its teaser only. The HTML page and the JSON API agree."""

    @classmethod
    def setUpTestData(cls):
        from tests.search.helpers import handout, make_pdf_document
        from tests.search.test_privacy import add_collection, restrict_collection

        cls.library = build_library()
        cls.open = build_conference(cls.library, "Open 2021")
        cls.members_conf = build_conference(cls.library, "Members 2022", access_level="members")
        cls.speaker = Speaker.objects.create(name="Lindsay Scott")
        cls.deck = make_pdf_document("Members deck", ["Galah migration figures"])
        private = add_collection("Board papers")
        restrict_collection(private)
        cls.private_pdf = make_pdf_document("Cassowary secrets", ["Cassowary budget lines"])
        cls.private_pdf.collection = private
        with committed():
            cls.private_pdf.save()
        cls.gated = build_session(
            cls.members_conf,
            "Gated masterclass",
            speakers=[cls.speaker],
            abstract="<p>Teaser abstract about hierarchy.</p>",
            body=[
                handout(cls.deck, "Bilby roadmap", "Slides for members."),
                handout(cls.private_pdf),
            ],
            notes="<p>quokka governance ledger</p>",
        )
        cls.board_group = Group.objects.create(name="Board")
        board = SessionPage(
            title="Board briefing",
            slug="board-briefing",
            abstract="<p>For the board.</p>",
            notes="<p>platypus board minutes</p>",
            access_level="groups",
        )
        board.access_groups.set([cls.board_group])
        with committed():
            cls.open.add_child(instance=board)
            board.save_revision().publish()
        cls.board = SessionPage.objects.get(pk=board.pk)
        cls.free = build_session(cls.open, "Free clinic", notes="<p>Free notes about dingo.</p>")
        cls.member = User.objects.create_user("member", password="pw")
        cls.member.groups.add(Group.objects.create(name="Members"))
        cls.nonmember = User.objects.create_user("reader", password="pw")
        cls.director = User.objects.create_user("director", password="pw")
        cls.director.groups.add(cls.board_group)
        cls.outsider = User.objects.create_user("volunteer", password="pw")
        cls.outsider.groups.add(Group.objects.create(name="Volunteers"))
        cls.admin = User.objects.create_superuser("admin", password="pw")

    def as_(self, who):
        self.client.logout()
        if who != "anonymous":
            self.client.force_login(getattr(self, who))

    def html(self, q, who="anonymous", **params):
        self.as_(who)
        response = self.client.get(self.library.url, {"q": q, **params})
        self.assertEqual(response.status_code, 200)
        return response

    def found(self, q, who="anonymous"):
        return [text_of(a) for a in soup_of(self.html(q, who)).select(".pmolib-result__title a")]

    def api_search(self, q, who="anonymous"):
        self.as_(who)
        response = self.client.get(f"{API}libraries/{self.library.pk}/search/", {"q": q})
        self.assertEqual(response.status_code, 200, response.content[:300])
        return response.json()

    def row(self, session):
        from wagtail_pmolib.models import SessionMembersText

        return SessionMembersText.objects.filter(pk=session.pk).first()

    def indexed(self, session) -> bool:
        """Whether the members' index has an entry for ``session``."""
        from django.contrib.contenttypes.models import ContentType
        from modelsearch.conf import get_app_config

        from wagtail_pmolib.models import SessionMembersText

        return (
            get_app_config()
            .get_model("IndexEntry")
            .objects.filter(
                content_type=ContentType.objects.get_for_model(SessionMembersText),
                object_id=str(session.pk),
            )
            .exists()
        )

    def publish(self, page, **changes):
        with committed():
            page = Page.objects.get(pk=page.pk).specific
            for name, value in changes.items():
                if name == "access_groups":
                    page.access_groups.set(value)
                else:
                    setattr(page, name, value)
            page.save_revision().publish()

    # --- The matrix ----------------------------------------------------------------------------

    def test_who_finds_a_members_only_session_by_its_full_text(self):
        readers = {
            "Gated masterclass": {"member", "admin"},
            "Board briefing": {"director", "admin"},
        }
        readers["Free clinic"] = set(WHO)
        cases = [(word, "Gated masterclass") for word in FULL_TEXT_WORDS]
        cases += [("platypus", "Board briefing"), ("dingo", "Free clinic")]
        for who in WHO:
            for word, title in cases:
                with self.subTest(who=who, word=word):
                    response = self.html(word, who)
                    search = response.context["search"]
                    soup = soup_of(response)
                    titles = [text_of(a) for a in soup.select(".pmolib-result__title a")]
                    excerpts = [
                        " ".join(excerpt.get_text().split())
                        for excerpt in soup.select(".pmolib-result__excerpt")
                    ]
                    if who in readers[title]:
                        self.assertEqual(titles, [title])
                        # The excerpt quotes the words it was found by.
                        self.assertIn(word, excerpts[0].casefold())
                        self.assertIsNone(soup.select_one(".pmolib-badge--locked"))
                    else:
                        self.assertEqual(titles, [])
                    # The counts agree with the results.
                    self.assertEqual(search.total, len(titles))
                    conference_counts = [
                        option.count
                        for facet in search.facets
                        if facet.name == "conference"
                        for option in facet.options
                    ]
                    self.assertEqual(sum(conference_counts), len(titles))
                    # The JSON API says the same.
                    data = self.api_search(word, who)
                    self.assertEqual([item["title"] for item in data["items"]], titles)
                    self.assertEqual(data["count"], search.total)
                    self.assertEqual(
                        [" ".join(item["excerpt"]["text"].split()) for item in data["items"]],
                        excerpts,
                    )
                    api_conferences = [
                        option["count"]
                        for facet in data["facets"]
                        if facet["name"] == "conference"
                        for option in facet["options"]
                    ]
                    self.assertEqual(api_conferences, conference_counts)

    def test_all_of_the_words_one_in_the_title_and_one_in_the_notes(self):
        for who in WHO:
            with self.subTest(who):
                response = self.html("masterclass quokka", who)
                search = response.context["search"]
                titles = [text_of(a) for a in soup_of(response).select(".pmolib-result__title a")]
                data = self.api_search("masterclass quokka", who)
                self.assertEqual([item["title"] for item in data["items"]], titles)
                self.assertEqual(data["matched_any_word"], search.matched_any_word)
                # Found either way; only its readers find it with all of the words.
                self.assertEqual(titles, ["Gated masterclass"])
                if who in ("member", "admin"):
                    self.assertFalse(search.matched_any_word)
                    self.assertIn(
                        "quokka",
                        text_of(soup_of(response).select_one("mark"))
                        + str(
                            [text_of(m) for m in soup_of(response).select(".pmolib-result mark")]
                        ),
                    )
                else:
                    # By "masterclass" in its title only (any of the words).
                    self.assertTrue(search.matched_any_word)
                    self.assertNotIn(
                        "quokka",
                        response.content.decode()
                        .split("<main", 1)[-1]
                        .split('class="pmolib-results', 1)[-1],
                    )

    def test_a_private_documents_text_is_searched_by_no_one(self):
        """Its readers find a session by its public handout's PDF, never by a
        private one's (``models.documents.private_q``), a superuser included."""
        row = self.row(self.gated)
        self.assertIn("Galah", row.text)
        self.assertNotIn("Cassowary", row.text)
        self.assertNotIn("Cassowary", row.title)
        for who in WHO:
            with self.subTest(who):
                self.assertEqual(self.found("cassowary", who), [])
        self.assertEqual(self.found("galah", "admin"), ["Gated masterclass"])

    def test_suggestions_stay_the_teasers_for_readers_too(self):
        for who in ("member", "admin"):
            with self.subTest(who):
                self.assertEqual(self.found("quokka", who), ["Gated masterclass"])
                self.as_(who)
                for q in ("quok", "bilb", "gala"):
                    found = self.client.get(f"{self.library.url}suggest/", {"q": q}).json()
                    self.assertEqual(found["sessions"], [], q)
                found = self.client.get(f"{self.library.url}suggest/", {"q": "masterc"}).json()
                self.assertEqual([s["title"] for s in found["sessions"]], ["Gated masterclass"])

    # --- The rows ------------------------------------------------------------------------------

    def test_a_row_holds_the_full_text_of_each_live_members_only_session(self):
        row = self.row(self.gated)
        self.assertEqual(row.title, "Gated masterclass")
        for text in (
            "quokka",
            "Bilby roadmap",
            "Slides for members.",
            "Galah migration",
            "hierarchy",
            "Lindsay Scott",
            "Members 2022",
        ):
            self.assertIn(text, row.text)
        self.assertIn("platypus", self.row(self.board).text)
        self.assertIsNone(self.row(self.free))
        self.assertTrue(self.indexed(self.gated))
        self.assertFalse(self.indexed(self.free))
        # The session's own entry keeps its teaser only.
        self.assertEqual(self.found("quokka"), [])

    def test_a_conference_made_free_moves_the_text_to_the_public_index_and_back(self):
        self.publish(self.members_conf, access_level="free")
        self.assertIsNone(self.row(self.gated))
        self.assertFalse(self.indexed(self.gated))
        for word in FULL_TEXT_WORDS:
            self.assertEqual(self.found(word), ["Gated masterclass"], word)
        self.publish(self.members_conf, access_level="members")
        self.assertIn("quokka", self.row(self.gated).text)
        self.assertTrue(self.indexed(self.gated))
        for word in FULL_TEXT_WORDS:
            self.assertEqual(self.found(word), [], word)
            self.assertEqual(self.found(word, "member"), ["Gated masterclass"], word)

    def test_a_free_conference_made_members_only_keeps_its_text_for_members(self):
        self.publish(self.open, access_level="members")
        self.assertIn("dingo", self.row(self.free).text)
        self.assertEqual(self.found("dingo"), [])
        self.assertEqual(self.found("dingo", "member"), ["Free clinic"])
        # The board's session keeps its own level.
        self.assertEqual(self.found("platypus", "member"), [])
        self.assertEqual(self.found("platypus", "director"), ["Board briefing"])

    def test_a_conference_changing_level_changes_who_finds_its_sessions(self):
        self.publish(self.members_conf, access_level="groups", access_groups=[self.board_group])
        self.assertEqual(SessionPage.objects.get(pk=self.gated.pk).access_effective, "groups")
        self.assertEqual(self.found("quokka", "member"), [])
        self.assertEqual(self.found("quokka", "director"), ["Gated masterclass"])
        self.assertEqual(self.found("quokka", "outsider"), [])

    def test_a_sessions_own_level(self):
        self.publish(self.gated, access_level="free")
        self.assertIsNone(self.row(self.gated))
        self.assertEqual(self.found("galah"), ["Gated masterclass"])
        self.publish(self.gated, access_level="members")
        self.assertTrue(self.indexed(self.gated))
        self.assertEqual(self.found("galah"), [])
        self.assertEqual(self.found("galah", "member"), ["Gated masterclass"])

    def test_a_session_moved_into_a_members_conference(self):
        with committed():
            Page.objects.get(pk=self.free.pk).move(self.members_conf, pos="last-child")
        self.assertIn("dingo", self.row(self.free).text)
        self.assertEqual(self.found("dingo"), [])
        self.assertEqual(self.found("dingo", "member"), ["Free clinic"])

    def test_a_session_moved_to_another_members_conference(self):
        """Its level (its own) is the same; its conference's title in its text is not."""
        self.publish(self.gated, access_level="members")
        other = build_conference(self.library, "Members 2023")
        with committed():
            Page.objects.get(pk=self.gated.pk).move(other, pos="last-child")
        self.assertIn("Members 2023", self.row(self.gated).text)
        self.assertNotIn("Members 2022", self.row(self.gated).text)

    def test_unpublishing_and_deleting_remove_the_row_and_its_entry(self):
        with committed():
            Page.objects.get(pk=self.gated.pk).unpublish()  # as a plain Page, too
        self.assertIsNone(self.row(self.gated))
        self.assertFalse(self.indexed(self.gated))
        self.assertEqual(self.found("quokka", "member"), [])
        self.publish(self.gated)
        self.assertTrue(self.indexed(self.gated))
        self.assertEqual(self.found("quokka", "member"), ["Gated masterclass"])
        with committed():
            Page.objects.get(pk=self.gated.pk).delete()
        self.assertIsNone(self.row(self.gated))
        self.assertFalse(self.indexed(self.gated))
        # A whole conference deleted takes its sessions' rows too.
        self.assertTrue(self.indexed(self.board))
        with committed():
            Page.objects.get(pk=self.open.pk).delete()
        self.assertIsNone(self.row(self.board))
        self.assertFalse(self.indexed(self.board))

    def test_a_command_rebuilds_the_members_index_from_the_sessions(self):
        from django.core.management import call_command

        from wagtail_pmolib.models import SessionMembersText

        SessionMembersText.objects.all().delete()  # a lost index
        SessionMembersText.objects.create(session_id=self.free.pk, title="Free", text="stale")
        self.assertEqual(self.found("quokka", "member"), [])
        call_command("pmolib_members_index", stdout=io.StringIO())
        self.assertEqual(
            set(SessionMembersText.objects.values_list("pk", flat=True)),
            {self.gated.pk, self.board.pk},
        )
        self.assertFalse(self.indexed(self.free))
        self.assertEqual(self.found("quokka", "member"), ["Gated masterclass"])

    def test_a_draft_saved_changes_nothing_found(self):
        draft = Page.objects.get(pk=self.gated.pk).specific
        draft.notes = "<p>wallaby</p>"
        with committed():
            draft.save_revision()
        self.assertEqual(self.found("wallaby", "member"), [])
        self.assertEqual(self.found("quokka", "member"), ["Gated masterclass"])

    def test_changes_elsewhere_reach_the_members_text(self):
        """A speaker's new name, a handout's new file: the sessions' entries are
        re-indexed (``search/reindex.py``), their members' text with them."""
        from tests.builders import replace_file
        from wagtail_pmolib.demo.pdf import build_pdf

        with committed():
            speaker = Speaker.objects.get(pk=self.speaker.pk)
            speaker.name = "Lindsay Quoll"
            speaker.save()
        self.assertIn("Lindsay Quoll", self.row(self.gated).text)
        with committed():
            replace_file(self.deck, build_pdf("Members deck", ["Kookaburra counts"]))
        self.assertEqual(self.found("kookaburra"), [])
        self.assertEqual(self.found("kookaburra", "member"), ["Gated masterclass"])
        self.assertEqual(self.found("galah", "member"), [])

    # --- What it costs, and what others' searches are -----------------------------------------

    def test_a_readers_search_stays_within_the_query_budget_and_others_never_ask(self):
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from wagtail_pmolib.models import SessionMembersText

        members_ct = ContentType.objects.get_for_model(SessionMembersText).pk

        def asks_members_index(sql):
            return (
                SessionMembersText._meta.db_table in sql
                or f'"content_type_id" IN ({members_ct})' in sql
            )

        for who in ("anonymous", "member", "director", "admin"):
            for q in ("quokka", "masterclass quokka", "dingo"):
                with self.subTest(who=who, q=q):
                    self.html(q, who)  # warm: the search log's rows; signed in
                    with CaptureQueriesContext(connection) as queries:
                        response = self.client.get(self.library.url, {"q": q})
                    self.assertEqual(response.status_code, 200)
                    # Savepoints are the test's transaction's; the session, the user and
                    # their permissions (the page's user bar) are any signed-in page's.
                    sql = [
                        query["sql"]
                        for query in queries
                        if "SAVEPOINT" not in query["sql"].split(" ", 2)[:2]
                        and not query["sql"].startswith(
                            ('SELECT "django_session"', 'SELECT "auth_user"."id"')
                        )
                        and 'FROM "auth_permission"' not in query["sql"]
                        and 'FROM "wagtailusers_userprofile"' not in query["sql"]
                    ]
                    if who != "director":  # with the any-word fallback and the lock badge's query
                        self.assertLessEqual(len(sql), 15, sql)
                    self.assertEqual(
                        any(asks_members_index(one) for one in sql), who != "anonymous"
                    )

    def test_members_full_text_matches_are_not_offered_as_popular_searches(self):
        from wagtail_pmolib.models import SearchVisitor

        for who in ("member", "admin"):
            self.assertEqual(self.found("quokka", who), ["Gated masterclass"])
        self.assertEqual(SearchVisitor.objects.count(), 0)
        # A reader's search that anyone would find something with counts.
        self.found("dingo", "member")
        self.assertEqual(SearchVisitor.objects.count(), 1)

    @override_settings(WAGTAIL_PMOLIB={**MEMBERS, "SEARCH_RANKING": "backend"})
    def test_where_the_backend_ranks_readers_get_the_librarys_ranking(self):
        from django.contrib.auth.models import AnonymousUser

        from wagtail_pmolib.search import matching

        self.assertTrue(matching.backend_ranks(user=AnonymousUser()))
        self.assertFalse(matching.backend_ranks(user=self.member))
        self.assertEqual(self.found("quokka", "member"), ["Gated masterclass"])
        self.assertEqual(self.found("quokka"), [])
        self.assertEqual(self.found("masterclass"), ["Gated masterclass"])

    def test_on_other_backends_everyone_finds_the_teaser_only(self):
        """Elasticsearch and OpenSearch (a fake backend here): no members' index is
        searched; nothing of the gated parts reaches anyone without access."""
        from tests.search.test_remote import REMOTE_BACKEND

        self.assertEqual(self.found("quokka", "member"), ["Gated masterclass"])  # the database
        with override_settings(WAGTAILSEARCH_BACKENDS=REMOTE_BACKEND):
            for who in WHO:
                with self.subTest(who):
                    for word in (*FULL_TEXT_WORDS, "platypus"):
                        self.assertEqual(self.found(word, who), [], word)
                    response = self.html("masterclass", who)
                    self.assertFalse(response.context["search"].failed)
                    if who not in ("member", "admin"):
                        html = response.content.decode().casefold()
                        for word in (*FULL_TEXT_WORDS, "bilby roadmap"):
                            self.assertNotIn(word, html)


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
