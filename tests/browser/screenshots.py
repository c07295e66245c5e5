"""Screenshots for the README (issue 12, item 13): ``python3 dev.py screenshots``.

Desktop and mobile PNGs of the library, a search, the seed session and the
feedback widget, taken on the demo content in Debian's Chromium and written to
``$PMOLIB_SCREENSHOTS_DIR`` (docs/screenshots/), each reduced to a 256-colour
palette to stay small. Not a test module (its name does not start with
``test_``): the suite never runs it; the command above runs it on purpose.
"""

import io
import os
from pathlib import Path

import pytest

from .audited_pages import audited_url
from .conftest import open_page, vote

pytestmark = pytest.mark.django_db(transaction=True)

MAX_BYTES = 300_000
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 860}},
    "mobile": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.fixture
def out_dir():
    folder = os.environ.get("PMOLIB_SCREENSHOTS_DIR")
    if not folder:
        pytest.skip("PMOLIB_SCREENSHOTS_DIR is not set: run `python3 dev.py screenshots`")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_small(png: bytes, path: Path) -> int:
    """The PNG with a 256-colour palette, optimised; its size in bytes."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, format="PNG", optimize=True)
    return path.stat().st_size


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_screenshots(browser, live_server, demo, out_dir, device):
    # The site's home page as a host names it, not Wagtail's "Welcome to your new
    # Wagtail site!" (shown in the breadcrumbs).
    home = demo["library"].get_parent()
    home.title = "Home"
    home.save_revision().publish()
    context, page = open_page(browser, timeout=20_000, **VIEWPORTS[device])
    shots = {}
    try:
        page.goto(audited_url(live_server, demo, "library"))
        page.wait_for_load_state("networkidle")
        shots["library"] = page.screenshot()

        page.goto(audited_url(live_server, demo, "search"))
        page.wait_for_load_state("networkidle")
        # On a phone the filters come first: the shot is of the results.
        page.locator(".pmolib-search__results").scroll_into_view_if_needed()
        shots["search"] = page.screenshot()

        page.goto(audited_url(live_server, demo, "session"))
        page.wait_for_load_state("networkidle")
        shots["session"] = page.screenshot()

        # The widget after a two-star vote: the summary, the thanks, the comment box.
        vote(page, 2)
        page.mouse.move(0, 0)
        feedback = page.locator("#feedback")
        feedback.scroll_into_view_if_needed()
        shots["feedback"] = feedback.screenshot()
    finally:
        context.close()
    for name, png in shots.items():
        size = save_small(png, out_dir / f"{name}-{device}.png")
        assert size < MAX_BYTES, f"{name}-{device}.png is {size} bytes"
