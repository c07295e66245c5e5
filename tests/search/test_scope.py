"""LibraryScope.known_values: a filter value from an address is known only when it
names something with a session the visitor may see."""

import datetime

import pytest
from wagtail.models import PageViewRestriction

from wagtail_pmolib.models import ConferencePage, ConferenceTheme, Speaker
from wagtail_pmolib.search.scope import scope_for, theme_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_conference(library):
    page = ConferencePage(
        title="PMO Conference 2022",
        slug="pmo-conference-2022",
        start_date=datetime.date(2022, 11, 1),
        end_date=datetime.date(2022, 11, 2),
    )
    page.themes.add(ConferenceTheme(name="PMO Futures"))
    library.add_child(instance=page)
    return page


def known(library, **values):
    return scope_for(library, None).known_values(**values)


def test_a_conference_is_known_by_its_visible_sessions(
    library, conference, other_conference, make_session
):
    speaker = Speaker.objects.create(name="Ann Example")
    hidden = make_session("Behind a login", parent=other_conference, speakers=[speaker])
    PageViewRestriction.objects.create(page=hidden, restriction_type=PageViewRestriction.LOGIN)
    draft = make_session("Withdrawn", parent=other_conference)
    draft.unpublish()
    make_session("Open to all", speakers=[])
    futures = other_conference.themes.get()
    hidden.theme = futures
    hidden.save_revision().publish()

    found = known(
        library,
        conferences=[conference.pk, other_conference.pk, library.pk],
        themes=[theme_key("PMO Futures")],
        speakers=[speaker.pk],
    )
    # Only the conference with a session anyone may see; not the library itself,
    # nor a conference whose sessions are all hidden or unpublished, nor the theme
    # and speaker of a hidden session only.
    assert list(found.conferences) == [conference.pk]
    assert found.conferences[conference.pk].title == "PMO Conference 2021"
    assert found.themes == {}
    assert found.speakers == {}


def test_a_session_two_levels_down_does_not_make_the_grandparent_known(
    library, conference, make_session
):
    # A conference is the session's parent: the library (its grandparent) is no
    # conference, though a visible session lies below it.
    make_session("Open to all")
    assert list(known(library, conferences=[library.pk, conference.pk]).conferences) == [
        conference.pk
    ]


def test_values_of_visible_sessions_are_known(library, conference, make_session):
    speaker = Speaker.objects.create(name="Ann Example")
    theme = conference.themes.get(name="PMO People")
    make_session("Open to all", speakers=[speaker], theme=theme)
    found = known(
        library,
        conferences=[conference.pk],
        themes=[theme_key("PMO People"), theme_key("PMO Services")],
        speakers=[speaker.pk],
    )
    assert list(found.conferences) == [conference.pk]
    assert found.themes == {"pmo-people": "PMO People"}
    assert found.theme_ids == {"pmo-people": [theme.pk]}
    assert found.speakers == {speaker.pk: "Ann Example"}
