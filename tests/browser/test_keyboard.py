"""The visitor's journeys with the keyboard only (issue 12, item 10): from the
top of the page, Tab reaches the search box, the suggestions, the filters and
the stars, and keys operate them; no mouse event is sent.

Skipped when Playwright or Chromium is not installed, unless PMOLIB_REQUIRE_BROWSER=1.
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import local_url, open_page

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10_000
MAX_TABS = 120


@pytest.fixture
def sessions(make_session, speaker):
    from wagtail_pmolib.models import Speaker

    other = Speaker.objects.create(name="Marcus Lindqvist", organisation="Contoso")
    return [
        make_session("Step up – Powering up the PMO Service", speakers=[speaker]),
        make_session("Measuring PMO Value", speakers=[other]),
        make_session("Lessons Learned That Get Learned", speakers=[speaker, other]),
    ]


@pytest.fixture
def page(browser):
    context, page = open_page(browser, timeout=TIMEOUT)
    yield page
    context.close()


def tab_to(page, target, *, backwards=False):
    """Press Tab (or Shift+Tab) until ``target`` has the focus: it must be
    reachable from where the focus is, in a bounded number of presses."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            return
    focused = page.evaluate("document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{target} not reached with {key}; the focus is on {focused}")


def test_skip_link_then_search_and_choose_a_suggestion(page, live_server, library, sessions):
    page.goto(local_url(live_server, library.url))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown when focused
    page.keyboard.press("Enter")
    box = page.get_by_role("combobox", name="Search the PMO Library")
    tab_to(page, box)
    page.keyboard.type("measur")
    option = page.get_by_role("option", name="Measuring PMO Value")
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(box).to_be_focused()  # the focus stays in the box while choosing
    page.keyboard.press("Enter")
    page.wait_for_url("**" + sessions[1].url)


def test_escape_closes_suggestions_and_enter_searches(page, live_server, library, sessions):
    page.goto(local_url(live_server, library.url))
    box = page.get_by_role("combobox", name="Search the PMO Library")
    tab_to(page, box)
    page.keyboard.type("lessons")
    expect(page.get_by_role("listbox")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(box).to_have_value("lessons")
    page.keyboard.press("Enter")
    page.wait_for_url("**?q=lessons")
    expect(page.locator(".pmolib-result")).to_have_count(1)


def test_filters_are_reached_chosen_and_removed_with_the_keyboard(
    page, live_server, library, sessions
):
    page.goto(local_url(live_server, library.url) + "?q=pmo")
    facet = page.locator(".pmolib-facet__option", has_text="Marcus Lindqvist")
    tab_to(page, facet)
    page.keyboard.press("Enter")
    page.wait_for_url("**speaker=*")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["pmo"]
    titles = page.locator(".pmolib-result__title").all_inner_texts()
    assert sorted(titles) == ["Lessons Learned That Get Learned", "Measuring PMO Value"]
    chip = page.get_by_role("link", name="Speaker: Marcus Lindqvist (remove this filter)")
    tab_to(page, chip)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "speaker=" not in url)
    expect(page.locator(".pmolib-chip")).to_have_count(0)
    expect(page.locator(".pmolib-result")).to_have_count(3)


def test_stars_are_reached_and_rated_with_the_keyboard(page, live_server, sessions):
    from wagtail_pmolib.models import Feedback

    page.goto(local_url(live_server, sessions[0].url))
    page.wait_for_load_state("networkidle")
    section = page.locator("#feedback")
    # Tab enters the radio group once, at its first star (none is chosen yet).
    first = section.get_by_role("radio", name="1 star", exact=True)
    tab_to(page, first)
    expect(first).not_to_be_checked()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.keyboard.press("ArrowRight")
    two = section.get_by_role("radio", name="2 stars")
    expect(two).to_be_focused()
    expect(two).to_be_checked()
    # A low rating opens the comment box, which is next in the tab order.
    comment = section.get_by_label("How Can We Improve This Article?")
    page.keyboard.press("Tab")
    expect(comment).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")
    expect(section.get_by_role("button", name="Send feedback")).to_be_focused()
    page.keyboard.press("Enter")
    expect(section.locator("[data-pmolib-feedback-status]")).to_have_text(
        "Thank you for your feedback!"
    )
    expect(section.locator("[data-pmolib-count]")).to_have_text("(1 rating)")
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (2, "Typed without a mouse.")
    # Shift+Tab goes back into the group, to the chosen star.
    tab_to(page, two, backwards=True)
    page.keyboard.press("ArrowRight")
    expect(section.get_by_role("radio", name="3 stars")).to_be_checked()
