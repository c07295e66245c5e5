"""Feedback with a shared cache (Redis): the throttle counts every process's
submissions, as the README promises for production; pages cached in Redis
still show every vote at once (the summary is read from the database).

Uses Redis database 15 on 127.0.0.1:6379, and there only keys under a prefix
unique to the test (removed before and after it): no other database is touched,
and two test runs at once (two checkouts, CI jobs) cannot disturb each other.
Skipped when the ``redis`` package or the server is missing, unless
PMOLIB_REQUIRE_REDIS=1 (then those tests fail).
The test at the end also runs on the default (local memory) cache: it
replays an interleaving of concurrent requests one step at a time.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from wagtail_pmolib.feedback import identity, throttle
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_caches(prefix):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }


REQUIRED = os.environ.get("PMOLIB_REQUIRE_REDIS") == "1"

IP = "198.51.100.44"
UA = "Mozilla/5.0 PmolibRedisTest/1.0"


def redis_problem():
    try:
        import redis
    except ImportError:
        return "the redis package is not installed (pip install redis)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} is unreachable: {exc}"
    return None


@pytest.fixture
def redis_cache():
    problem = redis_problem()
    if problem:
        if REQUIRED:
            pytest.fail(f"PMOLIB_REQUIRE_REDIS=1 but {problem}")
        pytest.skip(problem)
    import redis

    prefix = f"pmolib-test-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)

    def forget():  # this test's keys in database 15, nothing else
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)

    forget()
    with override_settings(CACHES=redis_caches(prefix)):
        assert type(caches["default"]).__name__ == "RedisCache"
        yield cache
    forget()
    client.close()


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request):
    if request.param == "redis":
        yield request.getfixturevalue("redis_cache")
    else:
        yield cache


@pytest.fixture
def session(make_session):
    return make_session()


CHILD = r"""
import json, os, sys
import django

django.setup()
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.test.utils import override_settings

args = json.loads(sys.argv[1])
with override_settings(CACHES=args["caches"], WAGTAIL_PMOLIB=args.get("pmolib", {})):
    from wagtail_pmolib.feedback import identity, throttle

    def waits(count):
        found = []
        for _ in range(args["times"]):
            try:
                count()
            except throttle.Throttled as exc:
                found.append(exc.retry_after)
            else:
                found.append(None)
        return found

    out = {"pid": os.getpid()}
    request = RequestFactory().post("/", REMOTE_ADDR=args["ip"], HTTP_USER_AGENT=args["ua"])
    request.user = AnonymousUser()
    visitor = identity.visitor_for(request)
    if args["action"] == "hit":
        key = visitor.key
        out["key"] = key
        out["hits"] = [throttle.hit(key) for _ in range(args["times"])]
    elif args["action"] == "submission":
        out["waits"] = waits(lambda: throttle.check_submission(visitor))
    elif args["action"] == "page-vote":
        out["waits"] = waits(lambda: throttle.count_page_vote(args["page"], visitor.address))
print(json.dumps(out))
"""


def in_subprocess(**args):
    """Run CHILD in a new Python process sharing nothing with this one but Redis.

    Its database is an empty in-memory SQLite: whatever it answers comes from the cache.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": "sqlite://:memory:",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps({"caches": settings.CACHES, **args})],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["pid"] != os.getpid()
    return answer


def visitor_key(ip=IP, agent=UA):
    request = RequestFactory().post("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    request.user = AnonymousUser()
    return identity.visitor_for(request).key


def post_json(client, page, data, **extra):
    extra.setdefault("REMOTE_ADDR", IP)
    extra.setdefault("HTTP_USER_AGENT", UA)
    return client.post(
        f"{page.url}feedback/",
        json.dumps(data),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        **extra,
    )


# --- the throttle across processes ------------------------------------------


def test_throttle_counts_submissions_from_every_process(redis_cache, session):
    child = in_subprocess(action="hit", ip=IP, ua=UA, times=6)
    assert child["key"] == visitor_key()  # the same visitor in both processes
    assert child["hits"] == [None] * 6
    client = Client()
    for rating in (5, 4, 3, 2):
        assert post_json(client, session, {"rating": rating}).status_code == 200
    response = post_json(client, session, {"rating": 1})
    assert response.status_code == 429  # the 11th submission, split 6 + 5
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Feedback.objects.get().rating == 2
    # And the other way round: the other process now finds the limit reached.
    wait = in_subprocess(action="hit", ip=IP, ua=UA, times=1)["hits"][0]
    assert isinstance(wait, int) and 1 <= wait <= 60
    # Another visitor is not limited, in either process.
    assert in_subprocess(action="hit", ip="203.0.113.5", ua=UA, times=1)["hits"] == [None]
    assert post_json(Client(), session, {"rating": 5}, REMOTE_ADDR="203.0.113.6").status_code == 200


ADDRESS_LIMITS = {"ADDRESS_RATE_LIMIT": 4, "ADDRESS_VOTES_PER_PAGE": 3}


@override_settings(WAGTAIL_PMOLIB=ADDRESS_LIMITS)
def test_address_limits_count_every_process(redis_cache, session):
    """Issue 9, item 3: one address posing as new visitors in two processes."""
    # Submissions from the address, whoever sends them: 2 there, 2 here, then none.
    child = in_subprocess(action="submission", ip=IP, ua="Agent/1", times=2, pmolib=ADDRESS_LIMITS)
    assert child["waits"] == [None, None]
    for agent in ("Agent/2", "Agent/3"):
        response = post_json(Client(), session, {"rating": 4}, HTTP_USER_AGENT=agent)
        assert response.status_code == 200
    response = post_json(Client(), session, {"rating": 4}, HTTP_USER_AGENT="Agent/4")
    assert response.status_code == 429
    assert "Too many submissions" in response.json()["error"]
    assert Feedback.objects.count() == 2
    # New ratings on the page from the address: the 2 above, 1 there, then none here.
    child = in_subprocess(
        action="page-vote", ip=IP, ua="Agent/5", times=1, page=session.pk, pmolib=ADDRESS_LIMITS
    )
    assert child["waits"] == [None]
    with override_settings(WAGTAIL_PMOLIB={**ADDRESS_LIMITS, "ADDRESS_RATE_LIMIT": 0}):
        response = post_json(Client(), session, {"rating": 4}, HTTP_USER_AGENT="Agent/6")
    assert response.status_code == 429
    assert "too many ratings from your network" in response.json()["error"]
    assert Feedback.objects.count() == 2


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 3, "RATE_LIMIT_PERIOD": 2})
def test_throttle_window_expires_in_redis(redis_cache):
    import time

    key = visitor_key()
    assert [throttle.hit(key) for _ in range(4)][-1] is not None
    time.sleep(2.2)
    assert throttle.hit(key) is None


# --- pages with a shared cache -------------------------------------------------


def test_session_page_with_redis_is_cacheable_and_fresh(redis_cache, session):
    def get(**meta):
        with CaptureQueriesContext(connection) as ctx:
            response = Client().get(session.url, **meta)
        assert response.status_code == 200
        assert not response.cookies
        return response.content, len(ctx.captured_queries)

    cold, cold_queries = get(REMOTE_ADDR="192.0.2.1")
    warm, warm_queries = get(REMOTE_ADDR="192.0.2.2", HTTP_USER_AGENT="Other/1.0")
    assert cold == warm
    assert warm_queries < cold_queries  # the article came from Redis
    post_json(Client(), session, {"rating": 5})
    after, after_queries = get()
    assert b"5.0 out of 5 stars" in after and b"(1 rating)" in after
    assert after_queries == warm_queries  # the article still came from Redis


def test_feedback_settings_cached_in_redis_follow_edits(redis_cache, session):
    client = Client()
    assert b"Was this article helpful?" in client.get(session.url).content
    found = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
    found.question = "Did this session help you?"
    found.save()
    assert b"Did this session help you?" in client.get(session.url).content
    found.enabled = False
    found.save()
    assert post_json(client, session, {"rating": 5}).status_code == 403
    assert not RatingSummary.objects.exists()


# --- interleavings of concurrent requests, replayed step by step ------------


class Interleaving:
    """A cache that lets another request run in full at one moment of this one:
    ``before`` or ``after`` the first call of ``method`` on a key containing ``marker``."""

    def __init__(self, real, method, marker, between, when="before"):
        self._real, self._method, self._marker = real, method, marker
        self._between, self._when = between, when
        self.fired = False

    def __getattr__(self, name):
        attribute = getattr(self._real, name)
        if name != self._method:
            return attribute

        def call(key, *args, **kwargs):
            if self.fired or self._marker not in key:
                return attribute(key, *args, **kwargs)
            self.fired = True
            if self._when == "before":
                self._between()
                return attribute(key, *args, **kwargs)
            result = attribute(key, *args, **kwargs)
            self._between()
            return result

        return call


@override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": 3})
def test_concurrent_first_submissions_cannot_exceed_the_limit(any_cache, monkeypatch):
    key = "c" * 64
    allowed = []

    def three_other_requests():
        for _ in range(3):
            allowed.append(throttle.hit(key) is None)

    # Three other requests run right after this visitor's first request opened the window.
    monkeypatch.setattr(
        throttle,
        "cache",
        Interleaving(any_cache, "add", ":start", three_other_requests, when="after"),
    )
    allowed.append(throttle.hit(key) is None)
    for _ in range(3):
        allowed.append(throttle.hit(key) is None)
    assert len(allowed) == 7
    assert sum(allowed) == 3
