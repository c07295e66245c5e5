"""Whatever a visitor (or a bot) puts in the library's address, the answer is a
page: any search text (operators, quotes, emoji, control characters and NUL,
ten thousand characters, broken percent-encoding) and any filter, page, sort or
page-size value (unknown, repeated, negative, huge, not a number) gives a 200
with well-formed HTML and the search box, never a server error and never more
results than the visitor may see. The suggestions endpoint likewise answers
JSON.

Hypothesis generates the requests; the page tree is built once per class. Run on
SQLite (default) and on PostgreSQL (DATABASE_URL=postgres://…): the search
backends read queries differently, and both must hold.
"""

import json
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_document,
    build_library,
    build_session,
    recording_stream,
    restrict,
    soup_of,
)
from wagtail_pmolib.conf import pmolib_settings
from wagtail_pmolib.models import Speaker
from wagtail_pmolib.search import parse_query
from wagtail_pmolib.views import suggest_view

EXAMPLES = 150
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    derandomize=False,
)

# --- What visitors type -------------------------------------------------------------------------

OPERATORS = [
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(",
    "near/3",
    "*",
    "^",
    "-",
    "+",
    ":",
    "(",
    ")",
    '"',
    "'",
    "\\",
    "title:",
    "{",
    "}",
    "[",
    "]",
    "~",
    "!",
    "&",
    "|",
    "<->",
    ":*",
    "@@",
    ";",
    "--",
    "/*",
    "%",
    "_",
    "\x00",
    "\t",
    "\n",
    "\u200b",
    "\ufeff",
]
WORDS = ["benefits", "pmo", "governance", "lindsay", "scott", "dashboards", "x", "a", "İ", "ß"]
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)

query_text = st.one_of(
    st.text(max_size=300),  # any code point but surrogates: control characters and NUL too
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=300),
    st.lists(st.sampled_from(OPERATORS + WORDS), max_size=40).map(" ".join),
    st.lists(st.sampled_from(OPERATORS + WORDS), max_size=40).map("".join),
    st.text(alphabet=EMOJI, max_size=50),
    st.lists(
        st.one_of(st.sampled_from(WORDS), st.text(alphabet=EMOJI, min_size=1)), max_size=10
    ).map(" ".join),
    # Long text, up to 10,000 characters.
    st.tuples(st.text(min_size=1, max_size=30), st.integers(1, 10_000)).map(
        lambda pair: (pair[0] * pair[1])[:10_000]
    ),
)

# Ids that exist are drawn at test time (``KNOWN``), so every strategy here is data.
KNOWN = object()
number_like = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        ["", " ", "0", "-0", "+1", "1.0", "1e3", "0x1", " 1", "1 ", "١", "²", "Ⅻ", "NaN", "∞"]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
filter_value = st.one_of(st.just(KNOWN), number_like, st.text(max_size=30))
filter_values = st.lists(filter_value, max_size=25)
scalar_values = st.lists(st.one_of(number_like, st.text(max_size=20)), max_size=3)
sort_values = st.lists(
    st.one_of(
        st.sampled_from(["relevance", "newest", "top-rated", "most-rated", "", "RELEVANCE"]),
        st.text(max_size=20),
    ),
    max_size=3,
)


class StrictHTML(HTMLParser):
    """Fails on an end tag that closes anything but the innermost open element,
    and on elements left open: what a template that escapes its data produces."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
        else:
            self.stack.pop()

    @classmethod
    def problems(cls, html):
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.errors + [f"<{tag}> not closed" for tag in parser.stack]


class LibraryPropertyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        conf_2021 = build_conference(cls.library, "PMO Conference 2021", themes=["PMO Services"])
        conf_2022 = build_conference(
            cls.library, "PMO Conference 2022", themes=["PMO Services", "PMO People"]
        )
        members = build_conference(cls.library, "Members Day")
        restrict(members, "login")
        lindsay = Speaker.objects.create(name="Lindsay Scott", organisation="PMO Learning")
        eileen = Speaker.objects.create(name="Eileen Roden", organisation="PMO Flashmob")
        hidden = Speaker.objects.create(name="Harriet Private")
        document = build_document("Barrier map")
        handout = ("handout", {"document": document, "title": "", "description": "Barriers."})
        theme_2021 = conf_2021.themes.get()
        theme_2022 = conf_2022.themes.get(name="PMO People")
        cls.visible = [
            build_session(
                conf_2021,
                "Benefits realisation that sticks",
                speakers=[lindsay],
                theme=theme_2021,
                starts_at=at(2021, 11, 2, 9),
                abstract="<p>How a PMO proves value with benefits &amp; <em>tracking</em>.</p>",
                recording=recording_stream(),
            ),
            build_session(
                conf_2021,
                "Hierarchy is not destiny",
                speakers=[eileen],
                starts_at=at(2021, 11, 2, 14),
                abstract="<p>Overcoming barriers &lt;script&gt; in the PMO.</p>",
                body=[handout],
            ),
            build_session(
                conf_2022,
                "Portfolio dashboards people read",
                speakers=[lindsay, eileen],
                theme=theme_2022,
                starts_at=at(2022, 11, 1, 9),
                abstract="<p>Dashboards that show benefits.</p>",
                recording=recording_stream(),
                body=[handout],
            ),
            build_session(
                conf_2022,
                "Agile governance for the PMO",
                starts_at=at(2022, 11, 1, 14),
                abstract="<p>Governance that keeps pace.</p>",
            ),
        ]
        build_session(conf_2022, "Draft benefits", speakers=[lindsay], publish=False)
        build_session(members, "Members benefits clinic", speakers=[hidden])
        restrict(build_session(conf_2022, "Password benefits workshop", speakers=[eileen]))
        cls.visible_titles = {s.title for s in cls.visible}
        cls.visible_speakers = {"Lindsay Scott", "Eileen Roden"}
        cls.known = {
            "conference": [str(conf_2021.pk), str(conf_2022.pk), str(members.pk)],
            "theme": ["pmo-services", "pmo-people"],
            "speaker": [str(lindsay.pk), str(eileen.pk), str(hidden.pk)],
            "format": ["recording", "handout"],
        }
        cls.user = User.objects.create_user("visitor", password="pw")

    # --- Checks shared by the examples

    def resolve(self, data, name, values):
        return [data.draw(st.sampled_from(self.known[name])) if v is KNOWN else v for v in values]

    def check_library_page(self, response, shown_query, visible_titles):
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/html"))
        html = response.content.decode("utf-8")
        self.assertEqual(StrictHTML.problems(html), [])
        soup = soup_of(response)
        boxes = soup.select(".pmolib-search form[role=search] input#pmolib-q[name=q]")
        self.assertEqual(len(boxes), 1)
        value = boxes[0].get("value", "")
        self.assertLessEqual(len(value), pmolib_settings.SEARCH_MAX_QUERY_LENGTH)
        self.assertEqual(value, shown_query)
        self.assertFalse("\x00" in html, "a NUL character in the page")
        # Scripts are the app's own files, never anything the visitor typed.
        for script in soup.find_all("script"):
            self.assertTrue(script.get("src", "").startswith("/static/"), str(script)[:200])
        titles = [" ".join(a.get_text().split()) for a in soup.select(".pmolib-result__title a")]
        self.assertLessEqual(len(titles), len(visible_titles))
        self.assertLessEqual(set(titles), visible_titles)
        search = response.context["search"]
        self.assertLessEqual(search.total, len(visible_titles))
        self.assertLessEqual(search.without_filters, len(visible_titles))
        self.assertLessEqual(len(titles), search.total)
        # The backend never refused the query: nothing typed reaches its syntax.
        self.assertFalse(search.failed, "the search backend failed")
        for excerpt in soup.select(".pmolib-result__excerpt, .pmolib-result__title a"):
            self.assertLessEqual({tag.name for tag in excerpt.find_all(True)}, {"mark"})
        return search

    def request_library(self, params, **extra):
        return self.client.get(self.library.url, params, **extra)

    # --- The library page

    @PROPERTY_SETTINGS
    @given(
        data=st.data(),
        q=st.one_of(st.none(), query_text, st.lists(query_text, max_size=3)),
        conference=filter_values,
        theme=filter_values,
        speaker=filter_values,
        formats=filter_values,
        sort=sort_values,
        page=scalar_values,
        per_page=scalar_values,
    )
    @example(
        data=None,
        q="\x00" * 10_000,
        conference=["-1", "-1"],
        theme=["\x00"],
        speaker=["99999999999999999999999"],
        formats=["recording", "recording"],
        sort=["\x00"],
        page=["-5"],
        per_page=["-1"],
    ).via("NUL everywhere")
    def test_any_address_gives_a_page(
        self, data, q, conference, theme, speaker, formats, sort, page, per_page
    ):
        if data is None:  # the explicit example: no known values to draw
            data = _NoDraw()
        params = {
            "conference": self.resolve(data, "conference", conference),
            "theme": self.resolve(data, "theme", theme),
            "speaker": self.resolve(data, "speaker", speaker),
            "format": self.resolve(data, "format", formats),
            "sort": sort,
            "page": page,
            "per_page": per_page,
        }
        if q is not None:
            params["q"] = q
        response = self.request_library(params)
        queries = q if isinstance(q, list) else [q]
        # QueryDict.get gives the last value.
        expected = parse_query(queries[-1] if queries and queries[-1] is not None else "").text
        search = self.check_library_page(response, expected, self.visible_titles)
        # The address it shows holds the whole state: following it gives the same search.
        again = self.client.get(self.library.url + search.params.url(page=search.page.number))
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.context["search"].params.items(), search.params.items())
        self.assertEqual(again.context["search"].total, search.total)
        # Every link the page offers (facets, chips, sort, pages) answers too.
        if data.draw(st.booleans(), label="follow a link"):
            links = [
                a["href"]
                for a in soup_of(response).select(
                    ".pmolib-facet__option, .pmolib-chip, .pmolib-search__sort a, "
                    ".pmolib-pagination a, .pmolib-empty a"
                )
            ]
            if links:
                link = data.draw(st.sampled_from(links), label="link")
                followed = self.client.get(self.library.url + link)
                self.assertEqual(followed.status_code, 200)
                unrecognised = [
                    str(n) for n in followed.context["search"].notices if "recognised" in str(n)
                ]
                self.assertEqual(unrecognised, [])

    @settings(PROPERTY_SETTINGS, max_examples=100)
    @given(
        raw=st.binary(max_size=400),
        separators=st.lists(st.sampled_from("&=;+%"), max_size=8),
        name=st.sampled_from(["q", "conference", "theme", "speaker", "format", "page", "sort"]),
    )
    def test_any_raw_query_string_gives_a_page(self, raw, separators, name):
        # Percent-encoded bytes: invalid UTF-8, NUL, stray "%" and "&".
        query_string = quote_from_bytes(raw, safe=b"") + "".join(separators)
        response = self.client.get(f"{self.library.url}?{name}={query_string}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(StrictHTML.problems(response.content.decode()), [])
        self.assertFalse(response.context["search"].failed)
        response = self.client.get(f"{self.library.url}suggest/?q={query_string}")
        self.assertEqual(response.status_code, 200)
        json.loads(response.content)

    @settings(PROPERTY_SETTINGS, max_examples=50)
    @given(q=query_text, agent=st.text(max_size=200))
    def test_any_user_agent_gives_a_page(self, q, agent):
        response = self.request_library({"q": q}, HTTP_USER_AGENT=agent)
        self.check_library_page(response, parse_query(q).text, self.visible_titles)

    @settings(PROPERTY_SETTINGS, max_examples=50)
    @given(q=query_text, speaker=filter_values, data=st.data())
    def test_signed_in_visitors_see_the_login_restricted_sessions_too(self, q, speaker, data):
        self.client.force_login(self.user)
        params = {"q": q, "speaker": self.resolve(data, "speaker", speaker)}
        response = self.request_library(params)
        self.check_library_page(
            response, parse_query(q).text, self.visible_titles | {"Members benefits clinic"}
        )

    def test_the_library_search_box_is_there_without_parameters(self):
        response = self.request_library({})
        search = self.check_library_page(response, "", self.visible_titles)
        self.assertEqual(search.total, 4)

    # --- Suggestions

    @PROPERTY_SETTINGS
    @given(q=st.one_of(st.none(), query_text, st.lists(query_text, min_size=1, max_size=3)))
    def test_any_text_gives_suggestions_json(self, q):
        response = self.client.get(f"{self.library.url}suggest/", {} if q is None else {"q": q})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        body = json.loads(response.content)
        self.assertEqual(set(body), {"query", "sessions", "speakers"})
        self.assertLessEqual(len(body["query"]), pmolib_settings.SEARCH_MAX_QUERY_LENGTH)
        self.assertFalse("\x00" in body["query"], "a NUL character in the query")
        limit = pmolib_settings.SEARCH_SUGGESTIONS
        self.assertLessEqual(len(body["sessions"]), limit)
        self.assertLessEqual(len(body["speakers"]), limit)
        for session in body["sessions"]:
            self.assertEqual(set(session), {"id", "title", "url", "conference"})
            self.assertIn(session["title"], self.visible_titles)
        for speaker in body["speakers"]:
            self.assertEqual(set(speaker), {"id", "name", "url", "sessions"})
            self.assertIn(speaker["name"], self.visible_speakers)
            self.assertGreaterEqual(speaker["sessions"], 1)
        last = q[-1] if isinstance(q, list) else q
        if not parse_query(last):
            self.assertEqual((body["sessions"], body["speakers"]), ([], []))

    @settings(PROPERTY_SETTINGS, max_examples=50)
    @given(
        q=query_text,
        method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW"]),
    )
    def test_suggestions_answer_anything_but_get_with_405(self, q, method):
        # RequestFactory: any method, and the text in the body as well as the address.
        request = RequestFactory().generic(
            method,
            f"{self.library.url}suggest/",
            data=q.encode("utf-8", "surrogatepass"),
            content_type="text/plain; charset=utf-8",
            QUERY_STRING="q=" + quote_from_bytes(q.encode("utf-8", "surrogatepass")),
        )
        response = suggest_view(request, self.library)
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "GET, HEAD")


# --- Outside a transaction ---------------------------------------------------------------------


@pytest.fixture
def autocommit_library(transactional_site_root):
    """A small library in a database that commits: requests run outside any
    transaction, as they do in production without ATOMIC_REQUESTS."""
    library = build_library(parent=transactional_site_root)
    conference = build_conference(library, "PMO Conference 2021", themes=["PMO Services"])
    speaker = Speaker.objects.create(name="Lindsay Scott", organisation="PMO Learning")
    titles = set()
    for n, title in enumerate(["Benefits realisation that sticks", "Agile governance"]):
        build_session(
            conference,
            title,
            speakers=[speaker],
            theme=conference.themes.get(),
            starts_at=at(2021, 11, 2, 9 + n),
            abstract="<p>How a PMO proves value.</p>",
        )
        titles.add(title)
    return library, titles, str(speaker.pk)


@pytest.mark.django_db(transaction=True)
@settings(PROPERTY_SETTINGS, max_examples=60)
@given(q=query_text, speaker=st.lists(st.one_of(number_like, st.just("SPEAKER")), max_size=4))
def test_any_query_outside_a_transaction(autocommit_library, client, q, speaker):
    library, titles, speaker_id = autocommit_library
    assert not connection.in_atomic_block
    speakers = [speaker_id if value == "SPEAKER" else value for value in speaker]
    response = client.get(library.url, {"q": q, "speaker": speakers})
    assert response.status_code == 200
    assert StrictHTML.problems(response.content.decode()) == []
    search = response.context["search"]
    assert not search.failed
    assert search.total <= len(titles)
    box = soup_of(response).select_one("input#pmolib-q")
    assert box.get("value", "") == parse_query(q).text
    suggestions = client.get(f"{library.url}suggest/", {"q": q})
    assert suggestions.status_code == 200
    assert {s["title"] for s in suggestions.json()["sessions"]} <= titles
    # The connection is still usable: no failed statement left a transaction aborted.
    assert Speaker.objects.filter(pk=speaker_id).exists()


class _NoDraw:
    """Stands in for ``st.data()`` in explicit examples: known values are left out."""

    def draw(self, strategy, label=None):
        return ""


def test_the_strict_html_checker_catches_broken_markup():
    assert StrictHTML.problems("<div><p>x</p></div>") == []
    assert StrictHTML.problems("<div><input><br></div>") == []
    assert StrictHTML.problems("<div><p>x</div>") != []
    assert StrictHTML.problems("<div>") == ["<div> not closed"]
