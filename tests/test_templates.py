"""Templates as host sites meet them: base template, overrides, assets, accessibility, i18n."""

import datetime
import re
from pathlib import Path
from unittest import mock

from django.test import TestCase, modify_settings, override_settings
from wagtail.api.v3.api import api as wagtail_api_v3

import wagtail_pmolib
from tests.builders import (
    SEED_TITLE,
    at,
    build_conference,
    build_document,
    build_image,
    build_library,
    build_session,
    seed_session_fields,
    soup_of,
    text_of,
)
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from wagtail_pmolib.models import Speaker

TEMPLATE_ROOT = Path(wagtail_pmolib.__file__).parent / "templates"
TEMPLATES = sorted(TEMPLATE_ROOT.rglob("*.html"))
CSS = "wagtail_pmolib/css/pmolib.css"
JS = "wagtail_pmolib/js/pmolib.js"


class prepend_testextends(modify_settings):
    """``modify_settings(INSTALLED_APPS={"prepend": "tests.testextends"})``, as wagtailmedia does.

    Changing INSTALLED_APPS runs every AppConfig.ready() again; Wagtail 8.0's snippets
    app then mounts its API v3 router a second time and django-ninja refuses
    ("Router is already mounted"). The router is already mounted, so the second
    mount is skipped here; nothing of ours is patched.
    """

    def __init__(self):
        super().__init__(INSTALLED_APPS={"prepend": "tests.testextends"})

    def enable(self):
        with mock.patch.object(wagtail_api_v3, "add_router"):
            super().enable()


with_testextends = prepend_testextends()


class RenderedTemplatesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library(intro="<p>All sessions.</p>")
        cls.conference = build_conference(
            cls.library,
            themes=("PMO Services",),
            start_date=datetime.date(2021, 11, 2),
            end_date=datetime.date(2021, 11, 3),
            city="London",
        )
        speakers = [
            Speaker.objects.create(
                name="Lindsay Scott", role="Director", photo=build_image("Lindsay")
            ),
            Speaker.objects.create(name="Eileen Roden", photo=build_image("Eileen")),
        ]
        cls.session = build_session(
            cls.conference,
            speakers=speakers,
            theme=cls.conference.themes.get(),
            starts_at=at(2021, 11, 2, 11),
            **seed_session_fields(build_document()),
        )
        cls.next_session = build_session(
            cls.conference, "Closing panel", speakers=speakers[:1], starts_at=at(2021, 11, 3, 9)
        )

    def pages(self):
        return [self.library, self.conference, self.session]

    def get(self, page):
        response = self.client.get(page.url)
        self.assertEqual(response.status_code, 200)
        return response

    # --- BASE_TEMPLATE ----------------------------------------------------------------

    @with_testextends
    @override_settings(WAGTAIL_PMOLIB={"BASE_TEMPLATE": "pmolib_tests/host_base.html"})
    def test_pages_extend_the_base_template_setting(self):
        for page in self.pages():
            with self.subTest(page=page):
                response = self.get(page)
                self.assertTemplateUsed(response, "pmolib_tests/host_base.html")
                self.assertTemplateNotUsed(response, "wagtail_pmolib/base.html")
                soup = soup_of(response)
                self.assertIsNotNone(soup.find(attrs={"data-host-header": True}))
                main = soup.find("main", id="host-main")
                # The library's content is in the host's content block …
                self.assertIsNotNone(main.select_one(".pmolib h1"))
                # … its stylesheet in the host's extra_css, after the host's own …
                head_links = [link["href"] for link in soup.head.find_all("link")]
                self.assertEqual(head_links, ["/static/host/site.css", f"/static/{CSS}"])
                # … its script in extra_js, and its body class in body_class.
                scripts = [s["src"] for s in soup.find_all("script", src=True)]
                self.assertEqual(scripts, ["/static/host/site.js", f"/static/{JS}"])
                self.assertIn("pmolib-body", soup.body["class"])
                self.assertTrue(soup.title.get_text().endswith("| Host site"))

    def test_default_base_template(self):
        response = self.get(self.session)
        self.assertTemplateUsed(response, "wagtail_pmolib/base.html")
        title = soup_of(response).title.get_text()
        self.assertTrue(title.startswith(f"{SEED_TITLE} – PMO Conference 2021"), title)

    # --- Overriding a template from a host app ----------------------------------------

    @with_testextends
    def test_a_host_app_overrides_the_breadcrumbs(self):
        response = self.get(self.session)
        soup = soup_of(response)
        overridden = soup.find(attrs={"data-overridden": "breadcrumbs"})
        self.assertIsNotNone(overridden)
        self.assertIn("PMO Library / PMO Conference 2021 /", text_of(overridden))
        self.assertIsNone(soup.select_one(".pmolib-breadcrumbs"))
        # The rest of the page is still the library's.
        self.assertIsNotNone(soup.select_one(".pmolib-session__title"))

    def test_without_the_host_app_the_library_breadcrumbs_are_back(self):
        soup = soup_of(self.get(self.session))
        self.assertIsNone(soup.find(attrs={"data-overridden": "breadcrumbs"}))
        self.assertIsNotNone(soup.select_one("nav.pmolib-breadcrumbs"))

    # --- INCLUDE_CSS / INCLUDE_JS --------------------------------------------------------

    def assets(self, page):
        soup = soup_of(self.get(page))
        css = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
        js = [script["src"] for script in soup.find_all("script", src=True)]
        return css, js

    def test_css_and_js_are_included_by_default(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertEqual(self.assets(page), ([f"/static/{CSS}"], [f"/static/{JS}"]))

    @override_settings(WAGTAIL_PMOLIB={"INCLUDE_CSS": False})
    def test_include_css_false_drops_the_stylesheet(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertEqual(self.assets(page), ([], [f"/static/{JS}"]))

    @override_settings(WAGTAIL_PMOLIB={"INCLUDE_JS": False})
    def test_include_js_false_drops_the_script(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertEqual(self.assets(page), ([f"/static/{CSS}"], []))

    # --- Accessibility --------------------------------------------------------------------

    def test_exactly_one_h1_per_page(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertEqual(len(soup_of(self.get(page)).find_all("h1")), 1)

    def test_html_has_a_lang_attribute(self):
        for page in self.pages():
            with self.subTest(page=page):
                self.assertEqual(soup_of(self.get(page)).html["lang"], "en-gb")

    def test_landmarks(self):
        for page in self.pages():
            with self.subTest(page=page):
                soup = soup_of(self.get(page))
                main = soup.find_all("main")
                self.assertEqual(len(main), 1)
                skip = soup.select_one(".pmolib-skip-link")
                self.assertEqual(skip["href"], f"#{main[0]['id']}")

    def test_session_page_breadcrumbs_nav(self):
        soup = soup_of(self.get(self.session))
        breadcrumbs = soup.find("nav", attrs={"aria-label": "Breadcrumbs"})
        self.assertIsNotNone(breadcrumbs)
        self.assertIsNotNone(breadcrumbs.find_parent("main"))
        self.assertEqual(
            [text_of(li) for li in breadcrumbs.find_all("li")][-3:],
            ["PMO Library", "PMO Conference 2021", SEED_TITLE],
        )

    def test_library_and_conference_pages_have_breadcrumbs_too(self):
        for page, expected in (
            (self.conference, ["PMO Library", "PMO Conference 2021"]),
            (self.library, ["PMO Library"]),
        ):
            soup = soup_of(self.get(page))
            breadcrumbs = soup.find("nav", attrs={"aria-label": "Breadcrumbs"})
            self.assertIsNotNone(breadcrumbs, page)
            items = [text_of(li) for li in breadcrumbs.find_all("li")]
            self.assertEqual(items[-len(expected) :], expected)
            self.assertEqual(text_of(breadcrumbs.find(attrs={"aria-current": "page"})), page.title)

    def test_session_page_has_a_labelled_table_of_contents_nav(self):
        soup = soup_of(self.get(self.session))
        toc = soup.find("nav", attrs={"data-pmolib-toc": True})
        self.assertIsNotNone(toc)
        label = soup.find(id=toc["aria-labelledby"])
        self.assertEqual(text_of(label), "Table of Contents")

    def test_every_nav_and_section_has_an_accessible_name(self):
        for page in self.pages():
            with self.subTest(page=page):
                soup = soup_of(self.get(page))
                for landmark in soup.find_all(["nav", "section", "aside", "article"]):
                    if landmark.name in ("aside", "article") and not landmark.attrs.get(
                        "aria-labelledby"
                    ):
                        continue
                    if landmark.get("aria-label"):
                        continue
                    labelled_by = landmark.get("aria-labelledby")
                    self.assertTrue(labelled_by, str(landmark)[:120])
                    self.assertTrue(text_of(soup.find(id=labelled_by)), labelled_by)

    def test_ids_are_unique(self):
        for page in self.pages():
            with self.subTest(page=page):
                ids = [tag["id"] for tag in soup_of(self.get(page)).find_all(id=True)]
                self.assertEqual(len(ids), len(set(ids)), ids)

    def test_speaker_photos_have_alt_text_attributes(self):
        soup = soup_of(self.get(self.session))
        photos = soup.select("img.pmolib-speaker__photo")
        self.assertEqual(len(photos), 2)
        for img in photos:
            # Decorative: the speaker's name is right next to it.
            self.assertEqual(img.get("alt"), "")
        for img in soup.find_all("img"):
            self.assertTrue(img.has_attr("alt"), str(img))

    def test_the_separator_is_hidden_from_screen_readers(self):
        soup = soup_of(self.get(self.session))
        separator = soup.select_one(".pmolib-session__separator")
        self.assertEqual(separator["aria-hidden"], "true")


# --- Template sources ------------------------------------------------------------------

TRANSLATE_TAG = re.compile(r"{%\s*(translate|trans|blocktranslate|blocktrans)\b")
LOADS_I18N = re.compile(r"{%\s*load\s+[^%]*\bi18n\b[^%]*%}")


def test_there_are_templates_to_scan():
    names = {p.relative_to(TEMPLATE_ROOT).as_posix() for p in TEMPLATES}
    assert "wagtail_pmolib/session_page.html" in names
    assert "wagtail_pmolib/includes/toc.html" in names


def test_every_template_that_translates_loads_i18n():
    missing = [
        str(path.relative_to(TEMPLATE_ROOT))
        for path in TEMPLATES
        if TRANSLATE_TAG.search(path.read_text()) and not LOADS_I18N.search(path.read_text())
    ]
    assert missing == []


def test_i18n_is_loaded_before_it_is_used():
    for path in TEMPLATES:
        source = path.read_text()
        use = TRANSLATE_TAG.search(source)
        if use:
            load = LOADS_I18N.search(source)
            assert load.start() < use.start(), path.name


def test_section_headings_are_translatable():
    sources = {p.relative_to(TEMPLATE_ROOT).as_posix(): p.read_text() for p in TEMPLATES}
    all_source = "\n".join(sources.values())
    for text in ("Session Recording", "Session Notes", "Table of Contents"):
        translated = re.findall(r'{%\s*translate\s+"' + re.escape(text) + r'"\s*%}', all_source)
        assert translated, f"{text!r} is not in a {{% translate %}} tag"
        # And nowhere as bare text that a translation could not reach.
        bare = re.sub(r"{%.*?%}", "", all_source)
        assert text not in bare, f"{text!r} appears untranslated"
    assert '{% translate "Session Recording" %}' in sources["wagtail_pmolib/session_page.html"]
    assert '{% translate "Table of Contents" %}' in sources["wagtail_pmolib/includes/toc.html"]


def test_no_user_visible_text_outside_translation_tags_in_library_pages():
    """Visible words in the page templates come from content or from {% translate %}."""
    for name in (
        "session_page.html",
        "library_index_page.html",
        "conference_page.html",
        "includes/toc.html",
        "includes/search_form.html",
        "includes/search_facets.html",
        "includes/search_result.html",
        "includes/search_empty.html",
        "includes/search_pagination.html",
        "includes/breadcrumbs.html",
    ):
        source = (TEMPLATE_ROOT / "wagtail_pmolib" / name).read_text()
        source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", source, flags=re.DOTALL)
        source = re.sub(r"{%\s*block pmolib_body_class\s*%}[^{]*", "", source)
        source = re.sub(
            r"{%\s*blocktranslate.*?endblocktranslate\s*%}", "", source, flags=re.DOTALL
        )
        source = re.sub(r"{[{%#].*?[}%#]}", "", source, flags=re.DOTALL)
        text = re.sub(r"<[^>]*>", " ", source)
        words = re.findall(r"[A-Za-z]{2,}", text)
        assert words == [], f"{name}: {words}"
