"""Invalidation is scoped and runs after commit (issue 8, item 2).

What a change makes stale is read off the keys of what is cached: a session
article's two parts (``main``: the article; ``rest``: neighbours and "other
sessions by"), as the next request would compute them, and the version of the
site's feedback settings. (The listing, search, facets and suggestions cache
nothing: they need no version.)
"""

import datetime
import re

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from wagtail_pmolib import invalidation
from wagtail_pmolib.fragment_cache import article_keys
from wagtail_pmolib.invalidation import pending
from wagtail_pmolib.models import ConferencePage, ContentVersion, Speaker
from wagtail_pmolib.models.versions import read_versions

from .builders import build_conference, build_library, build_session
from .conftest import ensure_default_site


def keys(page):
    """The article's cache keys as the next request would compute them."""
    page = Page.objects.get(pk=page.pk).specific
    return article_keys(page, RequestFactory().get(page.url))


def settings_version():
    from wagtail.models import Site

    scope = invalidation.settings_scope(Site.objects.get(is_default_site=True).pk)
    return read_versions([scope])[scope]


@pytest.fixture
def sessions(conference, library, make_session, speaker):
    """Conference 2021: A, B, C in that order, all by the same speaker; another
    conference: D by that speaker too, E by someone else."""
    other = ConferencePage(title="PMO Conference 2022", slug="pmo-conference-2022")
    library.add_child(instance=other)
    other.save_revision().publish()
    someone = Speaker.objects.create(name="Someone Else")

    def at(hour):
        return datetime.datetime(2021, 11, 2, hour, tzinfo=datetime.UTC)

    return {
        "A": make_session("Alpha", speakers=[speaker], starts_at=at(10)),
        "B": make_session("Bravo", speakers=[speaker], starts_at=at(11)),
        "C": make_session("Charlie", speakers=[speaker], starts_at=at(12)),
        "D": make_session("Delta", speakers=[speaker], parent=other),
        "E": make_session("Echo", speakers=[someone], parent=other),
    }


def snapshot(sessions):
    return {name: keys(page) for name, page in sessions.items()}, settings_version()


def changed(before, after):
    """Which parts changed: {"A": ("main", "rest"), …, "settings": True}."""
    (pages_before, settings_before), (pages_after, settings_after) = before, after
    found = {
        name: tuple(part for part in ("main", "rest") if pages_before[name][part] != keys[part])
        for name, keys in pages_after.items()
    }
    found = {name: parts for name, parts in found.items() if parts}
    if settings_before != settings_after:
        found["settings"] = True
    return found


def test_an_unrelated_draft_image_document_or_page_invalidates_nothing(
    sessions, site_root, make_image, make_document
):
    before = snapshot(sessions)
    # A draft of a session (and of another): nothing a visitor sees changed.
    for name in ("A", "E"):
        draft = sessions[name]
        draft.title = "Draft title"
        draft.save_revision()
    make_image("Unrelated upload")
    make_document("Unrelated handout")
    outside = site_root.add_child(instance=Page(title="About us", slug="about"))
    outside.title = "About the PMO"
    outside.save_revision().publish()
    assert changed(before, snapshot(sessions)) == {}


def test_publishing_a_session_invalidates_what_shows_it_and_nothing_else(sessions):
    before = snapshot(sessions)
    bravo = sessions["B"]
    bravo.title = "Bravo, retitled"
    bravo.save_revision().publish()
    assert changed(before, snapshot(sessions)) == {
        "B": ("main", "rest"),  # its article
        "A": ("rest",),  # its neighbours' links…
        "C": ("rest",),
        "D": ("rest",),  # …and "other sessions by" its speaker
    }


@pytest.mark.parametrize("change", ["unpublish", "login restriction", "delete"])
def test_hiding_a_session_invalidates_the_same(sessions, change):
    before = snapshot(sessions)
    bravo = sessions.pop("B")
    if change == "unpublish":
        bravo.unpublish()
    elif change == "delete":
        bravo.delete()
    else:
        PageViewRestriction.objects.create(page=bravo, restriction_type=PageViewRestriction.LOGIN)
    before[0].pop("B")
    assert changed(before, snapshot(sessions)) == {
        "A": ("rest",),
        "C": ("rest",),
        "D": ("rest",),
    }


def test_a_speaker_edit_invalidates_the_sessions_showing_the_speaker(sessions, speaker):
    before = snapshot(sessions)
    speaker.organisation = "House of PMO"
    speaker.save()
    found = changed(before, snapshot(sessions))
    assert set(found) == {"A", "B", "C", "D"}
    assert all("main" in found[name] for name in "ABCD")


def test_a_conference_edit_invalidates_its_sessions_articles_only(sessions, conference):
    before = snapshot(sessions)
    conference.title = "PMO Conference 2021 (London)"
    conference.save_revision().publish()
    found = changed(before, snapshot(sessions))
    assert found == dict.fromkeys("ABC", ("main", "rest"))  # not D, E: another conference


def test_a_handout_document_or_picture_invalidates_the_pages_using_it(
    sessions, make_document, make_image, speaker
):
    document = make_document("Handout of Alpha")
    alpha = sessions["A"]
    alpha.body = [("handout", {"document": document, "title": "", "description": ""})]
    alpha.save_revision().publish()
    before = snapshot(sessions)
    document.title = "Handout of Alpha, second edition"
    document.save()
    assert changed(before, snapshot(sessions)) == {"A": ("main", "rest")}

    photo = make_image("Portrait")
    speaker.photo = photo
    speaker.save()
    before = snapshot(sessions)
    photo.title = "Portrait, cropped"
    photo.save()
    found = changed(before, snapshot(sessions))
    assert set(found) == {"A", "B", "C", "D"}  # the speaker's sessions only


def test_invalidate_everything(sessions):
    before = snapshot(sessions)
    invalidation.invalidate_everything()
    found = changed(before, snapshot(sessions))
    assert set(found) == {*"ABCDE"}


def test_an_unrelated_draft_keeps_the_article_cached_and_a_publish_shows_at_once(client, sessions):
    alpha = sessions["A"]
    for _ in range(2):
        client.get(alpha.url)
    with CaptureQueriesContext(connection) as warm:
        client.get(alpha.url)
    sessions["E"].title = "Draft only"
    sessions["E"].save_revision()
    with CaptureQueriesContext(connection) as after_draft:
        html = client.get(alpha.url).content.decode()
    assert len(after_draft) == len(warm)  # still served from the cache
    assert "Draft only" not in html
    bravo = sessions["B"]
    bravo.title = "Bravo, published now"
    bravo.save_revision().publish()
    assert "Bravo, published now" in client.get(alpha.url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_versions_move_only_after_the_transaction_commits(transactional_site_root):
    ensure_default_site()
    session = build_session(build_conference(build_library()), "Alpha")
    scope = invalidation.page_scope(session.pk)  # what keys its article
    start = read_versions([scope])[scope]

    with transaction.atomic():
        session.title = "Alpha, renamed"
        session.save_revision().publish()
        assert read_versions([scope])[scope] == start  # not before the commit
    committed = read_versions([scope])[scope]
    assert committed != start

    with pytest.raises(RuntimeError), transaction.atomic():
        session.title = "Alpha, renamed again"
        session.save_revision().publish()
        raise RuntimeError("rolled back")
    assert read_versions([scope])[scope] == committed  # nothing for a rollback
    session.refresh_from_db()

    # A savepoint rolled back inside a transaction that commits: the change made
    # outside the savepoint still counts.
    with transaction.atomic():
        try:
            with transaction.atomic():
                invalidation.page_id_changed(session.pk, invalidation.CONTENT)
                raise RuntimeError
        except RuntimeError:
            pass
        session.title = "Alpha, third title"
        session.save_revision().publish()
    assert read_versions([scope])[scope] > committed
    assert ContentVersion.objects.filter(scope=scope).count() == 1


# --- Holes found in review ------------------------------------------------------------


def test_moving_a_session_to_another_library_invalidates_the_running_order_it_left(
    sessions, site_root
):
    from wagtail_pmolib.models import LibraryIndexPage

    other_library = site_root.add_child(
        instance=LibraryIndexPage(title="Other library", slug="other-library")
    )
    elsewhere = ConferencePage(title="Elsewhere 2023", slug="elsewhere-2023")
    other_library.add_child(instance=elsewhere)
    elsewhere.save_revision().publish()
    before = snapshot(sessions)
    Page.objects.get(pk=sessions["E"].pk).move(elsewhere, pos="last-child")
    assert changed(before, snapshot(sessions)) == {
        "E": ("main", "rest"),  # its own article, at its new address
        "D": ("rest",),  # its neighbour in the conference it left
    }


def test_deleting_a_speakers_photo_invalidates_the_sessions_showing_it(
    sessions, make_image, speaker
):
    photo = make_image("Portrait")
    speaker.photo = photo
    speaker.save()
    before = snapshot(sessions)
    photo.delete()  # Speaker.photo is SET_NULL: an UPDATE without signals
    found = changed(before, snapshot(sessions))
    assert set(found) == {"A", "B", "C", "D"}


def test_a_change_whose_scopes_cannot_be_worked_out_still_reaches_every_process(
    sessions, monkeypatch
):
    def broken(changes, lookups):
        raise RuntimeError("too many SQL variables")

    monkeypatch.setattr(pending, "stale_scopes", broken)
    before = snapshot(sessions)
    bravo = sessions["B"]
    bravo.title = "Bravo, retitled"
    bravo.save_revision().publish()
    found = changed(before, snapshot(sessions))
    assert set(found) == {*"ABCDE"}  # everything, rather than nothing


def test_group_restriction_changed_from_the_group_side(sessions):
    from django.contrib.auth.models import Group

    bravo = sessions["B"]
    restriction = PageViewRestriction.objects.create(
        page=bravo, restriction_type=PageViewRestriction.GROUPS
    )
    staff = Group.objects.create(name="Staff")
    before = snapshot(sessions)
    staff.pageviewrestriction_set.add(restriction)  # from the group's side
    found = changed(before, snapshot(sessions))
    assert found == {"B": ("main", "rest"), "A": ("rest",), "C": ("rest",), "D": ("rest",)}


def test_an_emptied_version_table_never_brings_back_an_old_article(client, sessions):
    def heading():
        html = client.get(alpha.url).content.decode()
        return re.search(r'<h1 id="pmolib-title".*?</h1>', html, re.S).group(0)

    alpha = sessions["A"]
    ContentVersion.objects.all().delete()
    assert "Alpha" in heading()  # cached under versions never bumped
    Page.objects.filter(pk=alpha.pk).update(title="Alpha, changed without signals")
    invalidation.invalidate_everything()
    assert "changed without signals" in heading()
    ContentVersion.objects.all().delete()  # e.g. a reset, or a copy of the database
    assert "changed without signals" in heading()


@pytest.mark.parametrize("change", ["move", "slug", "delete"])
def test_an_article_linking_to_a_page_that_moves_or_goes_is_invalidated(client, sessions, change):
    def link_in_notes():
        html = client.get(alpha.url).content.decode()
        notes = re.search(r'class="pmolib-section pmolib-section--notes".*?</section>', html, re.S)
        return re.search(r"<a[^>]*>Echo's session</a>", notes.group(0)).group(0)

    alpha, echo = sessions["A"], sessions["E"]
    alpha.notes = f'<p>See also <a linktype="page" id="{echo.pk}">Echo\'s session</a>.</p>'
    alpha.save_revision().publish()
    assert f'href="{echo.url}"' in link_in_notes()
    before = snapshot(sessions)
    if change == "move":
        Page.objects.get(pk=echo.pk).move(sessions["A"].get_parent(), pos="last-child")
    elif change == "slug":
        echo = Page.objects.get(pk=echo.pk).specific
        echo.slug = "echo-renamed"
        echo.save_revision().publish()
    else:
        Page.objects.get(pk=echo.pk).delete()
    echo_url = Page.objects.get(pk=echo.pk).url if change != "delete" else None
    link = link_in_notes()
    assert (f'href="{echo_url}"' in link) if echo_url else ("href" not in link)
    assert keys(sessions["B"])["main"] == before[0]["B"]["main"]  # scoped: not every article


def test_deleting_a_handout_document_or_picture_invalidates_the_pages_using_it(
    sessions, make_document, make_image
):
    document, cover = make_document("Handout of Alpha"), make_image("Cover")
    alpha = sessions["A"]
    alpha.body = [("handout", {"document": document, "title": "", "description": ""})]
    alpha.save_revision().publish()
    bravo = sessions["B"]
    bravo.body = [("handout", {"document": make_document(), "cover": cover})]
    bravo.save_revision().publish()
    before = snapshot(sessions)
    document.delete()  # Wagtail drops the references to it as it goes
    assert changed(before, snapshot(sessions)) == {"A": ("main", "rest")}
    before = snapshot(sessions)
    cover.delete()
    assert changed(before, snapshot(sessions)) == {"B": ("main", "rest")}


def test_a_theme_edit_reaches_a_session_moved_away_from_its_conference(sessions, conference):
    # Moved to another conference, Echo keeps the theme it had in 2021.
    theme = conference.themes.first()
    echo = sessions["E"]
    echo.theme = theme
    echo.save_revision().publish()
    before = snapshot(sessions)
    theme.name = "PMO Services, renamed"
    theme.save()
    assert "E" in changed(before, snapshot(sessions))
    before = snapshot(sessions)
    theme.delete()  # session.theme is SET_NULL: an UPDATE without signals
    assert "E" in changed(before, snapshot(sessions))


def test_content_loaded_from_a_fixture_reaches_every_process(sessions, tmp_path):
    from django.core import serializers
    from django.core.management import call_command

    alpha = Page.objects.get(pk=sessions["A"].pk)
    alpha.title = "Alpha, as loaded"
    fixture = tmp_path / "alpha.json"
    fixture.write_text(serializers.serialize("json", [alpha]))
    before = snapshot(sessions)
    call_command("loaddata", str(fixture), verbosity=0)  # saves with raw=True
    found = changed(before, snapshot(sessions))
    assert set(found) == {*"ABCDE"}  # everything


@pytest.mark.django_db(databases=["default", "versions"])
def test_versions_kept_in_another_database_move_after_the_content_commits(sessions, settings):
    settings.DATABASE_ROUTERS = ["tests.routers.VersionsElsewhere"]
    scope = invalidation.page_scope(sessions["B"].pk)
    start = read_versions([scope])[scope]
    with transaction.atomic():  # the content's transaction, on default
        bravo = sessions["B"]
        bravo.title = "Bravo, retitled"
        bravo.save_revision().publish()
        # Another process reading the versions now would cache the old article
        # under the new version, for good.
        assert read_versions([scope])[scope] == start
    assert read_versions([scope])[scope] != start


def test_an_emptied_version_table_never_brings_back_old_feedback_settings(site_root):
    from wagtail.models import Site

    from wagtail_pmolib.feedback.settings import settings_for_request
    from wagtail_pmolib.models import FeedbackSettings

    def enabled():
        return settings_for_request(RequestFactory().get("/")).enabled

    ContentVersion.objects.all().delete()
    assert enabled()  # cached, under versions never bumped
    feedback_settings = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
    feedback_settings.enabled = False
    feedback_settings.save()
    assert not enabled()
    ContentVersion.objects.all().delete()
    assert not enabled()


def test_a_site_root_changed_by_another_process_gives_new_links(client, sessions, library):
    from wagtail.models import Site

    alpha = sessions["A"]
    assert 'href="/library/pmo-conference-2021/bravo/"' in client.get(alpha.url).content.decode()
    # Another process moves the site's root to the library: this process's cache
    # still holds Wagtail's old site root paths (Wagtail clears them only in the
    # process that saves the site), and that process reports the change.
    Site.objects.filter(is_default_site=True).update(root_page=library)
    invalidation.site_changed()
    html = client.get("/pmo-conference-2021/alpha/").content.decode()
    assert 'href="/pmo-conference-2021/bravo/"' in html
