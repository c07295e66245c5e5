"""The rendered session article is cached, and never outlives the content it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from wagtail.models import PageViewRestriction

from wagtail_pmolib.invalidation import invalidate_everything

from .conftest import recording_value


@pytest.fixture
def pair(make_session, speaker):
    first = make_session(
        "First session",
        speakers=[speaker],
        starts_at="2021-11-02T10:00:00Z",
        recording=recording_value(),
    )
    second = make_session("Second session", speakers=[speaker], starts_at="2021-11-02T11:00:00Z")
    return first, second


def get(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def queries(client, page):
    with CaptureQueriesContext(connection) as ctx:
        get(client, page)
    return len(ctx.captured_queries)


def test_a_cached_article_costs_fewer_queries_and_renders_the_same(client, pair):
    first, _ = pair
    cold = get(client, first)
    cold_queries = queries(client, first)  # warm: from the cache
    invalidate_everything()
    miss_queries = queries(client, first)
    assert get(client, first) == cold
    assert cold_queries < miss_queries


def test_speaker_changes_show_at_once(client, pair, speaker):
    first, _ = pair
    assert "Lindsay Scott" in get(client, first)
    speaker.name = "Lindsay Scott-Jones"
    speaker.save()
    assert "Lindsay Scott-Jones" in get(client, first)


def test_publishing_a_neighbour_shows_at_once(client, pair):
    first, second = pair
    assert "Second session" in get(client, first)
    second.title = "Second session, renamed"
    second.save_revision().publish()
    assert "Second session, renamed" in get(client, first)


def test_unpublishing_a_neighbour_removes_the_link_at_once(client, pair):
    first, second = pair
    assert second.url in get(client, first)
    second.unpublish()
    assert second.url not in get(client, first)


def test_a_new_view_restriction_hides_cross_links_at_once(client, pair, make_session, speaker):
    first, _ = pair
    other = make_session("Third session", speakers=[speaker])
    assert "Third session" in get(client, first)
    PageViewRestriction.objects.create(
        page=other, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    assert "Third session" not in get(client, first)


def test_previews_are_never_cached(client, pair, admin_user):
    first, _ = pair
    get(client, first)
    client.force_login(admin_user)
    first.title = "Draft title seen only in preview"
    preview = first.make_preview_request()
    assert "Draft title seen only in preview" in preview.content.decode()
    client.logout()
    assert "Draft title seen only in preview" not in get(client, first)


@override_settings(WAGTAIL_PMOLIB={"FRAGMENT_CACHE_TIMEOUT": 0})
def test_caching_can_be_turned_off(client, pair):
    first, _ = pair
    get(client, first)
    warm = queries(client, first)
    invalidate_everything()
    assert queries(client, first) == warm


def test_a_cached_view_reads_versions_and_rating_figures_in_one_query(client, pair):
    """What keys the cached article and its feedback section (the versions, the
    speakers' versions, the rating figures) comes from one statement."""
    first, _ = pair
    get(client, first)
    with CaptureQueriesContext(connection) as ctx:
        html = get(client, first)
    ours = [
        q["sql"]
        for q in ctx.captured_queries
        if "wagtail_pmolib_contentversion" in q["sql"] or "wagtail_pmolib_ratingsummary" in q["sql"]
    ]
    assert len(ours) == 1
    assert "wagtail_pmolib_ratingsummary" in ours[0] and "wagtail_pmolib_sessionspeaker" in ours[0]
    assert "0 out of 5 stars" in html
