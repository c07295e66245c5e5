"""The load test's own logic (benchmarks/load_check.py, load_client.py) and the
example site's CACHE_URL: a checker that cannot fail would prove nothing."""

import importlib.util
import random
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from benchmarks import load_check
from benchmarks.load_client import (
    MAX_NEW_VOTERS_PER_PAGE,
    MAX_VOTES_PER_VISITOR,
    Voters,
    client_address,
    tokens_in,
)
from wagtail_pmolib.conf import DEFAULTS

LIBRARY = "/library/"
PROBES = [
    {"token": "lt0001q", "url": "/library/c/load-probe-lt0001q/", "number": 1, "page_id": 11},
    {"token": "lt0002q", "url": "/library/c/load-probe-lt0002q/", "number": 2, "page_id": 12},
]


def record(kind, path, start, *, status=200, tokens=None, ms=100.0, **extra):
    return {
        "kind": kind,
        "path": path,
        "start": start,
        "ms": ms,
        "status": status,
        "tokens": tokens or {},
        **extra,
    }


def change(action, token, started, committed, number=1):
    return {
        "action": action,
        "token": token,
        "url": f"/library/c/load-probe-{token}/",
        "number": number,
        "started": started,
        "committed": committed,
        "attempts": 1,
        "errors": [],
    }


# --- sessions hidden by the editor ------------------------------------------------------


def test_a_listing_that_shows_a_session_after_its_unpublication_committed_is_a_violation():
    events = [change("unpublish", "lt0001q", 99.0, 100.0)]
    records = [
        record("browse", LIBRARY, 99.5, tokens={"lt0001q": ["link", "title"]}),  # before: fine
        record("search", LIBRARY + "?q=pmo", 100.5, tokens={"lt0001q": ["link", "title"]}),
        record("suggest", LIBRARY + "suggest/?q=pro", 100.6, tokens={"lt0002q": ["link"]}),
    ]
    result = load_check.check_hidden(records, events, PROBES)
    assert result["violations"] == 1
    assert result["by_kind"] == {"search": 1}
    assert result["examples"][0]["lag_s"] == 0.5
    assert result["examples"][0]["what"] == "shown in link+title"
    # Evidence that the surfaces show probes at all: what was shown while visible.
    assert result["probe_shown_while_visible"] == {"browse": 1, "suggest": 1}


def test_a_facet_naming_the_hidden_sessions_speaker_is_a_violation():
    events = [change("restrict", "lt0002q", 10.0, 10.2)]
    records = [record("browse", LIBRARY + "?theme=x", 11.0, tokens={"lt0002q": ["speaker"]})]
    result = load_check.check_hidden(records, events, PROBES)
    assert result["violations"] == 1
    assert result["by_action"] == {"restrict": 1}


def test_a_hidden_sessions_own_page_must_not_answer_200():
    events = [change("restrict", "lt0001q", 10.0, 10.2), change("unpublish", "lt0002q", 10, 10.3)]
    fine = [
        record("session", PROBES[0]["url"], 11.0, status=302),
        record("session", PROBES[1]["url"], 11.0, status=404),
        record("vote", PROBES[1]["url"] + "feedback/", 11.0, status=404),
        # Before the commit its page may still answer 200 and show itself.
        record("session", PROBES[0]["url"], 10.1, tokens={"lt0001q": ["title"]}),
    ]
    result = load_check.check_hidden(fine, events, PROBES)
    assert result["violations"] == 0
    assert result["own_page_after_change"] == {
        "restrict → 302": 1,
        "unpublish → 404": 2,
    }
    served = [
        record("session", PROBES[0]["url"], 11.0, tokens={"lt0001q": ["title"]}),
        record("vote", PROBES[1]["url"] + "feedback/", 11.0, status=200),
    ]
    result = load_check.check_hidden(served, events, PROBES)
    assert result["violations"] == 2
    assert {e["what"] for e in result["examples"]} == {"own page answered 200"}


def test_an_editor_change_that_never_committed_hides_nothing():
    events = [{**change("unpublish", "lt0001q", 10.0, None), "attempts": 5, "errors": ["locked"]}]
    records = [record("browse", LIBRARY, 11.0, tokens={"lt0001q": ["link"]})]
    assert load_check.check_hidden(records, events, PROBES)["violations"] == 0


# --- sessions published by the editor ---------------------------------------------------


def test_the_first_library_page_must_show_the_newest_session_once_its_publication_committed():
    events = [{**change("publish", "lt0003q", 20.0, 20.5, number=3), "page_id": 13}]
    records = [
        record("browse", LIBRARY, 20.2, tokens={"lt0002q": ["link"]}),  # before the commit
        record("browse", LIBRARY, 21.0, tokens={"lt0002q": ["link"], "lt0003q": ["link"]}),
        record("browse", LIBRARY, 21.5, tokens={"lt0002q": ["link"]}),  # stale
        record("browse", LIBRARY + "?page=2", 21.5),  # not the first page: not judged
    ]
    result = load_check.check_published(records, events, PROBES, LIBRARY, run_started=1.0)
    assert result["first_pages_checked"] == 3
    assert result["first_pages_without_newest"] == 1
    assert result["examples"][0]["lag_s"] == 1.0


def test_a_page_whose_session_is_being_hidden_is_not_judged_for_the_newest():
    events = [change("unpublish", "lt0002q", 30.0, 30.4, number=2)]
    # Started before the hiding began, ended after: either answer is right.
    records = [record("browse", LIBRARY, 29.9, ms=300.0)]
    result = load_check.check_published(records, events, PROBES, LIBRARY, run_started=1.0)
    assert result["first_pages_checked"] == 0
    assert result["violations"] == 0


def test_a_published_sessions_own_page_must_answer_200():
    events = [{**change("publish", "lt0003q", 20.0, 20.5, number=3), "page_id": 13}]
    url = events[0]["url"]
    records = [record("session", url, 20.1, status=404), record("session", url, 21.0, status=404)]
    result = load_check.check_published(records, events, PROBES, LIBRARY, run_started=1.0)
    assert result["own_pages_not_200"] == 1


# --- votes -------------------------------------------------------------------------------


def vote(path, agent, rating, start, status=200):
    return record("vote", path + "feedback/", start, status=status, agent=agent, rating=rating)


PAGE_IDS = {"/library/c/s/": 5, "/library/c/t/": 6}


def stored(rows, summaries):
    return {
        "rows": [
            {"page_id": p, "agent": a, "rating": r, "period": 1, "status": "new"}
            for p, a, r in rows
        ],
        "summaries": {str(p): {"count": c, "total": 0, "period": 1} for p, c in summaries.items()},
    }


def test_a_re_vote_replaces_so_acknowledged_pairs_equal_stored_rows():
    records = [
        vote("/library/c/s/", "a", 2, 1.0),
        vote("/library/c/s/", "a", 5, 2.0),  # the same visitor again: replaces
        vote("/library/c/s/", "b", 4, 1.5),
        vote("/library/c/t/", "a", 3, 3.0),
        vote("/library/c/t/", "c", 1, 3.5, status=429),  # refused: not acknowledged
    ]
    result = load_check.check_votes(
        records,
        stored([(5, "a", 5), (5, "b", 4), (6, "a", 3)], {5: 2, 6: 1}),
        PAGE_IDS,
    )
    assert result["equal"]
    assert result["acknowledged_pairs"] == result["stored_rows"] == result["summary_count"] == 3


def test_votes_lost_changed_or_stored_after_an_error_are_all_reported():
    records = [
        vote("/library/c/s/", "a", 2, 1.0),
        vote("/library/c/s/", "b", 4, 1.5),
        vote("/library/c/t/", "c", 3, 2.0, status=500),
    ]
    result = load_check.check_votes(
        records,
        # a's rating is wrong, b's vote is missing, c's was stored although it failed.
        stored([(5, "a", 1), (6, "c", 3)], {5: 2, 6: 1}),
        PAGE_IDS,
    )
    assert not result["equal"]
    assert result["lost"] == 1
    assert result["wrong_rating"] == 1
    assert result["stored_unacknowledged"] == 1
    assert result["stored_unacknowledged_answers"] == {"500": 1}
    assert result["summary_mismatches"] == {"5": (2, 1)}


# --- figures -------------------------------------------------------------------------------


def test_the_table_gives_nearest_rank_percentiles_and_counts_5xx():
    records = [record("browse", LIBRARY, 0, ms=float(ms)) for ms in range(1, 101)]
    records.append(record("vote", "/x/feedback/", 0, status=500, ms=7.0))
    records.append(record("vote", "/x/feedback/", 0, status=0, ms=30000.0))
    rows = {row["kind"]: row for row in load_check.kind_table(records, 10.0, ["browse", "vote"])}
    assert (rows["browse"]["p50_ms"], rows["browse"]["p95_ms"]) == (50.0, 95.0)
    assert rows["browse"]["per_second"] == 10.0
    assert (rows["vote"]["5xx"], rows["vote"]["failed"]) == (1, 1)
    assert rows["all"]["requests"] == 102


# --- the clients ---------------------------------------------------------------------------


def test_tokens_are_found_with_where_they_show():
    body = (
        b'<a href="/library/c/load-probe-lt0007q/">Load probe lt0007q \xe2\x80\x93 Value</a>'
        b"<label>Probe Speaker lt0008q (1)</label> lt00071q"
    )
    assert tokens_in(body) == {"lt0007q": ["link", "title"], "lt0008q": ["speaker"]}


def test_voters_stay_under_the_rate_limit_and_are_not_taken_for_bots():
    rng = random.Random(1)
    voters = Voters(3, rng)
    pages = [f"/s{n}/" for n in range(4)]
    for _ in range(500):
        voters.pick(rng.choice(pages))  # None once no visitor may vote there
    counts = [sum(p.values()) for p in voters.votes.values()]
    assert max(counts) <= MAX_VOTES_PER_VISITOR < DEFAULTS["RATE_LIMIT"]
    # One client is one address: its new visitors on a page stay under the
    # per-address limit (re-votes are not new ratings).
    for page in pages:
        voters_here = sum(1 for p in voters.votes.values() if page in p)
        assert voters_here <= MAX_NEW_VOTERS_PER_PAGE < DEFAULTS["ADDRESS_VOTES_PER_PAGE"]
    assert len({client_address(n) for n in range(600)}) == 600
    assert client_address(0) == "127.0.0.2" and client_address(250) == "127.0.1.2"
    assert any(any(n > 1 for n in p.values()) for p in voters.votes.values()), "no re-votes"
    bots = re.compile(DEFAULTS["BOT_USER_AGENTS"], re.IGNORECASE)
    assert not any(bots.search(agent) for agent in voters.votes)


# --- the example site's CACHE_URL ----------------------------------------------------------


@pytest.fixture
def example_settings(monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    path = Path(__file__).resolve().parent.parent / "example_site/example_site/settings.py"

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("example_site_settings_under_test", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def test_the_example_site_keeps_djangos_default_cache_without_cache_url(example_settings):
    assert not hasattr(example_settings(), "CACHES")


def test_cache_url_names_redis_with_a_key_prefix(example_settings):
    settings = example_settings(CACHE_URL="redis://127.0.0.1:6379/11?key_prefix=run-1")
    assert settings.CACHES["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/11",
        "KEY_PREFIX": "run-1",
    }
    cache = example_settings(CACHE_URL="locmem://one")
    assert cache.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    cache = example_settings(CACHE_URL="dummy://")
    assert cache.CACHES["default"]["BACKEND"] == "django.core.cache.backends.dummy.DummyCache"


def test_an_unknown_cache_url_is_refused(example_settings):
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        example_settings(CACHE_URL="memcache://127.0.0.1:11211")
