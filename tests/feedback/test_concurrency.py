"""Eight processes vote at once on one page; the stored summary still equals a recount.

Issue 3, item 6. PostgreSQL only: the votes must be committed and seen by
separate connections, and SQLite serialises writers anyway. Each process is
forked from the test process and opens its own database connection.
"""

import multiprocessing
import random
import time
import traceback

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Count, Q, Sum

from wagtail_pmolib.feedback.summary import STARS

ENGINE = settings.DATABASES["default"]["ENGINE"]

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        "postgresql" not in ENGINE,
        reason="concurrent votes need PostgreSQL (row locks, separate connections); "
        f"this run uses {ENGINE}: set DATABASE_URL=postgres://…",
    ),
    pytest.mark.django_db(transaction=True),
]

PROCESSES = 8
VOTES_PER_PROCESS = 60
FIELDS = ("count", "total", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5")


@pytest.fixture
def site_root(transactional_site_root):
    return transactional_site_root


def visitor_key(name):
    from wagtail_pmolib.feedback.identity import keyed_hash

    return keyed_hash(f"concurrency:{name}")


def _voter(page_id, worker, plan, barrier, results):
    """One process: its own connection, then ``plan`` (a list of (visitor, rating, comment))."""
    connections.close_all()
    try:
        from wagtail.models import Page

        from wagtail_pmolib.feedback.identity import Visitor
        from wagtail_pmolib.feedback.votes import FeedbackError, Submission, submit
        from wagtail_pmolib.models import FeedbackSettings

        page = Page.objects.get(pk=page_id)
        rules = FeedbackSettings()
        barrier.wait(timeout=120)
        voted = set()
        for name, rating, comment in plan:
            try:
                submit(page, Visitor(key=visitor_key(name)), Submission(rating, comment), rules)
            except FeedbackError:
                assert rating is None  # a comment before this visitor's first vote
                continue
            if rating is not None:
                voted.add(name)
        results.put((worker, "ok", sorted(voted)))
    except BaseException:
        results.put((worker, "error", traceback.format_exc()))
    finally:
        connections.close_all()


def _editor(page_id, rounds, barrier, results):
    """An editor marking feedback as spam and back while visitors vote."""
    connections.close_all()
    try:
        from wagtail_pmolib.models import Feedback

        rng = random.Random(99)
        barrier.wait(timeout=120)
        for _ in range(rounds):
            rows = list(Feedback.objects.filter(page_id=page_id).order_by("pk")[:40])
            if rows:
                row = rng.choice(rows)
                row.status = "reviewed" if row.status == "spam" else "spam"
                row.save(update_fields=["status"])
            time.sleep(0.01)
        results.put(("editor", "ok", []))
    except BaseException:
        results.put(("editor", "error", traceback.format_exc()))
    finally:
        connections.close_all()


def run_processes(targets):
    """Start every (function, args) at once in forked processes; return their results."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(targets))
    results = context.Queue()
    # No connection may be shared with the children.
    connections.close_all()
    processes = [
        context.Process(target=function, args=(*args, barrier, results))
        for function, args in targets
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    errors = [answer[2] for answer in answers if answer[1] != "ok"]
    assert not errors, "\n".join(errors)
    return answers


def stored(page_id):
    from wagtail_pmolib.models import RatingSummary

    row = RatingSummary.objects.get(page_id=page_id)
    return {name: getattr(row, name) for name in FIELDS}


def counted(page_id):
    from wagtail_pmolib.models import Feedback, RatingSummary

    period = RatingSummary.objects.get(page_id=page_id).period
    figures = (
        Feedback.objects.filter(page_id=page_id, period=period, rating__isnull=False)
        .exclude(status="spam")
        .aggregate(
            count=Count("pk"),
            total=Sum("rating"),
            **{f"stars_{n}": Count("pk", filter=Q(rating=n)) for n in STARS},
        )
    )
    figures["total"] = figures["total"] or 0
    return figures


def plan_for(worker, rng):
    """Votes from visitors shared by all processes (contended rows), visitors of this
    process alone (re-votes), and a few comments."""
    plan = []
    for i in range(VOTES_PER_PROCESS):
        shared = i % 3 == 0
        name = f"shared-{rng.randrange(6)}" if shared else f"worker-{worker}-{rng.randrange(8)}"
        if i % 10 == 9:
            plan.append((name, None, f"comment {worker}/{i}"))
        else:
            plan.append((name, rng.randint(1, 5), ""))
    return plan


def test_concurrent_votes_keep_the_summary_equal_to_a_recount(make_session):
    from wagtail_pmolib.feedback.votes import recount
    from wagtail_pmolib.models import Feedback, RatingSummary

    page = make_session()
    assert not RatingSummary.objects.filter(page_id=page.pk).exists()  # created in the race
    rng = random.Random(2021)
    answers = run_processes(
        [(_voter, (page.pk, worker, plan_for(worker, rng))) for worker in range(PROCESSES)]
    )
    voters = set()
    for _worker, _status, voted in answers:
        voters.update(voted)
    assert len(voters) > 6 + PROCESSES * 4  # shared and own visitors did vote

    figures = stored(page.pk)
    assert figures == counted(page.pk)
    assert figures["count"] == len(voters)
    # One row per visitor, never two.
    keys = list(Feedback.objects.filter(page_id=page.pk).values_list("visitor", flat=True))
    assert len(keys) == len(set(keys))
    assert {visitor_key(name) for name in voters} <= set(keys)
    # Recounting changes nothing.
    recount(page.pk)
    assert stored(page.pk) == figures


def test_one_visitor_voting_from_eight_processes_counts_once(make_session):
    from wagtail_pmolib.models import Feedback

    page = make_session()
    rng = random.Random(7)
    plans = [
        [("the-same-visitor", rng.randint(1, 5), "") for _ in range(VOTES_PER_PROCESS // 2)]
        for _ in range(PROCESSES)
    ]
    run_processes([(_voter, (page.pk, worker, plans[worker])) for worker in range(PROCESSES)])
    row = Feedback.objects.get(page_id=page.pk)
    figures = stored(page.pk)
    assert figures == counted(page.pk)
    assert figures["count"] == 1
    assert figures["total"] == row.rating
    assert figures[f"stars_{row.rating}"] == 1


def test_votes_and_an_editor_marking_spam_at_once(make_session):
    from wagtail_pmolib.feedback.votes import recount

    page = make_session()
    rng = random.Random(11)
    targets = [(_voter, (page.pk, worker, plan_for(worker, rng))) for worker in range(PROCESSES)]
    targets.append((_editor, (page.pk, 80)))
    run_processes(targets)
    figures = stored(page.pk)
    assert figures == counted(page.pk)
    recount(page.pk)
    assert stored(page.pk) == figures
