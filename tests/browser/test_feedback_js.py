"""The feedback section in a real browser (issue 3, items 1–2): keyboard operation,
labels, the summary updated in place, the aria-live announcement, the comment box,
and the plain form post without JavaScript.

Skipped when Playwright or Chromium is not installed, unless PMOLIB_REQUIRE_BROWSER=1
(as CI sets it), which turns a missing browser into a failure.
"""

import pytest

from .conftest import open_page

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

THANK_YOU = "Thank you for your feedback!"
TIMEOUT = 10_000


@pytest.fixture
def session(make_session):
    return make_session()


@pytest.fixture
def session_url(live_server, session):
    return (live_server.url + session.url).replace("127.0.0.1", "localhost")


def _context(browser, **options):
    return open_page(browser, timeout=TIMEOUT, **options)


@pytest.fixture
def page(browser):
    context, page = _context(browser)
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser):
    context, page = _context(browser, java_script_enabled=False)
    yield page
    context.close()


def open_session(page, url):
    """Open the page and note every later page load (there must be none)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__pmolibSamePage = true")
    loads = []
    page.on("load", lambda: loads.append(page.url))
    page.page_loads = loads
    return page.locator("#feedback")


def assert_no_page_load(page):
    assert page.page_loads == []
    assert page.evaluate("window.__pmolibSamePage === true")


def star_name(n):
    return "1 star" if n == 1 else f"{n} stars"


def other_votes(session, *ratings):
    from wagtail_pmolib.feedback.identity import Visitor
    from wagtail_pmolib.feedback.votes import Submission, submit
    from wagtail_pmolib.models import FeedbackSettings

    for n, rating in enumerate(ratings):
        submit(session, Visitor(key=f"{n:064x}"), Submission(rating, ""), FeedbackSettings())


def test_each_star_is_a_labelled_radio_in_a_group(page, session_url):
    section = open_session(page, session_url)
    group = section.get_by_role("group", name="Rate this article")
    expect(group).to_have_count(1)
    expect(group.get_by_role("radio")).to_have_count(5)
    for n in range(1, 6):
        expect(group.get_by_role("radio", name=star_name(n))).to_have_count(1)
    status = section.locator("[data-pmolib-feedback-status]")
    assert status.get_attribute("aria-live") == "polite"
    assert status.get_attribute("role") == "status"


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_keyboard_rates_and_submits_and_the_summary_updates_in_place(
    page, session, session_url, key
):
    from wagtail_pmolib.models import Feedback

    other_votes(session, 5)
    section = open_session(page, session_url)
    expect(section.locator("[data-pmolib-headline]")).to_have_text("5.0 out of 5 stars")
    section.get_by_role("radio", name="5 stars").focus()
    page.keyboard.press("ArrowLeft")  # arrow keys move within the group and choose
    four = section.get_by_role("radio", name="4 stars")
    expect(four).to_be_focused()
    expect(four).to_be_checked()
    # The focused star is visibly marked.
    outline = page.evaluate(
        "getComputedStyle(document.querySelector('label[for=pmolib-rating-4]')).outlineStyle"
    )
    assert outline not in ("", "none")
    page.keyboard.press("Tab")  # out of the group: the comment box is hidden, so the button
    expect(section.get_by_role("button", name="Send feedback")).to_be_focused()
    page.keyboard.press(key)
    expect(section.locator("[data-pmolib-feedback-status]")).to_have_text(THANK_YOU)
    expect(section.locator("[data-pmolib-headline]")).to_have_text("4.5 out of 5 stars")
    expect(section.locator("[data-pmolib-count]")).to_have_text("(2 ratings)")
    expect(section.locator("tr[data-stars='4'] [data-pmolib-percent]")).to_have_text("50%")
    expect(section.locator("tr[data-stars='5'] [data-pmolib-percent]")).to_have_text("50%")
    assert_no_page_load(page)
    assert page.url == session_url
    assert Feedback.objects.get(rating=4)
    assert page.outside_requests == []


def test_changing_the_vote_replaces_it_in_place(page, session_url):
    from wagtail_pmolib.models import Feedback

    section = open_session(page, session_url)
    button = section.get_by_role("button", name="Send feedback")
    section.locator("label[for=pmolib-rating-5]").click()
    button.click()
    expect(section.locator("[data-pmolib-headline]")).to_have_text("5.0 out of 5 stars")
    section.locator("label[for=pmolib-rating-3]").click()
    button.click()
    expect(section.locator("[data-pmolib-headline]")).to_have_text("3.0 out of 5 stars")
    expect(section.locator("[data-pmolib-count]")).to_have_text("(1 rating)")
    assert_no_page_load(page)
    assert list(Feedback.objects.values_list("rating", flat=True)) == [3]


def test_comment_box_appears_after_a_low_rating(page, session_url):
    from wagtail_pmolib.models import Feedback

    section = open_session(page, session_url)
    box = section.locator("[data-pmolib-comment]")
    expect(box).to_be_hidden()
    section.locator("label[for=pmolib-rating-5]").click()
    expect(box).to_be_hidden()
    section.locator("label[for=pmolib-rating-2]").click()
    expect(box).to_be_visible()  # before sending: the visitor can explain at once
    expect(box).to_contain_text("How Can We Improve This Article?")
    section.get_by_role("button", name="Send feedback").click()
    expect(section.locator("[data-pmolib-feedback-status]")).to_have_text(THANK_YOU)
    expect(section.get_by_label("How Can We Improve This Article?")).to_be_focused()
    page.keyboard.type("Louder microphone, please.")
    section.get_by_role("button", name="Send feedback").click()
    expect(section.locator("[data-pmolib-count]")).to_have_text("(1 rating)")
    # Sent: the box is emptied and the button rests until there is something new.
    comment = section.get_by_label("How Can We Improve This Article?")
    expect(comment).to_have_value("")
    button = section.get_by_role("button", name="Send feedback")
    expect(button).to_be_disabled()
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (2, "Louder microphone, please.")
    comment.click()
    page.keyboard.type("And slides.")
    expect(button).to_be_enabled()
    assert_no_page_load(page)


def test_a_missing_rating_is_announced_without_a_page_load(page, session_url):
    from wagtail_pmolib.models import Feedback

    section = open_session(page, session_url)
    section.get_by_role("button", name="Send feedback").click()
    expect(section.locator("[data-pmolib-feedback-status]")).to_contain_text(
        "Choose a rating from 1 to 5 stars."
    )
    assert_no_page_load(page)
    assert not Feedback.objects.exists()


def test_without_javascript_the_form_posts_and_comes_back_to_the_section(
    page_without_js, session_url
):
    from wagtail_pmolib.models import Feedback

    page = page_without_js
    page.goto(session_url)
    page.locator("label[for=pmolib-rating-4]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    assert page.url == session_url + "#feedback"
    section = page.locator("#feedback")
    expect(section.locator("[data-pmolib-feedback-status]")).to_have_text(THANK_YOU)
    expect(section.locator("[data-pmolib-headline]")).to_have_text("4.0 out of 5 stars")
    assert Feedback.objects.get().rating == 4


def test_each_star_is_named_exactly_n_stars(page, session_url):
    section = open_session(page, session_url)
    for n in range(1, 6):
        radio = section.get_by_role("radio", name=star_name(n), exact=True)
        expect(radio).to_have_count(1, timeout=1000)


def test_arrow_keys_move_through_the_stars_in_reading_order(page, session_url):
    section = open_session(page, session_url)
    section.get_by_role("radio", name="1 star").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    three = section.get_by_role("radio", name="3 stars")
    expect(three).to_be_focused()
    expect(three).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect(section.get_by_role("radio", name="2 stars")).to_be_checked()
    # Passing over low ratings shows the comment box (mode "below 4").
    expect(section.locator("[data-pmolib-comment]")).to_be_visible()


def test_choosing_n_stars_lights_the_first_n_stars(page, session_url):
    section = open_session(page, session_url)
    section.locator("label[for=pmolib-rating-4]").click()
    page.mouse.move(0, 0)  # no hover preview
    stars = page.evaluate(
        """() => [...document.querySelectorAll('.pmolib-rating__stars label')]
            .map(l => ({x: l.getBoundingClientRect().x, n: +l.htmlFor.split('-').pop(),
                        color: getComputedStyle(l).color}))
            .sort((a, b) => a.x - b.x)"""
    )
    assert [star["n"] for star in stars] == [1, 2, 3, 4, 5]
    gold = {star["color"] for star in stars[:4]}
    assert len(gold) == 1 and stars[4]["color"] not in gold
