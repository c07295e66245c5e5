"""``POST {page.url}feedback/``: every answer the feedback endpoint gives.

Issue 3, items 1–5 and 11: bad input (400 naming the field, nothing stored),
feedback turned off (403), unknown/unpublished/restricted pages, methods (405),
the rate limit (429), successful HTML and JSON submissions, one vote per
visitor, no raw IP address or user agent stored, honeypot and bots, escaping,
cross-site request forgery and cacheable pages.
"""

import json
import pickle
import re
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import models
from django.test import Client, override_settings
from wagtail.models import Page, PageViewRestriction, Site

from wagtail_pmolib.conf import pmolib_settings
from wagtail_pmolib.feedback import identity
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

pytestmark = pytest.mark.django_db

IP = "198.51.100.23"
OTHER_IP = "203.0.113.99"
UA = "Mozilla/5.0 (X11; Linux x86_64) PmolibFeedbackTest/7.3"
OTHER_UA = "Mozilla/5.0 (Macintosh) PmolibOtherAgent/2.1"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
THANK_YOU = "Thank you for your feedback!"
NOT_SAVED = "Your feedback was not saved:"
COOKIE = "pmolib_visitor"

RATING_INVALID = "Choose a rating: a whole number of stars from 1 to 5."
RATING_MISSING = "Choose a rating from 1 to 5 stars."
RATE_FIRST = "Rate the article before you comment on it."
COMMENT_REQUIRED = "Please tell us how we can improve this article."
TURNED_OFF = "Feedback is turned off for this page."
CROSS_SITE = "Feedback from another site is refused."


# --- helpers ---------------------------------------------------------------


@pytest.fixture
def session(make_session):
    return make_session()


@pytest.fixture
def site_settings(db):
    """Change the default site's feedback settings: ``site_settings(enabled=False)``."""

    def change(**fields):
        found = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
        for name, value in fields.items():
            setattr(found, name, value)
        found.save()
        return found

    return change


def endpoint(page):
    return f"{page.url}feedback/"


def visitor_meta(extra):
    extra.setdefault("REMOTE_ADDR", IP)
    extra.setdefault("HTTP_USER_AGENT", UA)
    return extra


def post_form(client, page, data, *, urlencoded=False, **extra):
    """An HTML form post (multipart, or urlencoded as browsers send it by default)."""
    extra = visitor_meta(extra)
    if urlencoded:
        # CONTENT_TYPE given explicitly: the test client drops it for an empty body,
        # a browser does not.
        extra.setdefault("CONTENT_TYPE", "application/x-www-form-urlencoded")
        return client.post(
            endpoint(page),
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
    return client.post(endpoint(page), data, **extra)


def post_json(client, page, data=None, *, raw=None, **extra):
    """A JSON post as the page's script makes it (Accept: application/json)."""
    extra = visitor_meta(extra)
    extra.setdefault("HTTP_ACCEPT", "application/json")
    extra.setdefault("CONTENT_TYPE", "application/json")  # kept for an empty body too
    body = raw if raw is not None else json.dumps(data)
    return client.post(endpoint(page), body, content_type="application/json", **extra)


def stored():
    """Everything feedback stores: compare before/after to prove nothing was stored."""
    return (
        sorted(Feedback.objects.values_list()),
        sorted(RatingSummary.objects.values_list()),
    )


def summary_row(page):
    return RatingSummary.objects.filter(page_id=page.pk).first()


def html_of(response):
    return response.content.decode()


def feedback_section(response):
    return BeautifulSoup(html_of(response), "html.parser").find(id="feedback")


def distribution(section):
    """{stars: (label, percent)} from the distribution table."""
    rows = {}
    for row in section.select("tr[data-stars]"):
        rows[int(row["data-stars"])] = (
            row.th.get_text(strip=True),
            row.select_one("[data-pmolib-percent]").get_text(strip=True),
        )
    return rows


def assert_json_error(response, status, field, reason):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False
    assert field in body["errors"], body
    assert reason in body["errors"][field], body


def assert_form_reshown(response, reason, field=None):
    """The page itself comes back (400) with the form, the message and the field marked."""
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = html_of(response)
    assert 'id="pmolib-title"' in html  # the session page, not an error page
    section = feedback_section(response)
    assert section is not None
    assert NOT_SAVED in section.get_text()
    assert reason in section.get_text()
    if field:
        assert section.select_one(f'a[href="#pmolib-feedback-{field}"]') is not None
        invalid = section.select_one(f"#pmolib-feedback-{field}")
        assert invalid is not None and invalid.get("aria-invalid") == "true"
    return section


# --- item 11: bad input ----------------------------------------------------

JSON_BAD_RATINGS = [
    pytest.param({}, RATING_MISSING, id="missing"),
    pytest.param({"rating": 0}, RATING_INVALID, id="0"),
    pytest.param({"rating": 6}, RATING_INVALID, id="6"),
    pytest.param({"rating": -1}, RATING_INVALID, id="-1"),
    pytest.param({"rating": "abc"}, RATING_INVALID, id="abc"),
    pytest.param({"rating": 4.5}, RATING_INVALID, id="4.5"),
    pytest.param({"rating": "4.5"}, RATING_INVALID, id="'4.5'"),
    pytest.param({"rating": 4.0}, RATING_INVALID, id="4.0"),
    pytest.param({"rating": ""}, RATING_MISSING, id="empty-string"),
    pytest.param({"rating": "   "}, RATING_INVALID, id="blank-string"),
    pytest.param({"rating": True}, RATING_INVALID, id="true"),
    pytest.param({"rating": False}, RATING_INVALID, id="false"),
    pytest.param({"rating": None}, RATING_MISSING, id="null"),
    pytest.param({"rating": [4]}, RATING_INVALID, id="list"),
    pytest.param({"rating": {"x": 1}}, RATING_INVALID, id="object"),
    pytest.param({"rating": "9" * 5000}, RATING_INVALID, id="huge-number"),
]


@pytest.mark.parametrize(("data", "reason"), JSON_BAD_RATINGS)
def test_json_bad_rating_is_refused_naming_the_field(client, session, data, reason):
    before = stored()
    response = post_json(client, session, data)
    assert_json_error(response, 400, "rating", reason)
    assert response.json()["error"] == "The feedback was not saved."
    assert stored() == before
    assert Feedback.objects.count() == 0
    assert COOKIE not in response.cookies


FORM_BAD_RATINGS = [
    pytest.param({}, RATING_MISSING, id="missing"),
    pytest.param({"rating": ""}, RATING_MISSING, id="empty"),
    pytest.param({"rating": "0"}, RATING_INVALID, id="0"),
    pytest.param({"rating": "6"}, RATING_INVALID, id="6"),
    pytest.param({"rating": "abc"}, RATING_INVALID, id="abc"),
    pytest.param({"rating": "4.5"}, RATING_INVALID, id="4.5"),
    pytest.param({"rating": "-3"}, RATING_INVALID, id="-3"),
    pytest.param({"rating": "²"}, RATING_INVALID, id="superscript-two"),
]


@pytest.mark.parametrize("urlencoded", [False, True], ids=["multipart", "urlencoded"])
@pytest.mark.parametrize(("data", "reason"), FORM_BAD_RATINGS)
def test_form_bad_rating_reshows_the_page_with_the_message(
    client, session, data, reason, urlencoded
):
    before = stored()
    response = post_form(client, session, data, urlencoded=urlencoded)
    assert_form_reshown(response, reason, field="rating")
    assert stored() == before
    assert Feedback.objects.count() == 0


def test_form_reshown_keeps_what_the_visitor_chose(client, session):
    response = post_form(client, session, {"rating": "4", "comment": "x" * 2001})
    section = assert_form_reshown(response, "2000", field="comment")
    assert section.select_one("#pmolib-rating-4").has_attr("checked")
    assert section.select_one("#pmolib-feedback-comment").get_text() == "x" * 2001
    # The comment box is shown so the visitor can fix the comment.
    assert not section.select_one("[data-pmolib-comment]").has_attr("hidden")
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_comment_over_the_limit_is_refused(client, session, as_json):
    before = stored()
    data = {"rating": 4, "comment": "x" * 2001}
    if as_json:
        response = post_json(client, session, data)
        assert_json_error(response, 400, "comment", "2000")
        assert "2001" in response.json()["errors"]["comment"]
    else:
        assert_form_reshown(post_form(client, session, data), "2000", field="comment")
    assert stored() == before


def test_comment_of_exactly_the_limit_is_accepted(client, session):
    response = post_json(client, session, {"rating": 4, "comment": "y" * 2000})
    assert response.status_code == 200
    assert Feedback.objects.get().comment == "y" * 2000


@override_settings(WAGTAIL_PMOLIB={"COMMENT_MAX_LENGTH": 10})
def test_comment_limit_follows_the_setting(client, session):
    response = post_json(client, session, {"rating": 4, "comment": "eleven char"})
    assert_json_error(response, 400, "comment", "10 characters")
    assert Feedback.objects.count() == 0
    page = client.get(session.url)
    assert 'maxlength="10"' in html_of(page)
    assert post_json(client, session, {"rating": 4, "comment": "ten chars!"}).status_code == 200


def test_comment_that_is_not_text_is_refused(client, session):
    response = post_json(client, session, {"rating": 4, "comment": ["a"]})
    assert_json_error(response, 400, "comment", "text")
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_comment_required_after_a_low_rating(client, session, site_settings, as_json):
    site_settings(comment_required_after_low_rating=True)
    before = stored()
    if as_json:
        assert_json_error(
            post_json(client, session, {"rating": 2}), 400, "comment", COMMENT_REQUIRED
        )
        assert_json_error(
            post_json(client, session, {"rating": 2, "comment": "  "}),
            400,
            "comment",
            COMMENT_REQUIRED,
        )
    else:
        assert_form_reshown(
            post_form(client, session, {"rating": "2"}), COMMENT_REQUIRED, field="comment"
        )
    assert stored() == before
    # Not low (default threshold: below 4), or with a comment: accepted.
    assert post_json(client, session, {"rating": 4}).status_code == 200
    assert post_json(client, session, {"rating": 2, "comment": "More slides"}).status_code == 200
    assert Feedback.objects.get().comment == "More slides"


def test_comment_required_follows_the_threshold(client, session, site_settings):
    site_settings(comment_required_after_low_rating=True, low_rating_below=3)
    assert post_json(client, session, {"rating": 3}).status_code == 200
    assert_json_error(post_json(client, session, {"rating": 1}), 400, "comment", COMMENT_REQUIRED)


@pytest.mark.parametrize("mode", ["low_rating", "after_vote"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_comment_without_a_vote_is_refused_when_the_mode_needs_one(
    client, session, site_settings, mode, as_json
):
    site_settings(comment_form=mode)
    before = stored()
    if as_json:
        response = post_json(client, session, {"comment": "Nice talk"})
        assert_json_error(response, 400, "rating", RATE_FIRST)
    else:
        assert_form_reshown(
            post_form(client, session, {"comment": "Nice talk"}), RATE_FIRST, field="rating"
        )
    assert stored() == before
    assert not RatingSummary.objects.exists()


def test_comment_after_a_vote_is_added_to_the_vote(client, session):
    assert post_json(client, session, {"rating": 2}).status_code == 200
    response = post_json(client, session, {"comment": "Louder microphone please"})
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (2, "Louder microphone please")
    assert summary_row(session).count == 1


def test_comment_without_a_vote_is_accepted_when_the_form_always_shows(
    client, session, site_settings
):
    site_settings(comment_form="always")
    response = post_json(client, session, {"comment": "Just a remark"})
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (None, "Just a remark")
    assert response.json()["summary"]["count"] == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param('{"rating": 4', "not valid JSON", id="truncated"),
        pytest.param("{'rating': 4}", "not valid JSON", id="single-quotes"),
        pytest.param(b"\xff\xfe\x00", "not valid JSON", id="not-utf8"),
        pytest.param("rating=4", "not valid JSON", id="form-body"),
        pytest.param("", "JSON object", id="empty-body"),
        pytest.param("true", "JSON object", id="true"),
        pytest.param("null", "JSON object", id="null"),
        pytest.param("[4]", "JSON object", id="list"),
        pytest.param("4", "JSON object", id="number"),
        pytest.param('"4"', "JSON object", id="string"),
    ],
)
def test_malformed_json_or_not_an_object_is_refused(client, session, raw, reason):
    before = stored()
    response = post_json(client, session, raw=raw)
    assert_json_error(response, 400, "body", reason)
    assert stored() == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "rating=4"),
        ("application/xml", "<feedback><rating>4</rating></feedback>"),
        ("", "rating=4"),
    ],
    ids=["text-plain", "xml", "none"],
)
def test_wrong_content_type_is_refused(client, session, content_type, body):
    before = stored()
    meta = visitor_meta({})
    response = client.generic(
        "POST",
        endpoint(session),
        body,
        content_type=content_type,
        HTTP_ACCEPT="application/json",
        **meta,
    )
    assert_json_error(response, 400, "body", "application/json")
    message = response.json()["errors"]["body"]
    assert (content_type or "no content type") in message
    # HTML clients get the page back with the same message.
    response = client.generic("POST", endpoint(session), body, content_type=content_type, **meta)
    assert_form_reshown(response, content_type or "no content type")
    assert stored() == before


# --- item 11: turned off, unknown, unpublished, restricted, methods ----------


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_feedback_turned_off_for_the_site(client, session, site_settings, as_json):
    site_settings(enabled=False)
    before = stored()
    if as_json:
        response = post_json(client, session, {"rating": 5})
        assert response.status_code == 403
        assert response.json() == {"ok": False, "error": TURNED_OFF}
    else:
        response = post_form(client, session, {"rating": "5"})
        assert response.status_code == 403
        assert TURNED_OFF in html_of(response)
    assert stored() == before
    assert feedback_section(client.get(session.url)) is None


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_feedback_turned_off_for_the_page(client, session, make_session, as_json):
    other = make_session("Another session")
    type(session).objects.filter(pk=session.pk).update(feedback_enabled=False)
    before = stored()
    if as_json:
        response = post_json(client, session, {"rating": 5})
        assert response.status_code == 403
        assert response.json()["error"] == TURNED_OFF
    else:
        response = post_form(client, session, {"rating": "5"})
        assert response.status_code == 403
        assert TURNED_OFF in html_of(response)
    assert stored() == before
    # Other pages still take feedback.
    assert post_json(client, other, {"rating": 5}).status_code == 200


@pytest.mark.parametrize(
    "csrf",
    [False, True],
    ids=["client", "browser-like"],
)
def test_unknown_page_is_404(session, csrf):
    client = Client(enforce_csrf_checks=csrf)
    for url in ("/library/nope/feedback/", f"{session.url}nope/feedback/"):
        response = client.post(url, {"rating": "5"}, REMOTE_ADDR=IP)
        assert response.status_code == 404, url
    assert Feedback.objects.count() == 0


def test_unpublished_page_is_404(client, session):
    session.unpublish()
    for response in (
        post_form(client, session, {"rating": "5"}),
        post_json(client, session, {"rating": 5}),
    ):
        assert response.status_code == 404
    assert Feedback.objects.count() == 0
    assert not RatingSummary.objects.exists()


def test_unpublished_page_is_404_for_a_browser_too(session):
    session.unpublish()
    client = Client(enforce_csrf_checks=True)
    response = client.post(endpoint(session), {"rating": "5"}, REMOTE_ADDR=IP)
    assert response.status_code == 404


def test_page_types_without_feedback_have_no_endpoint(client, session, library, conference):
    for page in (library, conference):
        assert post_form(client, page, {"rating": "5"}).status_code == 404
    assert Feedback.objects.count() == 0


def test_password_protected_page_answers_as_viewing_it(client, session):
    PageViewRestriction.objects.create(page=session, restriction_type="password", password="pmo")
    viewed = client.get(session.url)
    assert viewed.status_code == 200
    assert 'name="password"' in html_of(viewed)
    for response in (
        post_form(client, session, {"rating": "5"}),
        post_json(client, session, {"rating": 5}),
    ):
        assert response.status_code == viewed.status_code
        assert response["Content-Type"] == viewed["Content-Type"]
        assert 'name="password"' in html_of(response)
        assert [t.name for t in response.templates][:1] == [t.name for t in viewed.templates][:1]
    assert Feedback.objects.count() == 0
    assert not RatingSummary.objects.exists()


def test_password_protected_page_takes_feedback_once_the_password_is_given(client, session):
    restriction = PageViewRestriction.objects.create(
        page=session, restriction_type="password", password="pmo"
    )
    client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{session.pk}/",
        {"password": "pmo", "return_url": session.url},
    )
    assert client.get(session.url).status_code == 200
    assert post_json(client, session, {"rating": 5}).status_code == 200
    assert Feedback.objects.count() == 1


def test_login_restricted_page_answers_as_viewing_it(client, session):
    PageViewRestriction.objects.create(page=session, restriction_type="login")
    viewed = client.get(session.url)
    assert viewed.status_code == 302
    for response in (
        post_form(client, session, {"rating": "5"}),
        post_json(client, session, {"rating": 5}),
    ):
        assert response.status_code == viewed.status_code
        assert response["Location"].split("?")[0] == viewed["Location"].split("?")[0]
    assert Feedback.objects.count() == 0


def test_restriction_on_an_ancestor_applies_too(client, session, conference):
    PageViewRestriction.objects.create(page=conference, restriction_type="login")
    assert client.get(session.url).status_code == 302
    assert post_json(client, session, {"rating": 5}).status_code == 302
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize(
    "method",
    [
        "GET",
        "HEAD",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
    ],
)
def test_any_method_but_post_is_405(client, session, method):
    response = client.generic(
        method, endpoint(session), json.dumps({"rating": 5}), content_type="application/json"
    )
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    if method != "HEAD":
        assert b"POST" in response.content
    assert Feedback.objects.count() == 0


# --- item 5 / 11: rate limit ----------------------------------------------


def test_eleventh_submission_within_a_minute_is_429(client, session, make_session):
    other = make_session("Another session")
    for n in range(10):
        # Across pages, re-votes included: every submission counts.
        page = session if n % 2 else other
        response = post_json(client, page, {"rating": n % 5 + 1})
        assert response.status_code == 200, n
    before = stored()
    response = post_json(client, session, {"rating": 1})
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json()["ok"] is False
    assert "Too many submissions" in response.json()["error"]
    assert f"{retry_after} seconds" in response.json()["error"]
    assert stored() == before
    # The HTML answer says the same.
    response = post_form(client, session, {"rating": "1"})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "Too many submissions" in html_of(response)
    # Another visitor is not limited.
    response = post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=OTHER_IP)
    assert response.status_code == 200
    assert stored() != before


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 2, "RATE_LIMIT_PERIOD": 30})
def test_rate_limit_follows_the_settings(session):
    client = Client()
    assert post_json(client, session, {"rating": 5}).status_code == 200
    assert post_json(client, session, {"rating": 4}).status_code == 200
    response = post_json(client, session, {"rating": 3})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 30
    assert Feedback.objects.get().rating == 4


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 2})
def test_rate_limit_follows_the_visitor_not_the_cookie(session):
    """Throwing the cookie away does not reset the limit (same network identity)."""
    for _ in range(2):
        assert post_json(Client(), session, {"rating": 5}).status_code == 200
    assert post_json(Client(), session, {"rating": 5}).status_code == 429


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 1})
def test_rate_limit_counts_signed_in_visitors_by_account(session):
    user = get_user_model().objects.create_user("reader", password="x")
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    assert post_json(first, session, {"rating": 5}).status_code == 200
    assert post_json(second, session, {"rating": 4}, REMOTE_ADDR=OTHER_IP).status_code == 429


# --- items 1 and 2: successful submissions --------------------------------


@pytest.mark.parametrize("urlencoded", [False, True], ids=["multipart", "urlencoded"])
def test_form_post_redirects_to_the_feedback_section(client, session, urlencoded):
    response = post_form(client, session, {"rating": "4"}, urlencoded=urlencoded)
    assert response.status_code == 303
    assert response["Location"] == f"{session.url}#feedback"
    page = client.get(response["Location"].split("#")[0])
    section = feedback_section(page)
    assert THANK_YOU in section.select_one("[data-pmolib-feedback-status]").get_text()
    assert section.select_one("[data-pmolib-headline]").get_text() == "4.0 out of 5 stars"
    assert section.select_one("[data-pmolib-count]").get_text() == "(1 rating)"
    assert distribution(section)[4] == ("4 Stars", "100%")
    assert distribution(section)[1] == ("1 Star", "0%")
    # The thank-you is shown once.
    again = feedback_section(client.get(session.url))
    assert THANK_YOU not in again.get_text()
    assert again.select_one("[data-pmolib-headline]").get_text() == "4.0 out of 5 stars"


def test_summary_and_distribution_after_several_votes(client, session):
    for n, rating in enumerate([5, 5, 4, 3, 1]):
        response = post_form(Client(), session, {"rating": str(rating)}, REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 303
    section = feedback_section(client.get(session.url))
    assert section.select_one("[data-pmolib-headline]").get_text() == "3.6 out of 5 stars"
    assert section.select_one("[data-pmolib-count]").get_text() == "(5 ratings)"
    assert distribution(section) == {
        5: ("5 Stars", "40%"),
        4: ("4 Stars", "20%"),
        3: ("3 Stars", "20%"),
        2: ("2 Stars", "0%"),
        1: ("1 Star", "20%"),
    }


def test_a_page_without_votes_shows_the_seed_summary(client, session):
    section = feedback_section(client.get(session.url))
    assert section.find("h2").get_text() == "Was this article helpful?"
    assert section.select_one("[data-pmolib-headline]").get_text() == "0 out of 5 stars"
    assert section.select_one("[data-pmolib-count]").get_text() == "(0 ratings)"
    assert distribution(section)[5] == ("5 Stars", "0%")
    assert distribution(section)[1] == ("1 Star", "0%")
    # The stars are a labelled radio group in a fieldset with a legend.
    fieldset = section.select_one("fieldset")
    assert fieldset.legend is not None
    for n in range(1, 6):
        radio = fieldset.select_one(f'input[type="radio"][name="rating"][value="{n}"]')
        label = section.select_one(f'label[for="{radio["id"]}"]').get_text(strip=True)
        assert label == (f"{n} stars" if n > 1 else "1 star")
    # The comment box waits for a (low) vote.
    assert section.select_one("[data-pmolib-comment]").has_attr("hidden")


def test_distribution_waits_for_the_minimum_number_of_ratings(client, session, site_settings):
    site_settings(min_ratings_for_distribution=2)
    post_json(client, session, {"rating": 5})
    table = feedback_section(client.get(session.url)).select_one("[data-pmolib-distribution]")
    assert table.has_attr("hidden")
    post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=OTHER_IP)
    table = feedback_section(client.get(session.url)).select_one("[data-pmolib-distribution]")
    assert not table.has_attr("hidden")


@pytest.mark.parametrize(("rating", "shown"), [(2, True), (5, False)])
def test_after_a_vote_the_comment_form_follows_the_rating(client, session, rating, shown):
    post_form(client, session, {"rating": str(rating)})
    section = feedback_section(client.get(session.url))
    box = section.select_one("[data-pmolib-comment]")
    assert box.has_attr("hidden") is not shown
    assert "Please Share Your Feedback" in box.get_text()
    assert "How Can We Improve This Article?" in box.get_text()


def test_site_texts_replace_the_seed_texts(client, session, site_settings):
    site_settings(question="Did this help?", thank_you="Cheers!")
    response = post_form(client, session, {"rating": "5"})
    section = feedback_section(client.get(response["Location"].split("#")[0]))
    assert section.find("h2").get_text() == "Did this help?"
    assert "Cheers!" in section.get_text()
    assert post_json(client, session, {"rating": 4}).json()["message"] == "Cheers!"


def test_json_post_answers_with_the_fresh_summary(client, session):
    post_json(Client(), session, {"rating": 5}, REMOTE_ADDR=OTHER_IP)
    response = post_json(client, session, {"rating": 2})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["ok"] is True
    assert body["message"] == THANK_YOU
    assert body["rating"] == 2
    assert body["show_comment"] is True  # 2 is a low rating
    summary = body["summary"]
    assert summary["count"] == 2
    assert summary["average"] == 3.5
    assert summary["headline"] == "3.5 out of 5 stars"
    assert summary["count_display"] == "2 ratings"
    assert summary["distribution"] == [
        {"stars": 5, "count": 1, "percent": 50},
        {"stars": 4, "count": 0, "percent": 0},
        {"stars": 3, "count": 0, "percent": 0},
        {"stars": 2, "count": 1, "percent": 50},
        {"stars": 1, "count": 0, "percent": 0},
    ]
    assert post_json(client, session, {"rating": 5}).json()["show_comment"] is False


def test_form_fields_posted_with_accept_json_get_json(client, session):
    response = post_form(client, session, {"rating": "3"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["summary"]["count"] == 1


# --- item 4: one vote per visitor ------------------------------------------


def test_second_rating_replaces_the_first(client, session):
    assert post_json(client, session, {"rating": 1}).json()["summary"]["count"] == 1
    body = post_json(client, session, {"rating": 5}).json()
    assert body["summary"]["count"] == 1
    assert body["summary"]["average"] == 5
    assert Feedback.objects.get().rating == 5
    row = summary_row(session)
    assert (row.count, row.total, row.stars_1, row.stars_5) == (1, 5, 0, 1)


def test_signed_in_visitor_is_recognised_by_account(session):
    user = get_user_model().objects.create_user("reader", password="x")
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    post_json(first, session, {"rating": 2}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    post_json(second, session, {"rating": 4}, REMOTE_ADDR=OTHER_IP, HTTP_USER_AGENT=OTHER_UA)
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.user_id) == (4, user.pk)
    assert str(user.pk) != feedback.visitor and len(feedback.visitor) == 64
    assert summary_row(session).count == 1
    # Another account on the same network is another visitor.
    other = get_user_model().objects.create_user("colleague", password="x")
    third = Client()
    third.force_login(other)
    post_json(third, session, {"rating": 5}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    assert summary_row(session).count == 2


def test_signed_in_visitor_gets_no_visitor_cookie(session):
    user = get_user_model().objects.create_user("reader", password="x")
    client = Client()
    client.force_login(user)
    assert COOKIE not in post_json(client, session, {"rating": 2}).cookies


def test_visitor_is_recognised_by_the_signed_cookie(session):
    first = post_json(Client(), session, {"rating": 2}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    cookie = first.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == pmolib_settings.VISITOR_COOKIE_MAX_AGE
    other_network = Client()
    other_network.cookies[COOKIE] = cookie.value
    response = post_json(
        other_network, session, {"rating": 5}, REMOTE_ADDR=OTHER_IP, HTTP_USER_AGENT=OTHER_UA
    )
    assert response.json()["summary"]["count"] == 1
    assert COOKIE not in response.cookies  # already has one
    assert Feedback.objects.get().rating == 5


def test_visitor_without_cookie_is_recognised_by_address_and_agent(session):
    post_json(Client(), session, {"rating": 2}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    assert Feedback.objects.count() == 1
    assert summary_row(session).count == 1
    # Another browser on the same address is another visitor; so is another address.
    post_json(Client(), session, {"rating": 4}, REMOTE_ADDR=IP, HTTP_USER_AGENT=OTHER_UA)
    post_json(Client(), session, {"rating": 4}, REMOTE_ADDR=OTHER_IP, HTTP_USER_AGENT=UA)
    assert Feedback.objects.count() == 3
    assert summary_row(session).count == 3


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda value: value[:-1] + ("A" if value[-1] != "A" else "B"), id="signature"),
        pytest.param(lambda value: "x" + value, id="payload"),
        pytest.param(lambda value: "garbage", id="garbage"),
        pytest.param(
            lambda value: signing.dumps("forged", salt=identity.COOKIE_SALT, key="wrong-key"),
            id="other-key",
        ),
        pytest.param(lambda value: signing.dumps("forged", salt="other"), id="other-salt"),
    ],
)
def test_tampered_cookie_is_ignored(session, tamper):
    first = post_json(Client(), session, {"rating": 2}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    tampered = tamper(first.cookies[COOKIE].value)
    # Same network: falls back to the address and agent, so still one vote.
    client = Client()
    client.cookies[COOKIE] = tampered
    response = post_json(client, session, {"rating": 4}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    assert response.json()["summary"]["count"] == 1
    fresh = response.cookies[COOKIE].value  # a valid cookie replaces the bad one
    assert signing.loads(fresh, salt=identity.COOKIE_SALT) == signing.loads(
        first.cookies[COOKIE].value, salt=identity.COOKIE_SALT
    )
    # Another network with the tampered cookie is another visitor.
    client = Client()
    client.cookies[COOKIE] = tampered
    post_json(client, session, {"rating": 4}, REMOTE_ADDR=OTHER_IP, HTTP_USER_AGENT=UA)
    assert summary_row(session).count == 2


def test_cookie_from_another_page_vote_recognises_the_visitor_everywhere(session, make_session):
    other = make_session("Another session")
    client = Client()
    post_json(client, session, {"rating": 2}, REMOTE_ADDR=IP)
    post_json(client, other, {"rating": 2}, REMOTE_ADDR=OTHER_IP)
    keys = set(Feedback.objects.values_list("visitor", flat=True))
    assert len(keys) == 1


def _text_columns():
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
        ]
        if names:
            yield model, names


def test_no_raw_address_or_agent_is_stored_anywhere(session, site_settings):
    site_settings(comment_form="always")
    ip, agent = "192.0.2.171", "PmolibUniqueAgentMarker/4.2"
    client = Client()
    post_json(client, session, {"rating": 4}, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    post_form(
        client, session, {"rating": "2", "comment": "ok"}, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent
    )
    post_json(
        Client(),
        session,
        {"comment": "no cookie"},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=agent,
        HTTP_X_FORWARDED_FOR=f"{ip}, 10.0.0.1",
    )
    assert Feedback.objects.count() == 1
    # Every column of the feedback rows and the summary.
    for row in [*Feedback.objects.values(), *RatingSummary.objects.values()]:
        for name, value in row.items():
            assert ip not in str(value), name
            assert agent not in str(value), name
            assert "192.0.2" not in str(value), name
    # Every text column of every table.
    for model, names in _text_columns():
        for name in names:
            for needle in (ip, agent):
                found = model._default_manager.filter(**{f"{name}__contains": needle})
                assert not found.exists(), f"{model.__name__}.{name} holds {needle}"
    # The cookie, raw and decoded.
    value = client.cookies[COOKIE].value
    decoded = signing.loads(value, salt=identity.COOKIE_SALT)
    for text in (value, decoded):
        assert ip not in text and agent not in text
    # The cache (throttle counters, summaries): keys and values.
    store = getattr(cache, "_cache", {})
    for key, pickled in store.items():
        assert ip not in key and agent not in key
        assert ip.encode() not in pickled and agent.encode() not in pickled
        assert ip not in repr(pickle.loads(pickled))


def test_x_forwarded_for_is_ignored_by_default(session):
    assert pmolib_settings.TRUST_X_FORWARDED_FOR is False
    post_json(Client(), session, {"rating": 2}, REMOTE_ADDR=IP, HTTP_X_FORWARDED_FOR="1.1.1.1")
    post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=IP, HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert Feedback.objects.count() == 1  # the forged header did not make a new visitor
    post_json(
        Client(), session, {"rating": 3}, REMOTE_ADDR=OTHER_IP, HTTP_X_FORWARDED_FOR="2.2.2.2"
    )
    assert Feedback.objects.count() == 2


@override_settings(WAGTAIL_PMOLIB={"TRUST_X_FORWARDED_FOR": True})
def test_x_forwarded_for_entry_of_the_trusted_proxy_is_used_when_trusted(session):
    proxy_a, proxy_b = "10.0.0.1", "10.0.0.2"
    # Two proxies in a pool, each appending the visitor's address: one visitor.
    post_json(Client(), session, {"rating": 2}, REMOTE_ADDR=proxy_a, HTTP_X_FORWARDED_FOR=IP)
    post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=proxy_b, HTTP_X_FORWARDED_FOR=f" {IP} ")
    assert Feedback.objects.count() == 1
    # A forged entry in front of it changes nothing (issue 9, item 3).
    post_json(
        Client(),
        session,
        {"rating": 4},
        REMOTE_ADDR=proxy_a,
        HTTP_X_FORWARDED_FOR=f"{OTHER_IP}, {IP}",
    )
    assert Feedback.objects.count() == 1
    post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=proxy_a, HTTP_X_FORWARDED_FOR=OTHER_IP)
    assert Feedback.objects.count() == 2
    # Without the header the proxy's own address is the visitor's.
    post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=proxy_a)
    assert Feedback.objects.count() == 3


# --- item 5: honeypot, bots, escaping ---------------------------------------


def test_honeypot_is_answered_like_success_and_stored_nowhere(client, session):
    before = stored()
    response = post_form(client, session, {"rating": "5", "website": "http://spam.example"})
    assert response.status_code == 303
    assert response["Location"] == f"{session.url}#feedback"
    response = post_json(client, session, {"rating": 5, "website": "http://spam.example"})
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["message"] == THANK_YOU
    assert stored() == before
    # Invalid input is refused as it would be without the trap: a bot must not
    # learn from a different answer that it fell in (issue 9, item 5).
    response = post_json(client, session, {"rating": "abc", "website": "x"})
    assert_json_error(response, 400, "rating", RATING_INVALID)
    assert stored() == before


@pytest.mark.parametrize(
    "agent",
    [
        GOOGLEBOT,
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1",
        "Scrapy/2.11 (+https://scrapy.org)",
    ],
)
def test_known_bots_are_answered_like_success_and_not_counted(client, session, agent):
    before = stored()
    response = post_form(client, session, {"rating": "1"}, HTTP_USER_AGENT=agent)
    assert response.status_code == 303
    response = post_json(client, session, {"rating": 1}, HTTP_USER_AGENT=agent)
    assert response.status_code == 200 and response.json()["ok"] is True
    assert stored() == before


def test_a_browser_mentioning_robots_in_passing_still_counts(client, session):
    agent = "Mozilla/5.0 (Linux; Android 14; Robotics Lab Tablet) Chrome/126.0"
    assert post_json(client, session, {"rating": 4}, HTTP_USER_AGENT=agent).status_code == 200
    assert Feedback.objects.count() == 1


SCRIPT = "<script>alert(1)</script>"


def test_comment_is_escaped_when_the_form_is_shown_again(client, session):
    response = post_form(client, session, {"rating": "9", "comment": f"Bad {SCRIPT} talk"})
    assert response.status_code == 400
    html = html_of(response)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert Feedback.objects.count() == 0


def test_comment_is_stored_as_plain_text(client, session):
    comment = f'<b>bold</b> & "quotes" {SCRIPT}'
    post_json(client, session, {"rating": 2, "comment": f"  {comment}\x00  "})
    assert Feedback.objects.get().comment == comment  # verbatim, trimmed, NUL removed
    page = html_of(client.get(session.url))
    assert SCRIPT not in page


def test_json_error_does_not_echo_markup_unescaped_into_html(client, session):
    response = post_json(client, session, raw=SCRIPT)
    assert response["Content-Type"].startswith("application/json")


# --- item 3: cross-site request forgery ------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"HTTP_ORIGIN": "https://evil.example"}, id="origin-evil"),
        pytest.param({"HTTP_ORIGIN": "null"}, id="origin-null"),
        pytest.param({"HTTP_ORIGIN": "https://testserver"}, id="origin-other-scheme"),
        pytest.param({"HTTP_ORIGIN": "http://testserver:8080"}, id="origin-other-port"),
        pytest.param({"HTTP_ORIGIN": "http://testserver.evil.example"}, id="origin-suffix"),
        pytest.param({"HTTP_SEC_FETCH_SITE": "cross-site"}, id="sec-fetch-cross-site"),
        pytest.param({"HTTP_SEC_FETCH_SITE": "same-site"}, id="sec-fetch-same-site"),
        pytest.param(
            {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "http://testserver"},
            id="sec-fetch-wins-over-origin",
        ),
    ],
)
def test_cross_site_post_is_403_and_stores_nothing(client, session, headers):
    before = stored()
    response = post_form(client, session, {"rating": "1"}, **headers)
    assert response.status_code == 403
    assert CROSS_SITE in html_of(response)
    response = post_json(client, session, {"rating": 1}, **headers)
    assert response.status_code == 403
    assert response.json() == {"ok": False, "error": CROSS_SITE}
    assert stored() == before
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"HTTP_ORIGIN": "http://testserver"}, id="origin-same"),
        pytest.param({"HTTP_SEC_FETCH_SITE": "same-origin"}, id="sec-fetch-same-origin"),
        pytest.param(
            {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://testserver"},
            id="both",
        ),
        pytest.param({"HTTP_SEC_FETCH_SITE": "none"}, id="sec-fetch-none"),
        pytest.param({}, id="no-headers"),
    ],
)
def test_same_origin_or_non_browser_post_is_accepted(client, session, headers):
    assert post_form(client, session, {"rating": "4"}, **headers).status_code == 303
    assert Feedback.objects.count() == 1


def test_https_origin_matches_a_secure_request(client, session):
    response = post_json(
        client, session, {"rating": 4}, HTTP_ORIGIN="https://testserver", secure=True
    )
    assert response.status_code == 200
    response = post_json(
        client, session, {"rating": 4}, HTTP_ORIGIN="http://testserver", secure=True
    )
    assert response.status_code == 403


@override_settings(CSRF_TRUSTED_ORIGINS=["https://www.partner.example"])
def test_csrf_trusted_origins_are_honoured(client, session):
    response = post_json(client, session, {"rating": 4}, HTTP_ORIGIN="https://www.partner.example")
    assert response.status_code == 200
    response = post_json(client, session, {"rating": 4}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


@override_settings(CSRF_TRUSTED_ORIGINS=["https://*.partner.example"])
def test_csrf_trusted_origins_wildcards_are_honoured(client, session):
    response = post_json(client, session, {"rating": 4}, HTTP_ORIGIN="https://shop.partner.example")
    assert response.status_code == 200


def test_endpoint_needs_no_csrf_token(session):
    client = Client(enforce_csrf_checks=True)
    response = post_form(client, session, {"rating": "4"}, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 303
    response = post_json(client, session, {"rating": 5}, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200
    assert Feedback.objects.get().rating == 5
    # ... and still refuses another site's post.
    response = post_json(
        Client(enforce_csrf_checks=True), session, {"rating": 1}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert Feedback.objects.get().rating == 5


def test_other_pages_ending_in_feedback_keep_csrf_protection(site_root):
    """A plain page with the slug "feedback" is served through our CSRF-exempt URL
    pattern: it must still require Django's CSRF token for POST."""
    page = site_root.add_child(instance=Page(title="Feedback", slug="feedback"))
    assert page.url == "/feedback/"
    client = Client(enforce_csrf_checks=True)
    response = client.post("/feedback/", {"rating": "4"}, REMOTE_ADDR=IP)
    assert response.status_code == 403
    assert b"CSRF" in response.content
    # With the token, the same POST is served as usual.
    token = "a" * 32
    client.cookies["csrftoken"] = token
    response = client.post("/feedback/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_a_child_page_named_feedback_wins_over_the_endpoint(session):
    """A page under a session with the slug "feedback" is that page, with CSRF protection."""
    child = session.add_child(instance=Page(title="Feedback", slug="feedback"))
    assert child.url == endpoint(session)
    client = Client(enforce_csrf_checks=True)
    response = client.post(endpoint(session), {"rating": "4"}, REMOTE_ADDR=IP)
    assert response.status_code == 403
    assert Feedback.objects.count() == 0
    assert Client().get(endpoint(session)).status_code == 200


# --- item 3: cacheable pages -----------------------------------------------


def test_session_page_is_identical_for_every_anonymous_visitor(session):
    first = Client().get(session.url, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    second = Client().get(session.url, REMOTE_ADDR=OTHER_IP, HTTP_USER_AGENT=OTHER_UA)
    for response in (first, second):
        assert response.status_code == 200
        assert "Set-Cookie" not in response
        assert not response.cookies
        assert b"csrfmiddlewaretoken" not in response.content
        assert b"csrftoken" not in response.content
    assert first.content == second.content
    # Still true after votes (the summary is the same for everyone).
    post_json(Client(), session, {"rating": 5})
    third = Client().get(session.url, REMOTE_ADDR="192.0.2.1")
    fourth = Client().get(session.url, REMOTE_ADDR="192.0.2.2", HTTP_USER_AGENT=OTHER_UA)
    assert third.content == fourth.content
    assert not third.cookies and not fourth.cookies
    assert b"5.0 out of 5 stars" in third.content


def test_page_is_identical_whether_or_not_the_visitor_has_voted(session):
    voter = Client()
    post_json(voter, session, {"rating": 5})
    assert COOKIE in voter.cookies
    assert voter.get(session.url).content == Client().get(session.url).content


def test_summary_is_fresh_although_the_article_comes_from_the_fragment_cache(client, session):
    first = html_of(client.get(session.url))
    assert "Original abstract" not in first
    # Change the article behind the cache's back (no signal, same last_published_at):
    # a page showing the change would not come from the fragment cache.
    type(session).objects.filter(pk=session.pk).update(abstract="<p>Original abstract</p>")
    assert post_json(Client(), session, {"rating": 3}).status_code == 200
    page = client.get(session.url)
    assert "Original abstract" not in html_of(page)  # the article: cached
    section = feedback_section(page)
    assert section.select_one("[data-pmolib-headline]").get_text() == "3.0 out of 5 stars"
    post_json(Client(), session, {"rating": 5}, REMOTE_ADDR=OTHER_IP)
    section = feedback_section(client.get(session.url))
    assert section.select_one("[data-pmolib-headline]").get_text() == "4.0 out of 5 stars"
    assert section.select_one("[data-pmolib-count]").get_text() == "(2 ratings)"


def test_the_form_posts_to_the_feedback_endpoint(client, session):
    form = feedback_section(client.get(session.url)).select_one("form")
    assert form["method"] == "post"
    assert form["action"] == endpoint(session)
    assert re.fullmatch(r"/.+/feedback/", form["action"])
