"""The OpenAPI schema: served, valid OpenAPI 3.1, and true of the answers; and the
routers mounted in another django-ninja API (Wagtail's API v3)."""

import pytest
from django.test import TestCase, override_settings
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from tests.api.support import API, PROBLEM_JSON, build_seed_library
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module


def answer_validator(spec, path, status="200", media_type="application/json", method="get"):
    """A JSON Schema validator for one documented answer of ``spec`` (its ``$ref``s
    point into the spec's components, so they come along)."""
    answer = spec["paths"][path][method]["responses"][status]["content"][media_type]["schema"]
    return OAS31Validator({**answer, "components": spec["components"]})


class SchemaTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.tree = build_seed_library()

    def spec(self):
        response = self.client.get(f"{API}openapi.json")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_the_schema_is_valid_openapi_3_1(self):
        spec = self.spec()
        self.assertEqual(spec["openapi"], "3.1.0")
        validate(spec)
        self.assertEqual(
            sorted(spec["paths"]),
            sorted(
                f"{API}{p}"
                for p in (
                    "libraries/",
                    "libraries/{id}/",
                    "libraries/{id}/search/",
                    "libraries/{id}/suggestions/",
                    "conferences/",
                    "conferences/{id}/",
                    "sessions/",
                    "sessions/by-path/",
                    "sessions/preview/",
                    "sessions/{id}/",
                    "sessions/{id}/rating/",
                    "sessions/{id}/feedback/",
                    "speakers/",
                    "speakers/{id}/",
                )
            ),
        )

    def test_body_blocks_are_a_discriminated_union(self):
        schemas = self.spec()["components"]["schemas"]
        body = schemas["SessionDetail"]["properties"]["body"]["items"]
        self.assertEqual(body["discriminator"]["propertyName"], "type")
        self.assertEqual(
            sorted(body["discriminator"]["mapping"]),
            ["figure", "handout", "handouts", "heading", "paragraph", "quote"],
        )
        handout = schemas["Handout"]["properties"]
        document = set(schemas["Document"]["required"])
        self.assertLessEqual({"id", "title", "private", "url", "file_type", "file_size"}, document)
        self.assertIn("cover", handout)

    def test_problems_are_documented_as_problem_json(self):
        spec = self.spec()
        for path, operations in spec["paths"].items():
            for operation in operations.values():
                for status in ("400", "404"):
                    content = operation["responses"][status]["content"]
                    self.assertEqual(list(content), [PROBLEM_JSON], path)
        feedback = spec["paths"][f"{API}sessions/{{id}}/feedback/"]["post"]["responses"]
        for status in ("403", "413", "429", "503"):
            self.assertEqual(list(feedback[status]["content"]), [PROBLEM_JSON])

    def test_answers_match_the_schema(self):
        spec = self.spec()
        tree = self.tree
        for path, documented in (
            (f"sessions/{tree.session.pk}/", "sessions/{id}/"),
            (f"sessions/{tree.next_session.pk}/", "sessions/{id}/"),
            ("sessions/", "sessions/"),
            (f"conferences/{tree.conference.pk}/", "conferences/{id}/"),
            ("conferences/", "conferences/"),
            (f"libraries/{tree.library.pk}/", "libraries/{id}/"),
            ("libraries/", "libraries/"),
            (f"speakers/{tree.lindsay.pk}/", "speakers/{id}/"),
            ("speakers/", "speakers/"),
            (f"libraries/{tree.library.pk}/search/?q=sore", "libraries/{id}/search/"),
            (f"libraries/{tree.library.pk}/search/?q=zzyzx", "libraries/{id}/search/"),
            (f"libraries/{tree.library.pk}/search/", "libraries/{id}/search/"),
            (f"libraries/{tree.library.pk}/suggestions/?q=lind", "libraries/{id}/suggestions/"),
            (f"sessions/{tree.session.pk}/rating/", "sessions/{id}/rating/"),
        ):
            with self.subTest(path):
                data = self.client.get(f"{API}{path}").json()
                answer_validator(spec, f"{API}{documented}").validate(data)
        problem = self.client.get(f"{API}sessions/", {"page": "x"}).json()
        answer_validator(spec, f"{API}sessions/", "400", PROBLEM_JSON).validate(problem)
        feedback = f"{API}sessions/{{id}}/feedback/"
        url = f"{API}sessions/{tree.session.pk}/feedback/"
        posted = self.client.post(url, {"rating": 5}, "application/json").json()
        answer_validator(spec, feedback, method="post").validate(posted)
        refused = self.client.post(url, {"rating": 9}, "application/json").json()
        answer_validator(spec, feedback, "400", PROBLEM_JSON, method="post").validate(refused)

    def test_a_mismatch_is_caught(self):
        # The check above can fail: a body block without its value does not validate.
        spec = self.spec()
        data = self.client.get(f"{API}sessions/{self.tree.session.pk}/").json()
        del data["body"][1]["value"]["document"]
        with self.assertRaises(Exception):  # noqa: B017 - jsonschema's ValidationError
            answer_validator(spec, f"{API}sessions/{{id}}/").validate(data)

    def test_the_docs_page(self):
        response = self.client.get(f"{API}docs")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"{API}openapi.json", response.content.decode())


@override_settings(ROOT_URLCONF="tests.api.urls_v3")
class WagtailAPIv3Tests(TestCase):
    """The routers in Wagtail 8's API v3, as the README shows a host mounting them."""

    @classmethod
    def setUpTestData(cls):
        cls.tree = build_seed_library()

    def test_the_operations_answer_under_v3(self):
        response = self.client.get(f"/api/v3/pmolib/sessions/{self.tree.session.pk}/")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(data["id"], self.tree.session.pk)
        # Its own addresses point into v3, where it is mounted.
        self.assertTrue(data["api_url"].endswith(f"/api/v3/pmolib/sessions/{data['id']}/"))
        again = self.client.get(
            f"/api/v3/pmolib/sessions/{self.tree.session.pk}/",
            HTTP_IF_NONE_MATCH=response["ETag"],
        )
        self.assertEqual(again.status_code, 304)
        # v3's own error handling answers problems, still naming what was wrong.
        missing = self.client.get("/api/v3/pmolib/sessions/999999/")
        self.assertEqual(missing.status_code, 404)
        self.assertIn("999999", missing.json()["detail"])

    def test_a_v3_token_shows_its_user_what_the_site_shows_them(self):
        from django.contrib.auth.models import User
        from wagtail.models import APIToken, PageViewRestriction

        from tests.builders import restrict

        restrict(self.tree.conference, PageViewRestriction.LOGIN)
        url = f"/api/v3/pmolib/sessions/{self.tree.session.pk}/"
        self.assertEqual(self.client.get(url).status_code, 404)
        member = User.objects.create_user("member", password="pw")
        _token, plaintext = APIToken.create_token(user=member, name="front end")
        response = self.client.get(url, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Cache-Control"].startswith("private"))
        # Under v3 the session cookie does not sign the caller in.
        self.client.force_login(member)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_v3s_schema_holds_ours(self):
        spec = self.client.get("/api/v3/openapi.json").json()
        self.assertIn("/api/v3/pmolib/sessions/{id}/", spec["paths"])
        self.assertIn("/api/v3/pages/", spec["paths"])
        # (v3's own schema is not valid OpenAPI in Wagtail 8.0: its AllowAnonymous
        # security scheme lacks a "scheme"; ours is checked above.)


@pytest.mark.django_db
def test_the_api_is_not_mounted_unless_the_host_asks(client, settings):
    settings.ROOT_URLCONF = "tests.urls_without_pmolib"
    assert client.get(f"{API}sessions/").status_code == 404
