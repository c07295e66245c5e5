"""The "Popular searches" report: every search, for editors; whether each text
is offered to visitors as a popular search; hiding a text from visitors and
offering it again, only for editors with ``wagtail_pmolib.hide_searchterm``."""

import csv
import datetime
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils import timezone

from tests.builders import soup_of, text_of
from wagtail_pmolib.models import HiddenSearchTerm, SearchTerm, SearchVisitor
from wagtail_pmolib.search.log import popular_searches

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("wagtail_pmolib_admin:popular_searches")
HIDE_URL = reverse("wagtail_pmolib_admin:hide_search")


def searched(text, hits, visitors=0, no_result_hits=0):
    today = timezone.localdate()
    SearchTerm.objects.create(
        query_string=text, date=today, hits=hits, no_result_hits=no_result_hits
    )
    SearchVisitor.objects.bulk_create(
        [SearchVisitor(query_string=text, date=today, visitor=f"{i:064x}") for i in range(visitors)]
    )


@pytest.fixture
def log(db):
    searched("benefits", hits=12, visitors=4)
    searched("governance", hits=9, visitors=3)
    searched("quinoa", hits=30)  # members only: found nothing public
    searched("buy pills", hits=50, visitors=1)  # one visitor, again and again
    HiddenSearchTerm.objects.create(query_string="governance")


def editor(*codenames):
    group = Group.objects.create(name="Search " + "-".join(codenames))
    group.permissions.set(Permission.objects.filter(codename__in=["access_admin", *codenames]))
    user = User.objects.create_user("-".join(codenames) or "plain", password="pw")
    user.groups.add(group)
    return user


def rows(response):
    table = soup_of(response).select_one("table")
    return {
        text_of(tr.select("td")[0]): [text_of(td) for td in tr.select("td")[1:]]
        for tr in table.select("tbody tr")
    }


def test_the_report_lists_every_search_and_says_which_are_offered(client, log):
    client.force_login(editor("view_searchterm"))
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    found = rows(response)
    assert list(found) == ["buy pills", "quinoa", "benefits", "governance"]
    assert found["benefits"][3:] == ["4", "Yes"]
    assert found["governance"][3:] == ["3", "No: hidden by an editor"]
    assert found["quinoa"][3:] == ["0", "Not yet: 0 of 3 visitors"]
    assert found["buy pills"][3:] == ["1", "Not yet: 1 of 3 visitors"]
    # Without the permission to hide, no buttons.
    assert not soup_of(response).select(f'form[action="{HIDE_URL}"]')
    assert popular_searches() == ["benefits"]


def test_the_export_says_which_are_offered(client, log):
    client.force_login(editor("view_searchterm"))
    response = client.get(REPORT_URL, {"export": "csv"})
    exported = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert exported[0] == [
        "Search",
        "Searches",
        "Searches with no results",
        "Last searched",
        "Visitors shown public sessions",
        "Offered to visitors",
    ]
    by_text = {row[0]: row[4:] for row in exported[1:]}
    assert by_text["benefits"] == ["4", "Yes"]
    assert by_text["governance"] == ["3", "No: hidden by an editor"]


def test_an_editor_hides_a_search_and_offers_it_again(client, log):
    user = editor("view_searchterm", "hide_searchterm")
    client.force_login(user)
    response = client.get(REPORT_URL)
    buttons = {
        form.select_one('input[name="query_string"]')["value"]: text_of(form.button)
        for form in soup_of(response).select(f'form[action="{HIDE_URL}"]')
    }
    assert buttons["benefits"] == "Hide from visitors"
    assert buttons["governance"] == "Offer again"

    response = client.post(
        HIDE_URL, {"query_string": "benefits", "action": "hide", "next": REPORT_URL}
    )
    assert response.status_code == 302 and response["Location"] == REPORT_URL
    assert HiddenSearchTerm.objects.get(query_string="benefits").hidden_by == user
    assert popular_searches() == []
    assert rows(client.get(REPORT_URL))["benefits"][4] == "No: hidden by an editor"

    client.post(HIDE_URL, {"query_string": "governance", "action": "show"})
    assert popular_searches() == ["governance"]
    # Hiding twice keeps one row; the report still lists both.
    client.post(HIDE_URL, {"query_string": "benefits", "action": "hide"})
    assert HiddenSearchTerm.objects.filter(query_string="benefits").count() == 1
    assert {"benefits", "governance"} <= set(rows(client.get(REPORT_URL)))


@pytest.mark.parametrize(
    "codenames",
    [(), ("view_searchterm",), ("hide_searchterm",)],
    ids=["no-permission", "view-only", "hide-without-view"],
)
def test_hiding_needs_both_permissions(client, log, codenames):
    client.force_login(editor(*codenames))
    response = client.post(HIDE_URL, {"query_string": "benefits", "action": "hide"})
    assert response.status_code == 403
    assert not HiddenSearchTerm.objects.filter(query_string="benefits").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "hide"}, "query_string: give the search to hide"),
        ({"query_string": "   ", "action": "hide"}, "query_string: give the search to hide"),
        ({"query_string": "x" * 256, "action": "hide"}, "at most 255 characters"),
        ({"query_string": "benefits"}, "action: must be “hide” or “show”."),
        ({"query_string": "benefits", "action": "delete"}, "action: must be “hide” or “show”."),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(client, log, data, message):
    client.force_login(editor("view_searchterm", "hide_searchterm"))
    response = client.post(HIDE_URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(HiddenSearchTerm.objects.values_list("query_string", flat=True)) == ["governance"]


def test_hiding_answers_only_post(client, log):
    client.force_login(editor("view_searchterm", "hide_searchterm"))
    assert client.get(HIDE_URL, {"query_string": "benefits", "action": "hide"}).status_code == 405
    assert not HiddenSearchTerm.objects.filter(query_string="benefits").exists()


def test_an_unsafe_next_address_is_ignored(client, log):
    client.force_login(editor("view_searchterm", "hide_searchterm"))
    response = client.post(
        HIDE_URL,
        {"query_string": "benefits", "action": "hide", "next": "https://evil.example/"},
    )
    assert response["Location"] == REPORT_URL


def test_the_permissions_are_offered_in_the_group_editor(admin_client):
    group = Group.objects.create(name="Library editors")
    response = admin_client.get(reverse("wagtailusers_groups:edit", args=[group.pk]))
    offered = {box["value"] for box in soup_of(response).select('input[name="permissions"]')}
    for codename in ("view_searchterm", "hide_searchterm"):
        assert str(Permission.objects.get(codename=codename).pk) in offered


def test_last_searched_is_the_day(client, db):
    """The log keeps days: a search made minutes ago is "Today", not "22 hours
    ago" (midnight, as a time)."""
    today = timezone.localdate()
    SearchTerm.objects.create(query_string="now", date=today, hits=1)
    SearchTerm.objects.create(query_string="yesterday", date=today - timedelta(days=1), hits=1)
    SearchTerm.objects.create(query_string="older", date=datetime.date(2026, 3, 4), hits=1)
    client.force_login(editor("view_searchterm"))
    for url in (REPORT_URL, reverse("wagtail_pmolib_admin:no_result_searches")):
        SearchTerm.objects.update(no_result_hits=1)
        found = rows(client.get(url))
        last = {text: cells[2] for text, cells in found.items()}
        assert last == {"now": "Today", "yesterday": "Yesterday", "older": "4 March 2026"}, url


def test_each_search_report_says_how_it_differs_from_the_others(admin_client, log):
    """Three search reports stand in the Reports menu (ours, and Wagtail's
    "Search terms" from search promotions): together, in a clear order, each of
    ours with a help line naming the others."""
    from tests.conftest import menu_item_names

    for url, first_words in (
        (REPORT_URL, "Every search visitors made"),
        (reverse("wagtail_pmolib_admin:no_result_searches"), "The searches visitors made"),
    ):
        response = admin_client.get(url)
        help_line = text_of(soup_of(response).select_one("[data-pmolib-report-help]"))
        assert help_line.startswith(first_words), help_line
        assert "“Search terms”" in help_line and "promoted search results" in help_line
        # The AJAX refresh of the results keeps the help line (it stands outside them).
        results = admin_client.get(url.rstrip("/") + "/results/")
        assert results.status_code == 200
    response = admin_client.get(reverse("wagtailadmin_home"))
    names = menu_item_names(response.wsgi_request)
    reports = [
        name
        for name in names
        if name in ("pmolib-popular-searches", "pmolib-no-result-searches", "search-terms")
    ]
    assert reports == ["pmolib-popular-searches", "pmolib-no-result-searches", "search-terms"]
    html = response.content.decode()
    assert "Search terms (promoted results)" in html
