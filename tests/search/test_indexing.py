"""The search index follows what a session shows but does not own: its speakers'
names and organisations, its conference's title and themes, and its handout
documents' titles and PDF text. Each change is made the way an editor makes it
(a snippet saved, a page published, a document's file replaced) and checked
through the library page a visitor searches.

The re-indexing runs after the change commits (a task, which Django's default
immediate backend runs then): each change is made inside ``committed()``, as
an editor's request commits before a visitor's next request."""

import pytest
from django.core.management import call_command

from tests.builders import cards, committed, found, handout_body, replace_file, soup_of
from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import DocumentText, SessionPage, Speaker

pytestmark = pytest.mark.django_db


# --- Speakers -----------------------------------------------------------------------------------


def test_a_renamed_speaker_finds_the_session_by_the_new_name_only(
    client, library, make_session, speaker
):
    session = make_session("Governance clinic", speakers=[speaker])
    assert found(client, library, "lindsay") == [session.title]
    speaker.name = "Morwenna Trelawney"
    with committed():
        speaker.save()
    assert found(client, library, "trelawney") == [session.title]
    assert found(client, library, "morwenna trelawney") == [session.title]
    assert found(client, library, "lindsay") == []
    # The result shows the new name too.
    [card] = cards(client, library, "trelawney")
    assert "Morwenna Trelawney" in card and "Lindsay" not in card


def test_a_speakers_new_organisation_is_searched(client, library, make_session, speaker):
    session = make_session("Governance clinic", speakers=[speaker])
    assert found(client, library, "learning") == [session.title]  # "PMO Learning"
    speaker.organisation = "Quintessa Partners"
    with committed():
        speaker.save()
    assert found(client, library, "quintessa") == [session.title]
    assert found(client, library, "learning") == []


def test_renaming_a_speaker_reindexes_every_live_session_they_speak_in(
    client, library, conference, make_session, speaker
):
    other = Speaker.objects.create(name="Eileen Roden")
    first = make_session("First session", speakers=[speaker])
    second = make_session("Second session", speakers=[speaker, other])
    untouched = make_session("Third session", speakers=[other])
    speaker.name = "Morwenna Trelawney"
    with committed():
        speaker.save()
    assert sorted(found(client, library, "trelawney")) == sorted([first.title, second.title])
    assert found(client, library, "lindsay") == []
    assert sorted(found(client, library, "roden")) == sorted([second.title, untouched.title])


def test_a_deleted_speaker_no_longer_finds_their_sessions(client, library, make_session, speaker):
    other = Speaker.objects.create(name="Eileen Roden")
    session = make_session("Governance clinic", speakers=[speaker, other])
    assert found(client, library, "lindsay") == [session.title]
    with committed():
        speaker.delete()
    assert found(client, library, "lindsay") == []
    assert found(client, library, "learning") == []
    assert found(client, library, "roden") == [session.title]
    [card] = cards(client, library, "roden")
    assert "Lindsay" not in card


def test_a_renamed_speaker_of_a_draft_session_does_not_publish_it(
    client, library, conference, speaker
):
    from wagtail_pmolib.models import SessionSpeaker

    draft = SessionPage(title="Unpublished clinic", slug="unpublished-clinic", live=False)
    draft.session_speakers.add(SessionSpeaker(speaker=speaker))
    conference.add_child(instance=draft)
    speaker.name = "Morwenna Trelawney"
    with committed():
        speaker.save()
    assert found(client, library, "trelawney") == []
    assert found(client, library, "unpublished") == []


# --- Conferences and themes -----------------------------------------------------------------------


def test_a_renamed_and_published_conference_finds_its_sessions_by_the_new_title(
    client, library, conference, make_session
):
    session = make_session("Governance clinic")
    assert found(client, library, "conference") == [session.title]  # "PMO Conference 2021"
    conference.title = "Quorum Summit 2021"
    with committed():
        conference.save_revision().publish()
    assert found(client, library, "quorum") == [session.title]
    assert found(client, library, "conference") == []
    [card] = cards(client, library, "quorum")
    assert "Quorum Summit 2021" in card


def test_a_conference_title_in_an_unpublished_draft_is_not_searched(
    client, library, conference, make_session
):
    session = make_session("Governance clinic")
    conference.title = "Quorum Summit 2021"
    conference.save_revision()  # a draft: visitors still see the published title
    assert found(client, library, "quorum") == []
    assert found(client, library, "conference") == [session.title]


def test_a_renamed_theme_is_searched_once_the_conference_is_published(
    client, library, conference, make_session
):
    theme = conference.themes.get(name="PMO People")
    session = make_session("Governance clinic", theme=theme)
    assert found(client, library, "people") == [session.title]
    # As the page editor does: the conference with its themes, one of them renamed.
    conference = type(conference).objects.get(pk=conference.pk)
    themes = list(conference.themes.all())
    for one in themes:
        if one.pk == theme.pk:
            one.name = "Wayfarers Track"
    conference.themes = themes
    with committed():
        conference.save_revision().publish()
    assert found(client, library, "wayfarers") == [session.title]
    assert found(client, library, "people") == []


def test_sessions_of_other_conferences_are_left_alone(client, library, conference, make_session):
    import datetime

    from wagtail_pmolib.models import ConferencePage

    other = library.add_child(
        instance=ConferencePage(
            title="Other Gathering", slug="other", start_date=datetime.date(2022, 1, 1)
        )
    )
    mine = make_session("Mine")
    theirs = make_session("Theirs", parent=other)
    conference.title = "Quorum Summit 2021"
    with committed():
        conference.save_revision().publish()
    assert found(client, library, "quorum") == [mine.title]
    assert found(client, library, "gathering") == [theirs.title]


# --- Documents ------------------------------------------------------------------------------------


def test_a_documents_new_title_is_searched_when_the_handout_shows_it(
    client, library, make_session, make_document
):
    document = make_document("Wayfinder Canvas", content=build_pdf("Canvas", ["Steps"]))
    session = make_session("Governance clinic", body=handout_body(document))
    assert found(client, library, "wayfinder") == [session.title]
    document.title = "Lodestar Canvas"
    with committed():
        document.save()
    assert found(client, library, "lodestar") == [session.title]
    assert found(client, library, "wayfinder") == []


def test_a_replaced_pdf_is_searched_by_its_new_text(client, library, make_session, make_document):
    document = make_document("Handout", content=build_pdf("Version one", ["The alphaword method"]))
    session = make_session("Governance clinic", body=handout_body(document, "Our handout"))
    assert found(client, library, "alphaword") == [session.title]
    with committed():
        replace_file(document, build_pdf("Version two", ["The betaword method"]))
    assert "betaword" in DocumentText.objects.get(document=document).text
    assert found(client, library, "betaword") == [session.title]
    assert found(client, library, "alphaword") == []
    # The excerpt quotes the new text.
    response = client.get(library.url, {"q": "betaword"})
    excerpt = soup_of(response).select_one(".pmolib-result__excerpt")
    assert excerpt.mark.get_text() == "betaword"


def test_a_pdf_replaced_by_another_file_type_is_no_longer_searched(
    client, library, make_session, make_document
):
    document = make_document("Handout", content=build_pdf("Version one", ["The alphaword method"]))
    session = make_session("Governance clinic", body=handout_body(document, "Our handout"))
    assert found(client, library, "alphaword") == [session.title]
    with committed():
        replace_file(document, b"plain text, no pdf", filename="notes.txt")
    assert found(client, library, "alphaword") == []
    assert found(client, library, "handout") == [session.title]


def test_a_document_shared_by_two_sessions_reindexes_both(
    client, library, make_session, make_document
):
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    first = make_session("First session", body=handout_body(document, "Shared"))
    second = make_session("Second session", body=handout_body(document, "Shared"))
    with committed():
        replace_file(document, build_pdf("Version two", ["betaword"]))
    assert sorted(found(client, library, "betaword")) == sorted([first.title, second.title])


# --- The whole index ------------------------------------------------------------------------------


def test_update_index_indexes_what_saving_does(
    client, library, conference, make_session, make_document, speaker
):
    document = make_document("Handout", content=build_pdf("Sheet", ["The alphaword method"]))
    session = make_session(
        "Governance clinic",
        speakers=[speaker],
        theme=conference.themes.get(name="PMO People"),
        abstract="<p>Zanthorp reporting.</p>",
        body=handout_body(document, "Brackwater canvas", "A fennimore checklist"),
    )
    words = (
        "governance",
        "zanthorp",
        "lindsay",
        "learning",
        "conference",
        "people",
        "brackwater",
        "fennimore",
        "alphaword",
    )
    before = {word: found(client, library, word) for word in words}
    assert all(titles == [session.title] for titles in before.values()), before
    call_command("update_index", stdout=_Null(), stderr=_Null())
    after = {word: found(client, library, word) for word in words}
    assert after == before


def test_a_deleted_session_is_no_longer_found(client, library, make_session):
    session = make_session("Governance clinic")
    assert found(client, library, "governance") == [session.title]
    session.delete()
    assert found(client, library, "governance") == []


def test_a_moved_session_shows_its_new_conference(client, library, conference, make_session):
    import datetime

    from wagtail_pmolib.models import ConferencePage

    other = library.add_child(
        instance=ConferencePage(
            title="Quorum Summit", slug="quorum", start_date=datetime.date(2022, 1, 1)
        )
    )
    session = make_session("Governance clinic")
    session.move(other, pos="last-child")
    assert found(client, library, "quorum") == [session.title]
    assert found(client, library, "conference") == []


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass
