"""The suggestions endpoint, ``{library.url}suggest/`` (``search/suggest.py``)."""

from django.test import override_settings
from wagtail.models import PageViewRestriction

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import restrict
from tests.search.helpers import LibraryTestCase, titles
from wagtail_pmolib.models import SearchTerm


class SuggestTests(LibraryTestCase):
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
                        "id": self.s1.pk,
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
                    "id": self.lindsay.pk,
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
