"""Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser).

They are skipped when Playwright or Chromium is missing, unless
PMOLIB_REQUIRE_BROWSER=1 (as CI sets it): then a missing browser is an error.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("PMOLIB_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("PMOLIB_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

AVAILABLE = sync_playwright is not None and bool(os.path.exists(CHROMIUM) or shutil.which(CHROMIUM))
if not AVAILABLE and REQUIRED:
    raise RuntimeError(f"Browser tests need Playwright and Chromium at {CHROMIUM}.")

# Playwright's sync API runs an event loop; Django's ORM calls from the test
# itself are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if AVAILABLE:
        return
    skip = pytest.mark.skip(reason=f"Playwright or Chromium ({CHROMIUM}) not installed")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


def open_page(browser, *, timeout=None, **options):
    """A fresh context and page that may contact nothing but our own server.

    Requests elsewhere are refused and recorded in ``page.outside_requests``.
    """
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    outside = []

    def block_outside(route):
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith("http://localhost"), block_outside)
    page = context.new_page()
    page.outside_requests = outside
    if timeout is not None:
        page.set_default_timeout(timeout)
    return context, page


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site_root(transactional_site_root):
    """Pages served to a browser by the live server must be committed."""
    return transactional_site_root
