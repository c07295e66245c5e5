"""What the feedback endpoint answers to bad input (issue 9, items 6, 8 and 11).

One table, one row per input: what is sent → the status, the field the message
names, a word of the message. For every row: that answer, nothing stored, no
visitor cookie, never a 500 (the suite runs with ``DEBUG = False``; the test
client raises whatever the view raises). Run it on SQLite and on PostgreSQL
(``DATABASE_URL``): PostgreSQL refuses NUL and lone surrogates in text.

A second table lists the inputs that are accepted after cleaning, with what is
stored. Then the order of the checks: the cheap ones (size, rate limit) run
before the body is parsed.
"""

# The tables are wider than the line limit so that each row reads as one line.
# ruff: noqa: E501

import json
from types import SimpleNamespace

import pytest
from django.test import Client, override_settings

from wagtail_pmolib import views
from wagtail_pmolib.feedback.votes import max_body_bytes
from wagtail_pmolib.models import Feedback

from .test_endpoint import (
    COOKIE,
    RATING_INVALID,
    RATING_MISSING,
    assert_form_reshown,
    endpoint,
    stored,
    visitor_meta,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

NOT_JSON = "not valid JSON"
NOT_TEXT = "must be text"
SURROGATE = "not valid text"
TWICE = "more than once"
DEEP = "nested too deeply"
LONG_NUMBER = "number in it is too long"
TOO_LARGE = "larger than"


def nested(depth):
    return '{"rating": 5, "x": ' + "[" * depth + "]" * depth + "}"


# fmt: off
BAD_INPUT = [
    # id                        content type  body                                           status field      reason
    # --- rating: ASCII 1–5 only (item 6); int() takes the others for 5 -------------------------
    ("rating-arabic-indic",      JSON, '{"rating": "٥"}',                                  400, "rating",  RATING_INVALID),
    ("rating-ext-arabic-indic",  JSON, '{"rating": "۵"}',                                  400, "rating",  RATING_INVALID),
    ("rating-fullwidth",         JSON, '{"rating": "５"}',                                  400, "rating",  RATING_INVALID),
    ("rating-math-bold",         JSON, '{"rating": "𝟓"}',                                  400, "rating",  RATING_INVALID),
    ("rating-superscript",       JSON, '{"rating": "²"}',                                  400, "rating",  RATING_INVALID),
    ("rating-nbsp",              JSON, '{"rating": "\\u00a05"}',                           400, "rating",  RATING_INVALID),
    ("rating-nul",               JSON, '{"rating": "5\\u0000"}',                           400, "rating",  RATING_INVALID),
    ("rating-escaped-pair",      JSON, '{"rating": "\\ud835\\udfd3"}',                      400, "rating",  RATING_INVALID),
    ("rating-lone-surrogate",    JSON, '{"rating": "\\ud800"}',                            400, "rating",  RATING_INVALID),
    ("rating-float",             JSON, '{"rating": 5.0}',                                  400, "rating",  RATING_INVALID),
    ("rating-infinity",          JSON, '{"rating": 1e999}',                                400, "rating",  RATING_INVALID),
    ("rating-nan",               JSON, '{"rating": NaN}',                                  400, "rating",  RATING_INVALID),
    ("rating-minus-zero",        JSON, '{"rating": -0}',                                   400, "rating",  RATING_INVALID),
    ("rating-googol",            JSON, '{"rating": 1' + "0" * 100 + "}",                   400, "rating",  RATING_INVALID),
    ("rating-digits-string",     JSON, '{"rating": "' + "9" * 5000 + '"}',                 400, "rating",  RATING_INVALID),
    ("rating-list",              JSON, '{"rating": [5]}',                                  400, "rating",  RATING_INVALID),
    ("rating-object",            JSON, '{"rating": {"value": 5}}',                         400, "rating",  RATING_INVALID),
    ("rating-twice",             JSON, '{"rating": 1, "rating": 5}',                       400, "rating",  TWICE),
    ("rating-missing",           JSON, '{"comment": ""}',                                  400, "rating",  RATING_MISSING),
    ("form-rating-arabic-indic", FORM, "rating=%D9%A5",                                    400, "rating",  RATING_INVALID),
    ("form-rating-fullwidth",    FORM, "rating=%EF%BC%95",                                 400, "rating",  RATING_INVALID),
    ("form-rating-nul",          FORM, "rating=5%00",                                      400, "rating",  RATING_INVALID),
    ("form-rating-twice",        FORM, "rating=1&rating=5",                                400, "rating",  TWICE),
    # --- comment -----------------------------------------------------------------------------
    ("comment-lone-high",        JSON, '{"rating": 5, "comment": "\\ud800"}',              400, "comment", SURROGATE),
    ("comment-lone-low",         JSON, '{"rating": 5, "comment": "a\\udfffb"}',            400, "comment", SURROGATE),
    ("comment-list",             JSON, '{"rating": 5, "comment": ["a"]}',                  400, "comment", NOT_TEXT),
    ("comment-object",           JSON, '{"rating": 5, "comment": {"text": "a"}}',          400, "comment", NOT_TEXT),
    ("comment-number",           JSON, '{"rating": 5, "comment": 12}',                     400, "comment", NOT_TEXT),
    ("comment-true",             JSON, '{"rating": 5, "comment": true}',                   400, "comment", NOT_TEXT),
    ("comment-2001-emoji",       JSON, json.dumps({"rating": 5, "comment": "😀" * 2001}),  400, "comment", "2000"),
    ("comment-twice",            JSON, '{"rating": 5, "comment": "a", "comment": "b"}',    400, "comment", TWICE),
    ("form-comment-twice",       FORM, "rating=5&comment=a&comment=b",                     400, "comment", TWICE),
    # --- the body (item 8) -------------------------------------------------------------------
    ("deep-arrays",              JSON, nested(5000),                                       400, "body",    DEEP),
    ("deep-objects",             JSON, '{"a": ' * 3000 + "1" + "}" * 3000,                 400, "body",    DEEP),
    ("number-5000-digits",       JSON, '{"rating": 1' + "0" * 5000 + "}",                  400, "body",    LONG_NUMBER),
    ("not-utf8",                 JSON, b'{"rating": "\xff"}',                              400, "body",    NOT_JSON),
    ("utf8-surrogate-bytes",     JSON, b'{"rating": 5, "comment": "\xed\xa0\x80"}',        400, "body",    NOT_JSON),
    ("byte-order-mark",          JSON, '\ufeff{"rating": 5}',                              400, "body",    NOT_JSON),
    ("truncated",                JSON, '{"rating": 5',                                     400, "body",    NOT_JSON),
    ("empty",                    JSON, "",                                                 400, "body",    "JSON object"),
    ("array",                    JSON, '[{"rating": 5}]',                                  400, "body",    "JSON object"),
    ("string",                   JSON, '"rating=5"',                                       400, "body",    "JSON object"),
    ("too-large-json",           JSON, '{"rating": 5, "comment": "' + "x" * 30_000 + '"}', 413, "body",    TOO_LARGE),
    ("too-large-form",           FORM, "rating=5&comment=" + "x" * 30_000,                 413, "body",    TOO_LARGE),
    ("form-too-many-fields",     FORM, "rating=5" + "&x" * 1001,                          400, "body",    "could not be read"),
    ("multipart-no-boundary",    MULTIPART, "rating=5",                                    400, "body",    "could not be read"),
    ("multipart-bad-boundary",   MULTIPART + "; boundary=", "--\r\n",                      400, "body",    "could not be read"),
    ("text-plain",               "text/plain", '{"rating": 5}',                            400, "body",    "text/plain"),
    ("xml",                      "application/xml", "<rating>5</rating>",                  400, "body",    "application/xml"),
    ("json-patch",               "application/json-patch+json", '{"rating": 5}',          400, "body",    "json-patch"),
    ("no-content-type",          "", "rating=5",                                           400, "body",    "no content type"),
]
# fmt: on


def send(client, content_type, body, *, page, **extra):
    extra = visitor_meta(extra)
    extra.setdefault("HTTP_ACCEPT", "application/json")
    # Given explicitly: the test client drops the content type of an empty body.
    extra["CONTENT_TYPE"] = content_type
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return client.generic("POST", endpoint(page), body, content_type=content_type, **extra)


@pytest.fixture
def session(make_session):
    return make_session()


@pytest.mark.parametrize(
    ("content_type", "body", "status", "field", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD_INPUT],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    client, session, content_type, body, status, field, reason
):
    before = stored()
    response = send(client, content_type, body, page=session)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["ok"] is False
    assert reason in answer["errors"][field], answer
    assert stored() == before
    assert COOKIE not in response.cookies


FORM_ROWS = [row for row in BAD_INPUT if row[1] != JSON]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "field", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in FORM_ROWS],
)
def test_bad_form_input_shows_the_page_again_with_the_message(
    client, session, content_type, body, status, field, reason
):
    """A browser without JavaScript (no Accept: application/json) gets a page saying
    the same; the form itself again when the body could be read."""
    before = stored()
    response = send(client, content_type, body, page=session, HTTP_ACCEPT="text/html")
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    if status == 400:
        assert_form_reshown(response, reason, field=None if field == "body" else field)
    else:
        assert reason in response.content.decode()
    assert stored() == before


# fmt: off
ACCEPTED = [
    # id                    content type  body                                                      stored (rating, comment)
    ("rating-ascii-blanks",  JSON, '{"rating": " 5 "}',                                            (5, "")),
    ("comment-nul",          JSON, '{"rating": 4, "comment": "a\\u0000b"}',                        (4, "ab")),
    ("comment-controls",     JSON, '{"rating": 4, "comment": "a\\u000bb\\u001bc\\u0008"}',         (4, "abc")),
    ("comment-breaks-tabs",  JSON, '{"rating": 4, "comment": "line\\r\\nnext\\tcell"}',            (4, "line\r\nnext\tcell")),
    ("comment-2000-emoji",   JSON, json.dumps({"rating": 4, "comment": "😀" * 2000}),              (4, "😀" * 2000)),
    ("comment-astral",       JSON, '{"rating": 4, "comment": "\\ud83d\\ude00 ok"}',                 (4, "😀 ok")),
    ("unknown-fields",       JSON, '{"rating": 3, "extra": [[[1]]], "\\ud800": 1, "x": "\\ud800"}', (3, "")),
    ("form-nul-comment",     FORM, "rating=2&comment=a%00b",                                       (2, "ab")),
    ("form-bad-utf8",        FORM, "rating=2&comment=a%FFb",                                       (2, "a\ufffdb")),
    ("json-charset",         JSON + "; charset=utf-8", '{"rating": 1}',                            (1, "")),
]
# fmt: on


@pytest.mark.parametrize(
    ("content_type", "body", "expected"), [pytest.param(*row[1:], id=row[0]) for row in ACCEPTED]
)
def test_input_accepted_after_cleaning(client, session, content_type, body, expected):
    response = send(client, content_type, body, page=session)
    assert response.status_code == 200, response.content[:300]
    assert Feedback.objects.values_list("rating", "comment").get() == expected


# --- cheap checks first -------------------------------------------------------------------


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 1})
def test_the_rate_limit_applies_before_the_body_is_parsed(client, session, monkeypatch):
    # Invalid submissions count against the limit like any other.
    assert send(client, JSON, '{"rating": "abc"}', page=session).status_code == 400
    assert send(client, JSON, '{"rating": 4}', page=session).status_code == 429

    def refuse(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(views, "json", SimpleNamespace(loads=refuse))
    # Throttled: answered without reading the body, however bad it is.
    response = send(client, JSON, nested(5000), page=session)
    assert response.status_code == 429
    assert "Retry-After" in response
    assert not Feedback.objects.exists()


def test_the_size_is_checked_first_from_content_length(session, monkeypatch):
    """Refused from the header alone, before the rate limit or the body is read."""
    from wagtail_pmolib.feedback import throttle

    def refuse(*args, **kwargs):
        raise AssertionError("counted or read")

    monkeypatch.setattr(throttle, "check_submission", refuse)
    monkeypatch.setattr(views, "json", SimpleNamespace(loads=refuse))
    limit = max_body_bytes()
    response = send(Client(), JSON, "{" + " " * limit + "}", page=session)
    assert response.status_code == 413
    assert str(limit) in response.json()["errors"]["body"]


@override_settings(WAGTAIL_PMOLIB={"COMMENT_MAX_LENGTH": 10})
def test_the_size_limit_follows_the_comment_limit(client, session):
    assert max_body_bytes() == 12 * 10 + 4096
    comment = "😀" * 10  # the longest comment, in its longest JSON form
    body = json.dumps({"rating": 5, "comment": comment, "website": ""})
    assert send(client, JSON, body, page=session).status_code == 200
    assert Feedback.objects.get().comment == comment
    body = json.dumps({"rating": 5, "comment": "x" * (12 * 10 + 4096)})
    assert send(Client(), JSON, body, page=session, REMOTE_ADDR="203.0.113.2").status_code == 413
