"""The Speaker snippet in the Wagtail admin: list, search, create, edit, permissions."""

import csv
import io
import json

from django.contrib.auth.models import Group, Permission
from django.test import TestCase
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from tests.conftest import menu_item_names
from wagtail_pmolib.models import Speaker

NS = "wagtailsnippets_wagtail_pmolib_speaker"
LIST_URL = reverse(f"{NS}:list")
ADD_URL = reverse(f"{NS}:add")


def edit_url(speaker):
    return reverse(f"{NS}:edit", args=[speaker.pk])


def speaker_form(**fields):
    data = {"name": "", "role": "", "organisation": "", "bio": "", "photo": "", "slug": ""}
    data.update(fields)
    return data


class SpeakerAdminTests(WagtailTestUtils, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.superuser = cls.create_superuser("editor", password="password")
        cls.lindsay = Speaker.objects.create(
            name="Lindsay Scott", role="Director", organisation="PMO Learning"
        )
        cls.eileen = Speaker.objects.create(
            name="Eileen Roden", role="PMO Lead", organisation="Acme"
        )
        cls.kasia = Speaker.objects.create(name="Kasia Nowak", organisation="Widgets Ltd")

    def setUp(self):
        self.client.force_login(self.superuser)

    def test_listing_shows_every_speaker_in_name_order(self):
        response = self.client.get(LIST_URL)
        self.assertEqual(response.status_code, 200)
        content = response.content.decode()
        names = ("Eileen Roden", "Kasia Nowak", "Lindsay Scott")
        positions = [content.index(name) for name in names]
        self.assertEqual(positions, sorted(positions))
        self.assertContains(response, "PMO Learning")
        self.assertContains(response, "Director")
        self.assertContains(response, edit_url(self.lindsay))

    def test_search_by_name_and_by_organisation(self):
        response = self.client.get(LIST_URL, {"q": "Lindsay"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Lindsay Scott")
        self.assertNotContains(response, "Eileen Roden")
        self.assertNotContains(response, "Kasia Nowak")

        response = self.client.get(LIST_URL, {"q": "Widgets"})
        self.assertContains(response, "Kasia Nowak")
        self.assertNotContains(response, "Lindsay Scott")

    def test_filter_by_organisation(self):
        response = self.client.get(LIST_URL, {"organisation": "Acme"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Eileen Roden")
        self.assertNotContains(response, "Kasia Nowak")

    def test_export_csv(self):
        Speaker.objects.filter(pk=self.lindsay.pk).update(bio="Runs PMO Flashmob, and more.")
        response = self.client.get(LIST_URL, {"export": "csv"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/csv"))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        header = [h.lower() for h in rows[0]]
        self.assertEqual(header, ["name", "role", "organisation", "short bio"])
        self.assertIn(
            ["Lindsay Scott", "Director", "PMO Learning", "Runs PMO Flashmob, and more."], rows
        )
        self.assertEqual(len(rows), 4)

    def test_create_makes_a_slug_from_the_name(self):
        response = self.client.post(
            ADD_URL, speaker_form(name="Marisa Silva", role="Head of PMO", organisation="Gov")
        )
        self.assertRedirects(response, LIST_URL)
        speaker = Speaker.objects.get(name="Marisa Silva")
        self.assertEqual(speaker.slug, "marisa-silva")
        self.assertEqual(speaker.role_line, "Head of PMO, Gov")

    def test_create_with_a_taken_name_gets_a_unique_slug(self):
        for _ in range(2):
            response = self.client.post(ADD_URL, speaker_form(name="Lindsay Scott"))
            self.assertRedirects(response, LIST_URL)
        slugs = sorted(Speaker.objects.filter(name="Lindsay Scott").values_list("slug", flat=True))
        self.assertEqual(slugs, ["lindsay-scott", "lindsay-scott-2", "lindsay-scott-3"])

    def test_unicode_names_keep_their_letters(self):
        self.client.post(ADD_URL, speaker_form(name="Zoë Łukasiewicz"))
        self.assertEqual(Speaker.objects.get(name="Zoë Łukasiewicz").slug, "zoë-łukasiewicz")

    def test_an_editor_given_slug_is_kept(self):
        self.client.post(ADD_URL, speaker_form(name="Sam Smith", slug="sam"))
        self.assertEqual(Speaker.objects.get(name="Sam Smith").slug, "sam")

    def test_a_taken_slug_typed_by_an_editor_is_refused(self):
        response = self.client.post(ADD_URL, speaker_form(name="Other", slug="lindsay-scott"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["form"].errors["slug"],
            [
                "Another speaker already uses this slug. Choose another, or leave it "
                "blank to make one from the name."
            ],
        )
        self.assertContains(response, 'value="Other"')  # what was typed stays

    def test_listing_and_chooser_tell_speakers_apart(self):
        from tests.builders import build_conference, build_image, build_library, build_session
        from wagtail_pmolib.models import SessionSpeaker

        self.lindsay.photo = build_image("Lindsay")
        self.lindsay.save()
        conference = build_conference(build_library())
        for title in ("One", "Two"):
            session = build_session(conference, title)
            SessionSpeaker.objects.create(page=session, speaker=self.lindsay)
        chooser = reverse("wagtailsnippetchoosers_wagtail_pmolib_speaker:choose")
        for url in (LIST_URL, chooser):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            content = response.json()["html"] if url == chooser else response.content
            soup = self.get_soup(content)
            headings = [" ".join(th.get_text().split()) for th in soup.select("thead th")]
            for heading in ("Photo", "Role", "Organisation", "Sessions"):
                self.assertIn(heading, headings, url)
            row = next(tr for tr in soup.select("tbody tr") if "Lindsay Scott" in tr.get_text())
            cells = [" ".join(td.get_text().split()) for td in row.select("td")]
            self.assertIn("Director", cells, url)
            self.assertIn("PMO Learning", cells, url)
            self.assertIn("2", cells, url)
            self.assertIsNotNone(row.select_one("td.pmolib-photo-cell img"), url)

    def test_edit(self):
        response = self.client.get(edit_url(self.eileen))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Eileen Roden")

        response = self.client.post(
            edit_url(self.eileen),
            speaker_form(name="Eileen Roden", role="Director of PMO", slug=self.eileen.slug),
        )
        self.assertRedirects(response, LIST_URL)
        self.eileen.refresh_from_db()
        self.assertEqual(self.eileen.role, "Director of PMO")
        self.assertEqual(self.eileen.organisation, "")
        self.assertEqual(self.eileen.slug, "eileen-roden")

    def test_clearing_the_slug_on_edit_makes_it_again_without_clashing_with_itself(self):
        self.client.post(edit_url(self.kasia), speaker_form(name="Kasia Nowak", slug=""))
        self.kasia.refresh_from_db()
        self.assertEqual(self.kasia.slug, "kasia-nowak")

    def test_bio_over_1000_characters_is_rejected_naming_the_field(self):
        response = self.client.post(ADD_URL, speaker_form(name="Verbose", bio="x" * 1001))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Speaker.objects.filter(name="Verbose").exists())
        errors = response.context["form"].errors
        self.assertEqual(list(errors), ["bio"])
        self.assertIn("at most 1000 characters (it has 1001)", errors["bio"][0])
        # The message is shown in the bio panel, under the field's label.
        panel = self.get_soup(response.content).find("section", id="panel-bio-section")
        self.assertEqual(" ".join(panel.find("label").get_text().split()), "Short bio")
        self.assertIn("at most 1000 characters (it has 1001)", panel.get_text())
        self.assertContains(response, "The speaker could not be created due to errors.")

    def test_bio_of_exactly_1000_characters_is_accepted(self):
        response = self.client.post(ADD_URL, speaker_form(name="Concise", bio="x" * 1000))
        self.assertRedirects(response, LIST_URL)

    def test_menu_item_for_superusers(self):
        response = self.client.get(reverse("wagtailadmin_home"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("pmolib_speakers", menu_item_names(response.wsgi_request))
        self.assertIn(LIST_URL, json.dumps(self.sidebar_props(response)))

    @staticmethod
    def sidebar_props(response):
        soup = WagtailTestUtils.get_soup(response.content)
        script = soup.find("script", id="wagtail-sidebar-props")
        return json.loads(script.get_text())


class SpeakerAdminPermissionTests(WagtailTestUtils, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.speaker = Speaker.objects.create(name="Lindsay Scott")
        cls.editor = cls.create_user(
            "plain-editor", password="password", permissions=["access_admin"]
        )
        cls.speaker_editor = cls.create_user("speaker-editor", password="password")
        group = Group.objects.create(name="Speaker editors")
        group.permissions.set(
            Permission.objects.filter(
                codename__in=["access_admin", "add_speaker", "change_speaker", "view_speaker"]
            )
        )
        cls.speaker_editor.groups.add(group)

    def test_no_snippet_permission_no_access(self):
        self.client.force_login(self.editor)
        for url in (LIST_URL, ADD_URL, edit_url(self.speaker)):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertRedirects(response, reverse("wagtailadmin_home"))
        response = self.client.post(ADD_URL, speaker_form(name="Sneaky"))
        self.assertRedirects(response, reverse("wagtailadmin_home"))
        self.assertFalse(Speaker.objects.filter(name="Sneaky").exists())

    def test_no_snippet_permission_no_menu_item(self):
        self.client.force_login(self.editor)
        response = self.client.get(reverse("wagtailadmin_home"))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("pmolib_speakers", menu_item_names(response.wsgi_request))
        self.assertNotIn(LIST_URL, json.dumps(SpeakerAdminTests.sidebar_props(response)))

    def test_anonymous_visitors_are_sent_to_the_login_page(self):
        response = self.client.get(LIST_URL)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("wagtailadmin_login")))

    def test_speaker_permissions_give_the_menu_item_and_the_forms(self):
        self.client.force_login(self.speaker_editor)
        response = self.client.get(reverse("wagtailadmin_home"))
        self.assertIn("pmolib_speakers", menu_item_names(response.wsgi_request))
        self.assertEqual(self.client.get(LIST_URL).status_code, 200)
        response = self.client.post(ADD_URL, speaker_form(name="Allowed"))
        self.assertRedirects(response, LIST_URL)
        self.assertEqual(Speaker.objects.get(name="Allowed").slug, "allowed")
