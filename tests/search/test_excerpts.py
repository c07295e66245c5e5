"""Excerpts and their escaping (``search/excerpts.py``)."""

import re

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_library,
    build_session,
    soup_of,
)
from tests.search.helpers import TAG, SearchTestCase, inner_html, only_mark_tags, titles
from wagtail_pmolib.search import parse_query
from wagtail_pmolib.search.excerpts import excerpt, lead, mark, terms_pattern


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
