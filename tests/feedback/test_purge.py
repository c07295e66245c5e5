"""``manage.py pmolib_purge_feedback``: retention that keeps rating summaries exact."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wagtail_pmolib.feedback import votes
from wagtail_pmolib.feedback.identity import Visitor
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

SUMMARY_FIELDS = ["period", "count", "total", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5"]


def vote(page, visitor, rating=None, comment="", days_ago=0):
    """A visitor's vote through the real rules, then dated ``days_ago`` days back."""
    votes.submit(
        page,
        Visitor(key=f"visitor-{visitor}"),
        votes.Submission(rating=rating, comment=comment),
        FeedbackSettings(comment_form="always"),
    )
    row = Feedback.objects.get(
        page=page, visitor=f"visitor-{visitor}", period=RatingSummary.objects.get(page=page).period
    )
    Feedback.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return row


def summary_fields(page):
    return dict(RatingSummary.objects.filter(page=page).values(*SUMMARY_FIELDS).get())


def recounted(page):
    """What a full recount from the remaining votes gives (without trusting the stored row)."""
    votes.recount(page.pk)
    return summary_fields(page)


def purge(*args, **options):
    out = io.StringIO()
    call_command("pmolib_purge_feedback", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def pages(make_session):
    return (
        make_session(title="Step up"),
        make_session(title="PMO People"),
        make_session(title="Quiet session"),
    )


@pytest.fixture
def history(pages):
    """Votes on three pages: old (400 days), middling (100 days) and new (1 day)."""
    step_up, people, quiet = pages
    # Step up: two old votes, one middling, one new; one old comment-only row.
    vote(step_up, "a", 5, days_ago=400)
    vote(step_up, "b", 1, comment="Too short", days_ago=400)
    vote(step_up, "c", 4, days_ago=100)
    vote(step_up, "d", 3, days_ago=1)
    vote(step_up, "e", comment="Where are the slides?", days_ago=400)
    # PMO People: one old vote marked as spam (not counted), one new vote.
    spam = vote(people, "f", 2, days_ago=500)
    Feedback.objects.filter(pk=spam.pk).update(status="spam")
    votes.recount(people.pk)
    vote(people, "g", 5, days_ago=2)
    # Quiet session: only new feedback; it must not be touched.
    vote(quiet, "h", 4, days_ago=3)
    return pages


def test_deletes_old_feedback_and_reports_rows_and_pages(history):
    out = purge("--older-than", "365")

    assert "Deleted 4 feedback entries on 2 pages" in out
    assert Feedback.objects.count() == 4
    assert sorted(Feedback.objects.values_list("visitor", flat=True)) == [
        "visitor-c",
        "visitor-d",
        "visitor-g",
        "visitor-h",
    ]


def test_summaries_equal_a_recount_of_what_remains(history):
    step_up, people, quiet = history
    before_quiet = summary_fields(quiet)

    purge("--older-than", "365")

    # Computed by hand: Step up keeps the 4★ (100 days) and the 3★ (1 day).
    assert summary_fields(step_up) == {
        "period": 1,
        "count": 2,
        "total": 7,
        "stars_1": 0,
        "stars_2": 0,
        "stars_3": 1,
        "stars_4": 1,
        "stars_5": 0,
    }
    # PMO People: the purged vote was spam, so the summary is its one 5★ as before.
    assert summary_fields(people)["count"] == 1
    assert summary_fields(people)["stars_5"] == 1
    assert summary_fields(quiet) == before_quiet
    # And each stored summary is exactly what a recount gives.
    for page in history:
        stored = summary_fields(page)
        assert recounted(page) == stored


def test_a_smaller_number_of_days_reaches_newer_feedback(history):
    step_up = history[0]
    out = purge("--older-than", "30")

    assert "Deleted 5 feedback entries on 2 pages" in out
    assert summary_fields(step_up)["count"] == 1
    assert summary_fields(step_up)["stars_3"] == 1
    assert recounted(step_up)["count"] == 1


def test_every_page_is_recounted_once_whatever_the_number_of_batches(history, monkeypatch):
    step_up, people, _quiet = history
    recounts = []
    real = votes.recount
    monkeypatch.setattr(votes, "recount", lambda page_id: recounts.append(page_id) or real(page_id))

    out = purge("--older-than", "365", batch_size=1)

    assert "Deleted 4 feedback entries on 2 pages" in out
    # Every page that lost a rating is recounted, and only once.
    assert sorted(recounts) == sorted({step_up.pk, people.pk})
    assert summary_fields(step_up)["count"] == 2


def test_dry_run_counts_and_changes_nothing(history):
    summaries = {page.pk: summary_fields(page) for page in history}
    rows = list(Feedback.objects.order_by("pk").values())

    out = purge("--older-than", "365", "--dry-run")

    assert "Would delete 4 feedback entries on 2 pages" in out
    assert "Dry run: nothing was changed." in out
    assert list(Feedback.objects.order_by("pk").values()) == rows
    assert {page.pk: summary_fields(page) for page in history} == summaries


def test_second_run_deletes_nothing(history):
    purge("--older-than", "365")
    summaries = {page.pk: summary_fields(page) for page in history}
    remaining = Feedback.objects.count()

    out = purge("--older-than", "365")

    assert "Deleted 0 feedback entries on 0 pages" in out
    assert Feedback.objects.count() == remaining
    assert {page.pk: summary_fields(page) for page in history} == summaries


def test_verbosity_0_is_silent_and_2_shows_progress(history):
    assert purge("--older-than", "365", "--dry-run", verbosity=0) == ""
    out = purge("--older-than", "365", batch_size=2, verbosity=2)
    assert "Deleted 2 rows…" in out
    assert "Deleted 4 rows…" in out
    assert "Deleted 4 feedback entries on 2 pages" in out


def test_singular_wording(pages):
    step_up = pages[0]
    vote(step_up, "a", 5, days_ago=40)
    assert "Would delete 1 feedback entry on 1 page " in purge("--older-than=30", "--dry-run")


def test_old_votes_of_an_earlier_rating_period_leave_the_current_summary_alone(pages):
    step_up = pages[0]
    vote(step_up, "a", 2, comment="Meh", days_ago=400)
    votes.reset_ratings(step_up.pk)
    vote(step_up, "a", 5, days_ago=1)  # the same visitor, in the new period

    purge("--older-than", "365")

    assert Feedback.objects.filter(page=step_up).count() == 1
    assert summary_fields(step_up) == {**recounted(step_up), "period": 2, "count": 1, "total": 5}


def _purge_queries(pages, rows, batch_size):
    step_up, people, _quiet = pages
    for n in range(rows):
        vote(step_up if n % 2 else people, f"v{rows}-{n}", 1 + n % 5, comment="x", days_ago=400)
    with CaptureQueriesContext(connection) as queries:
        out = purge("--older-than", "365", batch_size=batch_size)
    assert f"Deleted {rows} feedback entries on 2 pages" in out
    assert Feedback.objects.count() == 0
    assert summary_fields(step_up)["count"] == summary_fields(people)["count"] == 0
    # modelsearch's own post_delete receiver removes each row from the search
    # index with a query of its own; that is the search backend's cost, not ours.
    return [q["sql"] for q in queries if 'wagtailsearch_indexentry" WHERE (' not in q["sql"]]


def test_queries_grow_with_batches_not_with_rows(pages):
    """Two batches of 20 rows cost what two batches of 2 rows cost: per batch one
    select of primary keys, Django's collector and one DELETE; per page one recount."""
    few = _purge_queries(pages, rows=4, batch_size=2)
    many = _purge_queries(pages, rows=40, batch_size=20)

    assert len(many) == len(few)
    deletes = [sql for sql in many if sql.startswith('DELETE FROM "wagtail_pmolib_feedback"')]
    assert len(deletes) == 2


def test_reference_index_entries_go_in_one_query_per_batch(pages, monkeypatch):
    """If an admin viewset puts Feedback in Wagtail's reference index, the purge
    removes its entries per batch instead of Wagtail's two queries per row."""
    from wagtail.models import ReferenceIndex

    tracked = {*ReferenceIndex.tracked_models, Feedback}
    monkeypatch.setattr(ReferenceIndex, "tracked_models", tracked)
    step_up = pages[0]
    rows = [vote(step_up, f"r{n}", 5, days_ago=400) for n in range(6)]
    kept = vote(step_up, "kept", 4, days_ago=1)
    for row in [*rows, kept]:
        ReferenceIndex.create_or_update_for_object(row)
    references = ReferenceIndex.objects.filter(object_id__in=[str(r.pk) for r in [*rows, kept]])
    assert references.count() == 7  # one reference each: to the page

    with CaptureQueriesContext(connection) as queries:
        purge("--older-than", "365", batch_size=3)

    assert list(references.values_list("object_id", flat=True)) == [str(kept.pk)]
    reference_deletes = [
        q for q in queries if q["sql"].startswith('DELETE FROM "wagtailcore_referenceindex"')
    ]
    assert len(reference_deletes) <= 4  # two batches, at most two queries each


@pytest.mark.parametrize("days", ["0", "-3", "abc", "4.5", "", "1e3"])
def test_bad_number_of_days_is_an_error_naming_the_option(db, days):
    with pytest.raises(CommandError, match="--older-than"):
        purge(f"--older-than={days}")


def test_bad_number_of_days_given_as_a_keyword(db):
    with pytest.raises(CommandError, match="--older-than"):
        purge(older_than=0)
    with pytest.raises(CommandError, match="--batch-size"):
        purge("--older-than", "30", batch_size=0)


def test_missing_number_of_days_is_an_error_naming_the_option(db):
    with pytest.raises(CommandError, match="--older-than"):
        purge()
    with pytest.raises(CommandError, match="--older-than"):
        purge("--dry-run")


def test_absurdly_many_days_is_an_error_not_a_crash(db):
    with pytest.raises(CommandError, match="--older-than"):
        purge("--older-than", "99999999999")
