"""Private pages and their documents, for editors.

A page's privacy (a password, a login, groups) does not cover the documents it
shows: Wagtail serves ``/documents/…`` to anyone with the address unless the
document's collection is restricted. The session's edit view warns about such
documents, and so does saving or publishing a library page."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    CollectionViewRestriction,
    PageViewRestriction,
)
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from tests.builders import handout_body, soup_of, text_of
from tests.conftest import make_pdf_bytes
from wagtail_pmolib.access.documents import documents_shown, exposed_documents
from wagtail_pmolib.blocks import RICH_TEXT_FEATURES
from wagtail_pmolib.models import SessionPage
from wagtail_pmolib.models.pages import ABSTRACT_FEATURES
from wagtail_pmolib.models.sessions import NOTES_FEATURES

pytestmark = pytest.mark.django_db

WARNING = "anyone who has the address of these documents can download them"


def document(title, collection=None, filename=None, content=None):
    doc = get_document_model()(title=title)
    if collection is not None:
        doc.collection = collection
    filename = filename or f"{title.lower().replace(' ', '-')}.pdf"
    doc.file.save(filename, ContentFile(content or make_pdf_bytes(title)), save=False)
    doc.save()
    return doc


@pytest.fixture
def members():
    collection = Collection.get_first_root_node().add_child(name="Member handouts")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=BaseViewRestriction.LOGIN
    )
    return collection


def restrict(page, restriction_type=PageViewRestriction.LOGIN):
    return PageViewRestriction.objects.create(
        page=page, restriction_type=restriction_type, password="secret"
    )


def panel(admin_client, page):
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    found = [
        block for block in soup_of(response).select(".help-block") if WARNING in text_of(block)
    ]
    return found[0] if found else None


def test_a_private_session_lists_the_documents_anyone_can_download(
    admin_client, make_session, members
):
    slides = document("Board slides")
    safe = document("Member pack", members)
    session = make_session("Members clinic", body=[*handout_body(slides), *handout_body(safe)])
    assert panel(admin_client, session) is None  # public: nothing to say
    restrict(session)
    warning = panel(admin_client, session)
    assert warning is not None
    assert [text_of(li) for li in warning.select("li")] == ["Board slides — collection “Root”"]
    assert warning.select_one("li a")["href"] == reverse("wagtaildocs:edit", args=[slides.pk])
    assert "Settings › Collections" in text_of(warning)


@pytest.mark.parametrize(
    "restriction_type",
    [PageViewRestriction.PASSWORD, PageViewRestriction.LOGIN, PageViewRestriction.GROUPS],
)
def test_every_kind_of_page_privacy_counts_and_on_a_page_above(
    make_session, conference, restriction_type
):
    slides = document("Board slides")
    session = make_session("Members clinic", body=handout_body(slides))
    assert exposed_documents(session) == []
    restrict(conference, restriction_type)
    assert exposed_documents(session) == [slides]


def test_a_restriction_that_makes_a_page_public_does_not_count(make_session):
    slides = document("Board slides")
    session = make_session("Members clinic", body=handout_body(slides))
    restrict(session, PageViewRestriction.NONE)
    assert exposed_documents(session) == []


def test_recordings_captions_and_document_links_count_too(make_session, members):
    video = document("Talk video", filename="talk.mp4", content=b"\x00" * 16)
    captions = document("Talk captions", filename="talk.vtt", content=b"WEBVTT\n")
    linked = document("Linked paper")
    private = document("Member pack", members)
    session = make_session(
        "Members clinic",
        recording=[("recording", {"video": video, "captions": captions, "status": "full"})],
        notes=f'<p>Read <a linktype="document" id="{linked.pk}">the paper</a>.</p>',
        body=[
            (
                "handouts",
                {
                    "heading": "Handouts",
                    "anchor": "",
                    "description": "",
                    "handouts": [{"document": private, "title": "", "description": ""}],
                },
            ),
            ("paragraph", RichText(f'<p><a linktype="document" id="{private.pk}">x</a></p>')),
        ],
    )
    assert documents_shown(session) == {video.pk, captions.pk, linked.pk, private.pk}
    restrict(session)
    assert [d.title for d in exposed_documents(session)] == [
        "Linked paper",
        "Talk captions",
        "Talk video",
    ]


def test_moving_the_documents_to_a_restricted_collection_ends_the_warning(
    admin_client, make_session, members
):
    slides = document("Board slides")
    session = make_session("Members clinic", body=handout_body(slides))
    restrict(session)
    assert panel(admin_client, session) is not None
    slides.collection = members
    slides.save()
    assert panel(admin_client, session) is None


def edit_data(session, slides):
    return nested_form_data(
        {
            "title": session.title,
            "slug": session.slug,
            "theme": "",
            "starts_at": "",
            "duration_minutes": "",
            "session_speakers-TOTAL_FORMS": "0",
            "session_speakers-INITIAL_FORMS": "0",
            "session_speakers-MIN_NUM_FORMS": "0",
            "session_speakers-MAX_NUM_FORMS": "1000",
            "abstract": rich_text("<p>Members only.</p>", features=ABSTRACT_FEATURES),
            "recording": streamfield([]),
            "body": streamfield(
                [
                    (
                        "handout",
                        {
                            "document": str(slides.pk),
                            "title": "",
                            "description": "",
                            "cover": "",
                        },
                    ),
                    ("paragraph", rich_text("<p>Text.</p>", features=RICH_TEXT_FEATURES)),
                ]
            ),
            "notes": rich_text("", features=NOTES_FEATURES),
        }
    )


@pytest.mark.parametrize("publish", [False, True], ids=["save-draft", "publish"])
def test_saving_a_private_session_warns_about_them(admin_client, make_session, publish):
    slides = document("Board slides")
    session = make_session("Members clinic")
    restrict(session)
    data = edit_data(session, slides)
    if publish:
        data["action-publish"] = "action-publish"
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[session.pk]), data)
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("anyone with the address can download “Board slides”" in m for m in messages), (
        messages
    )
    if publish:
        assert SessionPage.objects.get(pk=session.pk).body[0].value["document"] == slides


def test_saving_a_public_session_does_not_warn(admin_client, make_session):
    slides = document("Board slides")
    session = make_session("Open clinic")
    response = admin_client.post(
        reverse("wagtailadmin_pages:edit", args=[session.pk]), edit_data(session, slides)
    )
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("can download" in m for m in messages), messages
