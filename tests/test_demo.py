"""``manage.py pmolib_demo``: the seed session, the rest of the demo, and idempotence."""

import datetime
import io
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site

from wagtail_pmolib.demo.content import SEED_ABSTRACT, SEED_SLUG, SEED_TITLE
from wagtail_pmolib.models import (
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    SessionPage,
    SessionSpeaker,
    Speaker,
)

from .conftest import SEED_NOTICE

SEED_URL = f"/library/pmo-conference-2021/{SEED_SLUG}/"

pytestmark = pytest.mark.django_db


def run_demo(**options):
    out = io.StringIO()
    call_command("pmolib_demo", stdout=out, **options)
    return out.getvalue()


def seed_session():
    return SessionPage.objects.get(slug=SEED_SLUG)


def snapshot():
    """Everything the demo touches, down to the stored values."""
    Document, Image = get_document_model(), get_image_model()
    return {
        "pages": list(
            Page.objects.order_by("pk").values_list(
                "pk",
                "path",
                "slug",
                "title",
                "live",
                "has_unpublished_changes",
                "latest_revision_id",
                "first_published_at",
                "last_published_at",
            )
        ),
        "revisions": list(Revision.objects.order_by("pk").values_list("pk", "created_at")),
        "sessions": list(
            SessionPage.objects.order_by("pk").values_list(
                "pk", "abstract", "body", "recording", "notes", "toc", "theme_id", "starts_at"
            )
        ),
        "session_speakers": list(SessionSpeaker.objects.order_by("pk").values_list()),
        "themes": list(ConferenceTheme.objects.order_by("pk").values_list()),
        "speakers": list(Speaker.objects.order_by("pk").values_list()),
        "documents": list(
            Document.objects.order_by("pk").values_list("pk", "title", "file", "file_size")
        ),
        "images": list(Image.objects.order_by("pk").values_list("pk", "title", "file", "width")),
    }


# --- The seed session -----------------------------------------------------------


def test_seed_session_lives_under_the_library(client):
    run_demo()
    session = seed_session()
    assert session.url == SEED_URL
    assert session.title == SEED_TITLE
    conference = session.get_parent().specific
    assert isinstance(conference, ConferencePage)
    library = conference.get_parent().specific
    assert isinstance(library, LibraryIndexPage)
    assert library.slug == "library"
    assert library.get_parent().pk == Site.objects.get(is_default_site=True).root_page_id


def test_seed_session_renders_like_the_original(client):
    run_demo()
    response = client.get(SEED_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "PMO Conference 2021" in html
    assert SEED_TITLE in html
    assert "value quandary." in html
    assert SEED_NOTICE in html
    assert "Session Recording" in html
    assert "Handout – The SORE Framework" in html
    assert ">The SORE Framework</a>" in html
    assert "(PDF, " in html
    assert "You can download the handout here" in html
    assert "Session Notes" in html
    assert "Negotiation in stakeholder conversations" in html
    assert "Table of Contents" in html


def test_seed_session_fields():
    run_demo()
    session = seed_session()
    assert session.theme.name == "PMO People"
    assert session.starts_at == datetime.datetime(
        2021, 11, 2, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")
    )
    assert timezone.is_aware(session.starts_at)
    assert session.duration_minutes == 45
    assert session.abstract == "".join(f"<p>{text}</p>" for text in SEED_ABSTRACT)
    assert session.abstract.count("<p>") == 3

    (recording,) = session.recording
    assert recording.block_type == "recording"
    assert recording.value["url"].startswith("https://www.youtube.com/watch?v=")
    assert recording.value["status"] == "shortened"
    assert recording.value["notice"] == SEED_NOTICE
    assert len(recording.value["chapters"]) >= 2

    heading, handout = session.body
    assert heading.block_type == "heading"
    assert heading.value["text"] == "Handout – The SORE Framework"
    assert heading.value["level"] == "h2"
    assert handout.block_type == "handout"
    assert handout.value["title"] == "The SORE Framework"
    assert handout.value["description"] == "You can download the handout here"
    assert handout.value["document"].title == "The SORE Framework"

    assert "<h2" not in session.notes
    assert "<h3" in session.notes and "<h4" in session.notes
    assert "negotiation features in those conversations" in session.notes
    assert session.has_recording and session.has_handouts
    toc_ids = [item["id"] for item in session.table_of_contents]
    assert toc_ids[0] == "session-recording"
    assert "session-notes" in toc_ids


def test_conference_2021():
    run_demo()
    conference = ConferencePage.objects.get(slug="pmo-conference-2021")
    assert conference.title == "PMO Conference 2021"
    assert conference.city == "London"
    assert conference.start_date == datetime.date(2021, 11, 2)
    assert conference.end_date == datetime.date(2021, 11, 3)
    assert conference.date_range == "2–3 November 2021"
    assert [t.name for t in conference.themes.all()] == [
        "PMO Services",
        "PMO People",
        "PMO in Practice",
    ]
    assert "available for online and full members" in conference.intro


def test_handout_is_a_readable_pdf():
    run_demo()
    document = get_document_model().objects.get(title="The SORE Framework")
    assert document.file_extension.lower() == "pdf"
    assert document.file_size and document.file_size > 0
    with document.open_file() as f:
        reader = PdfReader(io.BytesIO(f.read()))
    assert len(reader.pages) == 1
    assert "The SORE Framework" in reader.pages[0].extract_text()


# --- The rest of the demo ---------------------------------------------------------


def test_counts():
    run_demo()
    sessions = SessionPage.objects.live()
    assert sessions.count() >= 12
    assert ConferencePage.objects.live().count() >= 2
    assert len({s.theme.name for s in sessions.select_related("theme") if s.theme}) >= 3
    assert Speaker.objects.count() >= 8
    photos = [s.photo for s in Speaker.objects.exclude(photo=None)]
    assert photos and all(p.width == p.height == 256 for p in photos)
    group_sizes = [
        len(block.value["handouts"])
        for session in sessions
        for block in session.body
        if block.block_type == "handouts"
    ]
    assert max(group_sizes) >= 2


def test_sessions_are_varied():
    run_demo()
    sessions = list(SessionPage.objects.live())
    speaker_counts = {s.session_speakers.count() for s in sessions}
    assert min(speaker_counts) >= 1 and max(speaker_counts) <= 3
    assert {1, 2, 3} <= speaker_counts
    recordings = [block.value for s in sessions for block in s.recording]
    statuses = {r["status"] for r in recordings}
    assert {"full", "shortened", "audio", "unavailable", "embargoed"} <= statuses
    assert any("vimeo.com" in (r["url"] or "") for r in recordings)
    embargoed = [r for r in recordings if r["status"] == "embargoed"]
    assert all(r["available_from"] > timezone.localdate() for r in embargoed)
    assert sum(bool(s.notes) for s in sessions) >= 4
    assert len({s.starts_at.date() for s in sessions}) >= 4


def test_every_page_is_published_with_a_revision():
    run_demo()
    library = LibraryIndexPage.objects.get(slug="library")
    pages = Page.objects.descendant_of(library, inclusive=True).specific()
    assert len(pages) >= 15
    for page in pages:
        assert page.live and not page.has_unpublished_changes, page
        assert page.first_published_at is not None, page
        assert page.latest_revision_id is not None, page
        assert page.revisions.count() == 1, page


def test_every_demo_page_renders(client):
    run_demo()
    library = LibraryIndexPage.objects.get(slug="library")
    for page in Page.objects.descendant_of(library, inclusive=True):
        response = client.get(page.url)
        assert response.status_code == 200, page.url
    html = client.get("/library/pmo-conference-2021/").content.decode()
    assert SEED_TITLE in html


def test_summary_names_what_was_created_and_the_seed_url():
    first = run_demo()
    assert f"session pages: {SessionPage.objects.count()} created, 0 reused" in first
    assert "library pages: 1 created, 0 reused" in first
    assert f"http://localhost{SEED_URL}" in first
    second = run_demo()
    assert "library pages: 0 created, 1 reused" in second
    assert "Nothing new" in second
    assert SEED_URL in second


def test_verbosity_zero_is_silent():
    assert run_demo(verbosity=0) == ""


# --- Idempotence and reuse ----------------------------------------------------------


def test_running_twice_changes_nothing():
    run_demo()
    before = snapshot()
    run_demo()
    assert snapshot() == before


def test_reuses_an_existing_library():
    root = Site.objects.get(is_default_site=True).root_page
    existing = root.add_child(instance=LibraryIndexPage(title="Our library", slug="library"))
    run_demo()
    assert LibraryIndexPage.objects.count() == 1
    library = LibraryIndexPage.objects.get()
    assert library.pk == existing.pk
    assert library.title == "Our library"
    assert seed_session().get_parent().get_parent().pk == existing.pk


def test_rebuilds_a_deleted_session_and_reuses_the_rest():
    run_demo()
    documents = get_document_model().objects.count()
    seed_session().delete()
    run_demo()
    session = seed_session()
    assert session.live
    assert get_document_model().objects.count() == documents
    assert session.body[1].value["document"].title == "The SORE Framework"


def test_another_page_type_with_the_slug_is_an_error():
    root = Site.objects.get(is_default_site=True).root_page
    root.add_child(instance=Page(title="Library", slug="library"))
    with pytest.raises(CommandError, match="not a LibraryIndexPage"):
        run_demo()
    assert not SessionPage.objects.exists()
