"""Abuse of the feedback endpoint (issue 9, items 3, 4, 5 and 7): one address
posing as many visitors, forged X-Forwarded-For, a visitor marked as spam
coming back, a honeypot or bot told apart by its answer, and a trusted sibling
subdomain refused."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from wagtail.models import Site

from wagtail_pmolib.feedback import votes
from wagtail_pmolib.models import Feedback, FeedbackSettings, FeedbackStatus, RatingSummary

from .test_endpoint import (
    COOKIE,
    CROSS_SITE,
    GOOGLEBOT,
    IP,
    OTHER_IP,
    THANK_YOU,
    UA,
    endpoint,
    post_form,
    post_json,
    stored,
    summary_row,
)

pytestmark = pytest.mark.django_db

TOO_MANY_FROM_NETWORK = "too many ratings from your network"


@pytest.fixture
def session(make_session):
    return make_session()


def agent(n):
    return f"Mozilla/5.0 (X11; Linux x86_64) Rotating/{n}.0"


# --- item 3: one address posing as many visitors -------------------------------------------


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_VOTES_PER_PAGE": 5, "RATE_LIMIT": 100})
def test_new_user_agents_from_one_address_count_up_to_the_page_limit(session, make_session):
    """The review's attack: 30 posts from one address, a new User-Agent each."""
    answers = [
        post_json(Client(), session, {"rating": 1}, HTTP_USER_AGENT=agent(n)) for n in range(30)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 25
    assert summary_row(session).count == 5
    assert Feedback.objects.count() == 5
    refused = answers[-1]
    assert TOO_MANY_FROM_NETWORK in refused.json()["error"]
    assert 3600 < int(refused["Retry-After"]) <= 24 * 3600
    assert "hours" in refused.json()["error"]
    assert COOKIE not in refused.cookies
    # Per page: another page takes this address's ratings.
    other = make_session("Another session")
    assert post_json(Client(), other, {"rating": 5}, HTTP_USER_AGENT=agent(99)).status_code == 200
    # Another address is not limited.
    assert post_json(Client(), session, {"rating": 2}, REMOTE_ADDR=OTHER_IP).status_code == 200
    # A visitor already counted may change their rating or add a comment.
    first = Client()
    first.cookies = answers[0].cookies
    response = post_json(first, session, {"rating": 4, "comment": "On reflection, good"})
    assert response.status_code == 200, response.content
    assert summary_row(session).total == 4 * 1 + 4 + 2


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_VOTES_PER_PAGE": 2, "RATE_LIMIT": 100})
def test_the_page_limit_leaves_signed_in_visitors_alone(session):
    """Accounts are one vote each already; an office of members is not capped."""
    for n in range(4):
        client = Client()
        client.force_login(get_user_model().objects.create_user(f"member{n}", password="x"))
        assert post_json(client, session, {"rating": 5}).status_code == 200
    assert summary_row(session).count == 4


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_VOTES_PER_PAGE": 2, "RATE_LIMIT": 100})
def test_the_page_limit_is_per_ipv6_network(session):
    for n in range(3):
        response = post_json(Client(), session, {"rating": 3}, REMOTE_ADDR=f"2001:db8:5:6::{n + 1}")
        assert response.status_code == (200 if n < 2 else 429)
    assert (
        post_json(Client(), session, {"rating": 3}, REMOTE_ADDR="2001:db8:5:7::1").status_code
        == 200
    )


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_VOTES_PER_PAGE": 0, "ADDRESS_RATE_LIMIT": 0})
def test_address_limits_can_be_turned_off(session):
    for n in range(25):
        assert (
            post_json(Client(), session, {"rating": 2}, HTTP_USER_AGENT=agent(n)).status_code == 200
        )
    assert summary_row(session).count == 25


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_RATE_LIMIT": 3, "ADDRESS_VOTES_PER_PAGE": 0})
def test_submissions_per_address_are_limited_whoever_sends_them(session, make_session):
    pages = [session, make_session("Second"), make_session("Third"), make_session("Fourth")]
    for n, page in enumerate(pages[:3]):
        assert post_json(Client(), page, {"rating": 4}, HTTP_USER_AGENT=agent(n)).status_code == 200
    before = stored()
    response = post_json(Client(), pages[3], {"rating": 4}, HTTP_USER_AGENT=agent(3))
    assert response.status_code == 429
    assert "Too many submissions" in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert stored() == before
    assert post_json(Client(), pages[3], {"rating": 4}, REMOTE_ADDR=OTHER_IP).status_code == 200


TRUSTED = {"TRUST_X_FORWARDED_FOR": True, "ADDRESS_VOTES_PER_PAGE": 3, "RATE_LIMIT": 100}
PROXY = "10.0.0.7"


@override_settings(WAGTAIL_PMOLIB=TRUSTED)
def test_forged_forwarded_entries_do_not_make_new_addresses(session):
    """Behind one trusted proxy, a client writing its own X-Forwarded-For gets
    the entry appended after it: the address the proxy saw."""
    codes = [
        post_json(
            Client(),
            session,
            {"rating": 1},
            REMOTE_ADDR=PROXY,
            HTTP_USER_AGENT=agent(n),
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {IP}",
        ).status_code
        for n in range(6)
    ]
    assert codes == [200] * 3 + [429] * 3
    assert summary_row(session).count == 3
    # Visitors behind the proxy are told apart by the address it appended.
    response = post_json(
        Client(), session, {"rating": 5}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OTHER_IP
    )
    assert response.status_code == 200


@override_settings(WAGTAIL_PMOLIB={**TRUSTED, "TRUSTED_PROXY_HOPS": 2})
def test_forged_entries_are_ignored_behind_two_trusted_proxies(session):
    codes = [
        post_json(
            Client(),
            session,
            {"rating": 1},
            REMOTE_ADDR=PROXY,
            HTTP_USER_AGENT=agent(n),
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {IP}, 10.0.0.1",
        ).status_code
        for n in range(5)
    ]
    assert codes == [200] * 3 + [429] * 2


@override_settings(WAGTAIL_PMOLIB=TRUSTED)
@pytest.mark.parametrize("header", ["", "unknown", "not an address", ",", "999.999.1.1"])
def test_malformed_forwarded_entries_fall_back_to_the_connection(session, header):
    response = post_json(
        Client(), session, {"rating": 4}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header
    )
    assert response.status_code == 200
    # Counted under the proxy's own address: a second agent is the same address.
    for n in range(3):
        post_json(Client(), session, {"rating": 4}, REMOTE_ADDR=PROXY, HTTP_USER_AGENT=agent(n))
    assert summary_row(session).count == 3


# --- item 4: a visitor marked as spam stays excluded --------------------------------------


def mark(status):
    row = Feedback.objects.get()
    row.status = status
    row.save()  # as the admin saves it: the page is recounted
    return row


def test_a_visitor_marked_as_spam_stays_excluded_when_posting_again(client, session):
    assert post_json(client, session, {"rating": 1, "comment": "Buy pills"}).status_code == 200
    mark(FeedbackStatus.SPAM)
    assert summary_row(session).count == 0
    for data in (
        {"rating": 5},
        {"comment": "Sorry, a real comment"},
        {"rating": 4, "comment": "x"},
    ):
        response = post_json(client, session, data)
        # Answered like anyone else's vote ...
        assert response.status_code == 200
        assert response.json()["ok"] is True
        # ... and still not counted, still spam.
        row = Feedback.objects.get()
        assert row.status == FeedbackStatus.SPAM
        assert summary_row(session).count == 0
        assert votes.recount(session.pk).count == 0
    assert (row.rating, row.comment) == (4, "x")  # kept for the editor to judge
    # Until an editor acts.
    mark(FeedbackStatus.REVIEWED)
    assert summary_row(session).count == 1
    assert post_json(client, session, {"comment": "More"}).status_code == 200
    assert Feedback.objects.get().status == FeedbackStatus.NEW
    assert summary_row(session).count == 1


def test_a_spammer_stays_excluded_after_the_ratings_are_reset(client, session):
    post_json(client, session, {"rating": 1})
    mark(FeedbackStatus.SPAM)
    votes.reset_ratings(session.pk)
    assert post_json(client, session, {"rating": 1}).status_code == 200
    new = Feedback.objects.get(period=2)
    assert new.status == FeedbackStatus.SPAM
    assert summary_row(session).count == 0
    # Other visitors start afresh, and the spam mark is per page.
    assert post_json(Client(), session, {"rating": 5}, REMOTE_ADDR=OTHER_IP).status_code == 200
    assert summary_row(session).count == 1


def test_the_spam_mark_is_per_page(client, session, make_session):
    post_json(client, session, {"rating": 1})
    mark(FeedbackStatus.SPAM)
    other = make_session("Another session")
    assert post_json(client, other, {"rating": 4}).status_code == 200
    assert Feedback.objects.get(page_id=other.pk).status == FeedbackStatus.NEW
    assert summary_row(other).count == 1


@pytest.mark.parametrize("status", [FeedbackStatus.REVIEWED, FeedbackStatus.ACTIONED])
def test_a_new_comment_puts_counted_feedback_back_under_review(client, session, status):
    post_json(client, session, {"rating": 3})
    mark(status)
    post_json(client, session, {"rating": 4})
    assert Feedback.objects.get().status == status  # a rating alone: nothing new to read
    post_json(client, session, {"comment": "New thought"})
    assert Feedback.objects.get().status == FeedbackStatus.NEW
    assert summary_row(session).count == 1


# --- item 5: a honeypot or bot cannot tell from the answer ---------------------------------


def answer_of(response):
    """Everything a client sees of an answer but the cookie's value."""
    cookies = {
        name: {key: morsel[key] for key in ("max-age", "path", "httponly", "samesite", "secure")}
        for name, morsel in response.cookies.items()
    }
    headers = sorted(name.lower() for name in response.headers if name.lower() != "content-length")
    body = response.json() if response["Content-Type"].startswith("application/json") else None
    return response.status_code, response.get("Location"), headers, cookies, body


def real_answer(session, data, as_json):
    """A real vote's answer (a browser, same address), from the state the decoy
    sees; rolled back after."""
    from django.db import transaction

    class Undo(Exception):
        pass

    seen = {}
    try:
        with transaction.atomic():
            seen["answer"] = answer_of(post(Client(), session, data, as_json=as_json))
            raise Undo
    except Undo:
        pass
    return seen["answer"]


def post(client, page, data, *, as_json=True, **extra):
    if as_json:
        return post_json(client, page, data, **extra)
    return post_form(client, page, data, **extra)


DECOYS = [
    pytest.param({"website": "http://spam.example"}, {}, id="honeypot"),
    pytest.param({}, {"HTTP_USER_AGENT": GOOGLEBOT}, id="bot"),
]


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
@pytest.mark.parametrize(("trap", "extra"), DECOYS)
def test_a_decoy_gets_the_answer_a_vote_gets_and_nothing_is_stored(session, trap, extra, as_json):
    # Other visitors have voted: the summary is not empty.
    for n, rating in enumerate((5, 4, 2)):
        post_json(Client(), session, {"rating": rating}, REMOTE_ADDR=f"203.0.113.{n + 10}")
    for data in ({"rating": 3}, {"rating": 1, "comment": "Too long"}):
        if not as_json:
            data = {name: str(value) for name, value in data.items()}
        expected = real_answer(session, data, as_json)
        before = stored()
        decoy = post(Client(), session, {**data, **trap}, as_json=as_json, **extra)
        assert answer_of(decoy) == expected
        assert stored() == before
    if as_json:
        body = decoy.json()
        assert body["message"] == THANK_YOU
        assert body["summary"]["count"] == 4  # three votes and, seemingly, this one
        assert body["rating"] == 1


@pytest.mark.parametrize(("trap", "extra"), DECOYS)
def test_a_decoy_is_refused_and_limited_as_a_vote_would_be(session, trap, extra):
    settings = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
    settings.comment_form = "after_vote"
    settings.save()
    # A comment without a vote: the rule's error, not a success.
    response = post_json(Client(), session, {"comment": "Hello", **trap}, **extra)
    assert response.status_code == 400
    assert "Rate the article" in response.json()["errors"]["rating"]
    # The rate limit applies alike.
    with override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 2}):
        codes = [
            post_json(Client(), session, {"rating": 5, **trap}, REMOTE_ADDR=OTHER_IP, **extra)
            for _ in range(3)
        ]
    codes = [response.status_code for response in codes]
    assert codes == [200, 200, 429]
    assert not Feedback.objects.exists()


# --- item 7: a trusted sibling subdomain -------------------------------------------------

HOST = "library.example.org"
SIBLING = "https://www.example.org"


def browser_post(session, *, fetch_site, origin):
    headers = {"HTTP_HOST": HOST, "HTTP_SEC_FETCH_SITE": fetch_site}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    return Client().post(
        endpoint(session),
        json.dumps({"rating": 4}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=UA,
        secure=True,
        **headers,
    )


@pytest.mark.parametrize(
    ("trusted", "fetch_site", "origin", "accepted"),
    [
        # As Django's CSRF check: an origin in CSRF_TRUSTED_ORIGINS may post.
        ([SIBLING], "same-site", SIBLING, True),
        (["https://*.example.org"], "same-site", SIBLING, True),
        ([SIBLING], "cross-site", SIBLING, True),
        # Any other origin is still refused, however the browser labels it.
        ([SIBLING], "same-site", "https://evil.example.org", False),
        ([SIBLING], "same-site", "http://www.example.org", False),  # another scheme
        ([], "same-site", SIBLING, False),
        ([SIBLING], "same-site", None, False),  # no Origin: nothing to trust
        ([SIBLING], "same-site", "null", False),
        ([SIBLING], "cross-site", f"https://{HOST}", False),  # contradicts itself
        ([SIBLING], "something-new", SIBLING, False),
        (["https://*.example.org"], "cross-site", "https://example.org.evil.example", False),
    ],
)
def test_sec_fetch_site_from_a_trusted_origin(
    session, settings, trusted, fetch_site, origin, accepted
):
    settings.CSRF_TRUSTED_ORIGINS = trusted
    response = browser_post(session, fetch_site=fetch_site, origin=origin)
    if accepted:
        assert response.status_code == 200, response.content
        assert Feedback.objects.count() == 1
    else:
        assert response.status_code == 403
        assert response.json()["error"] == CROSS_SITE
        assert not Feedback.objects.exists()
        assert not RatingSummary.objects.exists()
