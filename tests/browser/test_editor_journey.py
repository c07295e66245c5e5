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

import contextlib
import csv
import io
import re
from pathlib import Path

import pytest

from .conftest import local_url, open_page, vote

expect = pytest.importorskip("playwright.sync_api").expect
PlaywrightError = pytest.importorskip("playwright.sync_api").Error

pytestmark = pytest.mark.django_db(transaction=True)

# Generous: each admin page loads Wagtail's scripts, and CI's machine is shared.
TIMEOUT = 30_000
expect.set_options(timeout=TIMEOUT)
USERNAME, PASSWORD = "editor", "a long editor password"

TITLE = "Benefits Realisation in Practice"
PDF_WORD = "Quokkametrics"  # only in the handout's PDF: found by the PDF's text
SPEAKER = "Ada Okonkwo"
COMMENT = "The second half was hard to hear."


@pytest.fixture(autouse=True)
def _no_autosave(settings):
    """Wagtail 8's autosave off (``WAGTAIL_AUTOSAVE_INTERVAL = 0``): with it, a
    click on "Save draft" while an autosave of a new page is on its way posts the
    create form a second time, and Wagtail refuses the slug the autosave has just
    taken. The clicks here are an editor's; the timing of that race is not."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


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
def admin(browser, live_server, editor_user, transactional_site_root):
    """A signed-in editor's page (signed in through the login form), on a site
    with its root page (a flushed database has none, and the dashboard needs it)."""
    context, page = open_page(browser, timeout=TIMEOUT, viewport={"width": 1400, "height": 1000})
    page.base = local_url(live_server, "")
    sign_in(page)
    yield page
    # Let the last requests (a save, the editing-session pings) finish first: one
    # still being served while the database is flushed recreates rows behind the
    # flush (seen as "UNIQUE constraint failed: django_content_type" at teardown
    # on a loaded machine).
    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state("networkidle", timeout=10_000)
    context.close()


def sign_in(page):
    page.goto(page.base + "/admin/login/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()


def messages(page):
    return page.locator(".messages")


def expect_saved(page, title):
    """Wagtail's message after a page is saved, on the page's edit view."""
    try:
        expect(messages(page)).to_contain_text(
            re.compile(rf"Page '{re.escape(title)}' (created|has been)")
        )
    except AssertionError:
        errors = [
            text.strip()
            for text in page.locator(
                ".error-message, .w-field__errors, .help-critical"
            ).all_inner_texts()
            if text.strip()
        ]
        said = messages(page).inner_text().strip()
        raise AssertionError(f"not saved: {said!r}, errors: {errors}") from None
    page.wait_for_url("**/admin/pages/*/edit/")


def open_menu(page, *names):
    """Click through the admin's sidebar menu: ``open_menu(page, "Reports", "Session ratings")``."""
    menu = page.get_by_role("navigation", name="Main menu")
    for name in names[:-1]:
        menu.get_by_role("button", name=name, exact=True).click()
    menu.get_by_role("link", name=names[-1], exact=True).click()


# --- The steps --------------------------------------------------------------------


def create_speaker(page, name, slug=""):
    open_menu(page, "Speakers")
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
    expect(page.get_by_role("heading", name="New: Session")).to_be_visible()


def page_title(page):
    return page.get_by_role("region", name="Title*").get_by_role("textbox")


def set_title(page, title):
    """Type the page's title and move on, as an editor does: Wagtail then makes
    the slug from it (on the Promote tab)."""
    page_title(page).fill(title)
    page.keyboard.press("Tab")
    expect(page.locator("input[name=slug]")).not_to_have_value("")


def region(page, name):
    """A panel of the page editor by its heading."""
    return page.get_by_role("region", name=name, exact=True)


def block(page, name):
    """A block in a StreamField: its heading is the block's name and a summary
    of its value ("Recording Full recording")."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(name)}( |$)"))


def add_speaker_to_session(page, name):
    page.get_by_role("button", name="Add Speaker").click()
    page.get_by_role("button", name="Choose speaker").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("link", name=name).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-chooser-title]", has_text=name).first).to_be_visible()


def insert_block(page, field_label, block_name=None):
    """Click an empty StreamField's "+" and, where it offers several, choose a block."""
    region(page, field_label).get_by_role("button", name="Insert a block").first.click()
    if block_name:
        page.get_by_role("option", name=re.compile(rf"^{block_name}\b")).first.click()


def fill_recording(page, chapters):
    insert_block(page, "Recording")
    recording = region(page, "Recording")
    recording.get_by_role("textbox", name="Video URL").fill(
        "https://www.youtube.com/watch?v=benefits1"
    )
    recording.get_by_role("combobox", name="Recording rights").select_option(label="Shortened edit")
    times = recording.get_by_role("textbox", name="Starts at")
    for n, (time, title) in enumerate(chapters):
        # The list's "+" after its last chapter (a new recording has none). A
        # click while the new block is still being set up can go unheard: the
        # state waited on is the new chapter's field, clicking again if need be.
        add = recording.get_by_role("button", name="Add", exact=True).last
        for attempt in range(3):
            add.click()
            try:
                expect(times).to_have_count(n + 1, timeout=TIMEOUT // 3)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        times.last.fill(time)
        recording.get_by_role("textbox", name="Title").last.fill(title)


def add_handout(page, pdf):
    insert_block(page, "Body", "Handout")
    body = region(page, "Body")
    body.get_by_role("button", name="Choose a document").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Upload").click()
    dialog.get_by_role("textbox", name="Title").fill("Benefits Handout")
    dialog.locator("input[type=file]").set_input_files(str(pdf))
    dialog.get_by_role("button", name="Upload").click()
    expect(dialog).to_be_hidden()
    expect(block(page, "Handout").get_by_text("Benefits Handout").last).to_be_visible()


def type_notes(page, text):
    """Type into the notes' rich text editor (Draftail), once it has the focus."""
    editor = region(page, "Session notes").get_by_role("textbox")
    editor.click()
    expect(editor).to_be_focused()
    editor.press_sequentially(text)
    expect(editor).to_have_text(text)
    # Draftail writes its content into the form's hidden field a moment later (it
    # saves its state every 250 ms); an editor's hand on the way to "Save draft"
    # takes longer than that, a test's click does not.
    expect(page.locator("input[name=notes]")).to_have_value(re.compile(re.escape(text)))


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
    set_title(page, TITLE)
    add_speaker_to_session(page, SPEAKER)
    fill_recording(page, [("0:45", "Why benefits slip"), ("12:30", "The checklist")])
    add_handout(page, handout_pdf)
    type_notes(page, "Benefits need owners.")
    save_draft(page)
    expect_saved(page, TITLE)
    session = SessionPage.objects.get(title=TITLE)
    assert not session.live
    # Saved, the handout's chooser names the file's type and size (issue 12, item 8).
    handout = block(page, "Handout")
    expect(handout.get_by_text(re.compile(r"Benefits Handout — PDF, \d")).last).to_be_visible()

    # Preview: the side panel shows the page as visitors will see it.
    page.get_by_role("button", name="Toggle preview").click()
    # Wagtail loads each preview into a new iframe and then swaps it in: the last one.
    preview = page.locator("iframe[title='Preview']").last.content_frame
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

    # Back on the listing: the header's "Actions" menu has the exports.
    expect(page.get_by_role("row").filter(has_text=COMMENT)).to_contain_text("Reviewed")
    page.get_by_role("navigation", name="Actions").get_by_role("button", name="Actions").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
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
    title = page_title(page)
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert not SessionPage.objects.exists()
    # Everything typed is still there.
    recording = region(page, "Recording")
    expect(recording.get_by_role("textbox", name="Video URL")).to_have_value(
        "https://www.youtube.com/watch?v=benefits1"
    )
    expect(recording.get_by_role("textbox", name="Starts at")).to_have_value("1:00")
    expect(recording.get_by_role("textbox", name="Title")).to_have_value("Opening")
    notes = region(page, "Session notes").get_by_role("textbox")
    expect(notes).to_have_text("Notes typed before the title.")
    set_title(page, TITLE)
    save_draft(page)
    expect_saved(page, TITLE)
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
    set_title(page, TITLE)
    fill_recording(page, [("12:30", "The checklist"), ("0:45", "Why benefits slip")])
    save_draft(page)
    expect_not_saved(page)
    expect(page.get_by_text("Starts at or before the chapter above it (12:30).")).to_be_visible()
    assert not SessionPage.objects.exists()
    recording = region(page, "Recording")
    times = recording.get_by_role("textbox", name="Starts at")
    expect(times).to_have_count(2)
    expect(times.nth(0)).to_have_value("12:30")
    expect(times.nth(1)).to_have_value("0:45")
    titles = recording.get_by_role("textbox", name="Title")
    expect(titles.nth(1)).to_have_value("Why benefits slip")
    # Fixed in place: the first chapter starts earlier.
    times.nth(0).fill("0:10")
    save_draft(page)
    expect_saved(page, TITLE)
    chapters = SessionPage.objects.get().recording[0].value["chapters"]
    assert [(c["time"], c["title"]) for c in chapters] == [
        ("0:10", "The checklist"),
        ("0:45", "Why benefits slip"),
    ]
