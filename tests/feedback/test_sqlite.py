"""SQLite, the embedded default, under concurrent votes, searches and page views.

Issue 8, items 5 and 6. The suite's own database is SQLite in memory, which
cannot show what a site sees: each test builds its pages there, copies the
database into a SQLite *file* and serves requests from that file through the
real endpoints, from threads that each open their own connection, as a
threaded or multi-process server does. The file is opened with the options the
README recommends (``tests.settings.SQLITE_OPTIONS``, the example site's).
"""

import copy
import json
import logging
import random
import sqlite3
import threading
import traceback
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client, RequestFactory

from tests.feedback.test_concurrency import counted, stored
from tests.settings import SQLITE_OPTIONS

ENGINE = django_settings.DATABASES["default"]["ENGINE"]

pytestmark = [
    pytest.mark.skipif(
        ENGINE != "django.db.backends.sqlite3",
        reason=f"SQLite's locking under concurrent requests; this run uses {ENGINE}",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
VOTES_PER_THREAD = 25
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) PmolibSQLiteTest/1.0"
BUSY = "The library is busy right now and your feedback was not saved."
# A writer gives up after this long in the tests that hold the lock.
SHORT_TIMEOUT = 0.2


@pytest.fixture
def site_root(transactional_site_root):
    return transactional_site_root


@pytest.fixture
def session(make_session, library):
    page = make_session(title="Step up – Powering up the PMO Service")
    Client().get(page.url)  # the site's settings rows exist, as on any site that has served a page
    return page


@pytest.fixture
def file_database(tmp_path):
    """``copy_now(options)``: the suite's database as it is now, copied into a SQLite
    file; returns the settings of a connection to that file with ``options``."""

    def copy_now(options=SQLITE_OPTIONS):
        path = tmp_path / "library.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        database = copy.deepcopy(connection.settings_dict)
        database.update(NAME=str(path), OPTIONS=copy.deepcopy(options), CONN_MAX_AGE=0)
        run_threads(database, [lambda: connections["default"].ensure_connection()])
        return database

    return copy_now


@contextmanager
def connected(database):
    """This thread's ``default`` connection opens ``database`` (until the block ends)."""
    connections["default"] = type(connections["default"])(copy.deepcopy(database), "default")
    try:
        yield
    finally:
        connections["default"].close()
        del connections["default"]


def run_threads(database, jobs):
    """Run the jobs (functions of no arguments) in threads that start together,
    each with its own connection to ``database``; their results, in order."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def work(index, job):
        try:
            with connected(database):
                barrier.wait(timeout=60)
                results[index] = job()
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, "\n".join(errors)
    return results


def on(database, function, *args):
    """``function(*args)`` run against ``database`` (in a thread of its own)."""
    return run_threads(database, [lambda: function(*args)])[0]


@contextmanager
def write_lock(database, begin="BEGIN IMMEDIATE"):
    """Another connection (an editor's long save, a purge) holding the write lock:
    it has begun a transaction and written, and not committed yet."""
    holder = sqlite3.connect(database["NAME"], isolation_level=None)
    try:
        holder.execute(begin)
        holder.execute("UPDATE wagtailcore_page SET draft_title = draft_title || ''")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def visitor_headers(name):
    """A visitor without the cookie: recognised by address and user agent."""
    number = sum(name.encode()) * 7919 % 2**24
    address = f"10.{number >> 16}.{number >> 8 & 255}.{number & 255}"
    return {"REMOTE_ADDR": address, "HTTP_USER_AGENT": f"{BROWSER} visitor/{name}"}


def visitor_key(name):
    from wagtail_pmolib.feedback.identity import visitor_for

    return visitor_for(RequestFactory().post("/", **visitor_headers(name))).key


def post_vote(client, page, name, rating, *, as_json, comment=""):
    client.cookies.clear()  # each vote from its own visitor, not from the thread's cookie
    url = f"{page.url}feedback/"
    if as_json:
        return client.post(
            url,
            json.dumps({"rating": rating, "comment": comment}),
            content_type="application/json",
            HTTP_ACCEPT="application/json",
            **visitor_headers(name),
        )
    return client.post(url, {"rating": str(rating), "comment": comment}, **visitor_headers(name))


def acknowledged(response, as_json):
    if as_json:
        return response.status_code == 200 and response.json()["ok"] is True
    return response.status_code == 303


def feedback_rows(page):
    from wagtail_pmolib.models import Feedback

    return dict(Feedback.objects.filter(page_id=page.pk).values_list("visitor", "rating"))


def voter(page, worker, rng):
    """A thread's votes: mostly from its own visitors (10 of whom vote twice), one
    in five from visitors every thread shares. Returns ``[(visitor, rating, status,
    acknowledged)]``."""
    plan = []
    for i in range(VOTES_PER_THREAD):
        name = f"shared-{rng.randrange(4)}" if i % 5 == 0 else f"thread-{worker}-{i % 15}"
        plan.append((name, rng.randint(1, 5), i % 2 == 1))

    def vote():
        client = Client(raise_request_exception=False)
        answers = []
        for name, rating, as_json in plan:
            response = post_vote(client, page, name, rating, as_json=as_json)
            answers.append((name, rating, response.status_code, acknowledged(response, as_json)))
        return answers

    return vote


def reader(urls, rounds):
    """A visitor reading pages and searching (each search is logged) while others
    vote: the status codes."""

    def browse():
        client = Client(raise_request_exception=False, HTTP_USER_AGENT=BROWSER)
        return [client.get(url).status_code for _ in range(rounds) for url in urls]

    return browse


def test_concurrent_votes_page_views_and_searches_never_answer_5xx(
    session, make_session, library, file_database, settings
):
    """8 threads × 25 votes through the endpoint, and two readers, at once.

    Without the SQLite options (``file_database({})``) about 130 of the 240
    requests answer 5xx (500 "database is locked" before issue 8, 503 now)."""
    from wagtail_pmolib.feedback.votes import recount

    settings.WAGTAIL_PMOLIB = {"RATE_LIMIT": 1000}  # the rate limit is not under test
    other = make_session(title="Hierarchical barriers in the PMO")
    database = file_database()
    rng = random.Random(2021)
    urls = [session.url, other.url, f"{library.url}?q=pmo", f"{library.url}?q=barriers"]
    jobs = [voter(session, worker, rng) for worker in range(THREADS)]
    jobs += [reader(urls, 5), reader(urls, 5)]

    results = run_threads(database, jobs)
    votes = [answer for answers in results[:THREADS] for answer in answers]
    pages = [status for statuses in results[THREADS:] for status in statuses]

    statuses = [status for _name, _rating, status, _ok in votes]
    failed = [status for status in statuses + pages if status >= 500]
    assert not failed, f"{len(failed)} of {len(statuses + pages)} requests answered 5xx"
    assert all(ok for *_answer, ok in votes), sorted(set(statuses))
    assert set(pages) == {200}

    # Every acknowledged vote is stored: one row per visitor, with their last rating
    # (a visitor of one thread votes in order) or one of their ratings (shared visitors).
    acked = {}
    for name, rating, _status, _ok in votes:
        acked.setdefault(name, []).append(rating)
    found = on(database, feedback_rows, session)
    assert len(found) == len(acked) == 4 + THREADS * 12
    for name, ratings in acked.items():
        rating = found[visitor_key(name)]
        assert rating == ratings[-1] if name.startswith("thread-") else rating in ratings

    # The page's summary equals a recount, and recounting changes nothing.
    figures = on(database, stored, session.pk)
    assert figures == on(database, counted, session.pk)
    assert figures["count"] == len(acked)
    assert figures["total"] == sum(found.values())
    on(database, recount, session.pk)
    assert on(database, stored, session.pk) == figures

    # The searches were logged too (writes of their own, among the votes); two
    # readers may create the day's row at once, and then one search goes uncounted
    # (``search.log.record_search``).
    def searches():
        from wagtail_pmolib.models import SearchTerm

        return dict(SearchTerm.objects.values_list("query_string", "hits"))

    logged = on(database, searches)
    assert set(logged) == {"pmo", "barriers"}
    assert all(9 <= hits <= 10 for hits in logged.values()), logged


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
@pytest.mark.parametrize(
    "options",
    [
        {**SQLITE_OPTIONS, "timeout": SHORT_TIMEOUT},
        # Without "IMMEDIATE", the vote's transaction fails when it first writes.
        {"timeout": SHORT_TIMEOUT},
    ],
    ids=["recommended", "deferred"],
)
def test_a_vote_while_the_database_stays_locked_answers_503_and_stores_nothing(
    session, file_database, options, as_json
):
    from wagtail_pmolib.models import RatingSummary

    database = file_database(options)
    client = Client(raise_request_exception=False)

    def vote():
        return post_vote(client, session, "ada", 2, as_json=as_json, comment="Too short.")

    with write_lock(database):
        response = on(database, vote)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    if as_json:
        assert response.json() == {
            "ok": False,
            "error": f"{BUSY} Please send it again in a few seconds.",
        }
    else:
        # The page again, the visitor's rating and comment kept, saying to try again.
        html = response.content.decode()
        assert BUSY in html and "Please send it again in a few seconds." in html
        assert 'value="2" id="pmolib-rating-2" checked' in html
        assert ">Too short.</textarea>" in html
    assert on(database, feedback_rows, session) == {}
    assert not on(database, lambda: RatingSummary.objects.filter(page_id=session.pk).exists())

    # The lock gone, the same vote is stored.
    assert acknowledged(on(database, vote), as_json)
    assert on(database, feedback_rows, session) == {visitor_key("ada"): 2}


@pytest.mark.parametrize(
    "address",
    ["session", "library", "search", "suggest"],
)
def test_page_views_and_searches_do_not_wait_for_a_writer(
    session, library, file_database, address, caplog
):
    """In WAL mode readers never wait for the writer, even one holding SQLite's
    strongest lock; a search whose log write times out is shown, uncounted.
    (Without WAL each of these answers 500 after the busy timeout.)"""
    from wagtail_pmolib.models import SearchTerm

    database = file_database({**SQLITE_OPTIONS, "timeout": SHORT_TIMEOUT})
    url = {
        "session": session.url,
        "library": library.url,
        "search": f"{library.url}?q=powering",
        "suggest": f"{library.url}suggest/?q=pow",
    }[address]
    client = Client(raise_request_exception=False, HTTP_USER_AGENT=BROWSER)
    with (
        caplog.at_level(logging.WARNING, logger="wagtail_pmolib"),
        write_lock(database, "BEGIN EXCLUSIVE"),
    ):
        response = on(database, client.get, url)
    assert response.status_code == 200
    # The session is shown (a link to it in the listing and the results).
    shown = session.title if address in ("session", "suggest") else f'href="{session.url}"'
    assert shown in response.content.decode()
    if address == "search":
        assert on(database, lambda: SearchTerm.objects.count()) == 0
        assert "the library search 'powering' was not counted" in caplog.text
        assert "Traceback" not in caplog.text
        # Unlocked, the same search is counted.
        on(database, client.get, url)
        assert on(database, lambda: list(SearchTerm.objects.values_list("hits", flat=True))) == [1]
