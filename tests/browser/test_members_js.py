"""A members-only session in a real browser (issue 11): the teaser, then signing in
from it comes back to the session, now in full.

Skipped when Playwright or Chromium is not installed, unless PMOLIB_REQUIRE_BROWSER=1.
"""

import pytest

from .conftest import open_page

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10_000
SECRET = "quokka governance ledger"


@pytest.fixture
def gated(settings, library, make_session, speaker):
    from django.contrib.auth.models import Group, User

    from wagtail_pmolib.models import ConferencePage

    # Wagtail's admin login signs in any active user and honours ?next=.
    settings.WAGTAIL_PMOLIB = {"MEMBER_GROUPS": ["Members"], "SIGN_IN_URL": "/admin/login/"}
    members = library.add_child(
        instance=ConferencePage(title="Members 2022", slug="members-2022", access_level="members")
    )
    session = make_session(
        "Gated masterclass",
        speakers=[speaker],
        parent=members,
        abstract="<p>Teaser abstract about hierarchy.</p>",
        notes=f"<h3>Inside the ledger</h3><p>{SECRET}</p>",
    )
    member = User.objects.create_user("member", password="pw-for-tests")
    member.groups.add(Group.objects.create(name="Members"))
    return session


@pytest.fixture
def page(browser):
    context, page = open_page(browser, timeout=TIMEOUT)
    yield page
    context.close()


def test_the_teaser_and_signing_in_back_to_the_session(page, live_server, gated):
    url = (live_server.url + gated.url).replace("127.0.0.1", "localhost")
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gated masterclass")
    expect(page.get_by_text("Teaser abstract about hierarchy.")).to_be_visible()
    teaser = page.locator("[data-pmolib-teaser]")
    expect(teaser).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(SECRET)
    assert SECRET not in page.content()  # nor hidden anywhere in the document
    # The table of contents' headings, without links to sections that are not there.
    expect(page.locator(".pmolib-toc--teaser")).to_contain_text("Inside the ledger")

    # The sign-in link is drawn as a button, its words readable on it (``.pmolib a``
    # once gave it the accent colour of its own background).
    sign_in = teaser.get_by_role("link", name="Sign in")
    colours = sign_in.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert colours[0] != colours[1], colours
    sign_in.click()
    page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", "member")
    page.fill("#id_password", "pw-for-tests")
    page.locator("form").get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)
    expect(page.locator("[data-pmolib-teaser]")).to_have_count(0)
    expect(page.locator(".pmolib-section--notes")).to_contain_text(SECRET)
    assert page.outside_requests == []
