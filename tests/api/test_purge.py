"""Publishing purges the API's URLs from a front-end cache (issue 10, item 7):
scoped to what changed, after commit, through Wagtail's front-end cache app, and
nothing at all where the host configured none."""

from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings
from wagtail.models import Page

from tests.builders import build_conference, build_library, build_session
from wagtail_pmolib.models import ConferencePage, LibraryIndexPage, SessionPage, Speaker

API = "http://localhost/api/pmolib/"


class RecordingBackend:
    """A front-end cache backend (``WAGTAILFRONTENDCACHE``) that records what it is
    asked to purge."""

    purged: list[str] = []
    batches: list[list[str]] = []

    def __init__(self, params):
        self.hostnames = params.get("HOSTNAMES", ["*"])

    def invalidates_hostname(self, hostname):
        return hostname in self.hostnames or "*" in self.hostnames

    def purge(self, url):
        self.purged.append(url)

    def purge_batch(self, urls):
        self.purged.extend(urls)
        self.batches.append(list(urls))


FRONTEND_CACHE = {"test": {"BACKEND": f"{__name__}.RecordingBackend"}}


@pytest.fixture
def purged(settings):
    settings.WAGTAILFRONTENDCACHE = FRONTEND_CACHE
    RecordingBackend.purged = []
    RecordingBackend.batches = []
    yield RecordingBackend.purged
    RecordingBackend.purged = []
    RecordingBackend.batches = []


@pytest.fixture
def tree(db):
    library = build_library()
    conference = build_conference(library, themes=("PMO People",))
    conference.save_revision().publish()
    lindsay = Speaker.objects.create(name="Lindsay Scott")
    eileen = Speaker.objects.create(name="Eileen Roden")
    first = build_session(conference, "Alpha", speakers=[lindsay])
    second = build_session(conference, "Bravo", speakers=[lindsay])
    other_conference = build_conference(library, "PMO Conference 2022")
    other = build_session(other_conference, "Charlie", speakers=[eileen])
    return {
        "library": library,
        "conference": conference,
        "other_conference": other_conference,
        "lindsay": lindsay,
        "eileen": eileen,
        "first": first,
        "second": second,
        "other": other,
    }


def api(path):
    return API + path


def by_path(session_path):
    """Both spellings of a session's by-path address."""
    encoded = session_path.replace("/", "%2F")
    return {api(f"sessions/by-path/?path={session_path}"), api(f"sessions/by-path/?path={encoded}")}


def republish(page, **fields):
    page = type(page).objects.get(pk=page.pk)
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


def test_publishing_a_session_purges_its_addresses_and_what_lists_it(tree, purged):
    first, conference, lindsay = tree["first"], tree["conference"], tree["lindsay"]
    other_library = build_library("Archive", slug="archive")
    purged.clear()
    RecordingBackend.batches.clear()
    republish(first, title="Alpha, revised")
    urls = set(purged)
    assert {
        api(f"sessions/{first.pk}/"),
        *by_path("/library/pmo-conference-2021/alpha/"),
        api("sessions/"),
        api(f"conferences/{conference.pk}/"),
        api(f"speakers/{lindsay.pk}/"),  # "sessions" of the speaker
        api(f"sessions/{tree['second'].pk}/"),  # its neighbour shows its title
        api(f"sessions/{first.pk}/rating/"),
        api(f"libraries/{tree['library'].pk}/search/"),  # browsing lists it
    } <= urls
    # Scoped: another conference's session, another speaker, the libraries.
    assert api(f"sessions/{tree['other'].pk}/") not in urls
    assert api(f"speakers/{tree['eileen'].pk}/") not in urls
    assert api("libraries/") not in urls
    assert api(f"libraries/{other_library.pk}/search/") not in urls
    # Batches (one a committed transaction: Wagtail publishes in one and sends
    # page_published after it), each URL once in each, nothing outside the API.
    assert 1 <= len(RecordingBackend.batches) <= 2
    for batch in RecordingBackend.batches:
        assert len(batch) == len(set(batch))
    assert all(url.startswith(API) for url in urls)


def test_nothing_is_computed_or_sent_without_a_frontend_cache(tree, settings):
    assert not hasattr(settings, "WAGTAILFRONTENDCACHE")
    with mock.patch("wagtail_pmolib.api.purge.stale_urls") as stale_urls:
        republish(tree["first"], title="Alpha, revised")
    stale_urls.assert_not_called()


def test_a_draft_purges_nothing(tree, purged):
    page = SessionPage.objects.get(pk=tree["first"].pk)
    page.title = "Alpha, draft"
    page.save_revision()
    assert purged == []


def test_nothing_is_purged_before_the_commit_nor_for_a_rollback(tree, purged):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        republish(tree["first"], title="Alpha, never")
        assert purged == []
        raise Rollback
    assert purged == []
    with transaction.atomic():
        republish(tree["first"], title="Alpha, committed")
        assert purged == []
    assert api(f"sessions/{tree['first'].pk}/") in purged


def test_a_speaker_renamed_purges_the_speaker_and_the_sessions_showing_them(tree, purged):
    lindsay = tree["lindsay"]
    lindsay.name = "Lindsay Scott-Jones"
    lindsay.save()
    urls = set(purged)
    assert {
        api(f"speakers/{lindsay.pk}/"),
        api("speakers/"),
        api(f"sessions/{tree['first'].pk}/"),
        api(f"sessions/{tree['second'].pk}/"),
    } <= urls
    assert api(f"sessions/{tree['other'].pk}/") not in urls
    assert api(f"speakers/{tree['eileen'].pk}/") not in urls


def test_a_conference_published_purges_it_its_library_and_each_of_its_sessions(tree, purged):
    conference = republish(tree["conference"], title="PMO Conference 2021 (London)")
    urls = set(purged)
    assert {
        api(f"conferences/{conference.pk}/"),
        api("conferences/"),
        api(f"libraries/{tree['library'].pk}/"),
        api(f"sessions/{tree['first'].pk}/"),
        api(f"sessions/{tree['second'].pk}/"),
    } <= urls
    assert api(f"sessions/{tree['other'].pk}/") not in urls
    assert api(f"conferences/{tree['other_conference'].pk}/") not in urls


def test_a_library_published_purges_the_libraries(tree, purged):
    library = republish(tree["library"], intro="<p>New words.</p>")
    assert {
        api(f"libraries/{library.pk}/"),
        api("libraries/"),
        api(f"libraries/{library.pk}/search/"),
    } <= set(purged)
    assert not any("/sessions/" in url for url in purged)


def test_unpublishing_a_session_purges_its_addresses(tree, purged):
    SessionPage.objects.get(pk=tree["first"].pk).unpublish()
    assert {api(f"sessions/{tree['first'].pk}/"), api("sessions/")} <= set(purged)
    assert by_path("/library/pmo-conference-2021/alpha/") <= set(purged)


def test_a_session_whose_slug_changed_purges_its_old_and_new_address(tree, purged):
    republish(tree["first"], slug="alpha-renamed")
    assert by_path("/library/pmo-conference-2021/alpha/") <= set(purged)
    assert by_path("/library/pmo-conference-2021/alpha-renamed/") <= set(purged)


def test_a_moved_conference_purges_its_sessions_old_addresses(tree, purged):
    other_library = build_library("Archive", slug="archive")
    purged.clear()
    Page.objects.get(pk=tree["conference"].pk).move(other_library, pos="last-child")
    urls = set(purged)
    assert by_path("/library/pmo-conference-2021/alpha/") <= urls
    assert by_path("/archive/pmo-conference-2021/alpha/") <= urls
    assert api(f"sessions/{tree['second'].pk}/") in urls


def test_a_deleted_session_purges_its_addresses(tree, purged):
    pk = tree["first"].pk
    SessionPage.objects.get(pk=pk).delete()
    urls = set(purged)
    assert {
        api(f"sessions/{pk}/"),
        api("sessions/"),
        api(f"conferences/{tree['conference'].pk}/"),
    } <= urls
    assert by_path("/library/pmo-conference-2021/alpha/") <= urls


@override_settings(WAGTAILAPI_BASE_URL="https://api.example.org")
def test_addresses_are_on_the_api_base_url_when_set(tree, purged):
    republish(tree["first"], title="Alpha, revised")
    assert f"https://api.example.org/api/pmolib/sessions/{tree['first'].pk}/" in purged
    assert not any(url.startswith("http://localhost") for url in purged)


def test_a_failing_purge_never_fails_the_publication(tree, purged, caplog):
    with mock.patch("wagtail_pmolib.api.purge.stale_urls", side_effect=RuntimeError("CDN down")):
        page = republish(tree["first"], title="Alpha, published anyway")
    assert SessionPage.objects.get(pk=page.pk).live
    assert "failed on committed library changes" in caplog.text


def test_only_the_configured_backends_hosts_are_purged(tree, settings):
    settings.WAGTAILFRONTENDCACHE = {
        "test": {"BACKEND": f"{__name__}.RecordingBackend", "HOSTNAMES": ["elsewhere.org"]}
    }
    RecordingBackend.purged = []
    republish(tree["first"], title="Alpha, revised")
    assert RecordingBackend.purged == []


def test_every_object_is_purged_when_a_site_changes(tree, purged):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    site.site_name = "PMO"
    site.save()
    urls = set(purged)
    for page in (tree["first"], tree["second"], tree["other"]):
        assert api(f"sessions/{page.pk}/") in urls
    assert api(f"libraries/{LibraryIndexPage.objects.get().pk}/") in urls
    for conference in ConferencePage.objects.all():
        assert api(f"conferences/{conference.pk}/") in urls
    assert {api(f"speakers/{tree['lindsay'].pk}/"), api(f"speakers/{tree['eileen'].pk}/")} <= urls
