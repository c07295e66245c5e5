"""The library's page types as editors build them and visitors see them.

Page trees are built once per class (``setUpTestData``) with the builders in
tests/builders.py, which the other test modules share.
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.urls import reverse
from wagtail.models import Page, PageViewRestriction
from wagtail.models.pages import PAGE_MODEL_CLASSES, get_page_models
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from tests.builders import (
    SEED_TITLE,
    at,
    build_conference,
    build_document,
    build_image,
    build_library,
    build_session,
    recording_form_value,
    recording_stream,
    restrict,
    seed_session_fields,
    soup_of,
    text_of,
    toc_item,
)
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.conftest import SEED_NOTICE
from wagtail_pmolib.blocks import RICH_TEXT_FEATURES
from wagtail_pmolib.models import (
    ConferencePage,
    LibraryIndexPage,
    SessionPage,
    Speaker,
)
from wagtail_pmolib.models.pages import ABSTRACT_FEATURES, format_date_range
from wagtail_pmolib.models.sessions import NOTES_FEATURES

# --- Hierarchy ----------------------------------------------------------------


class PageHierarchyTests(WagtailPageTestCase):
    def test_library_index_can_be_created_under_a_plain_page(self):
        self.assertCanCreateAt(Page, LibraryIndexPage)

    def test_conference_only_under_a_library(self):
        self.assertCanCreateAt(LibraryIndexPage, ConferencePage)
        self.assertAllowedParentPageTypes(ConferencePage, [LibraryIndexPage])
        for parent in (Page, ConferencePage, SessionPage):
            self.assertCanNotCreateAt(parent, ConferencePage)

    def test_session_only_under_a_conference(self):
        self.assertCanCreateAt(ConferencePage, SessionPage)
        self.assertAllowedParentPageTypes(SessionPage, [ConferencePage])
        for parent in (Page, LibraryIndexPage, SessionPage):
            self.assertCanNotCreateAt(parent, SessionPage)

    def test_nothing_under_a_session(self):
        self.assertAllowedSubpageTypes(SessionPage, [])
        for child in (Page, LibraryIndexPage, ConferencePage, SessionPage):
            self.assertCanNotCreateAt(SessionPage, child)

    def test_library_holds_only_conferences(self):
        self.assertAllowedSubpageTypes(LibraryIndexPage, [ConferencePage])
        self.assertAllowedSubpageTypes(ConferencePage, [SessionPage])

    def test_library_index_can_be_created_under_a_host_sites_own_page_type(self):
        with isolate_apps("tests"):

            class HostHomePage(Page):
                class Meta:
                    app_label = "tests"

            try:
                for model in get_page_models():
                    model._clean_subpage_models = model._clean_parent_page_models = None
                self.assertCanCreateAt(HostHomePage, LibraryIndexPage)
            finally:
                PAGE_MODEL_CLASSES.remove(HostHomePage)
                for model in get_page_models():
                    model._clean_subpage_models = model._clean_parent_page_models = None


# --- Creating a session in the admin --------------------------------------------


CHAPTERS = [("0:00", "Intro"), ("4:30", "SORE")]


class SessionAdminCreationTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(
            cls.library, themes=("PMO Services", "PMO People", "PMO in Practice")
        )
        cls.other_conference = build_conference(
            cls.library, title="PMO Conference 2022", themes=("PMO Futures",)
        )
        cls.speakers = [
            Speaker.objects.create(
                name="Lindsay Scott", role="Director", organisation="PMO Learning"
            ),
            Speaker.objects.create(name="Eileen Roden", role="PMO Lead"),
        ]
        cls.document = build_document()

    def setUp(self):
        self.login()

    def post_data(self, **overrides):
        theme = self.conference.themes.get(name="PMO Services")
        data = {
            "title": SEED_TITLE,
            "slug": "step-up",
            "theme": str(theme.pk),
            "starts_at": "2021-11-02 11:00",
            "duration_minutes": "45",
            "session_speakers": inline_formset([{"speaker": str(s.pk)} for s in self.speakers]),
            "abstract": rich_text("<p>How the PMO can step up.</p>", features=ABSTRACT_FEATURES),
            "recording": streamfield([("recording", recording_form_value(chapters=CHAPTERS))]),
            "body": streamfield(
                [
                    ("heading", {"text": "Key takeaways", "level": "h2", "anchor": ""}),
                    (
                        "handout",
                        {
                            "document": str(self.document.pk),
                            "title": "The SORE Framework",
                            "description": "You can download the handout here.",
                            "cover": "",
                        },
                    ),
                    (
                        "paragraph",
                        rich_text(
                            "<h3>Negotiation</h3><p>A skill to improve on.</p>",
                            features=RICH_TEXT_FEATURES,
                        ),
                    ),
                ]
            ),
            "notes": rich_text("<h3>What we learned</h3><p>Plenty.</p>", features=NOTES_FEATURES),
        }
        data.update(overrides)
        return nested_form_data(data)

    def test_create_a_session_with_recording_handout_heading_speakers_and_theme(self):
        self.assertCanCreate(self.conference, SessionPage, self.post_data())

        page = SessionPage.objects.get(slug="step-up")
        self.assertTrue(page.live)
        self.assertEqual(page.get_parent().pk, self.conference.pk)
        self.assertEqual(page.theme.name, "PMO Services")
        self.assertEqual([s.name for s in page.speakers], ["Lindsay Scott", "Eileen Roden"])
        self.assertTrue(page.has_handouts)
        self.assertTrue(page.has_recording)
        self.assertEqual(page.body[1].value["document"].pk, self.document.pk)
        self.assertEqual(
            [c["title"] for c in page.recording[0].value["chapters"]], ["Intro", "SORE"]
        )
        self.assertEqual(
            page.table_of_contents,
            [
                toc_item("session-recording", "Session Recording"),
                {
                    "id": "key-takeaways",
                    "text": "Key takeaways",
                    "level": 2,
                    "children": [toc_item("negotiation", "Negotiation", 3)],
                },
                {
                    "id": "session-notes",
                    "text": "Session Notes",
                    "level": 2,
                    "children": [toc_item("what-we-learned", "What we learned", 3)],
                },
            ],
        )
        # The heading block kept the anchor the table of contents links to.
        self.assertEqual(page.body[0].value["anchor"], "key-takeaways")

    def test_a_session_without_handouts_says_so(self):
        data = self.post_data(
            slug="no-handouts",
            body=streamfield(
                [("heading", {"text": "Only a heading", "level": "h2", "anchor": ""})]
            ),
        )
        self.assertCanCreate(self.conference, SessionPage, data)
        page = SessionPage.objects.get(slug="no-handouts")
        self.assertFalse(page.has_handouts)
        self.assertEqual(
            [item["id"] for item in page.table_of_contents],
            ["session-recording", "only-a-heading", "session-notes"],
        )

    def test_untouched_notes_store_nothing_and_show_no_empty_section(self):
        """Draftail submits an editor nobody typed into as one empty block, which
        it converts to ``<p data-block-key=…></p>``: no notes, no heading, no
        table-of-contents entry, in the preview as in the published page."""
        untouched = json.dumps(
            {
                "blocks": [
                    {
                        "key": "k1",
                        "type": "unstyled",
                        "depth": 0,
                        "text": " ",
                        "inlineStyleRanges": [],
                        "entityRanges": [],
                    },
                    {
                        "key": "k2",
                        "type": "header-three",
                        "depth": 0,
                        "text": "",
                        "inlineStyleRanges": [],
                        "entityRanges": [],
                    },
                ],
                "entityMap": {},
            }
        )
        data = self.post_data(slug="untouched-notes", notes=untouched)
        preview = reverse(
            "wagtailadmin_pages:preview_on_add",
            args=["wagtail_pmolib", "sessionpage", self.conference.pk],
        )
        self.assertEqual(
            self.client.post(preview, data).json(), {"is_valid": True, "is_available": True}
        )
        soup = soup_of(self.client.get(preview))
        self.assertIsNone(soup.select_one("#session-notes"))
        self.assertNotIn("Session Notes", text_of(soup.select_one(".pmolib-toc")))

        self.assertCanCreate(self.conference, SessionPage, data)
        page = SessionPage.objects.get(slug="untouched-notes")
        self.assertEqual(page.notes, "")
        self.assertNotIn("session-notes", [item["id"] for item in page.table_of_contents])
        self.assertNotIn('id="session-notes"', self.client.get(page.url).content.decode())

    def test_notes_with_only_an_image_or_a_rule_are_not_empty(self):
        for html in ('<embed embedtype="image" id="1" format="left" alt=""/>', "<hr/>"):
            page = SessionPage(title="x", notes=html)
            page.clean_fields(
                exclude=[f.name for f in SessionPage._meta.fields if f.name != "notes"]
            )
            self.assertEqual(page.notes, html)

    def test_preview_of_a_saved_session_shows_edition_and_breadcrumbs(self):
        session = build_session(self.conference, "Already saved")
        url = reverse("wagtailadmin_pages:preview_on_edit", args=[session.pk])
        self.client.post(url, self.post_data(title="Already saved", slug=session.slug))
        soup = soup_of(self.client.get(url))
        self.assertTrue(text_of(soup.h1).startswith("PMO Conference 2021 \\\\"))
        self.assertIsNotNone(soup.find("nav", attrs={"aria-label": "Breadcrumbs"}))

    def test_preview_of_a_new_session_shows_edition_and_breadcrumbs(self):
        url = reverse(
            "wagtailadmin_pages:preview_on_add",
            args=["wagtail_pmolib", "sessionpage", self.conference.pk],
        )
        response = self.client.post(url, self.post_data())
        self.assertEqual(response.json(), {"is_valid": True, "is_available": True})
        soup = soup_of(self.client.get(url))
        h1 = soup.h1
        for hidden in h1.select(".pmolib-visually-hidden"):
            hidden.decompose()
        self.assertEqual(text_of(h1), "PMO Conference 2021 \\\\ " + SEED_TITLE)
        self.assertIn("PMO Conference 2021", soup.title.get_text())
        nav = soup.find("nav", attrs={"aria-label": "Breadcrumbs"})
        self.assertEqual(
            [text_of(li) for li in nav.find_all("li")][-3:],
            ["PMO Library", "PMO Conference 2021", SEED_TITLE],
        )

    def test_theme_chooser_offers_only_the_parent_conferences_themes(self):
        url = reverse(
            "wagtailadmin_pages:add", args=["wagtail_pmolib", "sessionpage", self.conference.pk]
        )
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        field = response.context["form"].fields["theme"]
        self.assertEqual(
            [t.name for t in field.queryset], ["PMO Services", "PMO People", "PMO in Practice"]
        )
        select = soup_of(response).find("select", attrs={"name": "theme"})
        options = [text_of(o) for o in select.find_all("option") if o.get("value")]
        self.assertEqual(options, ["PMO Services", "PMO People", "PMO in Practice"])
        self.assertNotIn("PMO Futures", str(select))

    def test_theme_chooser_on_the_edit_form_too(self):
        session = build_session(self.other_conference, "Futures session")
        response = self.client.get(reverse("wagtailadmin_pages:edit", args=[session.pk]))
        field = response.context["form"].fields["theme"]
        self.assertEqual([t.name for t in field.queryset], ["PMO Futures"])

    def test_a_theme_of_another_conference_is_rejected(self):
        foreign = self.other_conference.themes.get()
        data = self.post_data(slug="foreign-theme", theme=str(foreign.pk))
        url = reverse(
            "wagtailadmin_pages:add", args=["wagtail_pmolib", "sessionpage", self.conference.pk]
        )
        response = self.client.post(url, {**data, "action-publish": "action-publish"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("theme", response.context["form"].errors)
        self.assertFalse(SessionPage.objects.filter(slug="foreign-theme").exists())

    def test_conference_end_before_start_is_rejected_in_the_admin(self):
        url = reverse("wagtailadmin_pages:edit", args=[self.conference.pk])
        data = nested_form_data(
            {
                "title": self.conference.title,
                "slug": self.conference.slug,
                "start_date": "2021-11-03",
                "end_date": "2021-11-02",
                "venue": "",
                "city": "London",
                "intro": rich_text("", features=ABSTRACT_FEATURES),
                "themes": inline_formset([], initial=0),
                "action-publish": "action-publish",
            }
        )
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertIn("end_date", response.context["form"].errors)


# --- Routing, rendering, editing and previewing every page type ---------------------


class WagtailAssertionsTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library(intro="<p>All our sessions.</p>")
        cls.conference = build_conference(
            cls.library,
            themes=("PMO Services",),
            start_date=datetime.date(2021, 11, 2),
            end_date=datetime.date(2021, 11, 3),
            city="London",
        )
        cls.speaker = Speaker.objects.create(name="Lindsay Scott", role="Director")
        cls.session = build_session(
            cls.conference, speakers=[cls.speaker], **seed_session_fields(build_document())
        )

    def pages(self):
        return [self.library, self.conference, self.session]

    def form_data(self, page):
        """What the edit form posts. Wagtail's admin builds StreamField inputs with
        JavaScript, so they cannot be read from the edit view's HTML: give them."""
        if not isinstance(page, SessionPage):
            return None
        document = page.body[1].value["document"]
        return nested_form_data(
            {
                "title": page.title,
                "slug": page.slug,
                "theme": "",
                "starts_at": "",
                "duration_minutes": "",
                "session_speakers": inline_formset(
                    [
                        {"speaker": str(link.speaker_id), "id": str(link.pk)}
                        for link in page.session_speakers.all()
                    ],
                    initial=page.session_speakers.count(),
                ),
                "abstract": rich_text(page.abstract, features=ABSTRACT_FEATURES),
                "recording": streamfield([("recording", recording_form_value())]),
                "body": streamfield(
                    [
                        (
                            "heading",
                            {"text": "Handout – The SORE Framework", "level": "h2", "anchor": ""},
                        ),
                        (
                            "handout",
                            {
                                "document": str(document.pk),
                                "title": "",
                                "description": "",
                                "cover": "",
                            },
                        ),
                    ]
                ),
                "notes": rich_text(page.notes, features=NOTES_FEATURES),
            }
        )

    def test_routable(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertPageIsRoutable(page)

    def test_renderable(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertPageIsRenderable(page)

    def test_editable(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertPageIsEditable(page, post_data=self.form_data(page))

    def test_previewable(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertPageIsPreviewable(page, post_data=self.form_data(page))

    def test_the_session_edit_form_saves(self):
        self.login()
        url = reverse("wagtailadmin_pages:edit", args=[self.session.pk])
        response = self.client.post(url, {**self.form_data(self.session), "action-publish": "1"})
        self.assertEqual(response.status_code, 302)
        page = SessionPage.objects.get(pk=self.session.pk)
        self.assertEqual([s.name for s in page.speakers], ["Lindsay Scott"])
        self.assertEqual(
            [item["id"] for item in page.table_of_contents],
            ["session-recording", "handout-the-sore-framework", "session-notes"],
        )

    def test_session_fixture_builds_a_routable_tree(self):
        response = self.client.get(self.session.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "PMO Conference 2021")


# --- The session page ----------------------------------------------------------------


class SessionPageTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(
            cls.library,
            themes=("PMO Services", "PMO People"),
            start_date=datetime.date(2021, 11, 2),
            end_date=datetime.date(2021, 11, 3),
            city="London",
        )
        cls.conference_2022 = build_conference(cls.library, title="PMO Conference 2022")
        cls.private_conference = build_conference(cls.library, title="Members only 2023")
        restrict(cls.private_conference, PageViewRestriction.LOGIN)

        cls.photo = build_image("Lindsay")
        cls.lindsay = Speaker.objects.create(
            name="Lindsay Scott", role="Director", organisation="PMO Learning", photo=cls.photo
        )
        cls.eileen = Speaker.objects.create(name="Eileen Roden", role="PMO Lead")
        cls.nobody = Speaker.objects.create(name="Nobody Else")
        cls.document = build_document()
        theme = cls.conference.themes.get(name="PMO Services")

        # Created out of running order on purpose: path order is not the programme.
        cls.session = build_session(
            cls.conference,
            speakers=[cls.lindsay, cls.eileen],
            theme=theme,
            starts_at=at(2021, 11, 2, 11, 0),
            duration_minutes=45,
            **seed_session_fields(cls.document),
        )
        cls.closing = build_session(
            cls.conference, "Closing panel", speakers=[cls.lindsay], starts_at=at(2021, 11, 3, 16)
        )
        cls.opening = build_session(
            cls.conference, "Opening keynote", speakers=[cls.nobody], starts_at=at(2021, 11, 2, 9)
        )
        cls.draft_sibling = build_session(
            cls.conference, "Draft sibling", publish=False, starts_at=at(2021, 11, 2, 10)
        )
        cls.private_sibling = build_session(
            cls.conference, "Private sibling", starts_at=at(2021, 11, 2, 10, 30)
        )
        restrict(cls.private_sibling)

        cls.by_lindsay_2022 = build_session(
            cls.conference_2022,
            "Stakeholders revisited",
            speakers=[cls.lindsay],
            starts_at=at(2022, 11, 1, 10),
        )
        cls.by_eileen_2022 = build_session(
            cls.conference_2022,
            "Hierarchy, again",
            speakers=[cls.eileen],
            starts_at=at(2022, 11, 1, 14),
        )
        cls.draft_by_lindsay = build_session(
            cls.conference_2022, "Draft by Lindsay", speakers=[cls.lindsay], publish=False
        )
        cls.password_by_lindsay = build_session(
            cls.conference_2022, "Password by Lindsay", speakers=[cls.lindsay]
        )
        restrict(cls.password_by_lindsay)
        cls.members_by_lindsay = build_session(
            cls.private_conference, "Members by Lindsay", speakers=[cls.lindsay]
        )
        # Published on one day, updated on another.
        SessionPage.objects.filter(pk=cls.session.pk).update(
            first_published_at=at(2021, 11, 20, 9), last_published_at=at(2022, 1, 10, 9)
        )
        SessionPage.objects.filter(pk=cls.closing.pk).update(
            first_published_at=at(2021, 11, 20, 9), last_published_at=at(2021, 11, 20, 17)
        )

    def get(self, page, **params):
        response = self.client.get(page.url, params)
        self.assertEqual(response.status_code, 200)
        return response

    def test_full_title_is_edition_separator_title(self):
        self.assertEqual(self.session.full_title, "PMO Conference 2021 \\\\ " + SEED_TITLE)
        self.assertEqual(self.session.edition, "PMO Conference 2021")

    def test_heading_shows_edition_two_backslashes_and_title(self):
        soup = soup_of(self.get(self.session))
        [h1] = soup.find_all("h1")
        self.assertEqual(text_of(h1.select_one(".pmolib-session__edition")), "PMO Conference 2021")
        separator = h1.select_one(".pmolib-session__separator")
        self.assertEqual(separator.get_text(), "\\\\")
        self.assertEqual(len(separator.get_text()), 2)
        for hidden in h1.select(".pmolib-visually-hidden"):
            hidden.decompose()
        self.assertEqual(text_of(h1), "PMO Conference 2021 \\\\ " + SEED_TITLE)

    def test_breadcrumbs_library_conference_session(self):
        soup = soup_of(self.get(self.session))
        nav = soup.find("nav", attrs={"aria-label": "Breadcrumbs"})
        items = [text_of(li) for li in nav.find_all("li")]
        self.assertEqual(items[-3:], ["PMO Library", "PMO Conference 2021", SEED_TITLE])
        links = [a["href"] for a in nav.find_all("a")]
        self.assertEqual(links[-2:], [self.library.url, self.conference.url])
        current = nav.find(attrs={"aria-current": "page"})
        self.assertEqual(text_of(current), SEED_TITLE)
        self.assertIsNone(current.find("a"))

    def meta(self, response):
        dl = soup_of(response).select_one(".pmolib-session__meta")
        return {text_of(div.dt): text_of(div.dd) for div in dl.find_all("div")}

    def test_published_and_last_updated_on_different_days(self):
        meta = self.meta(self.get(self.session))
        self.assertEqual(meta["Added to the library"], "20 November 2021")
        self.assertEqual(meta["Last updated"], "10 January 2022")
        self.assertEqual(meta["Date"], "2 November 2021, 11:00")
        self.assertEqual(meta["Duration"], "45 minutes")
        self.assertEqual(meta["Theme"], "PMO Services")

    def test_last_updated_hidden_when_updated_the_same_day(self):
        meta = self.meta(self.get(self.closing))
        self.assertEqual(meta["Added to the library"], "20 November 2021")
        self.assertNotIn("Last updated", meta)

    def test_speakers_with_role_line(self):
        soup = soup_of(self.get(self.session))
        speakers = soup.select(".pmolib-speaker")
        self.assertEqual(
            [text_of(s.select_one(".pmolib-speaker__name")) for s in speakers],
            ["Lindsay Scott", "Eileen Roden"],
        )
        self.assertEqual(
            [text_of(s.select_one(".pmolib-speaker__role")) for s in speakers],
            ["Director, PMO Learning", "PMO Lead"],
        )

    def test_previous_and_next_follow_the_running_order(self):
        soup = soup_of(self.get(self.session))
        previous = soup.find("a", rel="prev")
        following = soup.find("a", rel="next")
        self.assertEqual(previous["href"], self.opening.url)
        self.assertIn("Opening keynote", text_of(previous))
        self.assertEqual(following["href"], self.closing.url)
        self.assertIn("Closing panel", text_of(following))
        self.assertNotIn("Draft sibling", str(soup))
        self.assertNotIn("Private sibling", str(soup))

    def test_first_and_last_sessions_have_one_neighbour(self):
        first = soup_of(self.get(self.opening))
        self.assertIsNone(first.find("a", rel="prev"))
        self.assertEqual(first.find("a", rel="next")["href"], self.session.url)
        last = soup_of(self.get(self.closing))
        self.assertEqual(last.find("a", rel="prev")["href"], self.session.url)
        self.assertIsNone(last.find("a", rel="next"))

    def test_other_sessions_by_these_speakers(self):
        soup = soup_of(self.get(self.session))
        section = soup.select_one(".pmolib-related")
        self.assertEqual(text_of(section.h2), "Other sessions by these speakers")
        titles = [text_of(a) for a in section.find_all("a")]
        # Newest first; live, public sessions of either speaker; never this page.
        self.assertEqual(titles, ["Hierarchy, again", "Stakeholders revisited", "Closing panel"])
        for hidden in ("Draft by Lindsay", "Password by Lindsay", "Members by Lindsay", SEED_TITLE):
            self.assertNotIn(hidden, str(section))

    def test_other_sessions_by_one_speaker(self):
        soup = soup_of(self.get(self.closing))
        section = soup.select_one(".pmolib-related")
        self.assertEqual(text_of(section.h2), "Other sessions by this speaker")
        self.assertEqual(
            [text_of(a) for a in section.find_all("a")], ["Stakeholders revisited", SEED_TITLE]
        )

    def test_no_other_sessions_no_section(self):
        soup = soup_of(self.get(self.opening))
        self.assertIsNone(soup.select_one(".pmolib-related"))

    def test_sections_recording_handout_notes_and_toc(self):
        response = self.get(self.session)
        soup = soup_of(response)
        self.assertEqual(text_of(soup.find(id="session-recording")), "Session Recording")
        self.assertEqual(text_of(soup.find(id="session-notes")), "Session Notes")
        self.assertContains(response, SEED_NOTICE)
        link = soup.select_one("a.pmolib-handout__link")
        self.assertEqual(link["href"], self.document.url)
        self.assertEqual(text_of(link), "The SORE Framework")
        self.assertIn("PDF", text_of(soup.select_one(".pmolib-handout__info")))
        toc = soup.find("nav", attrs={"data-pmolib-toc": True})
        self.assertEqual(text_of(toc.h2), "Table of Contents")

    def test_every_toc_link_has_a_target_on_the_page(self):
        soup = soup_of(self.get(self.session))
        toc = soup.find("nav", attrs={"data-pmolib-toc": True})
        targets = [a["href"] for a in toc.find_all("a")]
        self.assertEqual(
            targets,
            [
                "#session-recording",
                "#handout-the-sore-framework",
                "#why-hierarchy-gets-in-the-way",
                "#session-notes",
                "#the-sore-framework",
            ],
        )
        for href in targets:
            self.assertIsNotNone(soup.find(id=href[1:]), href)

    def test_print_button_is_hidden_until_javascript_shows_it(self):
        soup = soup_of(self.get(self.session))
        button = soup.find("button", attrs={"data-pmolib-print": True})
        self.assertIsNotNone(button)
        self.assertTrue(button.has_attr("hidden"))
        self.assertEqual(button["type"], "button")
        self.assertEqual(text_of(button), "Print this session")

    def test_password_protected_session_asks_for_the_password(self):
        response = self.client.get(self.password_by_lindsay.url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "pmolib-session__title")


class SessionPageQueryCountTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        library = build_library()
        conference = build_conference(library, themes=("PMO Services",))
        theme = conference.themes.get()
        document = build_document()
        speakers = [
            Speaker.objects.create(
                name=f"Speaker {n}", role="Role", organisation="Org", photo=build_image(f"Face {n}")
            )
            for n in range(6)
        ]
        common = {"theme": theme, **seed_session_fields(document)}
        cls.one = build_session(
            conference, "One speaker", speakers=speakers[:1], starts_at=at(2021, 11, 2, 9), **common
        )
        cls.six = build_session(
            conference, "Six speakers", speakers=speakers, starts_at=at(2021, 11, 2, 10), **common
        )
        build_session(conference, "Another", speakers=speakers, starts_at=at(2021, 11, 2, 12))

    def count(self, page):
        self.assertEqual(self.client.get(page.url).status_code, 200)  # warm up
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(page.url)
        self.assertEqual(response.status_code, 200)
        return len(queries), response

    def test_speaker_count_does_not_change_query_count(self):
        one, _ = self.count(self.one)
        six, response = self.count(self.six)
        self.assertEqual(len(soup_of(response).select(".pmolib-speaker__photo")), 6)
        self.assertEqual(one, six)
        self.assertLessEqual(six, 15)


# --- The library index -----------------------------------------------------------------


class LibraryIndexTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conf_2021 = build_conference(cls.library, "PMO Conference 2021")
        cls.conf_2022 = build_conference(cls.library, "PMO Conference 2022")
        cls.private_conf = build_conference(cls.library, "Members only")
        restrict(cls.private_conf, PageViewRestriction.LOGIN)
        speaker = Speaker.objects.create(name="Lindsay Scott")
        # Six public sessions, created out of date order.
        dates = {
            "2021 afternoon": (cls.conf_2021, at(2021, 11, 2, 14)),
            "2022 morning": (cls.conf_2022, at(2022, 11, 1, 9)),
            "2021 morning": (cls.conf_2021, at(2021, 11, 2, 9)),
            "2022 afternoon": (cls.conf_2022, at(2022, 11, 1, 15)),
            "2021 day two": (cls.conf_2021, at(2021, 11, 3, 10)),
            "2022 day two": (cls.conf_2022, at(2022, 11, 2, 10)),
        }
        for title, (conference, starts_at) in dates.items():
            build_session(conference, title, speakers=[speaker], starts_at=starts_at)
        build_session(cls.conf_2022, "Draft session", starts_at=at(2023, 1, 1, 9), publish=False)
        restrict(build_session(cls.conf_2022, "Password session", starts_at=at(2023, 1, 1, 9)))
        build_session(cls.private_conf, "Members session", starts_at=at(2023, 1, 1, 9))

    NEWEST_FIRST = [
        "2022 day two",
        "2022 afternoon",
        "2022 morning",
        "2021 day two",
        "2021 afternoon",
        "2021 morning",
    ]

    def titles(self, response):
        return [text_of(a) for a in soup_of(response).select(".pmolib-result__title a")]

    def get(self, **params):
        response = self.client.get(self.library.url, params)
        self.assertEqual(response.status_code, 200)
        return response

    def test_lists_sessions_newest_first_with_their_conference(self):
        response = self.get()
        self.assertEqual(self.titles(response), self.NEWEST_FIRST)
        editions = [text_of(e) for e in soup_of(response).select(".pmolib-result__edition")]
        self.assertEqual(editions, ["PMO Conference 2022"] * 3 + ["PMO Conference 2021"] * 3)
        self.assertContains(response, "(6 sessions)")

    def test_drafts_and_restricted_sessions_are_not_listed(self):
        content = self.get().content.decode()
        for title in ("Draft session", "Password session", "Members session"):
            self.assertNotIn(title, content)

    def test_an_unavailable_recording_is_not_advertised(self):
        # The card must not promise a recording the page says is not available.
        session = build_session(
            self.conf_2021,
            "Recording withheld",
            starts_at=at(2024, 1, 1, 9),
            recording=[("recording", {"url": "", "status": "unavailable", "notice": ""})],
        )
        response = self.get()
        card = soup_of(response).select(".pmolib-result")[0]
        self.assertIn("Recording withheld", text_of(card))
        self.assertIsNone(card.select_one(".pmolib-badges"))
        self.assertFalse(session.has_recording)

    def test_a_playable_recording_gets_a_badge(self):
        build_session(
            self.conf_2021, "Recorded", starts_at=at(2024, 1, 1, 9), recording=recording_stream()
        )
        card = soup_of(self.get()).select(".pmolib-result")[0]
        self.assertIn("Recorded", text_of(card))
        self.assertEqual([text_of(li) for li in card.select(".pmolib-badge")], ["Recording"])

    @override_settings(WAGTAIL_PMOLIB={"INDEX_PAGE_SIZE": 4})
    def test_paginates_by_index_page_size(self):
        first = self.get()
        self.assertEqual(self.titles(first), self.NEWEST_FIRST[:4])
        soup = soup_of(first)
        current = soup.select_one(".pmolib-pagination [aria-current=page]")
        self.assertEqual(text_of(current), "Page 1")
        self.assertEqual(soup.find("a", rel="next")["href"], "?page=2")
        self.assertIsNone(soup.find("a", rel="prev"))
        second = self.get(page=2)
        self.assertEqual(self.titles(second), self.NEWEST_FIRST[4:])
        # The first page's address has no page number: one address per page.
        self.assertEqual(soup_of(second).find("a", rel="prev")["href"], "?")

    @override_settings(WAGTAIL_PMOLIB={"INDEX_PAGE_SIZE": 4})
    def test_bad_page_numbers_still_give_a_page(self):
        for page, expected in (
            ("abc", self.NEWEST_FIRST[:4]),
            ("999", self.NEWEST_FIRST[4:]),
            ("-1", self.NEWEST_FIRST[:4]),
            ("0", self.NEWEST_FIRST[:4]),
            ("", self.NEWEST_FIRST[:4]),
        ):
            with self.subTest(page=page):
                self.assertEqual(self.titles(self.get(page=page)), expected)

    @override_settings(WAGTAIL_PMOLIB={"INDEX_PAGE_SIZE": 2, "MAX_PAGE_SIZE": 4})
    def test_per_page_is_capped_and_bad_values_ignored(self):
        self.assertEqual(len(self.titles(self.get(per_page=1000))), 4)
        self.assertEqual(len(self.titles(self.get(per_page=3))), 3)
        self.assertEqual(len(self.titles(self.get(per_page="x"))), 2)
        self.assertEqual(len(self.titles(self.get(per_page=0))), 1)
        self.assertEqual(len(self.titles(self.get(per_page=-5))), 2)
        next_link = soup_of(self.get(per_page=3)).find("a", rel="next")
        self.assertEqual(next_link["href"], "?per_page=3&page=2")

    def test_query_count_does_not_grow_with_sessions(self):
        library = build_library("Second library", "second-library")
        conferences = [build_conference(library, f"Edition {n}") for n in range(3)]
        speaker = Speaker.objects.create(name="Counted")

        def add_sessions(start, count):
            for n in range(start, start + count):
                build_session(
                    conferences[n % 3],
                    f"Counted {n}",
                    speakers=[speaker],
                    starts_at=at(2021, 1, 1 + n, 9),
                )

        def measure():
            self.client.get(library.url)  # warm up
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(library.url)
            self.assertEqual(response.status_code, 200)
            return len(queries), response

        add_sessions(0, 3)
        three, response = measure()
        self.assertEqual(len(self.titles(response)), 3)
        add_sessions(3, 9)
        twelve, response = measure()
        self.assertEqual(len(self.titles(response)), 12)
        editions = [text_of(e) for e in soup_of(response).select(".pmolib-result__edition")]
        self.assertEqual(len(editions), 12)
        self.assertEqual(set(editions), {"Edition 0", "Edition 1", "Edition 2"})
        self.assertEqual(three, twelve)


# --- The conference page -----------------------------------------------------------------


class ConferencePageTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        library = build_library()
        cls.conference = build_conference(
            library,
            themes=("PMO Services", "PMO People", "PMO in Practice"),
            start_date=datetime.date(2021, 11, 2),
            end_date=datetime.date(2021, 11, 3),
            city="London",
        )
        themes = {t.name: t for t in cls.conference.themes.all()}
        build_session(
            cls.conference, "People first", theme=themes["PMO People"], starts_at=at(2021, 11, 2, 9)
        )
        build_session(
            cls.conference,
            "Services late",
            theme=themes["PMO Services"],
            starts_at=at(2021, 11, 3, 9),
        )
        build_session(cls.conference, "No theme", starts_at=at(2021, 11, 2, 12))
        build_session(
            cls.conference,
            "Services early",
            theme=themes["PMO Services"],
            starts_at=at(2021, 11, 2, 10),
        )
        build_session(
            cls.conference, "Draft in practice", theme=themes["PMO in Practice"], publish=False
        )

    def test_groups_sessions_by_theme_in_theme_order(self):
        response = self.client.get(self.conference.url)
        self.assertEqual(response.status_code, 200)
        groups = [
            (text_of(section.h2), [text_of(a) for a in section.select(".pmolib-card__title a")])
            for section in soup_of(response).select("section.pmolib-theme")
        ]
        self.assertEqual(
            groups,
            [
                ("PMO Services", ["Services early", "Services late"]),
                ("PMO People", ["People first"]),
                ("Other sessions", ["No theme"]),
            ],
        )

    def test_query_count_does_not_grow_with_sessions(self):
        conference = build_conference(
            ConferencePage.objects.get(pk=self.conference.pk).get_parent().specific,
            "Counted edition",
            themes=("A", "B"),
        )
        themes = list(conference.themes.all())
        speaker = Speaker.objects.create(name="Counted")

        def add(start, count):
            for n in range(start, start + count):
                build_session(
                    conference,
                    f"Counted {n}",
                    speakers=[speaker],
                    theme=themes[n % 2] if n % 3 else None,
                    starts_at=at(2021, 1, 1 + n, 9),
                )

        def measure():
            self.client.get(conference.url)  # warm up
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(conference.url)
            self.assertEqual(response.status_code, 200)
            return len(queries), len(soup_of(response).select(".pmolib-card"))

        add(0, 3)
        three, cards = measure()
        self.assertEqual(cards, 3)
        add(3, 9)
        twelve, cards = measure()
        self.assertEqual(cards, 12)
        self.assertEqual(three, twelve)

    def test_shows_date_range_and_city(self):
        response = self.client.get(self.conference.url)
        when = soup_of(response).select_one(".pmolib-conference__when")
        self.assertEqual(text_of(when), "2\u20133 November 2021 · London")
        self.assertEqual(when.time["datetime"], "2021-11-02")
        self.assertContains(response, "PMO Services, PMO People, PMO in Practice")

    def test_clean_rejects_end_before_start(self):
        page = ConferencePage.objects.get(pk=self.conference.pk)
        page.end_date = datetime.date(2021, 11, 1)
        with self.assertRaises(ValidationError) as caught:
            page.full_clean()
        self.assertIn("end_date", caught.exception.message_dict)

    def test_clean_accepts_one_day_and_open_ended_conferences(self):
        page = ConferencePage.objects.get(pk=self.conference.pk)
        for start, end in (
            (datetime.date(2021, 11, 2), datetime.date(2021, 11, 2)),
            (datetime.date(2021, 11, 2), None),
            (None, datetime.date(2021, 11, 2)),
        ):
            page.start_date, page.end_date = start, end
            page.full_clean()


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, ""),
        (datetime.date(2021, 11, 2), None, "2 November 2021"),
        (datetime.date(2021, 11, 2), datetime.date(2021, 11, 2), "2 November 2021"),
        (datetime.date(2021, 11, 2), datetime.date(2021, 11, 3), "2\u20133 November 2021"),
        (
            datetime.date(2021, 10, 30),
            datetime.date(2021, 11, 2),
            "30 October \u2013 2 November 2021",
        ),
        (
            datetime.date(2021, 12, 30),
            datetime.date(2022, 1, 2),
            "30 December 2021 \u2013 2 January 2022",
        ),
    ],
)
def test_format_date_range(start, end, expected):
    assert format_date_range(start, end) == expected


# --- Print styles -------------------------------------------------------------------------


def stylesheet():
    return Path(finders.find("wagtail_pmolib/css/pmolib.css")).read_text()


def media_block(css, query):
    """The body of ``@media <query> { … }`` (braces balanced)."""
    match = re.search(r"@media\s+" + re.escape(query) + r"\s*\{", css)
    assert match, f"no @media {query} block"
    depth, i = 1, match.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(css[i], 0)
        i += 1
    return css[match.end() : i - 1]


def rules(css):
    """``(selectors, declarations)`` for every plain rule in ``css``."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    for selectors, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", css):
        yield [s.strip() for s in selectors.split(",")], body


def hidden_selectors(css):
    return {
        selector
        for selectors, body in rules(css)
        if re.search(r"display\s*:\s*none", body)
        for selector in selectors
    }


def test_print_styles_hide_the_player_and_keep_toc_and_handouts():
    print_css = media_block(stylesheet(), "print")
    hidden = hidden_selectors(print_css)
    assert ".pmolib-recording__player" in hidden
    assert ".pmolib-actions" in hidden  # the print button itself
    for kept in ("pmolib-toc", "pmolib-session__aside", "pmolib-handout", "pmolib-richtext"):
        assert not [s for s in hidden if kept in s], kept
    # Handout links print their address, so the paper copy still leads to the file.
    assert any(
        ".pmolib-handout__link::after" in selectors and "attr(href)" in body
        for selectors, body in rules(print_css)
    )


def test_nothing_in_the_stylesheet_defeats_the_print_buttons_hidden_attribute():
    for selectors, body in rules(stylesheet()):
        if any("pmolib-button" in s or "pmolib-print" in s for s in selectors):
            assert not re.search(r"(?<![-\w])display\s*:", body), selectors
