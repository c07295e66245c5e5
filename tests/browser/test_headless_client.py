"""The headless front end of ``example_site/headless/`` (issue 10, item 8), in a real
browser, served from a second origin: it searches the library with facets, shows a
session with its handouts and table of contents, and rates it (the vote is stored);
the same page served from an origin the site does not list gets nothing; an
editor's headless preview shows the draft.

Skipped when Playwright or Chromium is not installed, unless PMOLIB_REQUIRE_BROWSER=1.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import RequestFactory

from tests.api.support import build_seed_library
from wagtail_pmolib.models import Feedback, SessionPage
from wagtail_pmolib.models.sessions import HEADLESS_PREVIEW_MODE

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_DIR = Path(__file__).resolve().parents[2] / "example_site" / "headless"
TIMEOUT = 15_000


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def static_origin():
    """Serve the client's folder on 127.0.0.1 at a free port: another origin than
    the site's (``localhost`` at the live server's port). Yields a function that
    starts one more such origin."""
    servers = []

    def start():
        handler = functools.partial(_QuietHandler, directory=str(CLIENT_DIR))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site_url(live_server, settings):
    url = live_server.url.replace("127.0.0.1", "localhost")
    settings.WAGTAILAPI_BASE_URL = url  # the API's absolute URLs: this server
    return url


@pytest.fixture
def tree(site_root):
    from wagtail.models import Collection

    # A transactional test's flush removed what Wagtail's migrations created.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    return build_seed_library()


def client_page(browser, origins):
    """A browser page that may contact only ``origins`` (the site and the client's)."""
    # As conftest's open_page, with the client's origin allowed besides the site's.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = []

    def block_outside(route):
        outside.append(route.request.url)
        route.abort()

    allowed = tuple(f"{origin}/" for origin in origins)
    context.route(lambda url: not url.startswith(allowed), block_outside)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.outside_requests = outside
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    return context, page


def test_search_open_a_session_and_rate_it_from_another_origin(
    browser, settings, static_origin, site_url, tree
):
    client = static_origin()
    settings.WAGTAIL_PMOLIB = {"API_CORS_ORIGINS": [client]}
    context, page = client_page(browser, [client, site_url])
    try:
        page.goto(f"{client}/index.html?api={site_url}/api/pmolib/")
        expect(page.locator("body[data-ready=true]")).to_be_attached()
        expect(page.locator("#library-title")).to_have_text(tree.library.title)
        results = page.locator("#results li.result")
        expect(results).to_have_count(2)
        # Facets with counts, and a facet chosen narrows the results.
        speakers = page.locator('#facets fieldset[data-facet="speaker"]')
        expect(speakers.get_by_label("Eileen Roden (1)")).to_be_visible()
        speakers.get_by_label("Eileen Roden (1)").check()
        expect(results).to_have_count(1)
        speakers.get_by_label("Eileen Roden (1)").uncheck()
        expect(results).to_have_count(2)
        # Words: the match is marked.
        page.get_by_label("Search the PMO Conference Library").fill("Powering")
        page.get_by_role("button", name="Search").click()
        expect(results).to_have_count(1)
        expect(results.first.locator("mark").first).to_have_text("Powering")

        results.first.locator("a").click()
        session = page.locator("#session")
        expect(session).to_be_visible()
        expect(page.locator("#session-title")).to_have_text(tree.session.full_title)
        # The table of contents links to headings the page shows.
        toc = page.locator("#toc-list a")
        expect(toc.first).to_be_visible()
        for href in toc.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            assert page.locator(href).count() == 1, href
        expect(page.locator("#toc-list")).to_contain_text("The SORE framework")
        # The handouts, with their download address, type and size.
        handouts = page.locator("#session-body li.handout")
        expect(handouts).to_have_count(2)
        expect(handouts.first).to_contain_text("PDF")
        download = handouts.first.locator("a.download").get_attribute("href")
        assert download.endswith(tree.document.url)

        page.get_by_role("button", name="4 stars").click()
        expect(page.locator("#rating-message")).not_to_be_empty()
        expect(page.locator("#rating-summary")).to_contain_text("1 rating")
        expect(page.get_by_role("button", name="4 stars")).to_have_attribute("aria-pressed", "true")
        assert list(
            Feedback.objects.filter(page=tree.session).values_list("rating", flat=True)
        ) == [4]
        assert page.locator("#status").text_content() == ""
        assert page.js_errors == []
        assert page.outside_requests == []
    finally:
        context.close()


def test_a_page_of_an_origin_not_listed_is_refused(
    browser, settings, static_origin, site_url, tree
):
    allowed, other = static_origin(), static_origin()
    settings.WAGTAIL_PMOLIB = {"API_CORS_ORIGINS": [allowed]}
    context, page = client_page(browser, [other, site_url])
    try:
        page.goto(f"{other}/index.html?api={site_url}/api/pmolib/")
        expect(page.locator("#status")).to_contain_text("could not be reached")
        expect(page.locator("#results li")).to_have_count(0)
        # Nor may its script post a vote: a form post, which a browser sends to any
        # origin without asking first, is refused by the site itself.
        status = page.evaluate(
            """async ([url]) => {
                try {
                    const r = await fetch(url, {method: "POST", mode: "no-cors",
                        headers: {"Content-Type": "application/x-www-form-urlencoded"},
                        body: "rating=5"});
                    return r.type;
                } catch (e) { return "refused"; }
            }""",
            [f"{site_url}/api/pmolib/sessions/{tree.session.pk}/feedback/"],
        )
        assert status in ("opaque", "refused")
        assert not Feedback.objects.filter(page=tree.session).exists()
    finally:
        context.close()


def test_an_editors_headless_preview_shows_the_draft(
    browser, settings, static_origin, site_url, tree
):
    client = static_origin()
    settings.WAGTAIL_PMOLIB = {
        "API_CORS_ORIGINS": [client],
        "HEADLESS_PREVIEW_CLIENT_URL": f"{client}/index.html",
    }
    draft = SessionPage.objects.get(pk=tree.session.pk)
    draft.title = "A title not yet published"
    draft.save_revision()
    # Where the editor's "Headless front end" preview sends them.
    location = draft.serve_preview(RequestFactory().get("/"), HEADLESS_PREVIEW_MODE)["Location"]
    assert location.startswith(f"{client}/index.html?content_type=wagtail_pmolib.sessionpage&")
    context, page = client_page(browser, [client, site_url])
    try:
        page.goto(f"{location}&api={site_url}/api/pmolib/")
        expect(page.locator("#session-title")).to_contain_text("A title not yet published")
        expect(page.locator("#preview-note")).to_be_visible()
        # A draft is not rated.
        expect(page.locator("#stars button")).to_have_count(0)
        assert page.js_errors == []
    finally:
        context.close()
