"""Bad input gets a 4xx in ``application/problem+json`` naming the parameter; never a 500."""

import pytest
from django.test import TestCase, override_settings

from tests.api.support import API, problem
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import build_conference, build_library, build_session

# What Python or pydantic would read as a number, but an address should not.
NOT_NUMBERS = ["x", "١٢", "１２", "+1", "-1", " 1", "1 ", "1.0", "1_0", "0x1", "1e3", ""]


class BadInputTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.session = build_session(build_conference(cls.library))

    def test_ids_in_the_path_are_ascii_digits(self):
        for resource in ("libraries", "conferences", "sessions", "speakers"):
            for raw in ["x", "١٢", "+1", "1.0", "1_0", "0", "9" * 19]:
                with self.subTest(resource=resource, raw=raw):
                    body = problem(self.client.get(f"{API}{resource}/{raw}/"), 400, "id")
                    self.assertEqual(body["errors"][0]["location"], "path")

    def test_unknown_ids_are_404_naming_the_id(self):
        for resource in ("libraries", "conferences", "sessions", "speakers"):
            with self.subTest(resource):
                body = problem(self.client.get(f"{API}{resource}/999999/"), 404, "id")
                self.assertIn("999999", body["detail"])

    def test_an_id_of_the_wrong_kind_is_unknown(self):
        problem(self.client.get(f"{API}conferences/{self.session.pk}/"), 404, "id")
        problem(self.client.get(f"{API}sessions/{self.library.pk}/"), 404, "id")

    def test_page_numbers_are_ascii_digits_from_1(self):
        for raw in [*NOT_NUMBERS, "0"]:
            with self.subTest(raw=raw):
                problem(self.client.get(f"{API}sessions/", {"page": raw}), 400, "page")
                problem(self.client.get(f"{API}speakers/", {"per_page": raw}), 400, "per_page")

    def test_a_page_after_the_last_is_404(self):
        body = problem(self.client.get(f"{API}sessions/", {"page": 2}), 404, "page")
        self.assertIn("1", body["detail"])
        # Page 1 of nothing is an empty page, not an error.
        response = self.client.get(f"{API}sessions/", {"has_handouts": "true"})
        self.assertEqual(response.json(), {"count": 0, "items": []})

    @override_settings(WAGTAIL_PMOLIB={"MAX_PAGE_SIZE": 20})
    def test_per_page_at_most_max_page_size(self):
        body = problem(self.client.get(f"{API}sessions/", {"per_page": 21}), 400, "per_page")
        self.assertIn("20", body["detail"])
        self.assertEqual(self.client.get(f"{API}sessions/", {"per_page": 20}).status_code, 200)

    def test_filters(self):
        for name in ("library", "conference", "theme", "speaker"):
            with self.subTest(name):
                problem(self.client.get(f"{API}sessions/", {name: "x"}), 400, name)
                body = problem(self.client.get(f"{API}sessions/", {name: 999999}), 404, name)
                self.assertIn("999999", body["detail"])
        for name in ("has_recording", "has_handouts"):
            with self.subTest(name):
                problem(self.client.get(f"{API}sessions/", {name: "maybe"}), 400, name)
        problem(self.client.get(f"{API}conferences/", {"library": 999999}), 404, "library")

    def test_several_bad_parameters_are_all_named(self):
        response = self.client.get(f"{API}sessions/", {"page": "x", "has_recording": "?"})
        self.assertEqual(response.status_code, 400)
        names = {e["parameter"] for e in response.json()["errors"]}
        self.assertEqual(names, {"page", "has_recording"})

    def test_by_path(self):
        problem(self.client.get(f"{API}sessions/by-path/"), 400, "path")
        for path in ["library/x/", "https://evil.example/x/", "//x/", "/a?b", "/" + "a" * 2001]:
            with self.subTest(path=path[:40]):
                problem(self.client.get(f"{API}sessions/by-path/", {"path": path}), 400, "path")
        problem(self.client.get(f"{API}sessions/by-path/", {"path": "/nothing/here/"}), 404, "path")
        # A conference's address is not a session's.
        problem(self.client.get(f"{API}sessions/by-path/", {"path": "/library/"}), 404, "path")


@pytest.mark.parametrize("raw", ["1", "001"])
def test_leading_zeros_are_still_digits(raw, client, db):
    response = client.get(f"{API}sessions/", {"page": raw})
    assert response.status_code == 200
