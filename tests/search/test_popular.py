"""The popular searches offered to visitors when a search finds nothing.

What is offered is public, so it follows a rule (README, "Popular searches"):
a text several distinct visitors searched for (``POPULAR_SEARCHES_MIN_VISITORS``)
in the last ``POPULAR_SEARCHES_DAYS`` days and that showed them sessions anyone
may see, unless an editor hid it. One visitor repeating a search, searches that
found nothing, and searches by visitors who see more than anyone (signed in, a
password given) never make a text popular; the admin reports still count them.
"""

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.builders import committed, soup_of, text_of
from wagtail_pmolib.models import HiddenSearchTerm, SearchTerm, SearchVisitor
from wagtail_pmolib.search.log import hide_search, popular_searches

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def sessions(make_session):
    public = make_session("Benefits tracking", abstract="<p>Governance and benefits.</p>")
    private = make_session("Members clinic", abstract="<p>Quinoa governance secrets.</p>")
    with committed():
        PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    return public, private


def search(client, library, q, address="192.0.2.1", agent=BROWSER):
    response = client.get(library.url, {"q": q}, REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    return response


def offered(client, library, address="198.51.100.99"):
    """The popular searches a visitor is offered after a search that finds nothing."""
    response = search(client, library, "zzyzx", address=address)
    return [text_of(a) for a in soup_of(response).select(".pmolib-empty__popular a")]


def hits(text):
    return SearchTerm.objects.filter(query_string=text).values_list("hits", flat=True).first()


def test_a_search_made_by_enough_distinct_visitors_is_offered(client, library, sessions):
    search(client, library, "benefits", address="192.0.2.1")
    search(client, library, "benefits", address="192.0.2.2")
    assert offered(client, library) == []
    search(client, library, "Benefits!", address="192.0.2.3")  # the same normalised text
    assert offered(client, library) == ["benefits"]
    response = search(client, library, "zzyzx")
    [link] = soup_of(response).select(".pmolib-empty__popular a")
    assert link["href"] == "?q=benefits"


def test_one_visitor_repeating_a_search_does_not_make_it_popular(client, library, sessions):
    for i in range(10):
        # Another user agent each time: still one address, one visitor.
        search(client, library, "benefits", address="192.0.2.1", agent=f"{BROWSER} spam/{i}")
    assert hits("benefits") == 10  # the report counts every search
    assert offered(client, library) == []
    assert SearchVisitor.objects.count() == 1


def test_addresses_of_one_ipv6_network_are_one_visitor(client, library, sessions):
    for address in (
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:ffff::1",
        "2001:db8:1:2:abcd:ef01:2345:6789",
    ):
        search(client, library, "benefits", address=address)
    assert offered(client, library) == []
    search(client, library, "benefits", address="2001:db8:1:3::1")
    search(client, library, "benefits", address="::ffff:192.0.2.7")  # IPv4 in IPv6
    assert offered(client, library) == ["benefits"]


def test_no_raw_address_is_stored(client, library, sessions):
    search(client, library, "benefits", address="192.0.2.1")
    [row] = SearchVisitor.objects.values_list("query_string", "visitor")
    assert row[0] == "benefits"
    assert len(row[1]) == 64 and "192.0.2.1" not in row[1]
    assert int(row[1], 16) >= 0  # a hex digest


def test_searches_that_found_nothing_are_never_offered(client, library, sessions):
    for i in range(5):
        search(client, library, "buy cheap pills", address=f"192.0.2.{i}")
    assert SearchVisitor.objects.count() == 0
    assert hits("buy cheap pills") == 5
    assert offered(client, library) == []


def test_words_only_private_sessions_have_are_never_offered(client, library, sessions):
    # Members who may see the members' session search for its words.
    for i in range(4):
        member = User.objects.create_user(f"member{i}", password="pw")
        client.force_login(member)
        response = search(client, library, "quinoa", address=f"192.0.2.{i}")
        assert response.context["search"].total == 1
    client.logout()
    assert hits("quinoa") == 4  # counted for the editors' reports
    assert offered(client, library) == []
    # And an anonymous visitor finds nothing with them.
    assert search(client, library, "quinoa").context["search"].total == 0


def test_visitors_who_see_more_than_anyone_do_not_count(client, library, sessions):
    """Signed-in visitors of a library with private sessions (and visitors who gave a
    page's password) may be shown private sessions: their searches never count
    towards what anyone is offered, whatever they found."""
    for i in range(3):
        client.force_login(User.objects.create_user(f"member{i}", password="pw"))
        search(client, library, "governance", address=f"192.0.2.{i}")
    client.logout()
    assert offered(client, library) == []
    for i in range(3):
        search(client, library, "governance", address=f"203.0.113.{i}")
    assert offered(client, library) == ["governance"]


def test_signed_in_visitors_count_where_everything_is_public(
    client, library, make_session, admin_user
):
    make_session("Benefits tracking")
    for i in range(3):
        client.force_login(User.objects.create_user(f"reader{i}", password="pw"))
        search(client, library, "benefits", address="192.0.2.1")  # one office, three people
    assert offered(client, library) == ["benefits"]


def test_searches_in_a_private_library_are_never_offered(client, site_root):
    from tests.builders import build_conference, build_library, build_session

    members = build_library("Members' library", slug="members")
    build_session(build_conference(members, "Members 2021"), "Quinoa clinic")
    with committed():
        PageViewRestriction.objects.create(page=members, restriction_type="login")
    public = build_library("Library", slug="library")
    build_session(build_conference(public, "Open 2021"), "Benefits tracking")
    for i in range(3):
        client.force_login(User.objects.create_user(f"member{i}", password="pw"))
        response = search(client, members, "quinoa", address=f"192.0.2.{i}")
        assert response.context["search"].total == 1
    client.logout()
    assert offered(client, public) == []


def test_an_editor_can_hide_a_popular_search(client, library, sessions, admin_user):
    for i in range(3):
        search(client, library, "benefits", address=f"192.0.2.{i}")
        search(client, library, "governance", address=f"192.0.2.{i}")
    assert sorted(offered(client, library)) == ["benefits", "governance"]
    hide_search("governance", admin_user)
    assert offered(client, library) == ["benefits"]
    assert HiddenSearchTerm.objects.get().hidden_by == admin_user
    # More visitors do not bring it back.
    search(client, library, "governance", address="203.0.113.9")
    assert offered(client, library) == ["benefits"]
    hide_search("governance", hidden=False)
    assert sorted(offered(client, library)) == ["benefits", "governance"]


@override_settings(WAGTAIL_PMOLIB={"POPULAR_SEARCHES_MIN_VISITORS": 1, "POPULAR_SEARCHES": 2})
def test_the_threshold_and_the_number_offered_are_settings(client, library, sessions):
    search(client, library, "benefits", address="192.0.2.1")
    search(client, library, "benefits", address="192.0.2.2")
    search(client, library, "governance", address="192.0.2.1")
    search(client, library, "tracking", address="192.0.2.1")
    assert offered(client, library) == ["benefits", "governance"]  # most visitors, then a–z


@override_settings(WAGTAIL_PMOLIB={"POPULAR_SEARCHES": 0, "POPULAR_SEARCHES_MIN_VISITORS": 1})
def test_popular_searches_can_be_turned_off(client, library, sessions):
    search(client, library, "benefits")
    assert offered(client, library) == []


def test_only_recent_visitors_count_and_older_ones_are_deleted(client, library, sessions):
    today = timezone.localdate()
    old = today - datetime.timedelta(days=91)
    recent = today - datetime.timedelta(days=89)
    SearchVisitor.objects.bulk_create(
        [SearchVisitor(query_string="benefits", date=old, visitor=f"{i:064x}") for i in range(3)]
        + [
            SearchVisitor(query_string="governance", date=recent, visitor=f"{i:064x}")
            for i in range(3)
        ]
    )
    assert popular_searches() == ["governance"]
    search(client, library, "tracking")  # the day's first search of a text
    assert not SearchVisitor.objects.filter(date=old).exists()
    assert SearchVisitor.objects.filter(date=recent).count() == 3


def test_the_no_results_page_offers_popular_searches_and_browsing(client, library, sessions):
    today = timezone.localdate()
    rows = [("benefits", 9), ("governance", 4), ("ancient", 50)]
    for text, visitors in rows:
        day = today if text != "ancient" else today - datetime.timedelta(days=400)
        SearchVisitor.objects.bulk_create(
            [
                SearchVisitor(query_string=text, date=day, visitor=f"{i:064x}")
                for i in range(visitors)
            ]
        )
    SearchTerm.objects.create(query_string="gibberish", date=today, hits=5, no_result_hits=5)
    response = search(client, library, "zzyzx")
    empty = soup_of(response).select_one(".pmolib-empty")
    assert "No sessions match “zzyzx”" in text_of(empty)
    popular = [(text_of(a), a["href"]) for a in empty.select(".pmolib-empty__popular a")]
    assert popular == [("benefits", "?q=benefits"), ("governance", "?q=governance")]
    assert "?" in [a["href"] for a in empty.select("a")]  # browse all sessions
    heading = soup_of(response).select_one("#pmolib-sessions-heading")
    assert text_of(heading) == "0 sessions found for “zzyzx”"


def test_a_visitor_repeating_a_search_is_stored_once_and_written_once(client, library, sessions):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def visitor_writes():
        with CaptureQueriesContext(connection) as queries:
            search(client, library, "benefits")
        return [q["sql"] for q in queries if "searchvisitor" in q["sql"].lower()]

    assert len(visitor_writes()) == 2  # the day's first search also deletes old rows
    assert visitor_writes() == []  # sorting or filtering it again writes nothing
    cache.clear()  # a cache that forgot costs one insert, which is ignored
    assert len(visitor_writes()) == 1
    assert SearchVisitor.objects.count() == 1
