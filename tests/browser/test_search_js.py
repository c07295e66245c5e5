"""The library search in a real browser (issue 4, items 1, 3 and 6): suggestions
as you type in an ARIA combobox, keyboard choice, filters as links whose state
lives in the address (so the back button works), and the form without JavaScript.

Skipped when Playwright or Chromium is not installed, unless PMOLIB_REQUIRE_BROWSER=1.
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import open_page

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10_000


@pytest.fixture
def sessions(make_session, speaker, conference):
    from wagtail_pmolib.models import Speaker

    other = Speaker.objects.create(name="Marcus Lindqvist", organisation="Contoso")
    return [
        make_session("Step up – Powering up the PMO Service", speakers=[speaker]),
        make_session("Measuring PMO Value", speakers=[other]),
        make_session("Lessons Learned That Get Learned", speakers=[speaker, other]),
    ]


@pytest.fixture
def library_url(live_server, library, sessions):
    return (live_server.url + library.url).replace("127.0.0.1", "localhost")


@pytest.fixture
def page(browser):
    context, page = open_page(browser, timeout=TIMEOUT)
    yield page
    context.close()


def test_suggestions_are_a_combobox_chosen_with_the_keyboard(page, library_url, sessions):
    page.goto(library_url)
    box = page.get_by_role("combobox", name="Search the PMO Library")
    box.fill("measur")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    option = page.get_by_role("option", name="Measuring PMO Value")
    expect(option).to_be_visible()
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    page.wait_for_url("**" + sessions[1].url)
    assert page.outside_requests == []


def test_speaker_suggestion_leads_to_the_speaker_filter_and_escape_closes(page, library_url):
    page.goto(library_url)
    box = page.get_by_role("combobox", name="Search the PMO Library")
    box.fill("lindq")
    expect(page.get_by_role("option", name="Marcus Lindqvist 2 sessions")).to_be_visible()
    box.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.fill("lindqv")
    page.get_by_role("option", name="Marcus Lindqvist 2 sessions").click()
    page.wait_for_url("**?speaker=*")
    titles = page.locator(".pmolib-result__title").all_inner_texts()
    assert sorted(titles) == ["Lessons Learned That Get Learned", "Measuring PMO Value"]


def test_filters_live_in_the_address_and_the_back_button_restores_them(page, library_url):
    page.goto(library_url + "?q=lessons")
    expect(page.locator(".pmolib-result")).to_have_count(1)
    page.locator(".pmolib-facet__option", has_text="Marcus Lindqvist").click()
    page.wait_for_url("**speaker=*")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["lessons"]
    expect(
        page.get_by_role("link", name="Speaker: Marcus Lindqvist (remove this filter)")
    ).to_be_visible()
    page.go_back()
    page.wait_for_url(library_url + "?q=lessons")
    expect(page.locator(".pmolib-chip")).to_have_count(0)
    expect(page.get_by_role("combobox")).to_have_value("lessons")


def test_the_form_searches_without_javascript(browser, library_url):
    context, page = open_page(browser, timeout=TIMEOUT, java_script_enabled=False)
    try:
        page.goto(library_url)
        box = page.get_by_role("searchbox", name="Search the PMO Library")
        box.fill('"PMO value"')
        box.press("Enter")
        page.wait_for_url("**?q=*")
        expect(page.locator(".pmolib-result")).to_have_count(1)
        expect(page.locator(".pmolib-result__title mark")).to_have_text(["PMO", "Value"])
    finally:
        context.close()
