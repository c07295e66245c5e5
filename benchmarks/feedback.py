"""Feedback benchmarks: page views with 10 vs 100,000 stored votes, and votes per second.

Called from run.py inside the same throw-away database and run.
"""

from __future__ import annotations

import random
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from wagtail_pmolib.feedback.identity import keyed_hash
from wagtail_pmolib.feedback.votes import recount
from wagtail_pmolib.models import Feedback, SessionPage

from .content import BenchPage, add_session, seed_body, session_expectations

VOTE_COUNTS = (10, 100_000)


def add_votes(page, n, seed=1):
    rng = random.Random(seed)
    batch = []
    for i in range(n):
        batch.append(
            Feedback(
                page_id=page.pk,
                period=1,
                visitor=keyed_hash(f"bench:{page.pk}:{i}"),
                rating=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)),
                comment="Useful, thank you." if i % 50 == 0 else "",
            )
        )
        if len(batch) == 5000:
            Feedback.objects.bulk_create(batch)
            batch = []
    Feedback.objects.bulk_create(batch)
    return recount(page.pk)


def build_vote_pages(seed_bench, speakers, document):
    """Two copies of the seed session, one with 10 votes and one with 100,000."""
    conference = seed_bench.page.get_parent().specific
    pages = []
    for n, votes in enumerate(VOTE_COUNTS):
        page = add_session(
            conference,
            title=f"The seed session with {votes:,} votes",
            slug=f"votes-{votes}",
            speakers=speakers,
            body=seed_body(document),
            starts_at=seed_bench.page.starts_at,
            theme=seed_bench.page.theme,
        )
        started = time.perf_counter()
        summary = add_votes(page, votes, seed=n)
        print(f"  stored {votes:,} votes in {time.perf_counter() - started:.1f} s", flush=True)
        pages.append(
            BenchPage(
                key=f"votes-{votes}",
                label=f"SessionPage: seed with {votes:,} stored votes",
                page=page,
                expect=[*session_expectations(1, len(speakers)), (summary.headline, 1)],
            )
        )
    return pages


def votes_per_second(target: SessionPage, votes: int) -> dict:
    """POST ``votes`` ratings from distinct visitors through the whole endpoint (JSON)."""
    client = Client()
    url = f"{target.url}feedback/"
    durations = []
    rng = random.Random(7)
    with override_settings(WAGTAIL_PMOLIB={"RATE_LIMIT": votes * 10}):
        started = time.perf_counter()
        for i in range(votes):
            # A tenth of the submissions are visitors changing their rating.
            visitor = i - 1 if i and i % 10 == 0 else i
            t0 = time.perf_counter()
            response = client.post(
                url,
                {"rating": str(rng.randint(1, 5))},
                HTTP_ACCEPT="application/json",
                REMOTE_ADDR=f"10.{(visitor >> 16) & 255}.{(visitor >> 8) & 255}.{visitor & 255}",
                HTTP_USER_AGENT="Mozilla/5.0 (benchmark)",
            )
            durations.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"vote {i}: {response.status_code} {response.content[:200]!r}")
            client.cookies.clear()
        elapsed = time.perf_counter() - started
    stored = Feedback.objects.filter(page_id=target.pk).count()
    summary = recount(target.pk)
    return {
        "database": connection.vendor,
        "votes": votes,
        "seconds": round(elapsed, 3),
        "votes_per_second": round(votes / elapsed, 1),
        "median_ms": round(statistics.median(durations), 3),
        "p90_ms": round(sorted(durations)[round(0.9 * (len(durations) - 1))], 3),
        "stored_rows": stored,
        "summary_count": summary.count,
    }
