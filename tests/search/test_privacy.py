"""Private documents: text a visitor may not download is never searched, quoted,
suggested or given out by an API.

A document in a collection with a view restriction (Wagtail's collection
privacy: a password, a login or groups), or below one, is private: Wagtail's
``/documents/…`` sends a visitor who has not passed the restriction to the login
or password page. Its PDF text and its own title are not put in the search
index at all (whoever searches, a member included), are never quoted in an
excerpt and never appear in the page's API. Text the editor wrote on the page
(a handout's title and description) is the page's and stays searchable.

Runs on Wagtail's database search backend: SQLite FTS5 by default, PostgreSQL's
full-text search with DATABASE_URL=postgres://….
"""

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction

from tests.builders import committed, found, handout_body, soup_of, text_of
from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import DocumentText, SessionPage
from wagtail_pmolib.models.documents import documents_with_privacy, private_document_ids

pytestmark = pytest.mark.django_db

SECRET_WORDS = "quokka salary bands for zephyrine staff"
SECRET_TITLE = "Marmoset restructuring plan"


def add_collection(name, parent=None):
    parent = parent or Collection.get_first_root_node()
    with committed():
        return parent.add_child(name=name)


def restrict_collection(collection, restriction_type=BaseViewRestriction.LOGIN):
    with committed():
        return CollectionViewRestriction.objects.create(
            collection=collection, restriction_type=restriction_type, password="secret"
        )


def upload(title, lines, collection=None, filename="handout.pdf"):
    """A PDF document uploaded as the admin does (its text read after the commit)."""
    document = get_document_model()(title=title)
    if collection is not None:
        document.collection = collection
    document.file.save(filename, ContentFile(build_pdf(title, lines)), save=False)
    with committed():
        document.save()
    return document


def move_document(document, collection):
    document.collection = collection
    with committed():
        document.save()


@pytest.fixture
def members():
    """A collection only signed-in visitors may download from."""
    collection = add_collection("Member handouts")
    restrict_collection(collection)
    return collection


@pytest.fixture
def session_with_private_pdf(members, make_session):
    document = upload(SECRET_TITLE, [f"Governance {SECRET_WORDS}"], members)
    return make_session(
        "Governance clinic",
        abstract="<p>How boards decide.</p>",
        body=handout_body(document, description="Slides from the talk."),
    )


def suggested(client, library, q):
    response = client.get(f"{library.url}suggest/", {"q": q})
    assert response.status_code == 200
    return [s["title"] for s in response.json()["sessions"]]


def excerpts(client, library, q):
    response = client.get(library.url, {"q": q})
    return [text_of(e) for e in soup_of(response).select(".pmolib-result__excerpt")]


# --- The rule ------------------------------------------------------------------------------------


def test_which_documents_are_private(members):
    inner = add_collection("Board papers", parent=members)
    public = add_collection("Public handouts")
    shared = add_collection("Shared with the password")
    restrict_collection(shared, BaseViewRestriction.PASSWORD)
    opened = add_collection("Opened again")
    # A restriction of type "none" is what Wagtail stores for "public".
    restrict_collection(opened, BaseViewRestriction.NONE)
    documents = {
        name: upload(name, ["text"], collection, filename=f"{name}.pdf")
        for name, collection in [
            ("root", None),
            ("members", members),
            ("inner", inner),
            ("public", public),
            ("shared", shared),
            ("opened", opened),
        ]
    }
    private = private_document_ids([d.pk for d in documents.values()])
    assert {name for name, d in documents.items() if d.pk in private} == {
        "members",
        "inner",
        "shared",
    }
    # The same rule in the form a page's handouts are read with (SQL of its own).
    read = documents_with_privacy(get_document_model(), [d.pk for d in documents.values()])
    assert set(read) == {d.pk for d in documents.values()}
    assert {pk for pk, d in read.items() if d._pmolib_private} == private


# --- Search, excerpts, suggestions ---------------------------------------------------------------


def test_a_private_pdf_does_not_make_a_public_session_findable(
    client, library, session_with_private_pdf
):
    session = session_with_private_pdf
    assert "quokka" in DocumentText.objects.get().text  # the text is read, for members later
    assert found(client, library, "quokka") == []
    assert found(client, library, "zephyrine salary") == []
    # The session itself is public and found by its own words, and by what the
    # editor wrote on the page about the handout.
    assert found(client, library, "governance") == [session.title]
    assert found(client, library, "slides") == [session.title]


def test_a_member_who_may_download_it_does_not_find_it_either(
    client, library, session_with_private_pdf
):
    member = User.objects.create_user("member", password="pw")
    client.force_login(member)
    assert client.get(get_document_model().objects.get().url).status_code == 200
    assert found(client, library, "quokka") == []


def test_the_private_documents_own_title_is_neither_searched_nor_shown(
    client, library, members, make_session
):
    document = upload(SECRET_TITLE, ["Board text"], members)
    session = make_session("Governance clinic", body=handout_body(document))
    assert found(client, library, "marmoset") == []
    html = client.get(session.url).content.decode()
    assert "Marmoset" not in html
    link = soup_of(client.get(session.url)).select_one(".pmolib-handout__link")
    assert link["href"] == document.url  # members follow it and sign in
    assert text_of(link) == "Handout"
    note = soup_of(client.get(session.url)).select_one(".pmolib-handout__private")
    assert text_of(note) == "Restricted access"


def test_no_excerpt_quotes_a_private_pdf(client, library, session_with_private_pdf):
    # "governance" is in the session's title and in the private PDF: the excerpt
    # is the abstract, never the PDF.
    [excerpt] = excerpts(client, library, "governance")
    assert "quokka" not in excerpt and "salary" not in excerpt
    assert excerpt == "How boards decide."


def test_suggestions_do_not_offer_it(client, library, session_with_private_pdf):
    assert suggested(client, library, "quok") == []
    assert suggested(client, library, "marmo") == []
    assert suggested(client, library, "gover") == ["Governance clinic"]


# --- The page's API (Wagtail API v2) -------------------------------------------------------------


def test_api_v2_does_not_give_out_the_private_documents_text_or_title(
    client, library, members, make_session
):
    document = upload(SECRET_TITLE, [SECRET_WORDS], members)
    session = make_session(
        "Governance clinic",
        body=[
            *handout_body(document),
            *handout_body(document, title="Board pack", description="For members."),
        ],
    )
    listing = client.get("/api/v2/pages/", {"search": "quokka"}).json()
    assert listing["meta"]["total_count"] == 0
    listing = client.get("/api/v2/pages/", {"search": "marmoset"}).json()
    assert listing["meta"]["total_count"] == 0
    response = client.get(f"/api/v2/pages/{session.pk}/")
    text = response.content.decode()
    assert "Marmoset" not in text and "quokka" not in text
    first, second = [block["value"] for block in response.json()["body"]]
    assert first["title"] == ""
    assert first["document"]["title"] == ""
    assert first["document"]["private"] is True
    assert first["document"]["url"] == document.url
    assert second["title"] == "Board pack"
    assert second["description"] == "For members."


def test_api_v2_gives_a_public_documents_title(client, library, make_session):
    document = upload("The SORE Framework", ["Stakeholders"])
    session = make_session("Governance clinic", body=handout_body(document))
    [block] = client.get(f"/api/v2/pages/{session.pk}/").json()["body"]
    assert block["value"]["title"] == "The SORE Framework"
    assert block["value"]["document"]["title"] == "The SORE Framework"
    assert block["value"]["document"]["private"] is False


def test_private_captions_are_not_searched_nor_described(client, library, members, make_session):
    captions = get_document_model()(title="Marmoset captions", collection=members)
    captions.file.save("talk.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nquokka\n"))
    video = get_document_model()(title="Marmoset talk video", collection=members)
    video.file.save("talk.mp4", ContentFile(b"\x00" * 16))
    session = make_session(
        "Governance clinic",
        recording=[("recording", {"video": video, "captions": captions, "status": "full"})],
    )
    assert found(client, library, "marmoset") == []
    assert found(client, library, "quokka") == []
    response = client.get(f"/api/v2/pages/{session.pk}/")
    assert "Marmoset" not in response.content.decode()
    [recording] = response.json()["recording"]
    assert recording["value"]["captions_url"] == captions.url


# --- When privacy changes ------------------------------------------------------------------------


def test_removing_the_restriction_makes_the_text_findable_and_adding_it_hides_it(
    client, library, members, make_session
):
    document = upload(SECRET_TITLE, [SECRET_WORDS], members)
    session = make_session("Governance clinic", body=handout_body(document))
    assert found(client, library, "quokka") == []
    restriction = CollectionViewRestriction.objects.get(collection=members)
    with committed():
        restriction.delete()
    assert found(client, library, "quokka") == [session.title]
    assert found(client, library, "marmoset") == [session.title]
    [excerpt] = excerpts(client, library, "zephyrine")
    assert "zephyrine" in excerpt

    restrict_collection(members, BaseViewRestriction.GROUPS)
    assert found(client, library, "quokka") == []
    assert found(client, library, "marmoset") == []
    # The rendered article (kept in the cache) no longer shows the document's title.
    assert "Marmoset" not in client.get(session.url).content.decode()


def test_making_a_restriction_public_makes_the_text_findable(
    client, library, members, session_with_private_pdf
):
    restriction = CollectionViewRestriction.objects.get(collection=members)
    restriction.restriction_type = BaseViewRestriction.NONE
    with committed():
        restriction.save()
    assert found(client, library, "quokka") == [session_with_private_pdf.title]


def test_a_restriction_on_a_parent_collection_covers_the_documents_below(
    client, library, make_session
):
    parent = add_collection("Archive")
    child = add_collection("2021", parent=parent)
    document = upload("Handout", [SECRET_WORDS], child)
    session = make_session("Governance clinic", body=handout_body(document))
    assert found(client, library, "quokka") == [session.title]
    restrict_collection(parent)
    assert found(client, library, "quokka") == []


def test_a_document_moved_into_and_out_of_a_private_collection(
    client, library, members, make_session
):
    document = upload(SECRET_TITLE, [SECRET_WORDS])
    session = make_session("Governance clinic", body=handout_body(document))
    assert found(client, library, "quokka") == [session.title]
    move_document(document, members)
    assert found(client, library, "quokka") == []
    assert "Marmoset" not in client.get(session.url).content.decode()
    move_document(document, Collection.get_first_root_node())
    assert found(client, library, "quokka") == [session.title]
    assert "Marmoset" in client.get(session.url).content.decode()


def test_a_collection_moved_under_a_private_one_and_back(
    client, library, members, make_session, admin_client
):
    """As the admin moves a collection: saving its form with another parent."""
    archive = add_collection("Archive")
    document = upload(SECRET_TITLE, [SECRET_WORDS], archive)
    session = make_session("Governance clinic", body=handout_body(document))
    assert found(client, library, "quokka") == [session.title]

    def move(parent):
        response = admin_client.post(
            reverse("wagtailadmin_collections:edit", args=[archive.pk]),
            {"name": "Archive", "parent": parent.pk},
        )
        assert response.status_code == 302
        archive.refresh_from_db()
        assert archive.get_parent().pk == parent.pk

    move(members)
    assert found(client, library, "quokka") == []
    assert "Marmoset" not in client.get(session.url).content.decode()
    move(Collection.get_first_root_node())
    assert found(client, library, "quokka") == [session.title]
    assert "Marmoset" in client.get(session.url).content.decode()


def test_renaming_a_collection_reindexes_nothing(members, session_with_private_pdf, monkeypatch):
    from wagtail_pmolib.search import reindex

    calls = []
    monkeypatch.setattr(reindex, "reindex_sessions", lambda ids: calls.append(ids) or 0)
    members.name = "Members' handouts"
    with committed():
        members.save()
    assert calls == []


def test_only_sessions_showing_the_collections_documents_are_reindexed(
    client, library, members, make_session, monkeypatch
):
    from wagtail_pmolib.search import reindex

    inside = upload("Inside", ["text"], members, filename="inside.pdf")
    outside = upload("Outside", ["text"], filename="outside.pdf")
    shows = make_session("Shows it", body=handout_body(inside))
    make_session("Shows another", body=handout_body(outside))
    calls = []
    original = reindex.reindex_sessions
    monkeypatch.setattr(
        reindex, "reindex_sessions", lambda ids: calls.append(sorted(ids)) or original(ids)
    )
    with committed():
        CollectionViewRestriction.objects.filter(collection=members).delete()
    assert calls == [[shows.pk]]
    assert SessionPage.objects.filter(pk=shows.pk).exists()
