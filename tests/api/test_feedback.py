"""``GET sessions/{id}/rating/`` and ``POST sessions/{id}/feedback/``.

Posting goes through the rules of the page's endpoint (``POST {page.url}feedback/``):
its bad-input table (``tests/feedback/test_bad_input.py``) is run here against the
API, each row also sent to the page's endpoint to check that both say the same,
and its accepted inputs store the same. Then the answers, limits shared with the
page's endpoint, decoys, and the origin rule.
"""

import json

import pytest
from django.test import Client, override_settings
from wagtail.models import PageViewRestriction, Site

from tests.api.support import API, PROBLEM_JSON
from tests.feedback import test_bad_input as page_table
from tests.feedback.test_endpoint import (
    COMMENT_REQUIRED,
    COOKIE,
    CROSS_SITE,
    GOOGLEBOT,
    OTHER_IP,
    RATE_FIRST,
    THANK_YOU,
    TURNED_OFF,
    post_json,
    stored,
    visitor_meta,
)
from wagtail_pmolib.feedback.votes import max_body_bytes
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture
def session(make_session):
    return make_session()


def feedback_url(session):
    return f"{API}sessions/{session.pk}/feedback/"


def send(client, content_type, body, *, session, **extra):
    extra = visitor_meta(extra)
    extra["CONTENT_TYPE"] = content_type  # kept for an empty body too
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return client.generic("POST", feedback_url(session), body, content_type=content_type, **extra)


def post(client, session, data, **extra):
    return send(client, "application/json", json.dumps(data), session=session, **extra)


def problem_errors(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    return {error["parameter"]: error for error in body["errors"]}, body


# --- the page endpoint's bad-input table ---------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "status", "field", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in page_table.BAD_INPUT],
)
def test_bad_input_is_refused_naming_the_field_as_the_page_endpoint_does(
    client, session, content_type, body, status, field, reason
):
    before = stored()
    response = send(client, content_type, body, session=session)
    errors, problem = problem_errors(response, status)
    assert list(errors) == [field], problem
    assert errors[field]["location"] == "body"
    assert reason in errors[field]["detail"]
    assert errors[field]["detail"] in problem["detail"]
    assert stored() == before
    assert COOKIE not in response.cookies
    # The page's endpoint says the same.
    page = page_table.send(Client(), content_type, body, page=session)
    assert page.status_code == status
    assert page.json()["errors"] == {field: errors[field]["detail"]}


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in page_table.ACCEPTED],
)
def test_input_accepted_after_cleaning_is_stored_as_the_page_endpoint_stores_it(
    client, session, content_type, body, expected
):
    response = send(client, content_type, body, session=session)
    assert response.status_code == 200, response.content[:300]
    assert Feedback.objects.values_list("rating", "comment").get() == expected


def test_the_size_is_checked_from_content_length_first(session):
    limit = max_body_bytes()
    response = send(Client(), "application/json", "{" + " " * limit + "}", session=session)
    errors, _problem = problem_errors(response, 413)
    assert str(limit) in errors["body"]["detail"]


# --- answers ---------------------------------------------------------------------------


def test_a_rating_is_counted_and_answered_with_the_summary(client, session):
    response = post(client, session, {"rating": 4})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    answer = response.json()
    assert answer["message"] == THANK_YOU
    assert answer["rating"] == 4
    summary = answer["summary"]
    assert (summary["count"], summary["average"], summary["bayesian_average"]) == (1, 4.0, 4.0)
    assert [row["count"] for row in summary["distribution"]] == [0, 1, 0, 0, 0]
    assert COOKIE in response.cookies  # the visitor is recognised next time
    # The same visitor again: the rating is replaced, not counted twice.
    answer = post(client, session, {"rating": 2, "comment": "Too short."}).json()
    assert (answer["summary"]["count"], answer["summary"]["average"]) == (1, 2.0)
    assert Feedback.objects.values_list("rating", "comment").get() == (2, "Too short.")
    assert RatingSummary.objects.get(page=session).count == 1


def test_the_rating_endpoint_shows_what_the_session_shows(client, session, make_session):
    other = make_session("Another", slug="another")
    post(client, other, {"rating": 5})
    post(Client(), session, {"rating": 2}, REMOTE_ADDR=OTHER_IP)
    response = client.get(f"{API}sessions/{session.pk}/rating/")
    assert response.status_code == 200
    rating = response.json()
    assert rating == client.get(f"{API}sessions/{session.pk}/").json()["rating"]
    assert rating == session.rating_summary()
    # The library's mean (3.5) as the prior, weighing 5 ratings: (5 × 3.5 + 2) / 6.
    assert rating["bayesian_average"] == 3.25
    assert (rating["count"], rating["average"]) == (1, 2.0)
    assert rating["headline"] == "2.0 out of 5 stars"
    assert [(r["stars"], r["percent"]) for r in rating["distribution"]] == [
        (5, 0),
        (4, 0),
        (3, 0),
        (2, 100),
        (1, 0),
    ]
    assert "ETag" in response


def test_the_session_detail_says_where_to_post(client, session):
    feedback = client.get(f"{API}sessions/{session.pk}/").json()["feedback"]
    assert feedback["enabled"] is True
    assert feedback["api_url"] == f"http://localhost{feedback_url(session)}"
    assert feedback["url"] == f"http://localhost{session.url}feedback/"


def test_the_rules_of_the_site_apply(client, session):
    settings = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
    settings.comment_required_after_low_rating = True
    settings.save()
    errors, _problem = problem_errors(post(client, session, {"rating": 1}), 400)
    assert errors["comment"]["detail"] == COMMENT_REQUIRED
    errors, _problem = problem_errors(post(client, session, {"comment": "Hello"}), 400)
    assert errors["rating"]["detail"] == RATE_FIRST
    assert not Feedback.objects.exists()


def test_feedback_turned_off_is_refused(client, session):
    session.feedback_enabled = False
    session.save_revision().publish()
    _errors, problem = problem_errors(post(client, session, {"rating": 5}), 403)
    assert problem["detail"] == TURNED_OFF
    feedback = client.get(f"{API}sessions/{session.pk}/").json()["feedback"]
    assert (feedback["enabled"], feedback["api_url"]) == (False, None)


def test_private_and_unknown_sessions_are_not_found(client, session, make_session):
    private = make_session("Private", slug="private")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    for page_id in (private.pk, 999999):
        response = client.generic(
            "POST", f"{API}sessions/{page_id}/feedback/", '{"rating": 5}', "application/json"
        )
        errors, _problem = problem_errors(response, 404)
        assert list(errors) == ["id"]
        assert client.get(f"{API}sessions/{page_id}/rating/").status_code == 404
    assert not Feedback.objects.exists()


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 1})
def test_the_rate_limit_is_the_page_endpoints(client, session):
    assert post_json(client, session, {"rating": 5}).status_code == 200
    response = post(client, session, {"rating": 4})
    _errors, problem = problem_errors(response, 429)
    assert "Too many submissions" in problem["detail"]
    assert int(response["Retry-After"]) > 0
    assert Feedback.objects.get().rating == 5


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_VOTES_PER_PAGE": 1})
def test_new_ratings_per_address_are_limited(session):
    assert post(Client(), session, {"rating": 5}, HTTP_USER_AGENT="A").status_code == 200
    response = post(Client(), session, {"rating": 1}, HTTP_USER_AGENT="B")
    problem_errors(response, 429)
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "extra"),
    [
        ({"rating": 5, "website": "http://spam.example"}, {}),
        ({"rating": 5}, {"HTTP_USER_AGENT": GOOGLEBOT}),
    ],
    ids=["honeypot", "bot"],
)
def test_decoys_get_the_answer_a_vote_gets_and_nothing_is_stored(client, session, data, extra):
    before = stored()
    response = post(client, session, data, **extra)
    assert response.status_code == 200
    assert response.json()["summary"]["count"] == 1
    assert stored() == before


def test_posting_needs_no_csrf_token(session):
    """A front end has no token: the origin rule protects the endpoint instead."""
    client = Client(enforce_csrf_checks=True)
    assert post(client, session, {"rating": 3}).status_code == 200


# --- browsers of other origins -----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": EVIL},
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "https://www.example.com"},
        {"HTTP_ORIGIN": EVIL},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
    ],
)
@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]}, CSRF_TRUSTED_ORIGINS=[EVIL])
def test_browsers_of_other_origins_are_refused(client, session, headers):
    """Only API_CORS_ORIGINS may post through the API (the site's CSRF_TRUSTED_ORIGINS
    are the page form's rule)."""
    _errors, problem = problem_errors(post(client, session, {"rating": 5}, **headers), 403)
    assert problem["detail"] == CROSS_SITE
    assert not Feedback.objects.exists()


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": APP},
        {"HTTP_ORIGIN": APP},
        {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://testserver"},
        {},  # not a browser
    ],
)
def test_allowed_origins_the_site_itself_and_other_programs_may_post(client, session, headers):
    assert post(client, session, {"rating": 5}, **headers).status_code == 200
    assert Feedback.objects.count() == 1


@override_settings(WAGTAIL_PMOLIB={"API_CORS_ORIGINS": [APP]})
def test_an_allowed_origin_of_the_api_may_not_post_to_the_page_form(client, session):
    response = post_json(
        client, session, {"rating": 5}, HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN=APP
    )
    assert response.status_code == 403
    assert not Feedback.objects.exists()
