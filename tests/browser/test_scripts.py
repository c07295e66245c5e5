"""The library's script in a real browser: Debian's Chromium driven by Playwright.

Skipped when Playwright or Chromium is not installed, unless PMOLIB_REQUIRE_BROWSER=1
(as CI sets it), which turns a missing browser into a failure.
"""

import pytest

from ..conftest import paragraph, recording_value
from .conftest import open_page


@pytest.fixture
def session_url(live_server, make_session, speaker):
    notes = "".join(
        f"<h3>Part {n}</h3>" + "<p>Notes for this part of the session.</p>" * 30
        for n in range(1, 5)
    )
    session = make_session(
        speakers=[speaker],
        recording=recording_value(chapters=[{"time": "1:05", "title": "The SORE framework"}]),
        body=[paragraph("<p>Body.</p>")],
        notes=notes,
    )
    return live_server.url + session.url


@pytest.fixture
def page(browser):
    context, page = open_page(browser, viewport={"width": 1280, "height": 800})
    yield page
    context.close()


@pytest.mark.django_db(transaction=True)
def test_viewing_a_session_makes_no_third_party_request(page, session_url):
    page.goto(session_url.replace("127.0.0.1", "localhost"))
    page.wait_for_load_state("networkidle")
    assert page.outside_requests == []
    assert page.locator("iframe").count() == 0


@pytest.mark.django_db(transaction=True)
def test_play_loads_the_provider_player_in_place(page, session_url):
    page.goto(session_url.replace("127.0.0.1", "localhost"))
    page.click("[data-pmolib-facade]")
    iframe = page.locator("[data-pmolib-player] iframe")
    assert iframe.count() == 1
    src = iframe.get_attribute("src")
    assert src.startswith("https://www.youtube.com/embed/")
    assert "autoplay=1" in src
    assert page.locator("[data-pmolib-facade]").count() == 0
    assert page.url.startswith("http://localhost")  # the visitor stayed on the page


@pytest.mark.django_db(transaction=True)
def test_a_chapter_link_starts_the_player_at_its_time(page, session_url):
    page.goto(session_url.replace("127.0.0.1", "localhost"))
    page.click("[data-pmolib-seek='65']")
    src = page.locator("[data-pmolib-player] iframe").get_attribute("src")
    assert "start=65" in src
    assert page.url.startswith("http://localhost")


@pytest.mark.django_db(transaction=True)
def test_table_of_contents_follows_the_reader(page, session_url):
    page.goto(session_url.replace("127.0.0.1", "localhost"))
    page.evaluate("document.getElementById('part-3').scrollIntoView()")
    page.wait_for_function(
        "document.querySelector('.pmolib-toc a[aria-current=\"true\"]')"
        " && document.querySelector('.pmolib-toc a[aria-current=\"true\"]')"
        ".getAttribute('href') === '#part-3'"
    )
    # Sticky beside the notes on a wide screen: still in view after scrolling.
    box = page.locator(".pmolib-toc").bounding_box()
    assert box is not None and 0 <= box["y"] < 800


@pytest.mark.django_db(transaction=True)
def test_print_button_appears_with_javascript(page, session_url):
    page.goto(session_url.replace("127.0.0.1", "localhost"))
    assert page.locator("[data-pmolib-print]").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".pmolib-recording__player").is_visible()
    assert page.locator(".pmolib-toc").is_visible()
