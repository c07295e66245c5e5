"""``GET libraries/{id}/search/`` and ``GET libraries/{id}/suggestions/``: the
library page's search, as JSON. The same parameters give the same results,
facets, excerpts and notices as the page (compared on the page's HTML), for
the same callers (privacy), with the same search log."""

import html
import re

from django.test import override_settings
from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from tests.api.support import API, PROBLEM_JSON, problem
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import build_session, restrict
from tests.search.helpers import (
    BOT,
    BROWSER,
    LibraryTestCase,
    facet_counts,
    inner_html,
    notices,
    only_mark_tags,
    titles,
)
from wagtail_pmolib.models import SearchTerm

TAG = re.compile(r"<[^>]*>")


class ApiSearchTestCase(LibraryTestCase):
    def api(self, params=None, *, library=None, status=200, **extra):
        library = library or self.library
        response = self.client.get(f"{API}libraries/{library.pk}/search/", params or {}, **extra)
        self.assertEqual(response.status_code, status, response.content[:500])
        return response.json() if status == 200 else response

    def suggestions(self, q, **extra):
        response = self.client.get(f"{API}libraries/{self.library.pk}/suggestions/", {"q": q})
        self.assertEqual(response.status_code, 200, response.content[:500])
        return response.json()


def api_facets(found):
    return {f["label"]: {o["label"]: o["count"] for o in f["options"]} for f in found["facets"]}


class SameAsThePageTests(ApiSearchTestCase):
    CASES = [
        {},
        {"q": "benefits"},
        {"q": "Benefits", "conference": "CONF_2021"},
        {"q": "pmo", "per_page": 1, "page": 2},
        {"q": "benefits zzyzx"},  # no session has both words: any of them
        {"q": '"benefits tracking"'},
        {"q": "barriers"},  # found in a handout's PDF
        {"theme": "pmo-services"},
        {"format": "handout", "speaker": "LINDSAY"},
        {"format": ["handout", "recording"]},
        {"sort": "top-rated"},
        {"sort": "most-rated", "q": "pmo"},
        {"conference": ["CONF_2021", "CONF_2022"], "speaker": "JOHN"},
        {"conference": "MEMBERS"},  # private: left out with a notice, as an unknown id
        {"conference": "999999", "theme": "no-such-theme"},
        {"q": "x" * 300},  # shortened, with a notice
        {"q": "zzyzx"},
    ]

    def resolve(self, params):
        ids = {
            "CONF_2021": self.conf_2021.pk,
            "CONF_2022": self.conf_2022.pk,
            "MEMBERS": self.members.pk,
            "LINDSAY": self.lindsay.pk,
            "JOHN": self.john.pk,
        }

        def one(value):
            return str(ids.get(value, value))

        return {
            name: [one(v) for v in value] if isinstance(value, list) else one(value)
            for name, value in params.items()
        }

    def assert_same(self, params):
        page = self.get(params)
        found = self.api(params)
        self.assertEqual([item["title"] for item in found["items"]], titles(page))
        self.assertEqual(api_facets(found), facet_counts(page))
        self.assertEqual(found["notices"], notices(page))
        self.assertEqual(
            [item["excerpt"]["html"] for item in found["items"] if item["excerpt"]],
            [fragment.strip() for fragment in inner_html(page, "pmolib-result__excerpt")],
        )
        search = page.context["search"]
        self.assertEqual(found["count"], search.total)
        self.assertEqual(found["count_without_filters"], search.without_filters)
        self.assertEqual(found["page"], search.page.number)
        self.assertEqual(found["pages"], search.paginator.num_pages)
        self.assertEqual(found["searched"], search.searched)
        self.assertEqual(found["matched_any_word"], search.matched_any_word)
        return found

    def test_the_api_finds_what_the_page_shows(self):
        for params in self.CASES:
            with self.subTest(params=params):
                self.assert_same(self.resolve(params))

    def test_signed_in_the_api_finds_what_the_page_shows_them(self):
        self.client.force_login(self.user)
        for params in ({"q": "benefits"}, {"conference": str(self.members.pk)}, {}):
            with self.subTest(params=params):
                found = self.assert_same(params)
        self.assertIn("Members benefits clinic", [i["title"] for i in found["items"]])

    def test_a_shared_address_searches_the_same_way(self):
        """The page's own query string, sent as it is."""
        found = self.api({"q": "pmo", "conference": self.conf_2021.pk, "sort": "newest"})
        self.assertEqual(found["sort"], "newest")
        self.assertEqual(
            [i["title"] for i in found["items"]],
            ["Hierarchy is not destiny", "Benefits realisation that sticks"],
        )
        self.assertEqual(
            found["selected"],
            [
                {
                    "name": "conference",
                    "value": self.conf_2021.pk,
                    "facet": "Conference",
                    "label": "PMO Conference 2021",
                }
            ],
        )


class ResultTests(ApiSearchTestCase):
    def test_a_result(self):
        found = self.api({"q": "dashboards"})
        [item] = found["items"]
        self.assertEqual(item["id"], self.s3.pk)
        self.assertEqual(item["url"], f"http://localhost{self.s3.url}")
        self.assertTrue(item["api_url"].endswith(f"{API}sessions/{self.s3.pk}/"))
        self.assertEqual(
            item["title_highlighted"],
            {
                "html": "Portfolio <mark>dashboards</mark> people read",
                "text": "Portfolio dashboards people read",
                "matches": [{"start": 10, "end": 20}],
            },
        )
        self.assertEqual(item["conference"]["id"], self.conf_2022.pk)
        self.assertEqual(item["conference"]["title"], "PMO Conference 2022")
        self.assertEqual(item["theme"], "PMO Services")
        self.assertEqual(
            [(s["id"], s["name"]) for s in item["speakers"]],
            [(self.lindsay.pk, "Lindsay Scott"), (self.john.pk, "John Smith")],
        )
        self.assertTrue(item["speakers"][0]["api_url"].endswith(f"speakers/{self.lindsay.pk}/"))
        self.assertEqual((item["has_recording"], item["has_handouts"]), (True, True))
        self.assertEqual(item["rating"], {"count": 0, "average": None})
        self.assertTrue(found["searched"])
        self.assertEqual(found["sort"], "relevance")
        self.assertEqual(
            [o["value"] for o in found["sort_options"]],
            ["relevance", "newest", "top-rated", "most-rated"],
        )

    def test_highlights_are_html_with_only_mark_and_text_with_offsets(self):
        build_session(
            self.conf_2022,
            "Benefits & <script>alert(1)</script> “quotes”",
            abstract="<p>Costs &amp; benefits &lt;b&gt;not bold&lt;/b&gt; in a BENEFIT review.</p>",
        )
        found = self.api({"q": "benefits"})
        self.assertGreater(len(found["items"]), 1)
        for item in found["items"]:
            self.assertTrue(item["excerpt"]["matches"], item["title"])
            for part in (item["title_highlighted"], item["excerpt"]):
                with self.subTest(title=item["title"]):
                    self.assertTrue(only_mark_tags(part["html"]), part["html"])
                    self.assertEqual(html.unescape(TAG.sub("", part["html"])), part["text"])
                    marked = re.findall(r"<mark>(.*?)</mark>", part["html"])
                    words = [part["text"][m["start"] : m["end"]] for m in part["matches"]]
                    self.assertEqual(words, [html.unescape(word) for word in marked])
                    for word in words:
                        self.assertTrue(word.casefold().startswith("benefit"), word)
        [item] = [i for i in found["items"] if "script" in i["title"]]
        self.assertEqual(
            item["title_highlighted"]["html"],
            "<mark>Benefits</mark> &amp; &lt;script&gt;alert(1)&lt;/script&gt; “quotes”",
        )
        excerpt = item["excerpt"]
        self.assertEqual(excerpt["text"], "Costs & benefits <b>not bold</b> in a BENEFIT review.")
        self.assertEqual(
            [excerpt["text"][m["start"] : m["end"]] for m in excerpt["matches"]],
            ["benefits", "BENEFIT"],
        )

    def test_browsing_has_no_highlights(self):
        found = self.api()
        self.assertFalse(found["searched"])
        self.assertEqual(found["sort"], "newest")
        for item in found["items"]:
            self.assertEqual(item["title_highlighted"]["matches"], [])
            self.assertEqual(item["title_highlighted"]["text"], item["title"])
            if item["excerpt"]:
                self.assertEqual(item["excerpt"]["matches"], [])

    def test_facets(self):
        found = self.api({"conference": self.conf_2021.pk})
        facets = {f["name"]: f for f in found["facets"]}
        self.assertEqual(list(facets), ["conference", "theme", "speaker", "format"])
        conferences = {
            o["value"]: (o["count"], o["selected"]) for o in facets["conference"]["options"]
        }
        self.assertEqual(conferences, {self.conf_2021.pk: (2, True), self.conf_2022.pk: (2, False)})
        self.assertEqual(
            {o["value"]: o["count"] for o in facets["format"]["options"]},
            {"recording": 1, "handout": 1},
        )
        self.assertEqual(found["count"], 2)
        self.assertEqual(found["count_without_filters"], 4)

    def test_the_count_without_filters_when_the_filters_leave_nothing(self):
        found = self.api({"q": "benefits", "conference": self.conf_2021.pk, "format": "handout"})
        self.assertEqual((found["count"], found["count_without_filters"]), (0, 2))
        self.assertEqual(found["items"], [])


class PrivacyTests(ApiSearchTestCase):
    PRIVATE = ("Members", "Password", "Sponsors", "Draft", "Harriet", "Members Day")

    def assert_nothing_private(self, found):
        text = str(found)
        for word in self.PRIVATE:
            self.assertNotIn(word, text)

    def test_anonymous_callers_see_what_anyone_sees(self):
        for params in (
            {"q": "benefits"},
            {"q": "clinicword workshopword briefingword draftonlyword"},
            {},
            {"speaker": self.harriet.pk},
            {"conference": self.members.pk},
        ):
            with self.subTest(params=params):
                self.assert_nothing_private(self.api(params))
        self.assert_nothing_private(self.suggestions("harr"))
        self.assert_nothing_private(self.suggestions("members"))

    def test_a_private_value_answers_as_one_that_does_not_exist(self):
        private = self.api({"q": "benefits", "conference": self.members.pk})
        unknown = self.api({"q": "benefits", "conference": 999999})
        self.assertEqual(private, unknown)
        self.assertEqual(
            private["notices"],
            ["A conference filter in the address was not recognised and is not applied."],
        )

    def test_signed_in_callers_see_what_the_page_shows_them(self):
        self.client.force_login(self.user)
        found = self.api({"q": "benefits"})
        self.assertIn("Members benefits clinic", [i["title"] for i in found["items"]])
        self.assertNotIn("Sponsors benefits briefing", [i["title"] for i in found["items"]])
        self.assertEqual(
            [s["name"] for s in self.suggestions("harr")["speakers"]], ["Harriet Private"]
        )
        self.client.force_login(self.sponsor)
        titles_ = [i["title"] for i in self.api({"q": "benefits"})["items"]]
        self.assertIn("Sponsors benefits briefing", titles_)

    def test_a_library_the_caller_may_not_see_is_not_found(self):
        restrict(self.library)
        for path in ("search/", "suggestions/"):
            with self.subTest(path):
                response = self.client.get(f"{API}libraries/{self.library.pk}/{path}", {"q": "x"})
                problem(response, 404, "id")

    def test_only_libraries_are_searched(self):
        problem(self.api(library=self.conf_2021, status=404), 404, "id")


class BadInputTests(ApiSearchTestCase):
    def test_malformed_parameters_are_refused_naming_them(self):
        for params, parameter in (
            ({"page": "abc"}, "page"),
            ({"page": "0"}, "page"),
            ({"per_page": "49"}, "per_page"),
            ({"per_page": "+2"}, "per_page"),
            ({"sort": "best"}, "sort"),
            ({"format": "video"}, "format"),
            ({"conference": "abc"}, "conference"),
            ({"speaker": ["1", "-2"]}, "speaker"),
            ({"conference": [str(n) for n in range(1, 22)]}, "conference"),
            ({"theme": [f"t{n}" for n in range(21)]}, "theme"),
        ):
            with self.subTest(params=params):
                problem(self.api(params, status=400), 400, parameter)

    def test_a_page_after_the_last_is_not_found(self):
        body = problem(self.api({"page": 3, "per_page": 2}, status=404), 404, "page")
        self.assertIn("last page (2)", body["detail"])
        self.assertEqual(len(self.api({"page": 2, "per_page": 2})["items"]), 2)
        # Page 1 always exists, if empty.
        self.assertEqual(self.api({"q": "zzyzx", "page": 1})["items"], [])

    def test_odd_words_are_answered(self):
        for q in ("\x00", "NEAR(a b)", '"', "😀" * 50, "a" * 5000, "-", "*:*"):
            with self.subTest(q=q):
                self.assertEqual(
                    self.api({"q": q})["query"],
                    self.get({"q": q}).context["search"].params.query.text,
                )


class SearchLogTests(ApiSearchTestCase):
    def test_searches_are_counted_as_the_page_counts_them(self):
        self.api({"q": "Benefits"})
        self.search("benefits")
        self.api({"q": "zzyzx"})
        rows = dict(SearchTerm.objects.values_list("query_string", "hits"))
        self.assertEqual(rows, {"benefits": 2, "zzyzx": 1})
        self.assertEqual(Query.get("benefits").hits, 2)

    def test_what_is_not_counted(self):
        self.api({"q": "benefits"}, HTTP_USER_AGENT=BOT)
        self.api({"q": "benefits", "page": 2, "per_page": 1})
        self.api()
        self.api({"q": "!!!"})
        self.suggestions("benefits")
        self.assertFalse(SearchTerm.objects.exists())
        self.api({"q": "benefits"}, HTTP_USER_AGENT=BROWSER)
        self.assertEqual(SearchTerm.objects.get().hits, 1)

    @override_settings(WAGTAIL_PMOLIB={"POPULAR_SEARCHES_MIN_VISITORS": 1})
    def test_a_search_that_finds_nothing_offers_popular_searches(self):
        self.api({"q": "benefits"})
        found = self.api({"q": "zzyzx"})
        self.assertEqual(found["popular_searches"], ["benefits"])
        self.assertEqual(self.api({"q": "benefits"})["popular_searches"], [])


class EditorsPicksTests(ApiSearchTestCase):
    def promote(self, page, query, description="", sort_order=0):
        SearchPromotion.objects.create(
            query=Query.get(query), page=page, description=description, sort_order=sort_order
        )

    def test_editors_picks_on_the_first_page_of_a_search(self):
        self.promote(self.s4, "dashboards", "Our pick", sort_order=1)
        self.promote(self.members_session, "dashboards")
        found = self.api({"q": "Dashboards"})
        self.assertEqual(
            found["editors_picks"],
            [
                {
                    "title": "Agile governance for the PMO",
                    "url": f"http://localhost{self.s4.url}",
                    "description": "Our pick",
                }
            ],
        )
        self.assertEqual(
            self.api({"q": "dashboards", "per_page": 1, "page": 1})["editors_picks"][0]["title"],
            self.s4.title,
        )
        self.assertEqual(self.api()["editors_picks"], [])
        self.client.force_login(self.user)
        self.assertEqual(
            [p["title"] for p in self.api({"q": "dashboards"})["editors_picks"]],
            ["Members benefits clinic", "Agile governance for the PMO"],
        )


class SuggestionTests(ApiSearchTestCase):
    def test_suggestions_are_the_pages_with_absolute_addresses_and_ids(self):
        page = self.client.get(f"{self.library.url}suggest/", {"q": "lind"}).json()
        found = self.suggestions("lind")
        self.assertEqual(found["query"], "lind")
        self.assertEqual(
            [(s["id"], s["title"], s["conference"]) for s in found["sessions"]],
            [(s["id"], s["title"], s["conference"]) for s in page["sessions"]],
        )
        self.assertEqual(
            found["speakers"],
            [
                {
                    "id": self.lindsay.pk,
                    "name": "Lindsay Scott",
                    "url": f"http://localhost/library/?speaker={self.lindsay.pk}",
                    "api_url": found["speakers"][0]["api_url"],
                    "sessions": 2,
                }
            ],
        )
        self.assertTrue(found["speakers"][0]["api_url"].endswith(f"speakers/{self.lindsay.pk}/"))
        for session in found["sessions"]:
            self.assertTrue(session["url"].startswith("http://localhost/library/"))
            self.assertTrue(session["api_url"].endswith(f"sessions/{session['id']}/"))

    def test_an_empty_query_suggests_nothing(self):
        for q in ("", "  ", "!!!"):
            with self.subTest(q=q):
                found = self.suggestions(q)
                self.assertEqual((found["sessions"], found["speakers"]), ([], []))

    def test_the_answer_is_problem_json_for_a_bad_id(self):
        response = self.client.get(f"{API}libraries/abc/suggestions/", {"q": "x"})
        self.assertEqual(response["Content-Type"], PROBLEM_JSON)
        problem(response, 400, "id")
