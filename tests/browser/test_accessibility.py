"""Accessibility of the visitor's pages in a real browser (issue 12, item 11):
axe-core (npm, tests/browser/package.json) injected by Playwright into the
library index, a search, the seed session before and after a vote and the
no-results page finds no serious or critical violation, in light and in dark
mode (``prefers-color-scheme``), WCAG 2.2 AA contrast included; and reduced
motion is respected.

Needs Chromium, npm (``npm ci`` runs when node_modules is missing) and the
demo content; a missing tool fails under PMOLIB_REQUIRE_BROWSER=1 (CI).
"""

import pytest

from .audited_pages import PAGES, audited_url, open_audited
from .conftest import open_page

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 15_000
# WCAG 2.0–2.2 A and AA, and axe's best practices; serious and critical fail.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations", "incomplete"],
}
FAILING_IMPACTS = {"serious", "critical"}


def run_axe(page, axe_source, options=AXE_OPTIONS):
    """axe's violations, and text drawn in its own background's colour: axe reports
    that as "needs review" (it may be text hidden on purpose), never as a violation;
    on these pages it is unreadable text, a serious failure."""
    page.add_script_tag(content=axe_source)
    results = page.evaluate("options => axe.run(document, options)", options)
    unreadable = [
        node
        for result in results.get("incomplete", [])
        if result["id"] == "color-contrast"
        for node in result["nodes"]
        if any((check.get("data") or {}).get("messageKey") == "equalRatio" for check in node["any"])
    ]
    if unreadable:
        results["violations"].append(
            {
                "id": "color-contrast",
                "impact": "serious",
                "help": "Text must not be drawn in its background's colour",
                "nodes": [
                    {**node, "failureSummary": "text colour = background"} for node in unreadable
                ],
            }
        )
    return results["violations"]


def describe(name, violations):
    lines = []
    for violation in violations:
        lines.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']}".replace("\n", " "))
    return lines


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_violations(browser, live_server, demo, axe_source, scheme):
    context, page = open_page(browser, timeout=TIMEOUT, color_scheme=scheme)
    problems = []
    try:
        for name in PAGES:
            open_audited(page, live_server, demo, name)
            violations = [v for v in run_axe(page, axe_source) if v["impact"] in FAILING_IMPACTS]
            problems += describe(name, violations)
        assert page.outside_requests == []
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_dark_mode_is_dark(browser, live_server, demo):
    """The default theme follows the visitor's ``prefers-color-scheme``; a host
    keeps it light with ``data-pmolib-theme="light"`` on the root element."""
    backgrounds = {}
    for scheme in ("light", "dark"):
        context, page = open_page(browser, timeout=TIMEOUT, color_scheme=scheme)
        try:
            page.goto(audited_url(live_server, demo, "session"))
            backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
            if scheme == "dark":
                page.evaluate("document.documentElement.dataset.pmolibTheme = 'light'")
                backgrounds["dark, opted out"] = page.evaluate(
                    "getComputedStyle(document.body).backgroundColor"
                )
        finally:
            context.close()
    assert backgrounds["light"] == "rgb(255, 255, 255)"
    assert backgrounds["dark"] != backgrounds["light"]
    assert backgrounds["dark, opted out"] == backgrounds["light"]


MOTION = """() => [...document.querySelectorAll('*')].flatMap(el => {
    const found = [];
    for (const pseudo of [null, '::before', '::after']) {
        const style = getComputedStyle(el, pseudo);
        const durations = (style.transitionDuration + ',' + style.animationDuration)
            .split(',').map(s => parseFloat(s) || 0);
        if (Math.max(...durations) > 0.01 && (style.animationName !== 'none'
                || style.transitionProperty !== 'none')) {
            found.push((el.className || el.tagName) + (pseudo || ''));
        }
    }
    if (getComputedStyle(el).scrollBehavior === 'smooth') found.push(el.tagName + ' smooth scroll');
    return found;
})"""

# What a host's theme might add: transitions, an animation, smooth scrolling.
HOST_THEME = """
html { scroll-behavior: smooth; }
.pmolib a, .pmolib-button, .pmolib-rating__stars label { transition: color .4s, background .4s; }
.pmolib-feedback__thanks { animation: pmolib-test-pop 1s infinite; }
@keyframes pmolib-test-pop { from { opacity: .5 } to { opacity: 1 } }
"""


def test_reduced_motion_is_respected(browser, live_server, demo):
    """With ``prefers-reduced-motion: reduce`` nothing moves: no transition,
    animation or smooth scrolling, even where a host's theme adds some."""
    found = {}
    for motion in ("no-preference", "reduce"):
        context, page = open_page(browser, timeout=TIMEOUT, reduced_motion=motion)
        try:
            open_audited(page, live_server, demo, "session-voted")
            page.add_style_tag(content=HOST_THEME)
            found[motion] = page.evaluate(MOTION)
        finally:
            context.close()
    assert found["no-preference"], "the host theme's motion should show without the preference"
    assert found["reduce"] == []


def test_the_check_can_fail(browser, live_server, demo, axe_source):
    """axe-core sees what these tests are for: grey text on white, an unlabelled
    field, in the library's own markup."""
    context, page = open_page(browser, timeout=TIMEOUT)
    try:
        page.goto(audited_url(live_server, demo, "library"))
        page.evaluate(
            """document.querySelector('.pmolib').insertAdjacentHTML('beforeend',
                '<p style="color:#c0c0c0">Faint text</p><input type="text">')"""
        )
        found = {v["id"]: v["impact"] for v in run_axe(page, axe_source)}
    finally:
        context.close()
    assert found.get("color-contrast") == "serious", found
    assert found.get("label") == "critical", found
