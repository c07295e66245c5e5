"""The library's search, as visitors use it: the search box, results, filters and
facets, sorting, paging, the "no results" state, editors' picks, the search log,
page privacy and the suggestions endpoint; and the pure parts underneath
(reading a query, excerpts and their escaping, facet counting, search addresses).

Runs on Wagtail's database search backend: SQLite FTS5 by default, PostgreSQL's
full-text search with DATABASE_URL=postgres://….
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Sum
from django.http import QueryDict
from django.test import RequestFactory, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.contrib.search_promotions.models import Query, QueryDailyHits, SearchPromotion
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction
from wagtail.search.query import And, Or, Phrase, PlainText
from wagtail.test.utils import WagtailPageTestCase

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_library,
    build_session,
    recording_stream,
    restrict,
    soup_of,
    text_of,
)
from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import RatingSummary, SearchTerm, SessionPage, Speaker
from wagtail_pmolib.search import SearchParams, parse_params, parse_query
from wagtail_pmolib.search.excerpts import excerpt, lead, mark, terms_pattern
from wagtail_pmolib.search.query import MAX_TERMS
from wagtail_pmolib.search.scope import Conference, KnownValues, theme_key

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
TAG = re.compile(r"<[^>]*>")


def make_pdf_document(title, lines, filename="handout.pdf", pdf_title=None):
    """A document whose file is a real PDF with ``lines`` of text, uploaded in a
    request that commits (its text is read after the commit)."""
    document = get_document_model()(title=title)
    pdf = build_pdf(title if pdf_title is None else pdf_title, lines)
    document.file.save(filename, ContentFile(pdf), save=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        document.save()
    return document


def handout(document, title="", description=""):
    return ("handout", {"document": document, "title": title, "description": description})


def titles(response):
    # The title's own text: a <mark> inside it adds no space.
    return [
        " ".join(a.get_text().split()) for a in soup_of(response).select(".pmolib-result__title a")
    ]


def heading(response):
    return text_of(soup_of(response).select_one("#pmolib-sessions-heading"))


def notices(response):
    return [text_of(p) for p in soup_of(response).select(".pmolib-search__notices p")]


def facet_counts(response):
    """``{facet heading: {option label: count}}`` as the page shows them."""
    found = {}
    for section in soup_of(response).select(".pmolib-facet"):
        name = text_of(section.select_one(".pmolib-facet__heading"))
        options = {}
        for option in section.select(".pmolib-facet__option"):
            label = text_of(option.select_one(".pmolib-facet__label"))
            count = text_of(option.select_one(".pmolib-facet__count")).split()[0]
            options[label] = int(count)
        found[name] = options
    return found


def facet_link(response, facet, label):
    for section in soup_of(response).select(".pmolib-facet"):
        if text_of(section.select_one(".pmolib-facet__heading")) != facet:
            continue
        for option in section.select(".pmolib-facet__option"):
            if text_of(option.select_one(".pmolib-facet__label")) == label:
                return option
    raise AssertionError(f"no {facet} option {label!r}")


def chips(response):
    """The selected filters: ``{text: remove url}``."""
    return {
        text_of(a).replace(" × (remove this filter)", ""): a["href"]
        for a in soup_of(response).select(".pmolib-search__selected a.pmolib-chip")
        if not a.has_attr("data-clear")
    }


def inner_html(response, css_class):
    """The raw HTML inside each ``<p class="css_class">`` (as the server wrote it)."""
    return re.findall(rf'<p class="{css_class}">(.*?)</p>', response.content.decode(), re.S)


def strings_containing(response, text):
    """Where ``text`` shows on the page: each element holding it, with its text."""
    soup = soup_of(response)
    return [
        f"<{found.parent.name} class={found.parent.get('class')}>: {' '.join(found.split())}"
        for found in soup.find_all(string=re.compile(re.escape(text)))
    ]


def only_mark_tags(fragment):
    return set(TAG.findall(fragment)) <= {"<mark>", "</mark>"}


# --- Reading a query ---------------------------------------------------------------------


def test_parse_query_keeps_words_and_phrases_and_drops_operators():
    query = parse_query('Benefits AND "Portfolio  Dashboards" -agile NEAR(x y) title:pmo* ^z')
    assert query.phrases == [["portfolio", "dashboards"]]
    assert query.words == ["benefits", "and", "agile", "near", "x", "y", "title", "pmo", "z"]
    assert query.text == 'Benefits AND "Portfolio Dashboards" -agile NEAR(x y) title:pmo* ^z'
    assert query.normalised == '"portfolio dashboards" benefits and agile near x y title pmo z'
    assert query.terms[:3] == ["benefits", "and", "agile"]
    assert "portfolio" in query.terms and "dashboards" in query.terms


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "!!!", '""', '"', "* ^ - : ( )", "😀🎉", "\x00\x01\x1f", "\u200b", None],
)
def test_parse_query_without_words_is_empty(raw):
    query = parse_query(raw)
    assert not query
    assert query.backend_query() is None and query.backend_query("or") is None
    assert "\x00" not in query.text


def test_parse_query_drops_control_characters_and_nul():
    query = parse_query("risk\x00 regi\x07ster\ttemplate\n")
    assert "\x00" not in query.text and "\x07" not in query.text
    assert query.text == "risk register template"
    assert query.words == ["risk", "register", "template"]


def test_parse_query_keeps_unicode_words_lower_cased():
    query = parse_query("Café GRÖSSE 日本語 Ελληνικά 😀")
    assert query.words == ["café", "grösse", "日本語", "ελληνικά"]
    assert "😀" in query.text


def test_parse_query_is_cut_to_the_limit():
    query = parse_query("word " * 2000)  # 10,000 characters
    assert len(query.text) <= 200 and query.truncated
    assert query.words == ["word"]
    assert not parse_query("x" * 200).truncated
    assert parse_query("x" * 201).truncated
    with override_settings(WAGTAIL_PMOLIB={"SEARCH_MAX_QUERY_LENGTH": 10}):
        query = parse_query("abcdefghij klmnop")
        assert query.text == "abcdefghij" and query.truncated


def test_parse_query_counts_a_word_once_and_caps_the_terms():
    assert parse_query("pmo PMO Pmo value").words == ["pmo", "value"]
    many = parse_query(" ".join(f"w{n}" for n in range(MAX_TERMS + 10)))
    assert len(many.terms) == MAX_TERMS


def test_a_quoted_single_word_is_a_word():
    query = parse_query('"benefits" pmo')
    assert query.phrases == [] and query.words == ["benefits", "pmo"]


def test_backend_query_objects():
    assert isinstance(parse_query("pmo").backend_query(), PlainText)
    assert isinstance(parse_query('"pmo value"').backend_query(), Phrase)
    assert isinstance(parse_query('"pmo value" agile').backend_query(), And)
    assert isinstance(parse_query("pmo agile").backend_query("or"), Or)


# --- Excerpts --------------------------------------------------------------------------------


def test_mark_escapes_everything_but_the_marks():
    pattern = terms_pattern(["magpie"])
    marked = mark('Tom & Jerry <script>alert("x")</script> magpies', pattern)
    assert marked == (
        "Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>magpies</mark>"
    )
    assert mark("<b>bold</b>", None) == "&lt;b&gt;bold&lt;/b&gt;"
    assert mark("", pattern) == ""


def test_a_search_for_a_tag_name_marks_text_not_markup():
    marked = mark("<mark>not a tag</mark> & mark", terms_pattern(parse_query("<mark>").terms))
    assert only_mark_tags(marked)
    assert marked.count("<mark>") == 3  # the two escaped tag names and the word
    assert "&lt;" in marked and "&amp;" in marked


def test_excerpt_picks_the_matching_passage_with_ellipses():
    words = [f"w{n}" for n in range(100)]
    words[60] = "Framework"
    found = excerpt(" ".join(words), terms_pattern(["frameworks"]), words=10)
    assert found.startswith("… ") and found.endswith(" …")
    assert "<mark>Framework</mark>" in found
    assert excerpt("nothing here", terms_pattern(["framework"])) is None
    assert excerpt("", terms_pattern(["framework"])) is None
    assert excerpt("framework", None) is None


def test_excerpt_of_hostile_text_is_escaped():
    text = "A & B <script>alert(1)</script> <img src=x onerror=alert(2)> magpie &amp; more"
    found = excerpt(text, terms_pattern(["magpie"]))
    assert only_mark_tags(found)
    assert "&lt;script&gt;" in found and "&lt;img" in found and "&amp;amp;" in found


def test_lead_cuts_long_text():
    assert lead("one two three", words=2) == "one two …"
    assert lead("one two", words=2) == "one two"
    assert lead(None) == ""


# --- Search addresses, without a database -----------------------------------------------------


class AddressScope:
    """Stands in for a visitor's ``LibraryScope``: knows conference 3, two themes and
    speakers 7 and 9 (what the database would answer)."""

    session_model = SessionPage

    def known_values(self, conferences=(), themes=(), speakers=(), all_words_of=None):
        known = KnownValues()
        if 3 in conferences:
            known.conferences[3] = Conference(3, "00010001", "PMO Conference 2021")
        for key, name in (("pmo-services", "PMO Services"), ("pmo-people", "PMO People")):
            if key in themes:
                known.themes[key], known.theme_ids[key] = name, [1]
        for pk, name in ((7, "Lindsay Scott"), (9, "Eileen Roden")):
            if pk in speakers:
                known.speakers[pk] = name
        return known


def catalog_for_addresses():
    return AddressScope()


def test_search_addresses_round_trip():
    catalog = catalog_for_addresses()
    params = SearchParams(
        query=parse_query('pmo "value office"'),
        conferences=(3,),
        themes=("pmo-services",),
        speakers=(7, 9),
        formats=("recording",),
        sort="top-rated",
        per_page=24,
    )
    url = params.url()
    assert url == (
        "?q=pmo+%22value+office%22&conference=3&theme=pmo-services&speaker=7&speaker=9"
        "&format=recording&sort=top-rated&per_page=24"
    )
    again = parse_params(QueryDict(url[1:]), catalog)
    assert again.url() == url and not again.notices
    assert (again.conferences, again.themes, again.speakers, again.formats) == (
        (3,),
        ("pmo-services",),
        (7, 9),
        ("recording",),
    )
    assert again.query.text == params.query.text and again.sort == "top-rated"
    assert again.per_page == 24
    assert params.url(page=2).endswith("&page=2")
    assert SearchParams().url() == "?"


def test_toggle_url_adds_and_removes_one_value_and_keeps_the_rest():
    catalog = catalog_for_addresses()
    params = parse_params(QueryDict("q=pmo&speaker=7&theme=pmo-services&page=3"), catalog)
    removed = parse_params(QueryDict(params.toggle_url("speaker", 7)[1:]), catalog)
    assert removed.speakers == () and removed.themes == ("pmo-services",)
    assert removed.query.text == "pmo"
    assert removed.page == 1  # changing a filter goes back to the first page
    added = parse_params(QueryDict(params.toggle_url("speaker", 9)[1:]), catalog)
    assert added.speakers == (7, 9)
    back = parse_params(QueryDict(added.toggle_url("speaker", 9)[1:]), catalog)
    assert back.url() == params.url()
    theme_added = parse_params(QueryDict(params.toggle_url("theme", "pmo-people")[1:]), catalog)
    assert theme_added.themes == ("pmo-services", "pmo-people")


@pytest.mark.parametrize(
    "query_string, notice",
    [
        ("conference=999", "conference"),
        ("conference=abc", "conference"),
        ("conference=-3", "conference"),
        ("speaker=7.0", "speaker"),
        ("theme=nope", "theme"),
        ("format=video", "format"),
        ("sort=oldest", "sort order"),
    ],
)
def test_unknown_filter_values_are_left_out_with_a_notice(query_string, notice):
    params = parse_params(QueryDict(query_string), catalog_for_addresses())
    assert not (params.conferences or params.themes or params.speakers or params.formats)
    assert params.sort == ""
    assert len(params.notices) == 1 and notice in str(params.notices[0])


def test_repeated_filter_values_count_once():
    params = parse_params(
        QueryDict("speaker=7&speaker=7&speaker=9&speaker=7"), catalog_for_addresses()
    )
    assert params.speakers == (7, 9) and not params.notices


@pytest.mark.django_db
def test_the_bayesian_average_sorts_the_same_in_the_database():
    from django.db.models import F

    from wagtail_pmolib.feedback.summary import bayesian_average, bayesian_average_sql

    library = build_library()
    conference = build_conference(library, "Rated")
    for n, (count, total) in enumerate([(1, 5), (20, 90), (3, 9), (0, 0)]):
        session = build_session(conference, f"Rated {n}")
        RatingSummary.objects.create(page=session, count=count, total=total)
    rows = RatingSummary.objects.annotate(
        bayes=bayesian_average_sql(F("count"), F("total"), 104 / 24, 5)
    ).values_list("count", "total", "bayes")
    for count, total, bayes in rows:
        assert bayes == pytest.approx(bayesian_average(count, total, 104 / 24, 5))
    assert (
        RatingSummary.objects.annotate(bayes=bayesian_average_sql(F("count"), F("total"), 3.0, 0))
        .get(count=0)
        .bayes
        is None
    )  # no ratings and no prior: None in Python too


def test_search_ranking_setting_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    from wagtail_pmolib.conf import pmolib_settings

    with (
        override_settings(WAGTAIL_PMOLIB={"SEARCH_RANKING": "bm25"}),
        pytest.raises(ImproperlyConfigured, match="SEARCH_RANKING"),
    ):
        pmolib_settings.validate()


def test_theme_keys_are_slugs_of_names():
    assert theme_key("PMO Services") == "pmo-services"
    assert theme_key("Ärger & Öl") == "ärger-öl"
    assert theme_key("!!!") == "-"


# --- The library page --------------------------------------------------------------------------


class SearchTestCase(WagtailPageTestCase):
    """Requests to the library page, with helpers."""

    def get(self, data=None, **extra):
        response = self.client.get(self.library.url, data or {}, **extra)
        self.assertEqual(response.status_code, 200)
        return response

    def search(self, q, headers=None, **params):
        return self.get({"q": q, **params}, **(headers or {}))

    def found(self, q, **params):
        return titles(self.search(q, **params))


class SearchableFieldsTests(SearchTestCase):
    """Every field the issue lists is searched: a word found only in that field
    finds the session."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        other = build_conference(cls.library, "Other Conference", themes=["Other Theme"])
        conference = build_conference(
            cls.library, "Ostrevant Summit 2020", themes=["Pellucid Futures"]
        )
        speaker = Speaker.objects.create(
            name="Yevgenia Marlowick", role="Head of PMO", organisation="Trevannion Consulting"
        )
        plain_speaker = Speaker.objects.create(name="Sam Jones", organisation="Acme")
        pdf = make_pdf_document("Worksheet", ["The cormorantine method, step by step"])
        titled_by_document = make_pdf_document(
            "Halvorsen Matrix", ["Some text"], "matrix.pdf", pdf_title="Matrix"
        )
        cls.session = build_session(
            conference,
            "Quillbrook: a session with every field",
            speakers=[speaker],
            theme=conference.themes.get(),
            starts_at=at(2020, 5, 1, 9),
            abstract="<p>The zanthorp approach to portfolio reporting.</p>",
            notes="<h3>Gildersleeve</h3><p>What we discussed.</p>",
            body=[
                handout(pdf, title="Brackwater Canvas", description="A fennimore checklist"),
                handout(titled_by_document),  # no title of its own: the document's is shown
                (
                    "handouts",
                    {
                        "heading": "Lindqvist pack",
                        "description": "Saltmarshy extras",
                        "anchor": "",
                        "handouts": [
                            {"document": titled_by_document, "title": "", "description": ""}
                        ],
                    },
                ),
            ],
        )
        cls.control = build_session(
            other,
            "A session with none of the words",
            speakers=[plain_speaker],
            theme=other.themes.get(),
            starts_at=at(2021, 5, 1, 9),
            abstract="<p>Portfolio reporting, plainly.</p>",
            notes="<p>Notes.</p>",
            body=[handout(make_pdf_document("Plain", ["plain text"], "plain.pdf"), "Plain")],
        )
        cls.title = cls.session.title

    def test_each_field_is_searchable_by_a_word_found_only_there(self):
        fields = {
            "title": "quillbrook",
            "abstract": "zanthorp",
            "speaker name": "marlowick",
            "speaker organisation": "trevannion",
            "conference title": "ostrevant",
            "theme name": "pellucid",
            "handout title": "brackwater",
            "handout description": "fennimore",
            "document title of an untitled handout": "halvorsen",
            "handout group heading": "lindqvist",
            "handout group description": "saltmarshy",
            "notes": "gildersleeve",
            "PDF text": "cormorantine",
        }
        for field, word in fields.items():
            with self.subTest(field=field, word=word):
                self.assertEqual(self.found(word), [self.title])
                self.assertEqual(self.found(word.upper()), [self.title])

    def test_a_shared_word_finds_both(self):
        self.assertEqual(len(self.found("portfolio reporting")), 2)

    def test_the_excerpt_shows_the_field_that_matched(self):
        for word, field_text in (
            ("zanthorp", "The <mark>zanthorp</mark> approach"),
            ("gildersleeve", "<mark>Gildersleeve</mark> What we discussed."),
            ("brackwater", "<mark>Brackwater</mark> Canvas A fennimore checklist"),
            ("fennimore", "Brackwater Canvas A <mark>fennimore</mark> checklist"),
            ("cormorantine", "The <mark>cormorantine</mark> method"),
        ):
            with self.subTest(word=word):
                [found] = inner_html(self.search(word), "pmolib-result__excerpt")
                self.assertIn(field_text, found)

    def test_a_match_elsewhere_shows_the_start_of_the_abstract(self):
        [found] = inner_html(self.search("marlowick"), "pmolib-result__excerpt")
        self.assertEqual(found, "The zanthorp approach to portfolio reporting.")

    def test_the_title_is_marked(self):
        response = self.search("quillbrook")
        link = soup_of(response).select_one(".pmolib-result__title a")
        self.assertEqual(str(link.mark), "<mark>Quillbrook</mark>")
        self.assertEqual(link["href"], self.session.url)

    def test_a_phrase_must_appear_as_written(self):
        self.assertEqual(self.found('"zanthorp approach"'), [self.title])
        self.assertEqual(self.found('"approach zanthorp"'), [])

    def test_every_word_must_match_before_some_may(self):
        self.assertEqual(self.found("zanthorp portfolio"), [self.title])
        # No session has both words: those with some of them, and a notice saying so.
        response = self.search("zanthorp plainly")
        self.assertEqual(len(titles(response)), 2)
        self.assertIn(
            "No session has all of your words; these have some of them.", notices(response)
        )


class ExcerptEscapingTests(SearchTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        conference = build_conference(cls.library, "PMO Conference 2021")
        cls.session = build_session(
            conference,
            "Q&A <b>live</b> with magpies",
            starts_at=at(2021, 11, 2, 9),
            abstract=(
                "<p>Tom &amp; Jerry &lt;script&gt;alert('x')&lt;/script&gt; talk magpie"
                " &lt;img src=x onerror=alert(1)&gt; &amp;amp;</p>"
                "<script>alert('real')</script>"
            ),
        )

    def test_abstract_with_script_and_ampersand_is_escaped_with_only_marks(self):
        response = self.search("magpie")
        self.assertEqual(titles(response), [self.session.title])
        [found] = inner_html(response, "pmolib-result__excerpt")
        self.assertTrue(only_mark_tags(found), found)
        self.assertIn("<mark>magpie</mark>", found)
        self.assertIn("Tom &amp; Jerry &lt;script&gt;alert(", found)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", found)
        self.assertIn("&amp;amp;", found)
        [results] = re.findall(
            r"<ol class=\"pmolib-results\".*?</ol>", response.content.decode(), re.S
        )
        self.assertNotIn("<script", results)
        self.assertNotIn("<img", results)
        soup = soup_of(response)
        self.assertEqual(soup.select(".pmolib-results script, .pmolib-results img"), [])

    def test_title_is_escaped_with_only_marks(self):
        response = self.search("live")
        raw = response.content.decode()
        [title] = re.findall(r'<h3 class="pmolib-result__title"><a [^>]*>(.*?)</a>', raw, re.S)
        self.assertEqual(title, "Q&amp;A &lt;b&gt;<mark>live</mark>&lt;/b&gt; with magpies")

    def test_without_a_query_the_abstract_is_escaped_and_unmarked(self):
        [found] = inner_html(self.get(), "pmolib-result__excerpt")
        self.assertNotIn("<mark>", found)
        self.assertEqual(TAG.findall(found), [])
        self.assertIn("&lt;script&gt;", found)

    def test_the_query_is_escaped_wherever_it_is_shown(self):
        response = self.search('<script>alert("q")</script> magpie')
        raw = response.content.decode()
        self.assertNotIn('<script>alert("q")', raw)
        soup = soup_of(response)
        self.assertEqual(
            soup.select_one("#pmolib-q")["value"], '<script>alert("q")</script> magpie'
        )
        self.assertIn("&lt;script&gt;", raw)


class LibrarySearchTests(SearchTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conf_2021 = build_conference(
            cls.library, "PMO Conference 2021", themes=["PMO Services", "PMO People"]
        )
        cls.conf_2022 = build_conference(
            cls.library, "PMO Conference 2022", themes=["PMO Services", "PMO in Practice"]
        )
        cls.members = build_conference(cls.library, "Members Day")
        cls.members_restriction = restrict(cls.members, PageViewRestriction.LOGIN)
        cls.lindsay = Speaker.objects.create(name="Lindsay Scott", organisation="PMO Learning")
        cls.eileen = Speaker.objects.create(name="Eileen Roden", organisation="PMO Flashmob")
        cls.john = Speaker.objects.create(name="John Smith", organisation="Acme Widgets")
        cls.harriet = Speaker.objects.create(name="Harriet Private", organisation="Hushco")
        document = make_pdf_document("Barrier map", ["Barriers and how to cross them"])
        themes_2021 = {t.name: t for t in cls.conf_2021.themes.all()}
        themes_2022 = {t.name: t for t in cls.conf_2022.themes.all()}
        cls.s1 = build_session(
            cls.conf_2021,
            "Benefits realisation that sticks",
            speakers=[cls.lindsay],
            theme=themes_2021["PMO Services"],
            starts_at=at(2021, 11, 2, 9),
            abstract="<p>How a PMO proves its value with benefits tracking.</p>",
            recording=recording_stream(),
        )
        cls.s2 = build_session(
            cls.conf_2021,
            "Hierarchy is not destiny",
            speakers=[cls.eileen],
            theme=themes_2021["PMO People"],
            starts_at=at(2021, 11, 2, 14),
            abstract="<p>Overcoming barriers in the PMO.</p>",
            body=[handout(document, "Barrier map")],
        )
        cls.s3 = build_session(
            cls.conf_2022,
            "Portfolio dashboards people read",
            speakers=[cls.lindsay, cls.john],
            theme=themes_2022["PMO Services"],
            starts_at=at(2022, 11, 1, 9),
            abstract="<p>Dashboards that show benefits to the board.</p>",
            recording=recording_stream(),
            body=[handout(document, "Dashboard template")],
        )
        cls.s4 = build_session(
            cls.conf_2022,
            "Agile governance for the PMO",
            speakers=[cls.john],
            theme=themes_2022["PMO in Practice"],
            starts_at=at(2022, 11, 1, 14),
            abstract="<p>Governance that keeps pace.</p>",
        )
        cls.draft = build_session(
            cls.conf_2022,
            "Draft benefits session",
            speakers=[cls.lindsay],
            starts_at=at(2023, 1, 1, 9),
            abstract="<p>Benefits, unpublished. Draftonlyword.</p>",
            publish=False,
        )
        cls.members_session = build_session(
            cls.members,
            "Members benefits clinic",
            speakers=[cls.harriet],
            starts_at=at(2023, 2, 1, 9),
            abstract="<p>Benefits for members. Clinicword.</p>",
        )
        cls.password_session = build_session(
            cls.conf_2022,
            "Password benefits workshop",
            speakers=[cls.eileen],
            starts_at=at(2022, 11, 2, 9),
            abstract="<p>Benefits behind a password. Workshopword.</p>",
        )
        cls.password_restriction = restrict(cls.password_session)
        cls.group = Group.objects.create(name="Sponsors")
        cls.group_session = build_session(
            cls.conf_2021,
            "Sponsors benefits briefing",
            starts_at=at(2021, 11, 3, 9),
            abstract="<p>Benefits for sponsors. Briefingword.</p>",
        )
        group_restriction = PageViewRestriction.objects.create(
            page=cls.group_session, restriction_type=PageViewRestriction.GROUPS
        )
        group_restriction.groups.add(cls.group)
        cls.user = User.objects.create_user("visitor", password="pw")
        cls.sponsor = User.objects.create_user("sponsor", password="pw")
        cls.sponsor.groups.add(cls.group)

    NEWEST = [
        "Agile governance for the PMO",
        "Portfolio dashboards people read",
        "Hierarchy is not destiny",
        "Benefits realisation that sticks",
    ]

    # --- Browsing and searching

    def test_without_a_query_all_sessions_newest_first(self):
        response = self.get()
        self.assertEqual(titles(response), self.NEWEST)
        self.assertEqual(heading(response), "All sessions (4 sessions)")
        soup = soup_of(response)
        search_box = soup.select_one("search form[role=search] input#pmolib-q[name=q]")
        self.assertEqual(search_box["value"], "")
        self.assertEqual(search_box["maxlength"], "200")
        self.assertEqual(
            soup.select_one("form[role=search]")["data-suggest-url"], "/library/suggest/"
        )
        self.assertEqual(SearchTerm.objects.count(), 0)

    def test_a_search_lists_matches_with_a_count_and_the_query_in_the_box(self):
        response = self.search("Benefits")
        self.assertEqual(
            titles(response),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )
        self.assertEqual(heading(response), "2 sessions found for “Benefits”")
        self.assertEqual(soup_of(response).select_one("#pmolib-q")["value"], "Benefits")
        self.assertEqual(heading(self.search("governance")), "1 session found for “governance”")

    def test_each_result_shows_title_conference_speakers_date_excerpt_badges_rating(self):
        RatingSummary.objects.create(page=self.s3, count=4, total=18, stars_5=2, stars_4=2)
        response = self.search("dashboards")
        [card] = soup_of(response).select(".pmolib-result")
        self.assertEqual(text_of(card.select_one(".pmolib-result__title")), self.s3.title)
        self.assertEqual(card.select_one(".pmolib-result__title a")["href"], self.s3.url)
        self.assertEqual(text_of(card.select_one(".pmolib-result__edition")), "PMO Conference 2022")
        self.assertEqual(card.select_one("time")["datetime"][:10], "2022-11-01")
        self.assertEqual(text_of(card.select_one("time")), "1 November 2022")
        self.assertEqual(text_of(card.select_one(".pmolib-result__theme")), "PMO Services")
        self.assertEqual(
            text_of(card.select_one(".pmolib-result__speakers")), "Lindsay Scott, John Smith"
        )
        self.assertEqual(
            str(card.select_one(".pmolib-result__excerpt")),
            '<p class="pmolib-result__excerpt"><mark>Dashboards</mark> that show benefits to the '
            "board.</p>",
        )
        self.assertEqual(
            [text_of(b) for b in card.select(".pmolib-badge")], ["Recording", "Handout"]
        )
        self.assertEqual(
            text_of(card.select_one(".pmolib-result__rating")), "★ 4.5 out of 5 stars (4 ratings)"
        )

    def test_title_matches_rank_above_abstract_matches(self):
        # "benefits" is in s1's title and abstract and only in s3's abstract; s3 is newer.
        self.assertEqual(
            self.found("benefits"),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )
        for word in ("governance", "dashboards"):
            with self.subTest(word=word):
                self.assertEqual(len(self.found(word)), 1)

    def test_a_title_word_outranks_the_same_word_in_a_newer_abstract(self):
        # Created title-match second (a higher id) and older, so neither id nor date explains it.
        in_abstract = build_session(
            self.conf_2022,
            "A newer session",
            starts_at=at(2022, 12, 1, 9),
            abstract="<p>Notes about kestrel spotting.</p>",
        )
        in_title = build_session(
            self.conf_2021,
            "Kestrel spotting",
            starts_at=at(2021, 1, 1, 9),
            abstract="<p>Birds.</p>",
        )
        self.assertEqual(self.found("kestrel"), [in_title.title, in_abstract.title])
        self.assertEqual(self.found("kestrel", sort="newest"), [in_abstract.title, in_title.title])

    def test_both_rankings_put_the_title_match_first(self):
        """Whoever ranks (the backend's scores, or the library on SQLite), a word in
        the title comes before the same word in a newer abstract."""
        in_abstract = build_session(
            self.conf_2022,
            "A newer session",
            starts_at=at(2022, 12, 1, 9),
            abstract="<p>Notes about osprey nests.</p>",
        )
        in_title = build_session(
            self.conf_2021, "Osprey nests", starts_at=at(2021, 1, 1, 9), abstract="<p>Birds.</p>"
        )
        for ranking in ("backend", "library", "auto"):
            with (
                self.subTest(ranking=ranking),
                override_settings(WAGTAIL_PMOLIB={"SEARCH_RANKING": ranking}),
            ):
                self.assertEqual(self.found("osprey nests"), [in_title.title, in_abstract.title])

    def test_a_wordless_query_browses_with_a_notice(self):
        response = self.search('"*" -- ( ) 😀')
        self.assertEqual(titles(response), self.NEWEST)
        self.assertIn(
            "Your search has no words to look for, so all sessions are shown.", notices(response)
        )
        self.assertEqual(SearchTerm.objects.count(), 0)

    def test_a_long_query_is_cut_with_a_notice(self):
        response = self.search("benefits " + "x" * 10_000)
        self.assertEqual(len(soup_of(response).select_one("#pmolib-q")["value"]), 200)
        self.assertIn("Your search was shortened to its first 200 characters.", notices(response))

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_MAX_QUERY_LENGTH": 20})
    def test_the_query_length_follows_the_setting(self):
        response = self.search("benefits realisation that sticks")
        box = soup_of(response).select_one("#pmolib-q")
        self.assertEqual(box["value"], "benefits realisation")
        self.assertEqual(box["maxlength"], "20")
        self.assertEqual(titles(response), ["Benefits realisation that sticks"])

    def test_operators_and_quotes_are_words_not_syntax(self):
        for q in (
            "benefits OR governance",
            "benefits AND NOT governance",
            "benefits*",
            "NEAR(benefits",
        ):
            with self.subTest(q=q):
                response = self.search(q)
                self.assertFalse(response.context["search"].failed)
        # OR is a word, not an operator: nothing has all of "benefits", "or" and
        # "governance", so the sessions with some of them come back with a notice.
        response = self.search("benefits OR governance")
        self.assertIn(
            "No session has all of your words; these have some of them.", notices(response)
        )
        self.assertEqual(len(titles(response)), 3)

    # --- Drafts and privacy

    def test_drafts_are_never_found(self):
        self.assertEqual(self.found("draftonlyword"), [])
        self.assertNotIn("Draft benefits session", self.found("benefits"))
        # A published session's unpublished changes are not searched either.
        self.s4.title = "Agile governance, redrafted"
        self.s4.abstract = "<p>Pendingword.</p>"
        self.s4.save_revision()
        self.assertEqual(self.found("pendingword"), [])
        self.assertEqual(self.found("governance"), ["Agile governance for the PMO"])

    def test_an_unpublished_session_disappears(self):
        self.assertEqual(self.found("governance"), ["Agile governance for the PMO"])
        self.s4.unpublish()
        self.assertEqual(self.found("governance"), [])
        self.assertNotIn("Agile governance for the PMO", titles(self.get()))

    def test_restricted_sessions_are_hidden_from_anonymous_visitors(self):
        for word in ("clinicword", "workshopword", "briefingword"):
            with self.subTest(word=word):
                self.assertEqual(self.found(word), [])
        content = self.search("benefits").content.decode()
        for title in ("Members benefits clinic", "Password benefits workshop", "Sponsors benefits"):
            self.assertNotIn(title, content)
        self.assertEqual(len(titles(self.get())), 4)

    def test_a_login_restriction_shows_the_session_to_signed_in_visitors(self):
        self.client.force_login(self.user)
        self.assertEqual(self.found("clinicword"), ["Members benefits clinic"])
        self.assertEqual(self.found("workshopword"), [])  # a password is still needed
        self.assertEqual(self.found("briefingword"), [])  # not in the group
        self.assertIn("Members Day", facet_counts(self.get())["Conference"])

    def test_a_group_restriction_shows_the_session_to_members_of_the_group(self):
        self.client.force_login(self.sponsor)
        self.assertEqual(self.found("briefingword"), ["Sponsors benefits briefing"])

    def test_a_password_restriction_shows_the_session_once_the_password_was_given(self):
        session = self.client.session
        session[PageViewRestriction.passed_view_restrictions_session_key] = [
            self.password_restriction.pk
        ]
        session.save()
        self.assertEqual(self.found("workshopword"), ["Password benefits workshop"])
        self.assertEqual(self.found("clinicword"), [])

    def test_facets_do_not_show_what_the_visitor_may_not_see(self):
        counts = facet_counts(self.get())
        self.assertNotIn("Members Day", counts["Conference"])
        self.assertNotIn("Harriet Private", counts["Speaker"])
        # Eileen's password-protected session is not counted.
        self.assertEqual(counts["Speaker"]["Eileen Roden"], 1)
        self.assertEqual(counts["Conference"], {"PMO Conference 2022": 2, "PMO Conference 2021": 2})

    def test_a_restricted_conference_chosen_by_id_is_not_named(self):
        """A private conference's id in the address is treated like an id that does
        not exist: its title never shows, and the page does not tell them apart."""
        private = self.get({"conference": self.members.pk})
        self.assertEqual(strings_containing(private, "Members Day"), [])
        unknown = self.get({"conference": 999_999})
        self.assertEqual(titles(private), titles(unknown))
        self.assertEqual(notices(private), notices(unknown))
        self.client.force_login(self.user)
        response = self.get({"conference": self.members.pk})
        self.assertEqual(titles(response), ["Members benefits clinic"])
        self.assertIn("Conference: Members Day", chips(response))

    def test_a_speaker_of_only_restricted_sessions_chosen_by_id_is_not_named(self):
        private = self.get({"speaker": self.harriet.pk})
        self.assertEqual(strings_containing(private, "Harriet Private"), [])
        unknown = self.get({"speaker": 999_999})
        self.assertEqual(titles(private), titles(unknown))
        self.assertEqual(notices(private), notices(unknown))
        self.client.force_login(self.user)
        self.assertEqual(
            titles(self.get({"speaker": self.harriet.pk})), ["Members benefits clinic"]
        )

    # --- Filters and facets

    def test_facets_without_filters(self):
        self.assertEqual(
            facet_counts(self.get()),
            {
                "Conference": {"PMO Conference 2022": 2, "PMO Conference 2021": 2},
                "Theme": {"PMO in Practice": 1, "PMO People": 1, "PMO Services": 2},
                "Speaker": {"Eileen Roden": 1, "John Smith": 2, "Lindsay Scott": 2},
                "Format": {"Recording": 2, "Handout": 2},
            },
        )

    def test_facets_follow_the_query(self):
        self.assertEqual(
            facet_counts(self.search("benefits")),
            {
                "Conference": {"PMO Conference 2022": 1, "PMO Conference 2021": 1},
                "Theme": {"PMO Services": 2},
                "Speaker": {"John Smith": 1, "Lindsay Scott": 2},
                "Format": {"Recording": 2, "Handout": 1},
            },
        )

    def test_a_conference_filter(self):
        response = self.get({"conference": self.conf_2022.pk})
        self.assertEqual(titles(response), self.NEWEST[:2])
        self.assertEqual(
            facet_counts(response),
            {
                # Other conferences are counted as if chosen too: what they would add.
                "Conference": {"PMO Conference 2022": 2, "PMO Conference 2021": 2},
                "Theme": {"PMO in Practice": 1, "PMO Services": 1},
                "Speaker": {"John Smith": 2, "Lindsay Scott": 1},
                "Format": {"Recording": 1, "Handout": 1},
            },
        )
        option = facet_link(response, "Conference", "PMO Conference 2022")
        self.assertIn("is-selected", option["class"])
        self.assertEqual(option["aria-current"], "true")
        self.assertEqual(option["href"], "?")
        self.assertEqual(
            facet_link(response, "Conference", "PMO Conference 2021")["href"],
            f"?conference={self.conf_2022.pk}&conference={self.conf_2021.pk}",
        )
        self.assertEqual(heading(response), "All sessions (2 sessions)")

    def test_values_of_one_filter_are_or_ed(self):
        response = self.get({"conference": [self.conf_2021.pk, self.conf_2022.pk]})
        self.assertEqual(titles(response), self.NEWEST)
        response = self.get({"speaker": [self.eileen.pk, self.lindsay.pk]})
        self.assertEqual(titles(response), self.NEWEST[1:])

    def test_different_filters_are_and_ed(self):
        response = self.get({"conference": self.conf_2022.pk, "speaker": self.lindsay.pk})
        self.assertEqual(titles(response), ["Portfolio dashboards people read"])
        counts = facet_counts(response)
        self.assertEqual(counts["Conference"], {"PMO Conference 2022": 1, "PMO Conference 2021": 1})
        self.assertEqual(counts["Speaker"], {"John Smith": 2, "Lindsay Scott": 1})
        response = self.search("benefits", conference=self.conf_2021.pk, format="handout")
        self.assertEqual(titles(response), [])

    def test_a_theme_filter_spans_editions_by_name(self):
        response = self.get({"theme": "pmo-services"})
        self.assertEqual(
            titles(response),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )
        self.assertEqual(facet_counts(response)["Theme"]["PMO People"], 1)

    def test_a_speaker_filter_matches_any_of_a_sessions_speakers(self):
        response = self.get({"speaker": self.john.pk})
        self.assertEqual(titles(response), self.NEWEST[:2])

    def test_format_filters(self):
        self.assertEqual(
            titles(self.get({"format": "recording"})),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )
        self.assertEqual(
            titles(self.get({"format": "handout"})),
            ["Portfolio dashboards people read", "Hierarchy is not destiny"],
        )

    def test_the_two_formats_are_one_filter_whose_values_are_or_ed(self):
        """Issue, item 3: "format (has recording, has handout)" is one filter, and
        values within one filter combine with OR."""
        both = titles(self.get({"format": ["recording", "handout"]}))
        # With "Recording" chosen, "Handout" is counted as the other format filters'
        # values are: with the format filter itself left out.
        counts = facet_counts(self.get({"format": "recording"}))["Format"]
        self.assertEqual(
            (both, counts),
            (
                [
                    "Portfolio dashboards people read",  # recording and handout
                    "Hierarchy is not destiny",  # handout
                    "Benefits realisation that sticks",  # recording
                ],
                {"Recording": 2, "Handout": 2},
            ),
        )

    def test_selected_filters_are_shown_with_links_that_remove_them(self):
        response = self.search(
            "pmo", conference=self.conf_2022.pk, speaker=self.john.pk, theme="pmo-services"
        )
        self.assertEqual(titles(response), ["Portfolio dashboards people read"])
        q = "?q=pmo"
        self.assertEqual(
            chips(response),
            {
                "Conference: PMO Conference 2022": f"{q}&theme=pmo-services&speaker={self.john.pk}",
                "Theme: PMO Services": f"{q}&conference={self.conf_2022.pk}&speaker={self.john.pk}",
                "Speaker: John Smith": f"{q}&conference={self.conf_2022.pk}&theme=pmo-services",
            },
        )
        clear = soup_of(response).select_one(".pmolib-search__selected a[data-clear]")
        self.assertEqual(clear["href"], q)
        # Following a removal link removes exactly that filter.
        removed = self.client.get(self.library.url + chips(response)["Speaker: John Smith"])
        self.assertEqual(
            set(chips(removed)), {"Conference: PMO Conference 2022", "Theme: PMO Services"}
        )
        self.assertEqual(titles(removed), ["Portfolio dashboards people read"])

    def test_the_address_holds_the_whole_state(self):
        data = {
            "q": "pmo",
            "conference": self.conf_2022.pk,
            "format": "recording",
            "sort": "newest",
            "per_page": "5",
        }
        response = self.get(data)
        soup = soup_of(response)
        # The form resubmits every filter with a new query.
        hidden = [
            (i["name"], i["value"]) for i in soup.select("form[role=search] input[type=hidden]")
        ]
        self.assertEqual(
            hidden,
            [
                ("conference", str(self.conf_2022.pk)),
                ("format", "recording"),
                ("sort", "newest"),
                ("per_page", "5"),
            ],
        )
        # A facet link keeps the query, the other filters and the sort.
        link = facet_link(response, "Speaker", "John Smith")["href"]
        followed = self.client.get(self.library.url + link)
        self.assertEqual(
            dict(followed.context["search"].params.items()),
            {
                "q": "pmo",
                "conference": self.conf_2022.pk,
                "speaker": self.john.pk,
                "format": "recording",
                "sort": "newest",
                "per_page": 5,
            },
        )
        # The same address gives the same page.
        self.assertEqual(titles(self.get(data)), titles(response))

    def test_unknown_filter_values_give_a_page_and_a_notice(self):
        response = self.get({"conference": ["999999", "abc", "-1"], "speaker": "1.5"})
        self.assertEqual(titles(response), self.NEWEST)
        self.assertEqual(
            notices(response),
            [
                "A conference filter in the address was not recognised and is not applied.",
                "A speaker filter in the address was not recognised and is not applied.",
            ],
        )
        # Known values among unknown ones still apply.
        response = self.get({"conference": ["nope", str(self.conf_2021.pk)]})
        self.assertEqual(titles(response), self.NEWEST[2:])

    # --- Sorting

    def rate(self):
        RatingSummary.objects.create(page=self.s1, count=20, total=90)  # 4.5 from 20
        RatingSummary.objects.create(page=self.s2, count=1, total=5)  # 5.0 from 1
        RatingSummary.objects.create(page=self.s3, count=3, total=9)  # 3.0 from 3

    def sort_links(self, response):
        return {
            text_of(item): (item.a["href"] if item.a else None)
            for item in soup_of(response).select(".pmolib-search__sort li")
        }

    def test_newest_is_the_default_without_a_query(self):
        self.assertEqual(titles(self.get()), self.NEWEST)
        self.assertEqual(titles(self.get({"sort": "newest"})), self.NEWEST)
        self.assertEqual(
            self.sort_links(self.get()),
            {"Newest": None, "Top rated": "?sort=top-rated", "Most rated": "?sort=most-rated"},
        )

    def test_relevance_is_the_default_with_a_query(self):
        response = self.search("benefits")
        self.assertEqual(
            self.sort_links(response),
            {
                "Relevance": None,
                "Newest": "?q=benefits&sort=newest",
                "Top rated": "?q=benefits&sort=top-rated",
                "Most rated": "?q=benefits&sort=most-rated",
            },
        )
        self.assertEqual(
            titles(self.search("benefits", sort="newest")),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )

    def test_top_rated_uses_the_bayesian_average(self):
        self.rate()
        # Prior: the library's mean (104 / 24) with weight 5. s1 (4.5 × 20) beats s2
        # (5.0 × 1); unrated s4 sits at the prior, above s3 (3.0 × 3).
        response = self.get({"sort": "top-rated"})
        self.assertEqual(
            titles(response),
            [
                "Benefits realisation that sticks",
                "Hierarchy is not destiny",
                "Agile governance for the PMO",
                "Portfolio dashboards people read",
            ],
        )
        ratings = [text_of(r) for r in soup_of(response).select(".pmolib-result__rating")]
        self.assertEqual(
            ratings,
            [
                "★ 4.5 out of 5 stars (20 ratings)",
                "★ 5.0 out of 5 stars (1 rating)",
                "★ 3.0 out of 5 stars (3 ratings)",
            ],
        )

    def test_most_rated(self):
        self.rate()
        self.assertEqual(
            titles(self.get({"sort": "most-rated"})),
            [
                "Benefits realisation that sticks",
                "Portfolio dashboards people read",
                "Hierarchy is not destiny",
                "Agile governance for the PMO",
            ],
        )
        self.assertEqual(
            titles(self.search("benefits", sort="most-rated")),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )

    def test_relevance_without_a_query_is_newest(self):
        self.assertEqual(titles(self.get({"sort": "relevance"})), self.NEWEST)

    def test_an_unknown_sort_falls_back_with_a_notice(self):
        response = self.get({"sort": "oldest"})
        self.assertEqual(titles(response), self.NEWEST)
        self.assertIn("The sort order in the address was not recognised.", notices(response))

    # --- Paging

    def test_pages_of_results_keep_the_search(self):
        first = self.get({"q": "pmo", "per_page": 2})
        self.assertEqual(len(titles(first)), 2)
        soup = soup_of(first)
        self.assertEqual(soup.find("a", rel="next")["href"], "?q=pmo&per_page=2&page=2")
        self.assertEqual(
            text_of(soup.select_one(".pmolib-pagination [aria-current=page]")), "Page 1"
        )
        second = self.client.get(self.library.url + soup.find("a", rel="next")["href"])
        self.assertEqual(soup_of(second).find("a", rel="prev")["href"], "?q=pmo&per_page=2")
        self.assertEqual(soup_of(second).select_one("ol.pmolib-results")["start"], "3")
        self.assertTrue(set(titles(first)).isdisjoint(titles(second)))
        total = first.context["search"].total
        self.assertEqual(heading(first), f"{total} sessions found for “pmo”")

    @override_settings(WAGTAIL_PMOLIB={"INDEX_PAGE_SIZE": 2, "MAX_PAGE_SIZE": 3})
    def test_the_page_size_is_capped(self):
        self.assertEqual(len(titles(self.get({"per_page": 1000}))), 3)
        self.assertEqual(len(titles(self.search("pmo", per_page=1000))), 3)
        self.assertEqual(len(titles(self.get({"per_page": 10**30}))), 2)  # the default
        self.assertEqual(len(titles(self.get({"per_page": 1}))), 1)
        self.assertEqual(len(titles(self.get({"per_page": 0}))), 1)
        self.assertEqual(len(titles(self.get({"per_page": -3}))), 2)
        self.assertEqual(len(titles(self.get())), 2)

    def test_bad_page_values_give_a_page(self):
        for page in ("0", "-1", "abc", "2.5", "99999999999999999999999", ""):
            with self.subTest(page=page):
                self.assertEqual(titles(self.get({"page": page})), self.NEWEST)
        self.assertEqual(titles(self.get({"page": ["1", "2"], "per_page": 1})), [self.NEWEST[1]])

    # --- No results

    def test_no_results_because_of_filters_offers_to_clear_them(self):
        response = self.search("benefits", conference=self.conf_2021.pk, format="handout")
        self.assertEqual(titles(response), [])
        clear = soup_of(response).select_one(".pmolib-empty a[data-clear]")
        self.assertEqual(text_of(clear), "Clear the filters to see 2 sessions")
        self.assertEqual(clear["href"], "?q=benefits")
        self.assertEqual(
            titles(self.client.get(self.library.url + clear["href"])), self.found("benefits")
        )
        response = self.get({"format": "handout", "theme": "pmo-in-practice"})
        clear = soup_of(response).select_one(".pmolib-empty a[data-clear]")
        self.assertEqual(text_of(clear), "Clear the filters to see 4 sessions")
        self.assertEqual(clear["href"], "?")

    def test_no_results_shows_editors_picks(self):
        promote(self.s4, "zzyzx", "Start here")
        response = self.search("zzyzx")
        self.assertEqual(titles(response), [])
        self.assertEqual(
            picks(response), [("Agile governance for the PMO", self.s4.url, "Start here")]
        )

    # --- Editors' picks

    def test_editors_picks_for_a_search(self):
        promote(self.s4, "dashboards", "Our pick", sort_order=1)
        promote(self.s2, "Dashboards", "", sort_order=0)
        response = self.search("DASHBOARDS")
        self.assertEqual(
            picks(response),
            [
                ("Hierarchy is not destiny", self.s2.url, ""),
                ("Agile governance for the PMO", self.s4.url, "Our pick"),
            ],
        )
        self.assertEqual(
            text_of(soup_of(response).select_one("#pmolib-picks-heading")), "Editors’ picks"
        )
        self.assertEqual(picks(self.search("governance")), [])
        self.assertEqual(picks(self.get()), [])

    def test_editors_picks_leave_out_drafts_and_pages_the_visitor_may_not_view(self):
        for page in (self.draft, self.password_session, self.group_session):
            promote(page, "benefits")
        promote(self.members_session, "benefits", sort_order=1)
        promote(self.s4, "benefits", sort_order=2)
        self.assertEqual(picks(self.search("benefits")), [(self.s4.title, self.s4.url, "")])
        self.client.force_login(self.user)
        self.assertEqual(
            [title for title, _url, _d in picks(self.search("benefits"))],
            ["Members benefits clinic", self.s4.title],
        )

    def test_editors_picks_only_on_the_first_page(self):
        promote(self.s4, "pmo")
        self.assertEqual(len(picks(self.search("pmo", per_page=1))), 1)
        self.assertEqual(picks(self.search("pmo", per_page=1, page=2)), [])

    def test_an_external_editors_pick(self):
        Query.get("governance").editors_picks.create(
            external_link_url="https://example.com/guide",
            external_link_text="The governance guide",
            sort_order=0,
        )
        self.assertEqual(
            picks(self.search("governance")),
            [("The governance guide", "https://example.com/guide", "")],
        )

    # --- The search log

    def test_each_search_is_counted_once_per_normalised_text_and_day(self):
        self.search("Benefits  Tracking")
        self.search("benefits tracking")
        self.search("BENEFITS, tracking!")
        self.search("zzyzx")
        rows = {
            row.query_string: (row.hits, row.no_result_hits, row.date)
            for row in SearchTerm.objects.all()
        }
        today = timezone.localdate()
        self.assertEqual(rows, {"benefits tracking": (3, 0, today), "zzyzx": (1, 1, today)})
        # Wagtail's query log, which normalises in its own way (spaces and case only).
        self.assertEqual(QueryDailyHits.objects.aggregate(n=Sum("hits"))["n"], 4)
        self.assertEqual(Query.get("benefits tracking").hits, 2)
        self.assertEqual(Query.get("zzyzx").hits, 1)

    def test_searches_are_counted_per_day(self):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        SearchTerm.objects.create(query_string="benefits", date=yesterday, hits=5)
        self.search("benefits")
        self.search("benefits")
        self.assertEqual(
            dict(SearchTerm.objects.values_list("date", "hits")),
            {yesterday: 5, timezone.localdate(): 2},
        )

    def test_a_search_that_finds_nothing_with_its_filters_counts_as_no_results(self):
        self.search("benefits", conference=self.conf_2021.pk, format="handout")
        self.assertEqual(
            SearchTerm.objects.values_list("query_string", "hits", "no_result_hits").get(),
            ("benefits", 1, 1),
        )

    def test_what_is_not_counted(self):
        self.search("benefits", headers={"HTTP_USER_AGENT": BOT})
        self.search("benefits", page=2, per_page=1)
        self.get()
        self.search("!!!")
        self.get({"conference": self.conf_2021.pk})
        self.assertEqual(SearchTerm.objects.count(), 0)
        self.assertFalse(Query.objects.exists())
        self.search("benefits", headers={"HTTP_USER_AGENT": BROWSER})
        self.assertEqual(SearchTerm.objects.get().hits, 1)

    def test_a_preview_is_not_counted(self):
        request = RequestFactory().get(self.library.url, {"q": "benefits"})
        request.user = self.user
        request.session = self.client.session
        request.is_preview = True
        response = self.library.serve_preview(request, self.library.default_preview_mode)
        context = response.context_data
        self.assertEqual(context["search"].total, 3)  # signed in: the members' session too
        self.assertEqual(SearchTerm.objects.count(), 0)

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_LOG": False})
    def test_the_log_can_be_turned_off(self):
        self.search("benefits")
        self.assertEqual(SearchTerm.objects.count(), 0)

    # --- Suggestions

    def suggest(self, q=None, method="get", **extra):
        url = f"{self.library.url}suggest/"
        if method != "get":
            return getattr(self.client, method)(f"{url}?q={q}", **extra)
        return self.client.get(url, {} if q is None else {"q": q}, **extra)

    def test_suggestions_for_titles_and_speakers(self):
        response = self.suggest("bene")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(
            response.json(),
            {
                "query": "bene",
                "sessions": [
                    {
                        "title": "Benefits realisation that sticks",
                        "url": self.s1.url,
                        "conference": "PMO Conference 2021",
                    }
                ],
                "speakers": [],
            },
        )
        found = self.suggest("Lind").json()
        self.assertEqual(
            found["speakers"],
            [
                {
                    "name": "Lindsay Scott",
                    "url": f"/library/?speaker={self.lindsay.pk}",
                    "sessions": 2,
                }
            ],
        )
        self.assertEqual(
            sorted(s["title"] for s in found["sessions"]),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )
        # A speaker's suggestion leads to their sessions.
        self.assertEqual(
            titles(self.client.get(found["speakers"][0]["url"])),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )

    def test_suggestions_respect_privacy_and_drafts(self):
        for q in ("harr", "members", "password", "sponsors", "draft"):
            with self.subTest(q=q):
                self.assertEqual(
                    self.suggest(q).json(), {"query": q, "sessions": [], "speakers": []}
                )
        self.client.force_login(self.user)
        found = self.suggest("harr").json()
        self.assertEqual([s["name"] for s in found["speakers"]], ["Harriet Private"])
        self.assertEqual([s["title"] for s in found["sessions"]], ["Members benefits clinic"])
        self.assertEqual(self.suggest("draft").json()["sessions"], [])

    def test_suggestions_speaker_counts_only_visible_sessions(self):
        # Eileen also speaks in the password-protected session.
        [eileen] = self.suggest("eil").json()["speakers"]
        self.assertEqual(eileen["sessions"], 1)

    def test_suggestions_empty_for_an_empty_or_wordless_query(self):
        for q in (None, "", "   ", "!!!", "😀", '""', "\x00"):
            with self.subTest(q=q):
                response = self.suggest(q)
                self.assertEqual(response.status_code, 200)
                body = response.json()
                self.assertEqual(body["sessions"], [])
                self.assertEqual(body["speakers"], [])
        self.assertEqual(SearchTerm.objects.count(), 0)

    def test_suggestions_answer_only_get(self):
        for method in ("post", "put", "delete", "patch"):
            with self.subTest(method=method):
                response = self.suggest("bene", method=method)
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response["Allow"], "GET, HEAD")
                self.assertIn("error", response.json())
        self.assertEqual(self.suggest("bene", method="head").status_code, 200)

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_SUGGESTIONS": 1})
    def test_suggestions_are_limited(self):
        found = self.suggest("pmo").json()
        self.assertLessEqual(len(found["sessions"]), 1)
        found = self.suggest("s").json()  # Scott, Smith
        self.assertEqual(len(found["speakers"]), 1)

    def test_suggestions_never_log_and_never_fail_on_odd_input(self):
        for q in ("x" * 10_000, "a\x00b", 'NEAR("', "İstanbul", "🙂 pmo"):
            with self.subTest(q=q[:20]):
                response = self.suggest(q)
                self.assertEqual(response.status_code, 200)
                self.assertLessEqual(len(response.json()["query"]), 200)
        self.assertEqual(SearchTerm.objects.count(), 0)

    def test_suggest_of_a_private_library_asks_for_a_login_like_the_library(self):
        restrict(self.library, PageViewRestriction.LOGIN)
        for url in (self.library.url, f"{self.library.url}suggest/"):
            with self.subTest(url=url):
                response = self.client.get(url, {"q": "bene"})
                self.assertEqual(response.status_code, 302)
                self.assertIn("login", response["Location"])
        self.client.force_login(self.user)
        self.assertEqual(
            sorted(s["title"] for s in self.suggest("bene").json()["sessions"]),
            ["Benefits realisation that sticks", "Members benefits clinic"],
        )

    def test_suggest_of_an_unpublished_library_is_not_found(self):
        self.library.unpublish()
        self.assertEqual(self.suggest("bene").status_code, 404)


def promote(page, query, description="", sort_order=0):
    return SearchPromotion.objects.create(
        query=Query.get(query), page=page, description=description, sort_order=sort_order
    )


def picks(response):
    aside = soup_of(response).select_one(".pmolib-picks")
    if aside is None:
        return []
    return [
        (text_of(li.a), li.a["href"], text_of(li.p) if li.p else "") for li in aside.select("li")
    ]


# --- Queries -------------------------------------------------------------------------------------


class SearchQueryCountTests(SearchTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conferences = [
            build_conference(cls.library, f"Edition {n}", themes=["Theme A", "Theme B"])
            for n in range(3)
        ]
        cls.speakers = [Speaker.objects.create(name=f"Speaker {n}") for n in range(4)]
        cls.document = make_pdf_document("Counted handout", ["countedpdf words"])

    def add_sessions(self, start, count):
        for n in range(start, start + count):
            conference = self.conferences[n % 3]
            session = build_session(
                conference,
                f"Counted session {n}",
                speakers=[self.speakers[n % 4], self.speakers[(n + 1) % 4]],
                theme=conference.themes.all()[n % 2],
                starts_at=at(2021, 1, 1, 9) + datetime.timedelta(days=n),
                abstract=f"<p>Counted abstract {n}.</p>",
                recording=recording_stream() if n % 3 != 1 else [],
                body=[handout(self.document, f"Handout {n}")] if n % 3 == 0 else [],
            )
            RatingSummary.objects.create(page=session, count=n + 1, total=3 * (n + 1))

    URLS = [
        {"q": "counted"},
        {"q": "countedpdf"},  # excerpts from the PDF text
        {"q": "counted session", "sort": "top-rated"},
        {"q": "counted", "theme": "theme-a", "format": "recording", "per_page": 48},
        {"speaker": "SPEAKER", "sort": "most-rated"},
        {},
        # Every filter at once, with words; and words of which no session has all.
        {
            "q": "counted session",
            "conference": "CONFERENCE",
            "theme": "theme-a",
            "speaker": "SPEAKER",
            "format": "recording",
        },
        {"q": "counted zzyzx", "conference": "CONFERENCE", "speaker": "SPEAKER"},
        {"q": "counted zzyzx"},
        {"q": "counted", "page": 2, "per_page": 1, "sort": "newest"},
    ]

    def resolve(self, data):
        values = {"SPEAKER": self.speakers[0].pk, "CONFERENCE": self.conferences[0].pk}
        return {k: values.get(v, v) for k, v in data.items()}

    def measure(self):
        counts = []
        for data in map(self.resolve, self.URLS):
            self.get(data)  # warm up: the search log's rows
            with CaptureQueriesContext(connection) as queries:
                response = self.get(data)
            self.assertTrue(titles(response), data)
            self.assertFalse(
                [n for n in notices(response) if "not recognised" in n or "not available" in n]
            )
            # Savepoints are the test's transaction's (a site without ATOMIC_REQUESTS has none).
            counts.append(
                len([q for q in queries if "SAVEPOINT" not in q["sql"].split(" ", 2)[:2]])
            )
        return counts

    def test_query_count_does_not_grow_with_sessions(self):
        self.add_sessions(0, 3)
        three = self.measure()
        self.add_sessions(3, 27)
        thirty = self.measure()
        self.assertEqual(three, thirty)
        self.assertLessEqual(max(thirty), 15, dict(zip(map(str, self.URLS), thirty, strict=True)))

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_MAX_MATCHES": 5})
    def test_facet_counts_are_exact_for_many_matches(self):
        """An option's count is what its link adds: the number of results it gives in a
        filter with no value chosen, what it adds to the results in a one-valued filter
        with a value chosen (themes); with more matches than SEARCH_MAX_MATCHES (which
        only bounds backends that are not the database)."""
        self.add_sessions(0, 30)
        for data in ({"q": "counted"}, {"q": "counted", "theme": "theme-b"}, {}):
            search = self.get(self.resolve(data)).context["search"]
            self.assertGreater(search.total, 5)
            for facet in search.facets:
                chosen = any(option.selected for option in facet.options)
                for option in facet.options:
                    if option.selected or (chosen and facet.name != "theme"):
                        continue
                    with self.subTest(data=data, facet=facet.name, value=option.label):
                        followed = self.client.get(self.library.url + option.url)
                        added = followed.context["search"].total - (search.total if chosen else 0)
                        self.assertEqual(option.count, added)

    def test_a_request_keeps_nothing_of_the_sessions_in_memory(self):
        """No module of the search holds sessions between requests, and what a
        request leaves allocated does not grow with the number of sessions."""
        import gc
        import sys
        import tracemalloc

        def mutable_globals():
            found = {}
            for name, module in list(sys.modules.items()):
                if name.startswith("wagtail_pmolib.search") and module is not None:
                    for attr, value in vars(module).items():
                        if isinstance(value, (dict, list, set)) and not attr.startswith("__"):
                            found[f"{name}.{attr}"] = len(value)
            return found

        def retained():
            urls = [self.resolve(data) for data in self.URLS]
            for data in urls:
                self.get(data)  # warm: templates, content types, the search log's rows
            gc.collect()
            tracemalloc.start(30)
            try:
                before = tracemalloc.take_snapshot()
                for data in urls:
                    self.get(data)
                gc.collect()
                after = tracemalloc.take_snapshot()
            finally:
                tracemalloc.stop()
            # What is still allocated by code of this package (Django's and the test
            # client's own caches and signal registries are not the library's).
            ours = tracemalloc.Filter(True, "*/wagtail_pmolib/*", all_frames=True)
            return sum(
                stat.size_diff
                for stat in after.filter_traces([ours]).compare_to(
                    before.filter_traces([ours]), "filename"
                )
            )

        self.add_sessions(0, 30)
        state = mutable_globals()
        small = retained()
        self.add_sessions(30, 120)
        large = retained()
        self.assertEqual(mutable_globals(), state)
        # The former per-process catalog kept about 600 bytes a session: 70 KB more here.
        self.assertLess(large - small, 20_000, (small, large))

    def add_private_sessions(self, start, count, group):
        """Sessions kept for a group of users, as a members' area restricts them."""
        for n in range(start, start + count):
            session = build_session(
                self.conferences[n % 3],
                f"Counted members session {n}",
                speakers=[self.speakers[n % 4]],
                starts_at=at(2020, 1, 1, 9) + datetime.timedelta(days=n),
            )
            restriction = PageViewRestriction.objects.create(
                page=session, restriction_type=PageViewRestriction.GROUPS
            )
            restriction.groups.add(group)

    def test_query_count_does_not_grow_with_restrictions(self):
        """Restrictions are read in one query, whatever their number."""
        self.add_sessions(0, 3)
        group = Group.objects.create(name="Members")
        self.add_private_sessions(0, 2, group)
        two = self.measure()
        self.add_private_sessions(2, 20, group)
        restrict(self.conferences[2], PageViewRestriction.LOGIN)
        self.assertEqual(self.measure(), two)

    def test_query_count_does_not_grow_with_restricted_sessions(self):
        group = Group.objects.create(name="Members")
        member = User.objects.create_user("member", password="pw")
        member.groups.add(group)

        def measure_both():
            self.client.logout()
            anonymous = self.measure()
            self.client.force_login(member)
            return {"anonymous": anonymous, "member of the group": self.measure()}

        self.add_sessions(0, 3)
        self.add_private_sessions(0, 3, group)
        three = measure_both()
        self.add_private_sessions(3, 27, group)
        thirty = measure_both()
        self.assertEqual(three, thirty)


# --- Search backends that are not the database --------------------------------------------------

REMOTE_BACKEND = {"default": {"BACKEND": "tests.fake_search_backend"}}


class RemoteBackendTests(SearchTestCase):
    """Elasticsearch and OpenSearch cannot run here: a fake backend answers through
    the same API (filters on ``FilterField``s, ``count()``, ``facet()``), so the
    library's path for such backends is exercised without the database's shortcuts."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conferences = [
            build_conference(cls.library, f"Edition {n}", themes=["Theme A", "Theme B"])
            for n in range(2)
        ]
        cls.speakers = [Speaker.objects.create(name=f"Remote Speaker {n}") for n in range(3)]
        for n in range(8):
            conference = cls.conferences[n % 2]
            build_session(
                conference,
                f"Benefits session {n}",
                speakers=[cls.speakers[n % 3]],
                theme=conference.themes.all()[n % 2],
                starts_at=at(2021, 1, 1, 9) + datetime.timedelta(days=n),
                abstract="<p>Benefits for everyone.</p>",
                recording=recording_stream() if n % 2 else [],
            )
        private = build_session(
            cls.conferences[0], "Benefits behind a password", speakers=[cls.speakers[0]]
        )
        restrict(private)

    def compare(self, data, max_matches=1):
        from tests.fake_search_backend import FakeResults

        database = self.get(data)
        with override_settings(
            WAGTAILSEARCH_BACKENDS=REMOTE_BACKEND,
            WAGTAIL_PMOLIB={"SEARCH_MAX_MATCHES": max_matches},
        ):
            FakeResults.facet_calls = []
            remote = self.get(data)
            calls = list(FakeResults.facet_calls)
        self.assertFalse(remote.context["search"].failed)
        self.assertEqual(facet_counts(remote), facet_counts(database))
        self.assertEqual(sorted(titles(remote)), sorted(titles(database)))
        self.assertEqual(remote.context["search"].total, database.context["search"].total)
        return remote, calls

    def test_facets_come_from_the_backend_over_every_match(self):
        remote, calls = self.compare({"q": "benefits"})
        self.assertEqual(remote.context["search"].total, 8)  # more than SEARCH_MAX_MATCHES
        self.assertEqual(
            set(calls),
            {"conference_id", "theme_id", "speaker_ids", "has_recording", "has_handouts"},
        )
        self.assertNotIn("Benefits behind a password", remote.content.decode())

    def test_filters_are_applied_by_the_backend(self):
        self.compare(
            {
                "q": "benefits",
                "conference": self.conferences[1].pk,
                "speaker": [self.speakers[1].pk, self.speakers[2].pk],
                "format": "recording",
            }
        )
        self.compare({"q": "benefits", "theme": "theme-a", "sort": "newest"})
        # The rating sorts order the first SEARCH_MAX_MATCHES matches (the index holds
        # no ratings); the counts are the backend's whatever the limit.
        self.compare({"q": "benefits", "sort": "top-rated"}, max_matches=100)
