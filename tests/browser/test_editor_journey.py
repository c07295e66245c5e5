"""An editor's journey through the real Wagtail admin in Chromium (issue 12,
item 9): clicks and typing only, StreamField included. Sign in, create a
speaker, create a session with a recording and its chapters, a handout (a PDF
uploaded in the document chooser) and notes, preview it, publish it, find it in
the library search by a word that is only in its PDF; a visitor rates it two
stars with a comment; the editor finds the comment, changes its status, exports
the feedback as CSV and opens the ratings report.

And the mistakes: a missing required field, a speaker slug already taken,
chapters out of order. Each gives a clear error and loses nothing that was typed.

Selectors are roles and labels; waits are on states (a URL, a message, a
field's value), never on time, so that it holds on a loaded 2-core machine.
oEmbed lookups go to the suite's stub (tests/embed_finders.py).
"""

import csv
import io
import re
from pathlib import Path

import pytest

from .conftest import local_url, open_page, vote

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

# Generous: each admin page loads Wagtail's scripts, and CI's machine is shared.
TIMEOUT = 30_000
USERNAME, PASSWORD = "editor", "a long editor password"

TITLE = "Benefits Realisation in Practice"
PDF_WORD = "Quokkametrics"  # only in the handout's PDF: found by the PDF's text
SPEAKER = "Ada Okonkwo"
COMMENT = "The second half was hard to hear."


@pytest.fixture
def conference(transactional_site_root):
    import datetime

    from wagtail_pmolib.models import ConferencePage, LibraryIndexPage

    library = transactional_site_root.add_child(
        instance=LibraryIndexPage(title="PMO Library", slug="library")
    )
    conference = library.add_child(
        instance=ConferencePage(
            title="PMO Conference 2022",
            slug="pmo-conference-2022",
            start_date=datetime.date(2022, 11, 8),
            end_date=datetime.date(2022, 11, 9),
        )
    )
    return conference


@pytest.fixture
def editor_user(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(USERNAME, "editor@example.com", PASSWORD)


@pytest.fixture
def handout_pdf(tmp_path):
    from wagtail_pmolib.demo.pdf import build_pdf

    path = tmp_path / "benefits-handout.pdf"
    path.write_bytes(
        build_pdf(
            title="Benefits Handout",
            lines=["Three steps to realise benefits.", f"The {PDF_WORD} checklist."],
        )
    )
    return path


@pytest.fixture
def admin(browser, live_server, editor_user):
    """A signed-in editor's page (signed in through the login form)."""
    context, page = open_page(browser, timeout=TIMEOUT, viewport={"width": 1400, "height": 1000})
    page.base = local_url(live_server, "")
    sign_in(page)
    yield page
    context.close()


def sign_in(page):
    page.goto(page.base + "/admin/login/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def messages(page):
    return page.locator(".messages")


def open_menu(page, *names):
    """Click through the admin's sidebar menu: ``open_menu(page, "Reports", "Session ratings")``."""
    sidebar = page.locator("aside, nav").filter(has=page.get_by_role("link", name="Dashboard"))
    for name in names[:-1]:
        sidebar.get_by_role("button", name=name, exact=True).first.click()
    sidebar.get_by_role("link", name=names[-1], exact=True).first.click()


# --- The steps --------------------------------------------------------------------


def create_speaker(page, name, slug=""):
    open_menu(page, "Snippets", "Speakers")
    page.get_by_role("link", name="Add speaker").first.click()
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Role").fill("Head of PMO")
    page.get_by_role("textbox", name="Organisation").fill("Northwind")
    if slug:
        page.get_by_role("textbox", name="Slug").fill(slug)
    page.get_by_role("button", name="Save", exact=True).click()


def start_session(page, conference):
    page.goto(page.base + f"/admin/pages/{conference.pk}/")
    page.get_by_role("link", name="Add child page").first.click()
    # A conference takes sessions only: Wagtail goes straight to the form.
    expect(page.get_by_role("textbox", name="Title")).to_be_visible()


def add_speaker_to_session(page, name):
    page.get_by_role("button", name="Add speaker").click()
    page.get_by_role("button", name="Choose speaker").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("link", name=name).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-chooser-title]", has_text=name).first).to_be_visible()


def insert_block(page, field_label, block_name=None):
    """Click a StreamField's "+" and, where it offers several, choose a block."""
    field = stream_field(page, field_label)
    field.get_by_role("button", name="Insert a block").last.click()
    if block_name:
        page.get_by_role("option", name=re.compile(rf"^{block_name}\b")).first.click()


def stream_field(page, label):
    return (
        page.locator("[data-field-wrapper], .w-field__wrapper, section")
        .filter(has=page.get_by_text(label, exact=True))
        .last
    )


def fill_recording(page, chapters):
    insert_block(page, "Recording")
    page.get_by_role("textbox", name="Video URL").fill("https://www.youtube.com/watch?v=benefits1")
    page.get_by_role("combobox", name="Recording rights").select_option(label="Shortened version")
    for time, title in chapters:
        page.get_by_role("button", name=re.compile("Add|Insert")).filter(
            has_text=re.compile("chapter", re.I)
        ).last.click()
        page.get_by_role("textbox", name="Starts at").last.fill(time)
        page.get_by_role("textbox", name="Title").last.fill(title)


def add_handout(page, pdf):
    insert_block(page, "Body", "Handout")
    page.get_by_role("button", name="Choose a document").last.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Upload").click()
    dialog.get_by_role("textbox", name="Title").fill("Benefits Handout")
    dialog.locator("input[type=file]").set_input_files(str(pdf))
    dialog.get_by_role("button", name="Upload").click()
    expect(dialog).to_be_hidden()


def type_notes(page, text):
    notes = page.locator("[data-contentpath='notes'], #panel-child-content-notes-section").first
    editor = notes.get_by_role("textbox").first
    editor.click()
    page.keyboard.type(text)


def save_draft(page):
    page.get_by_role("button", name="Save draft").click()


def publish(page):
    page.get_by_role("button", name="More actions").last.click()
    page.get_by_role("button", name="Publish").click()


# --- The journey ------------------------------------------------------------------


def test_editor_journey(admin, browser, live_server, conference, handout_pdf):
    from wagtail_pmolib.models import Feedback, SessionPage

    page = admin
    create_speaker(page, SPEAKER)
    expect(messages(page)).to_contain_text(SPEAKER)

    start_session(page, conference)
    page.get_by_role("textbox", name="Title").fill(TITLE)
    add_speaker_to_session(page, SPEAKER)
    fill_recording(page, [("0:45", "Why benefits slip"), ("12:30", "The checklist")])
    add_handout(page, handout_pdf)
    type_notes(page, "Benefits need owners.")
    save_draft(page)
    expect(messages(page)).to_contain_text("created")
    session = SessionPage.objects.get(title=TITLE)
    assert not session.live

    # Preview: the side panel shows the page as visitors will see it.
    page.get_by_role("button", name="Toggle preview").click()
    preview = page.frame_locator("iframe[title='Preview']")
    expect(preview.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(preview.get_by_text("Benefits Handout")).to_be_visible()
    expect(preview.get_by_text("The checklist")).to_be_visible()

    publish(page)
    expect(messages(page)).to_contain_text("published")
    session.refresh_from_db()
    assert session.live

    # A visitor finds it by a word only in its PDF, rates it and comments.
    context, visitor = open_page(browser, timeout=TIMEOUT)
    try:
        visitor.goto(local_url(live_server, session.get_parent().get_parent().url))
        box = visitor.get_by_role("combobox", name=re.compile("Search the"))
        box.fill(PDF_WORD)
        box.press("Enter")
        visitor.wait_for_url(f"**?q={PDF_WORD}")
        visitor.get_by_role("link", name=TITLE).click()
        visitor.wait_for_url("**" + session.url)
        vote(visitor, 2, comment=COMMENT)
    finally:
        context.close()
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.status) == (2, COMMENT, "new")

    # The editor finds the comment, marks it reviewed, exports, reads the report.
    open_menu(page, "Feedback")
    page.get_by_role("link", name=re.compile(TITLE)).first.click()
    expect(page.get_by_text(COMMENT)).to_be_visible()
    page.get_by_role("combobox", name="Status").select_option(label="Reviewed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(messages(page)).to_contain_text("updated")
    feedback.refresh_from_db()
    assert feedback.status == "reviewed"

    page.get_by_role("button", name=re.compile("Download|Export")).first.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("CSV")).click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Page ID", "Page", "Rating", "Comment"]
    assert rows[1][1:5] == [TITLE, "2", COMMENT, "Reviewed"]
    assert re.fullmatch(r"\d{1,2} \w+ \d{4}, \d\d:\d\d", rows[1][6]), rows[1][6]

    open_menu(page, "Reports", "Session ratings")
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("2.0")


# --- The mistakes -----------------------------------------------------------------


def expect_not_saved(page):
    expect(messages(page)).to_contain_text("could not be")


def test_a_missing_title_is_named_and_nothing_typed_is_lost(admin, conference):
    from wagtail_pmolib.models import SessionPage

    page = admin
    start_session(page, conference)
    fill_recording(page, [("1:00", "Opening")])
    type_notes(page, "Notes typed before the title.")
    save_draft(page)
    expect_not_saved(page)
    title = page.get_by_role("textbox", name="Title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert not SessionPage.objects.exists()
    # Everything typed is still there.
    expect(page.get_by_role("textbox", name="Video URL")).to_have_value(
        "https://www.youtube.com/watch?v=benefits1"
    )
    expect(page.get_by_role("textbox", name="Starts at")).to_have_value("1:00")
    expect(page.get_by_text("Notes typed before the title.")).to_be_visible()
    title.fill(TITLE)
    save_draft(page)
    expect(messages(page)).to_contain_text("created")
    session = SessionPage.objects.get()
    assert "Notes typed before the title." in session.notes
    assert session.recording[0].value["chapters"][0]["title"] == "Opening"


def test_a_taken_speaker_slug_is_explained_and_the_form_kept(admin):
    from wagtail_pmolib.models import Speaker

    Speaker.objects.create(name=SPEAKER, slug="ada-okonkwo")
    page = admin
    create_speaker(page, "Ada Okonkwo-Smith", slug="ada-okonkwo")
    expect(messages(page)).to_contain_text("could not be created")
    expect(page.get_by_text("Another speaker already uses this slug.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Name")).to_have_value("Ada Okonkwo-Smith")
    expect(page.get_by_role("textbox", name="Role")).to_have_value("Head of PMO")
    expect(page.get_by_role("textbox", name="Organisation")).to_have_value("Northwind")
    assert Speaker.objects.count() == 1
    page.get_by_role("textbox", name="Slug").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(messages(page)).to_contain_text("Ada Okonkwo-Smith")
    assert Speaker.objects.get(name="Ada Okonkwo-Smith").slug == "ada-okonkwo-smith"


def test_chapters_out_of_order_are_named_on_the_chapter(admin, conference):
    from wagtail_pmolib.models import SessionPage

    page = admin
    start_session(page, conference)
    page.get_by_role("textbox", name="Title").fill(TITLE)
    fill_recording(page, [("12:30", "The checklist"), ("0:45", "Why benefits slip")])
    save_draft(page)
    expect_not_saved(page)
    expect(page.get_by_text("Starts at or before the chapter above it (12:30).")).to_be_visible()
    assert not SessionPage.objects.exists()
    times = page.get_by_role("textbox", name="Starts at")
    expect(times).to_have_count(2)
    expect(times.nth(0)).to_have_value("12:30")
    expect(times.nth(1)).to_have_value("0:45")
    expect(page.get_by_role("textbox", name="Title").nth(2)).to_have_value("Why benefits slip")
    # Fixed in place: the first chapter starts earlier.
    times.nth(0).fill("0:10")
    save_draft(page)
    expect(messages(page)).to_contain_text("created")
    chapters = SessionPage.objects.get().recording[0].value["chapters"]
    assert [(c["time"], c["title"]) for c in chapters] == [
        ("0:10", "The checklist"),
        ("0:45", "Why benefits slip"),
    ]
