"""The feedback rules without HTTP: identity, throttle, parse(), summary arithmetic,
the Bayesian average, and the stored summary that always equals a recount.

Issue 3, items 1 and 4–6.
"""

import contextlib
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, QueryDict
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from wagtail_pmolib.feedback import identity, throttle
from wagtail_pmolib.feedback.summary import STARS, Summary, bayesian_average, percentages
from wagtail_pmolib.feedback.votes import (
    CONTROL_RE,
    FeedbackError,
    Submission,
    parse,
    recount,
    reset_ratings,
    submit,
    summary_for,
)
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

IP = "198.51.100.7"
UA = "Mozilla/5.0 PmolibRules/1.0"


def request(ip=IP, agent=UA, cookie=None, user=None, secure=False, **meta):
    factory = RequestFactory()
    req = factory.post("/x/feedback/", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, secure=secure, **meta)
    if cookie is not None:
        req.COOKIES["pmolib_visitor"] = cookie
    req.user = user or AnonymousUser()
    return req


def defaults(**fields):
    return FeedbackSettings(**fields)


# --- identity --------------------------------------------------------------


def test_keyed_hash_is_a_keyed_hmac():
    key = identity.keyed_hash("visitor:abc")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == identity.keyed_hash("visitor:abc")
    assert key != identity.keyed_hash("visitor:abd")
    import hashlib

    assert key != hashlib.sha256(b"visitor:abc").hexdigest()
    with override_settings(SECRET_KEY="another-secret"):
        assert identity.keyed_hash("visitor:abc") != key


def test_client_ip_uses_remote_addr_by_default():
    assert identity.client_ip(request(HTTP_X_FORWARDED_FOR="1.2.3.4")) == IP


@override_settings(WAGTAIL_PMOLIB={"TRUST_X_FORWARDED_FOR": True})
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        # The entry the one trusted proxy appended: the rightmost. Whatever the
        # client wrote to its left is never used.
        ("6.6.6.6, 1.2.3.4", "1.2.3.4"),
        (" 6.6.6.6 , 7.7.7.7,1.2.3.4 ", "1.2.3.4"),
        ("6.6.6.6, 2001:db8::1", "2001:db8::1"),
        # Ports, as some proxies write them.
        ("1.2.3.4:5678", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        # Malformed or missing: the address the request came from.
        ("", IP),
        ("1.2.3.4, ", IP),
        ("1.2.3.4, unknown", IP),
        ("1.2.3.4, 999.1.1.1", IP),
        ("1.2.3.4, <script>", IP),
        (None, IP),
    ],
)
def test_client_ip_takes_the_entry_the_trusted_proxy_appended(header, expected):
    meta = {} if header is None else {"HTTP_X_FORWARDED_FOR": header}
    assert identity.client_ip(request(**meta)) == expected


@override_settings(WAGTAIL_PMOLIB={"TRUST_X_FORWARDED_FOR": True, "TRUSTED_PROXY_HOPS": 2})
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # client → load balancer → proxy → site: the load balancer wrote the
        # visitor's address, the proxy the load balancer's.
        ("1.2.3.4, 10.0.0.1", "1.2.3.4"),
        ("6.6.6.6, 1.2.3.4, 10.0.0.1", "1.2.3.4"),
        ("6.6.6.6, 7.7.7.7, 1.2.3.4, 10.0.0.1", "1.2.3.4"),
        # Fewer entries than trusted proxies: not through them all.
        ("10.0.0.1", IP),
        ("bogus, 10.0.0.1", IP),
    ],
)
def test_client_ip_counts_the_trusted_hops_from_the_right(header, expected):
    assert identity.client_ip(request(HTTP_X_FORWARDED_FOR=header)) == expected


def test_an_untrusted_forwarded_header_from_a_proxy_is_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(identity, "_warned", False)
    with caplog.at_level("WARNING", logger="wagtail_pmolib.feedback.identity"):
        # A visitor's own forged header (a public address): not a sign of a proxy.
        identity.client_ip(request(ip="93.184.215.14", HTTP_X_FORWARDED_FOR="1.2.3.4"))
        assert not caplog.records
        for ip in ("10.0.0.1", "10.0.0.1", ""):
            assert identity.client_ip(request(ip=ip, HTTP_X_FORWARDED_FOR="1.2.3.4")) == ip
    assert len(caplog.records) == 1
    assert "TRUST_X_FORWARDED_FOR" in caplog.records[0].getMessage()
    assert "10.0.0.1" in caplog.records[0].getMessage()


def test_address_key_groups_an_ipv6_network_and_hides_the_address():
    key = identity.address_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")  # one /64
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("198.51.100.7") != key("198.51.100.8")  # IPv4: each address
    assert key("::ffff:198.51.100.7") == key("198.51.100.7")
    assert "198.51.100.7" not in key("198.51.100.7") and len(key("198.51.100.7")) == 64
    # No address (a server on a Unix socket): no per-address limit, rather than
    # one bucket shared by every visitor.
    assert key("") == key("unix:/run/app.sock") == ""
    throttle.check_submission(identity.Visitor(key="k" * 64, address=""))  # never raises


@override_settings(WAGTAIL_PMOLIB={"ADDRESS_RATE_LIMIT": 1})
def test_visitors_without_an_address_are_limited_per_visitor_only():
    for n in range(3):
        visitor = identity.visitor_for(request(ip="", agent=f"Agent/{n}"))
        assert visitor.address == ""
        throttle.check_submission(visitor)


def test_signed_in_visitor_is_their_account(db):
    user = get_user_model().objects.create_user("reader")
    visitor = identity.visitor_for(request(user=user, cookie="anything"))
    assert visitor.user_id is not None
    assert visitor.user_id == user.pk
    assert visitor.new_cookie is None
    assert visitor.key == identity.keyed_hash(f"user:{user.pk}")
    assert visitor.key == identity.visitor_for(request(ip="10.9.9.9", user=user)).key


def test_new_visitor_is_their_network_and_gets_a_cookie_for_it():
    visitor = identity.visitor_for(request())
    assert visitor.new_cookie and visitor.user_id is None  # by network
    assert visitor.new_cookie
    assert visitor.key == identity.visitor_for(request()).key
    assert visitor.key != identity.visitor_for(request(ip="10.0.0.1")).key
    assert visitor.key != identity.visitor_for(request(agent="Other/1.0")).key
    # Neither the address nor the agent can be read back from the cookie.
    token = signing.loads(visitor.new_cookie, salt=identity.COOKIE_SALT)
    assert IP not in token and UA not in token and IP not in visitor.new_cookie
    assert len(token) == 64


def test_cookie_visitor_is_the_same_visitor_as_the_network_that_got_it():
    first = identity.visitor_for(request())
    again = identity.visitor_for(request(ip="10.1.1.1", agent="Else", cookie=first.new_cookie))
    assert again.new_cookie is None and again.user_id is None  # by cookie
    assert again.new_cookie is None
    assert again.key == first.key


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        signing.dumps("someone", salt="other-salt"),
        signing.dumps("someone", salt=identity.COOKIE_SALT, key="wrong"),
        signing.dumps(1234, salt=identity.COOKIE_SALT),
        signing.dumps("", salt=identity.COOKIE_SALT),
        signing.dumps(["list"], salt=identity.COOKIE_SALT),
    ],
)
def test_bad_cookie_falls_back_to_the_network(bad):
    visitor = identity.visitor_for(request(cookie=bad))
    assert visitor.new_cookie  # by network: a cookie for it
    assert visitor.key == identity.visitor_for(request()).key


def test_expired_cookie_falls_back_to_the_network(monkeypatch):
    issued = identity.visitor_for(request(ip="10.2.2.2")).new_cookie
    with override_settings(WAGTAIL_PMOLIB={"VISITOR_COOKIE_MAX_AGE": 60}):
        assert identity.visitor_for(request(cookie=issued)).new_cookie is None  # by cookie
        later = time.time() + 120
        monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
        visitor = identity.visitor_for(request(cookie=issued))
    assert visitor.new_cookie  # by network: a cookie for it
    assert visitor.key == identity.visitor_for(request()).key


def test_visitor_cookie_is_set_only_for_new_visitors():
    new = identity.visitor_for(request(secure=True))
    response = identity.set_visitor_cookie(HttpResponse(), request(secure=True), new)
    morsel = response.cookies["pmolib_visitor"]
    assert morsel.value == new.new_cookie
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax"
    known = identity.visitor_for(request(cookie=new.new_cookie))
    assert not identity.set_visitor_cookie(HttpResponse(), request(), known).cookies
    plain = identity.set_visitor_cookie(HttpResponse(), request(), identity.visitor_for(request()))
    assert not plain.cookies["pmolib_visitor"]["secure"]


@override_settings(WAGTAIL_PMOLIB={"VISITOR_COOKIE_NAME": "site_voter"})
def test_cookie_name_follows_the_setting():
    visitor = identity.visitor_for(request())
    response = identity.set_visitor_cookie(HttpResponse(), request(), visitor)
    assert "site_voter" in response.cookies
    req = request()
    req.COOKIES["site_voter"] = visitor.new_cookie
    assert identity.visitor_for(req).new_cookie is None  # by cookie


@pytest.mark.parametrize(
    ("agent", "bot"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True),
        ("Mozilla/5.0 (compatible; bingbot/2.0)", True),
        ("Mozilla/5.0 (compatible; Yahoo! Slurp)", True),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0)", True),
        ("facebookexternalhit/1.1", True),
        ("Chrome-Lighthouse", True),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", False),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", False),
        ("", False),
    ],
)
def test_known_bots(agent, bot):
    assert identity.is_bot(request(agent=agent)) is bot


@override_settings(WAGTAIL_PMOLIB={"BOT_USER_AGENTS": r"internal-monitor"})
def test_bot_pattern_follows_the_setting():
    assert identity.is_bot(request(agent="Internal-Monitor/1.0"))
    assert not identity.is_bot(request(agent="Googlebot/2.1"))


# --- throttle --------------------------------------------------------------


def test_throttle_allows_the_limit_then_asks_to_wait():
    assert [throttle.hit("a") for _ in range(10)] == [None] * 10
    wait = throttle.hit("a")
    assert isinstance(wait, int) and 1 <= wait <= 60
    assert throttle.hit("b") is None  # visitors are counted apart


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 3, "RATE_LIMIT_PERIOD": 60})
def test_retry_after_counts_down_from_the_first_submission(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: now[0]))
    for _ in range(3):
        assert throttle.hit("v") is None
    assert throttle.hit("v") == 60
    now[0] += 45.2
    assert throttle.hit("v") == 15  # ceil(14.8)
    now[0] += 14.7
    assert throttle.hit("v") == 1  # never 0


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 1, "RATE_LIMIT_PERIOD": 1})
def test_throttle_window_ends():
    assert throttle.hit("w") is None
    assert throttle.hit("w") == 1
    time.sleep(1.1)
    assert throttle.hit("w") is None


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 2})
def test_throttle_survives_an_evicted_counter():
    assert throttle.hit("e") is None
    # The cache evicts the counter but keeps the window's start.
    for raw in list(cache._cache):
        key = raw.split(":", 2)[2]  # without the cache's ":1:" prefix
        if key.startswith("wagtail_pmolib:throttle:e:") and not key.endswith(":start"):
            cache.delete(key)
    assert throttle.hit("e") is None
    assert throttle.hit("e") is None
    assert throttle.hit("e") is not None


def test_throttle_keys_hold_no_visitor_data():
    visitor = identity.visitor_for(request())
    throttle.hit(visitor.key)
    for key in cache._cache:
        assert IP not in key and UA not in key


# --- parse -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "rating", "comment"),
    [
        ({"rating": "5"}, 5, ""),
        ({"rating": 1}, 1, ""),
        ({"rating": " 3 "}, 3, ""),
        ({"rating": "4", "comment": "  Good  "}, 4, "Good"),
        ({"rating": "4", "comment": None}, 4, ""),
        ({"rating": "2", "comment": "a\x00b"}, 2, "ab"),
        ({"rating": "", "comment": "Only words"}, None, "Only words"),
        ({"comment": "Only words"}, None, "Only words"),
        ({"rating": "5", "website": "   "}, 5, ""),
        ({"rating": "5", "comment": "<b>x</b>"}, 5, "<b>x</b>"),
    ],
)
def test_parse_accepts(data, rating, comment):
    assert parse(data, defaults()) == Submission(rating=rating, comment=comment)


def test_parse_reads_a_form():
    data = QueryDict("rating=4&comment=Hello+there&website=")
    assert parse(data, defaults()) == Submission(rating=4, comment="Hello there")


@pytest.mark.parametrize(
    ("data", "rating"),
    [({"website": "x", "rating": "4"}, 4), ({"website": 1, "rating": 2}, 2)],
)
def test_parse_flags_the_honeypot_after_checking_like_any_submission(data, rating):
    assert parse(data, defaults()) == Submission(rating=rating, comment="", honeypot=True)


@pytest.mark.parametrize("data", [{"website": "http://spam", "rating": "0"}, {"website": "x"}])
def test_parse_refuses_a_bad_submission_with_the_honeypot_as_any_other(data):
    # The same answer as without the trap, so a bot cannot learn it fell in.
    with pytest.raises(FeedbackError) as caught:
        parse(data, defaults())
    assert set(caught.value.errors) == {"rating"}


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({}, "rating", "Choose a rating from 1 to 5 stars."),
        ({"rating": None, "comment": "  "}, "rating", "Choose a rating from 1 to 5 stars."),
        ({"rating": "0"}, "rating", "whole number of stars from 1 to 5"),
        ({"rating": "6"}, "rating", "whole number"),
        ({"rating": 4.5}, "rating", "whole number"),
        ({"rating": "4.5"}, "rating", "whole number"),
        ({"rating": "abc"}, "rating", "whole number"),
        ({"rating": True}, "rating", "whole number"),
        ({"rating": [4]}, "rating", "whole number"),
        ({"rating": {"x": 1}}, "rating", "whole number"),
        ({"rating": "5", "comment": 12}, "comment", "must be text"),
        ({"rating": "5", "comment": "x" * 2001}, "comment", "2000"),
    ],
)
def test_parse_refuses(data, field, reason):
    with pytest.raises(FeedbackError) as caught:
        parse(data, defaults())
    assert set(caught.value.errors) == {field}
    assert reason in caught.value.errors[field]
    assert field in str(caught.value)


def test_parse_reports_every_bad_field_at_once():
    with pytest.raises(FeedbackError) as caught:
        parse({"rating": "0", "comment": "x" * 2001}, defaults())
    assert set(caught.value.errors) == {"rating", "comment"}


def test_parse_measures_the_comment_after_trimming():
    assert parse({"rating": 3, "comment": " " * 50 + "x" * 2000 + "\n"}, defaults()).comment == (
        "x" * 2000
    )


@pytest.mark.parametrize(("rating", "refused"), [(1, True), (3, True), (4, False), (5, False)])
def test_parse_requires_a_comment_after_a_low_rating_when_set(rating, refused):
    rules = defaults(comment_required_after_low_rating=True)
    if refused:
        with pytest.raises(FeedbackError) as caught:
            parse({"rating": rating}, rules)
        assert "how we can improve" in caught.value.errors["comment"]
        assert parse({"rating": rating, "comment": "Why"}, rules).comment == "Why"
    else:
        assert parse({"rating": rating}, rules).rating == rating
    # Off by default.
    assert parse({"rating": rating}, defaults()).rating == rating


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_parse_accepts_exactly_the_whole_numbers_1_to_5(n):
    for value in (n, str(n)):
        if 1 <= n <= 5:
            assert parse({"rating": value}, defaults()).rating == n
        else:
            with pytest.raises(FeedbackError) as caught:
                parse({"rating": value}, defaults())
            assert "rating" in caught.value.errors


@given(st.one_of(st.text(max_size=20), st.floats(allow_nan=True), st.booleans(), st.none()))
@example("٤")  # Arabic-Indic 4
@example("۵")  # Extended Arabic-Indic 5
@example("５")  # fullwidth 5
@example("𝟓")  # mathematical bold 5
@example("²")
@example("\u00a05")  # no-break space before
def test_parse_takes_only_ascii_digits_1_to_5_as_a_rating(value):
    digit = value.strip(" \t\r\n") if isinstance(value, str) else None
    is_rating = digit in ("1", "2", "3", "4", "5")
    try:
        submission = parse({"rating": value, "comment": "c"}, defaults())
    except FeedbackError as exc:
        assert not is_rating
        assert set(exc.errors) == {"rating"}
    else:
        if is_rating:
            assert submission.rating == int(digit)
        else:  # no rating given: the comment alone
            assert value in ("", None) and submission.rating is None


@given(st.text(max_size=2100))
@settings(max_examples=200)
def test_parse_comment_is_kept_as_text_or_refused_for_length(text):
    try:
        submission = parse({"rating": 5, "comment": text}, defaults())
    except FeedbackError as exc:
        assert set(exc.errors) == {"comment"}
        assert len(CONTROL_RE.sub("", text).strip()) > 2000
    else:
        assert submission.comment == CONTROL_RE.sub("", text).strip()
        assert len(submission.comment) <= 2000


# --- site rules ------------------------------------------------------------


def test_feedback_settings_defaults_are_the_seed_texts():
    rules = defaults()
    assert rules.enabled
    assert rules.text("question") == "Was this article helpful?"
    assert rules.text("share_heading") == "Please Share Your Feedback"
    assert rules.text("comment_label") == "How Can We Improve This Article?"
    assert rules.comment_form == "low_rating"
    assert rules.low_rating_below == 4
    assert not rules.comment_required_after_low_rating
    assert defaults(question="Useful?").text("question") == "Useful?"


@pytest.mark.parametrize(
    ("mode", "rating", "voted", "wanted"),
    [
        ("always", None, False, True),
        ("after_vote", None, False, False),
        ("after_vote", 5, True, True),
        ("low_rating", 3, True, True),
        ("low_rating", 4, True, False),
        ("low_rating", 2, False, True),  # chosen, not yet sent: explain it at once
        ("low_rating", 4, False, False),
        ("low_rating", None, True, False),
        ("low_rating", None, False, False),
    ],
)
def test_when_the_comment_form_shows(mode, rating, voted, wanted):
    assert defaults(comment_form=mode).comment_wanted(rating=rating, voted=voted) is wanted
    assert defaults(comment_form=mode).comment_needs_vote() is (mode != "always")


@pytest.mark.parametrize(
    ("mode", "low_rating_below", "ratings"),
    [("always", 4, [1, 2, 3, 4, 5]), ("after_vote", 4, []), ("low_rating", 3, [1, 2])],
)
def test_the_script_is_told_the_rule_not_the_mode(mode, low_rating_below, ratings):
    rules = defaults(comment_form=mode, low_rating_below=low_rating_below)
    assert rules.comment_ratings() == ratings


# --- summary arithmetic ----------------------------------------------------

counts_strategy = st.fixed_dictionaries({star: st.integers(0, 10**6) for star in STARS})


@given(counts_strategy)
@example({5: 1, 4: 1, 3: 1, 2: 0, 1: 0})
@example({5: 1, 4: 1, 3: 1, 2: 1, 1: 1})
@example({5: 1, 4: 1, 3: 1, 2: 1, 1: 2})
@example({5: 0, 4: 0, 3: 0, 2: 0, 1: 0})
@example({5: 10**6, 4: 1, 3: 1, 2: 1, 1: 1})
def test_percentages_add_up_to_100(counts):
    result = percentages(counts)
    assert set(result) == set(STARS)
    total = sum(counts.values())
    if not total:
        assert set(result.values()) == {0}
        return
    assert sum(result.values()) == 100
    for star in STARS:
        exact = counts[star] * 100 / total
        assert abs(result[star] - exact) < 1  # the floor or the ceiling
        assert (result[star] == 0) == (counts[star] == 0) or exact < 1
        assert 0 <= result[star] <= 100
    # More votes never show a smaller percentage.
    for a in STARS:
        for b in STARS:
            if counts[a] > counts[b]:
                assert result[a] >= result[b]
            if counts[a] == counts[b]:
                assert abs(result[a] - result[b]) <= 1


def test_percentages_examples():
    assert percentages({5: 2, 4: 1, 3: 1, 1: 1}) == {5: 40, 4: 20, 3: 20, 2: 0, 1: 20}
    assert percentages({5: 1, 4: 1, 3: 1}) == {5: 34, 4: 33, 3: 33, 2: 0, 1: 0}
    assert percentages({5: 1, 1: 2}) == {5: 33, 4: 0, 3: 0, 2: 0, 1: 67}
    assert percentages({3: 7}) == {5: 0, 4: 0, 3: 100, 2: 0, 1: 0}
    assert percentages({}) == {5: 0, 4: 0, 3: 0, 2: 0, 1: 0}


def summary_of(counts):
    return Summary(
        count=sum(counts.values()),
        total=sum(star * n for star, n in counts.items()),
        stars=dict(counts),
    )


@given(counts_strategy)
def test_summary_figures_agree(counts):
    summary = summary_of(counts)
    data = summary.as_dict()
    assert sum(row["count"] for row in data["distribution"]) == summary.count == data["count"]
    assert [row["stars"] for row in data["distribution"]] == [5, 4, 3, 2, 1]
    if summary.count:
        assert sum(row["percent"] for row in data["distribution"]) == 100
        assert 1 <= summary.average <= 5
        assert abs(float(summary.average_display) - summary.average) <= 0.05 + 1e-9
        assert abs(data["average"] - summary.average) <= 0.005 + 1e-9
        assert data["headline"] == f"{summary.average_display} out of 5 stars"
        assert len(summary.average_display.split(".")[1]) == 1
    else:
        assert summary.average is None and data["average"] is None
        assert data["headline"] == "0 out of 5 stars"


@pytest.mark.parametrize(
    ("counts", "headline", "count_display"),
    [
        ({}, "0 out of 5 stars", "0 ratings"),
        ({4: 1}, "4.0 out of 5 stars", "1 rating"),
        ({5: 1, 4: 2}, "4.3 out of 5 stars", "3 ratings"),
        ({5: 2, 4: 1, 3: 1, 1: 1}, "3.6 out of 5 stars", "5 ratings"),
        ({5: 1}, "5.0 out of 5 stars", "1 rating"),
        ({1: 1000}, "1.0 out of 5 stars", "1000 ratings"),
    ],
)
def test_summary_texts(counts, headline, count_display):
    summary = summary_of({star: counts.get(star, 0) for star in STARS})
    assert summary.headline == headline
    assert summary.count_display == count_display


def test_summary_row_labels_are_singular_and_plural():
    rows = Summary().rows
    assert [row["label"] for row in rows] == ["5 Stars", "4 Stars", "3 Stars", "2 Stars", "1 Star"]
    assert all(row["percent"] == 0 and row["count"] == 0 for row in rows)


def test_summary_from_no_row_is_empty():
    assert Summary.from_model(None) == Summary()
    model = SimpleNamespace(count=2, total=7, star_counts=lambda: {5: 1, 4: 0, 3: 0, 2: 1, 1: 0})
    assert Summary.from_model(model).average == 3.5


# --- Bayesian average ------------------------------------------------------


def test_bayesian_average_examples():
    assert bayesian_average(0, 0, 3.5, 0) is None
    assert bayesian_average(0, 0, 3.5, 5) == 3.5
    assert bayesian_average(2, 10, 3.0, 5) == pytest.approx(25 / 7)
    assert bayesian_average(4, 18, 3.0, 0) == 4.5
    # One five-star vote ranks below a hundred votes averaging 4.8.
    assert bayesian_average(1, 5, 3.5, 5) < bayesian_average(100, 480, 3.5, 5)


@given(
    st.integers(1, 10_000),
    st.floats(1, 5),
    st.floats(1, 5),
    st.integers(0, 100),
)
def test_bayesian_average_lies_between_the_prior_and_the_average(count, mean, prior, weight):
    total = round(mean * count)
    assume(count <= total <= 5 * count)
    average = total / count
    result = bayesian_average(count, total, prior, weight)
    low, high = min(prior, average), max(prior, average)
    assert low - 1e-9 <= result <= high + 1e-9
    # More votes at the same average pull it towards the average.
    more = bayesian_average(count * 10, total * 10, prior, weight)
    assert abs(more - average) <= abs(result - average) + 1e-9


@pytest.mark.django_db
def test_the_bayesian_average_sorts_the_same_in_the_database():
    from django.db.models import F

    from tests.builders import build_conference, build_library, build_session
    from wagtail_pmolib.feedback.summary import bayesian_average_sql

    library = build_library()
    conference = build_conference(library, "Rated")
    for n, (count, total) in enumerate([(1, 5), (20, 90), (3, 9), (0, 0)]):
        session = build_session(conference, f"Rated {n}")
        RatingSummary.objects.create(page=session, count=count, total=total)
    rows = RatingSummary.objects.annotate(
        bayes=bayesian_average_sql(F("count"), F("total"), 104 / 24, 5)
    ).values_list("count", "total", "bayes")
    for count, total, bayes in rows:
        assert bayes == pytest.approx(bayesian_average(count, total, 104 / 24, 5))
    assert (
        RatingSummary.objects.annotate(bayes=bayesian_average_sql(F("count"), F("total"), 3.0, 0))
        .get(count=0)
        .bayes
        is None
    )  # no ratings and no prior: None in Python too


# --- the stored summary (item 6) ---------------------------------------------

COUNTED_FIELDS = ("count", "total", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5")


def stored_figures(page_id):
    row = RatingSummary.objects.filter(page_id=page_id).first()
    if row is None:
        return dict.fromkeys(COUNTED_FIELDS, 0)
    return {name: getattr(row, name) for name in COUNTED_FIELDS}


def counted_figures(page_id):
    """The summary recounted from the votes, independently of votes.recount."""
    row = RatingSummary.objects.filter(page_id=page_id).first()
    period = row.period if row else 1
    votes = Feedback.objects.filter(page_id=page_id, period=period, rating__isnull=False).exclude(
        status="spam"
    )
    figures = votes.aggregate(
        count=Count("pk"),
        total=Sum("rating"),
        **{f"stars_{n}": Count("pk", filter=Q(rating=n)) for n in STARS},
    )
    figures["total"] = figures["total"] or 0
    return figures


def assert_summary_exact(page_id):
    before = stored_figures(page_id)
    assert before == counted_figures(page_id)
    fresh = recount(page_id)
    assert stored_figures(page_id) == before
    assert fresh.count == before["count"] and fresh.total == before["total"]
    assert summary_for(page_id).count == before["count"]


def visitor(name):
    return identity.Visitor(key=identity.keyed_hash(f"test:{name}"))


@pytest.fixture
def session(make_session):
    return make_session()


def vote(page, who, rating=None, comment="", rules=None):
    return submit(
        page, visitor(who), Submission(rating=rating, comment=comment), rules or defaults()
    )


def row_of(page, who):
    return Feedback.objects.get(page_id=page.pk, visitor=visitor(who).key)


def test_summary_follows_votes_revotes_spam_and_deletes(session):
    page_id = session.pk
    assert vote(session, "a", 5).count == 1
    vote(session, "b", 4)
    vote(session, "c", 1)
    assert_summary_exact(page_id)
    # Re-votes replace.
    assert vote(session, "a", 2).count == 3
    vote(session, "a", 2)
    assert_summary_exact(page_id)
    # A comment alone keeps the rating.
    vote(session, "b", comment="More examples")
    assert row_of(session, "b").rating == 4
    assert_summary_exact(page_id)
    # Marked as spam by an editor: out of the summary; back to reviewed: in again.
    feedback = row_of(session, "c")
    feedback.status = "spam"
    feedback.save()
    assert stored_figures(page_id)["count"] == 2
    assert_summary_exact(page_id)
    # A spammer's re-vote is not counted either, nor is a new comment a way back:
    # they stay excluded until an editor changes the status (issue 9, item 4).
    vote(session, "c", 5)
    assert_summary_exact(page_id)
    assert stored_figures(page_id)["count"] == 2
    vote(session, "c", comment="Sorry")
    assert row_of(session, "c").status == "spam"
    assert row_of(session, "c").comment == "Sorry"
    assert stored_figures(page_id)["count"] == 2
    assert_summary_exact(page_id)
    feedback = row_of(session, "c")
    feedback.status = "reviewed"
    feedback.save()
    assert stored_figures(page_id)["count"] == 3
    assert_summary_exact(page_id)
    feedback = row_of(session, "b")
    feedback.status = "reviewed"
    feedback.save()
    assert_summary_exact(page_id)
    # Deleted one by one or in bulk.
    row_of(session, "a").delete()
    assert_summary_exact(page_id)
    vote(session, "d", 3)
    vote(session, "e", 3)
    Feedback.objects.filter(visitor__in=[visitor("d").key, visitor("b").key]).delete()
    assert_summary_exact(page_id)
    assert stored_figures(page_id)["count"] == 2


def test_summary_restarts_with_a_new_rating_period(session):
    vote(session, "a", 5)
    vote(session, "b", 1)
    assert reset_ratings(session.pk) == 2
    assert stored_figures(session.pk)["count"] == 0
    assert_summary_exact(session.pk)
    # The same visitor votes again in the new period: a new row, the old one kept.
    vote(session, "a", 3)
    assert Feedback.objects.filter(visitor=visitor("a").key).count() == 2
    assert stored_figures(session.pk) == {
        **dict.fromkeys(COUNTED_FIELDS, 0),
        "count": 1,
        "total": 3,
        "stars_3": 1,
    }
    assert_summary_exact(session.pk)
    # Editing an old period's feedback leaves the current summary alone.
    old = Feedback.objects.get(visitor=visitor("b").key)
    old.status = "spam"
    old.save()
    assert_summary_exact(session.pk)
    assert stored_figures(session.pk)["count"] == 1


def test_votes_on_one_page_leave_other_pages_alone(session, make_session):
    other = make_session("Another session")
    vote(session, "a", 5)
    vote(other, "a", 1)
    assert stored_figures(session.pk)["total"] == 5
    assert stored_figures(other.pk)["total"] == 1
    row_of(session, "a").delete()
    assert stored_figures(other.pk)["count"] == 1


def test_a_refused_submission_changes_nothing(session):
    with pytest.raises(FeedbackError):
        vote(session, "a", comment="No vote yet")
    assert not Feedback.objects.exists()
    assert not RatingSummary.objects.exists()


def test_deleting_a_rated_page_removes_its_feedback_and_summary(session):
    vote(session, "a", 4)
    vote(session, "b", 2)
    session.delete()
    assert not Feedback.objects.exists()
    assert not RatingSummary.objects.exists()
    connection.check_constraints()


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["vote", "vote", "vote", "comment", "spam", "unspam", "delete", "reset"]),
        st.integers(0, 5),
        st.integers(1, 5),
    ),
    max_size=25,
)


class Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_summary_equals_a_recount_after_any_sequence(session, operations):
    cache.clear()
    try:
        with transaction.atomic():
            for operation, who, rating in operations:
                rows = Feedback.objects.filter(page_id=session.pk, visitor=visitor(who).key)
                if operation == "vote":
                    vote(session, who, rating)
                elif operation == "comment":
                    # Refused (FeedbackError) while the visitor has no vote: fine.
                    with contextlib.suppress(FeedbackError):
                        vote(session, who, comment=f"comment {rating}")
                elif operation in ("spam", "unspam"):
                    for row in rows:
                        row.status = "spam" if operation == "spam" else "reviewed"
                        row.save()
                elif operation == "delete":
                    for row in rows:
                        row.delete()
                else:
                    reset_ratings(session.pk)
                assert stored_figures(session.pk) == counted_figures(session.pk), operation
            assert_summary_exact(session.pk)
            raise Rollback
    except Rollback:
        pass


def page_queries(client, page):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(page.url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_reading_the_summary_costs_the_same_for_1_and_500_votes(session, client):
    vote(session, "first", 4)
    page_queries(client, session)  # process-wide caches (content types, …) filled
    cache.clear()
    cold_one, _ = page_queries(client, session)
    warm_one, html = page_queries(client, session)
    assert "4.0 out of 5 stars" in html
    period = RatingSummary.objects.get(page_id=session.pk).period
    Feedback.objects.bulk_create(
        Feedback(
            page_id=session.pk,
            period=period,
            visitor=f"{n:064x}",
            rating=n % 5 + 1,
        )
        for n in range(499)
    )
    recount(session.pk)
    assert RatingSummary.objects.get(page_id=session.pk).count == 500
    cache.clear()
    cold_many, _ = page_queries(client, session)
    warm_many, html = page_queries(client, session)
    assert "(500 ratings)" in html
    assert cold_many == cold_one
    assert warm_many == warm_one
    # The summary itself: one row from the database, every time (a cached copy
    # would not show other processes' votes with a per-process cache).
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert summary_for(session.pk).count == 500
        assert len(ctx.captured_queries) == 1


def test_a_vote_costs_the_same_queries_for_1_and_500_votes(session):
    vote(session, "first", 4)
    with CaptureQueriesContext(connection) as ctx:
        vote(session, "second", 5)
    one = len(ctx.captured_queries)
    Feedback.objects.bulk_create(
        Feedback(page_id=session.pk, period=1, visitor=f"{n:064x}", rating=3) for n in range(498)
    )
    recount(session.pk)
    with CaptureQueriesContext(connection) as ctx:
        vote(session, "third", 5)
    assert len(ctx.captured_queries) == one
    assert_summary_exact(session.pk)


def test_endpoint_votes_keep_the_summary_exact(session):
    clients = [Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(6)]
    for round_ in range(3):
        for n, client in enumerate(clients):
            response = client.post(
                f"{session.url}feedback/",
                {"rating": str((n + round_) % 5 + 1)},
                HTTP_ACCEPT="application/json",
            )
            assert response.status_code == 200
            assert response.json()["summary"]["count"] == (n + 1 if round_ == 0 else 6)
    assert_summary_exact(session.pk)


@pytest.mark.parametrize(
    ("stars", "shown"),
    [
        ({5: 1, 4: 3}, "4.3"),  # 4.25 rounds half up, as people round
        ({4: 1, 3: 3, 5: 0}, "3.3"),  # 3.25
        ({4: 13, 3: 7}, "3.7"),  # 3.65
        ({5: 1, 4: 2}, "4.3"),  # 4.333…
    ],
)
def test_average_display_rounds_half_up(stars, shown):
    from wagtail_pmolib.feedback.summary import STARS, Summary

    counts = {n: stars.get(n, 0) for n in STARS}
    summary = Summary(
        count=sum(counts.values()), total=sum(n * c for n, c in counts.items()), stars=counts
    )
    assert summary.average_display == shown
    assert summary.headline == f"{shown} out of 5 stars"
