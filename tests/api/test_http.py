"""What the API's URLs answer besides their operations (``api/http.py``): HEAD like
GET without a body, OPTIONS, methods not allowed, and CORS for the front ends of
``API_CORS_ORIGINS`` (allowed, refused, preflight, credentials only to post)."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tests.api.support import API, PROBLEM_JSON, build_seed_library
from wagtail_pmolib.conf import pmolib_settings
from wagtail_pmolib.models import Feedback, SearchTerm

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}


@pytest.fixture
def tree(db):
    return build_seed_library()


def readable_paths(tree):
    return [
        f"{API}libraries/",
        f"{API}libraries/{tree.library.pk}/",
        f"{API}libraries/{tree.library.pk}/search/?q=step",
        f"{API}libraries/{tree.library.pk}/suggestions/?q=step",
        f"{API}conferences/",
        f"{API}conferences/{tree.conference.pk}/",
        f"{API}sessions/",
        f"{API}sessions/{tree.session.pk}/",
        f"{API}sessions/by-path/?path={tree.session.url}",
        f"{API}sessions/{tree.session.pk}/rating/",
        f"{API}speakers/",
        f"{API}speakers/{tree.lindsay.pk}/",
        f"{API}openapi.json",
    ]


def feedback_url(tree):
    return f"{API}sessions/{tree.session.pk}/feedback/"


# --- HEAD ------------------------------------------------------------------------------


def test_head_answers_like_get_without_a_body(client, tree):
    for path in readable_paths(tree):
        get = client.get(path, **BROWSER)
        head = client.head(path, **BROWSER)
        assert (path, head.status_code) == (path, 200)
        assert get.status_code == 200
        assert head.content == b""
        assert head["Content-Length"] == str(len(get.content))
        for header in ("Content-Type", "ETag", "Cache-Control", "Vary", "Last-Modified"):
            assert head.get(header) == get.get(header), (path, header)
        if "ETag" in get:  # the operations' answers (not the schema)
            not_modified = client.head(path, HTTP_IF_NONE_MATCH=get["ETag"])
            assert not_modified.status_code == 304, path


def test_every_get_operation_answers_head(client, tree):
    """Whatever operations the schema lists, now or later: HEAD answers as GET does."""
    schema = client.get(f"{API}openapi.json").json()
    reads = [path for path, operations in schema["paths"].items() if "get" in operations]
    assert len(reads) >= 12
    for path in reads:
        url = path.replace("{id}", "999999")
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code != 405, url
        assert head.content == b""
        assert head["Content-Type"] == get["Content-Type"]


def test_a_head_search_is_not_counted(client, tree):
    """The page's rule: searches asked with GET are counted."""
    search = f"{API}libraries/{tree.library.pk}/search/"
    client.head(search, {"q": "step"}, **BROWSER)
    assert not SearchTerm.objects.exists()
    client.get(search, {"q": "step"}, **BROWSER)
    assert SearchTerm.objects.get().hits == 1


# --- methods --------------------------------------------------------------------------


def test_methods_not_allowed_are_problems_naming_the_methods_allowed(client, tree):
    for method, path, allow in (
        ("delete", f"{API}sessions/", "GET, HEAD, OPTIONS"),
        ("post", f"{API}sessions/{tree.session.pk}/rating/", "GET, HEAD, OPTIONS"),
        ("get", feedback_url(tree), "POST, OPTIONS"),
        ("head", feedback_url(tree), "POST, OPTIONS"),
        ("put", feedback_url(tree), "POST, OPTIONS"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 405, (method, path)
        assert response["Allow"] == allow
        assert response["Content-Type"] == PROBLEM_JSON
        if method != "head":
            assert response.json()["status"] == 405


def test_options_says_what_may_be_asked(client, tree):
    for path, allow in (
        (f"{API}sessions/", "GET, HEAD, OPTIONS"),
        (feedback_url(tree), "POST, OPTIONS"),
    ):
        response = client.options(path)
        assert response.status_code == 204
        assert response["Allow"] == allow
        assert "Access-Control-Allow-Origin" not in response


# --- CORS ------------------------------------------------------------------------------


def test_no_origin_is_allowed_by_default(client, tree):
    response = client.get(f"{API}sessions/", HTTP_ORIGIN=APP)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    preflight = client.options(
        f"{API}sessions/", HTTP_ORIGIN=APP, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP, "http://localhost:5173"]})
def test_an_allowed_origin_may_read_without_credentials(client, tree):
    for path in readable_paths(tree):
        response = client.get(path, HTTP_ORIGIN=APP)
        assert response["Access-Control-Allow-Origin"] == APP, path
        assert "Access-Control-Allow-Credentials" not in response
        assert "ETag" in response["Access-Control-Expose-Headers"]
        assert "Origin" in response["Vary"]
    # Errors too, so that the front end can read the problem.
    response = client.get(f"{API}sessions/999999/", HTTP_ORIGIN="http://localhost:5173")
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_other_origins_are_not_allowed(client, tree):
    for origin in (EVIL, "null", "https://app.example.com.evil.net", "http://app.example.com"):
        response = client.get(f"{API}sessions/", HTTP_ORIGIN=origin)
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response, origin
        assert "Origin" in response["Vary"]  # a shared cache keeps the answers apart


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_a_preflight_to_read(client, tree):
    response = client.options(
        f"{API}sessions/{tree.session.pk}/",
        HTTP_ORIGIN=APP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="If-None-Match, Authorization, X-Evil",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert response["Access-Control-Allow-Headers"] == "if-none-match, authorization"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response
    assert "Origin" in response["Vary"]


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_a_preflight_to_post_feedback_allows_credentials(client, tree):
    response = client.options(
        feedback_url(tree),
        HTTP_ORIGIN=APP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert response["Access-Control-Allow-Headers"] == "content-type"
    assert response["Access-Control-Allow-Credentials"] == "true"


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_refused_preflights(client, tree):
    response = client.options(
        feedback_url(tree), HTTP_ORIGIN=EVIL, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_JSON
    assert EVIL in response.json()["detail"]
    assert "Access-Control-Allow-Origin" not in response
    response = client.options(
        f"{API}sessions/", HTTP_ORIGIN=APP, HTTP_ACCESS_CONTROL_REQUEST_METHOD="DELETE"
    )
    assert response.status_code == 405
    assert "Access-Control-Allow-Origin" not in response


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_an_allowed_origin_posts_feedback_with_credentials(client, tree):
    cross_site = {"HTTP_ORIGIN": APP, "HTTP_SEC_FETCH_SITE": "cross-site", **BROWSER}
    response = client.post(feedback_url(tree), {"rating": 4}, "application/json", **cross_site)
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "pmolib_visitor" in response.cookies
    assert Feedback.objects.get().rating == 4
    # Its errors are readable too.
    response = client.post(feedback_url(tree), {"rating": 9}, "application/json", **cross_site)
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == APP
    # Another origin's browser is refused, and told nothing it could read.
    evil = {**cross_site, "HTTP_ORIGIN": EVIL}
    response = client.post(feedback_url(tree), {"rating": 1}, "application/json", **evil)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert Feedback.objects.get().rating == 4


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_cors_is_on_the_apis_urls_only(client, tree):
    for path in (tree.library.url, tree.session.url, f"{tree.library.url}suggest/?q=step"):
        response = client.get(path, HTTP_ORIGIN=APP)
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response, path
    response = client.options(
        f"{tree.session.url}feedback/", HTTP_ORIGIN=APP, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response
    response = client.post(
        f"{tree.session.url}feedback/",
        json.dumps({"rating": 5}),
        "application/json",
        HTTP_ORIGIN=APP,
        HTTP_SEC_FETCH_SITE="cross-site",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "value",
    [
        "https://app.example.com",
        ["https://app.example.com/"],
        ["https://app.example.com/path"],
        ["app.example.com"],
        ["*"],
        ["https://*.example.com"],
        [42],
    ],
)
def test_the_setting_must_list_origins(settings, value):
    settings.WAGTAIL_PMOLIB = {"API_CORS_ORIGINS": value}
    with pytest.raises(ImproperlyConfigured, match="API_CORS_ORIGINS"):
        pmolib_settings.validate()


def test_origins_are_compared_without_case(settings, client, tree):
    settings.WAGTAIL_PMOLIB = {"API_CORS_ORIGINS": ["HTTPS://App.Example.com"]}
    response = client.get(f"{API}sessions/", HTTP_ORIGIN=APP)
    assert response["Access-Control-Allow-Origin"] == APP
