"""The optional wagtail-modeladmin integration (``wagtail_pmolib.contrib.modeladmin``).

Both it and ``wagtail_modeladmin`` are in the test settings' INSTALLED_APPS; the
setting ``WAGTAIL_PMOLIB["FEEDBACK_ADMIN"]`` decides which admin serves feedback:
with the default ("snippets") the modeladmin menu item is hidden and its views
answer 404; with "modeladmin" they work and the snippet menu item is hidden.
"""

import ast
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from django.urls import reverse
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.menu import admin_menu

from wagtail_pmolib.conf import pmolib_settings
from wagtail_pmolib.feedback import votes
from wagtail_pmolib.feedback.identity import Visitor
from wagtail_pmolib.models import Feedback, FeedbackSettings, RatingSummary

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "wagtail_pmolib"
MODELADMIN = override_settings(WAGTAIL_PMOLIB={"FEEDBACK_ADMIN": "modeladmin"})
MENU_NAME = "pmolib_feedback_modeladmin"
INDEX_URL = reverse("wagtail_pmolib_feedback_modeladmin_index")


def edit_url(feedback):
    return reverse("wagtail_pmolib_feedback_modeladmin_edit", args=[feedback.pk])


def delete_url(feedback):
    return reverse("wagtail_pmolib_feedback_modeladmin_delete", args=[feedback.pk])


def assert_denied(response):
    """Wagtail's admin answers PermissionDenied with a redirect to its dashboard."""
    assert response.status_code == 302, response.status_code
    assert response["Location"] == reverse("wagtailadmin_home")


def vote(page, visitor, rating=None, comment=""):
    votes.submit(
        page,
        Visitor(key=f"visitor-{visitor}"),
        votes.Submission(rating=rating, comment=comment),
        FeedbackSettings(comment_form="always"),
    )
    return Feedback.objects.get(page=page, visitor=f"visitor-{visitor}")


def menu_items(user):
    """Every menu item ``user`` sees, submenus included: name → item."""
    request = RequestFactory().get("/admin/")
    request.user = user
    found = {}

    def walk(items):
        for item in items:
            found[item.name] = item
            submenu = getattr(item, "menu", None)
            if submenu is not None:
                walk(submenu.menu_items_for_request(request))

    walk(admin_menu.menu_items_for_request(request))
    return found


def snippet_menu_url():
    return reverse(Feedback.snippet_viewset.get_url_name("list"))


def editor(username, *codenames):
    """A user who may use the admin, with the given feedback permissions."""
    user = get_user_model().objects.create_user(username, password="password")
    group = Group.objects.create(name=f"{username} group")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in codenames:
        group.permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="wagtail_pmolib")
        )
    user.groups.add(group)
    return user


@pytest.fixture
def page(make_session):
    return make_session(title="Step up")


@pytest.fixture
def feedback(page):
    return {
        "happy": vote(page, "a", 5, comment="Great session"),
        "formula": vote(page, "b", 2, comment='=HYPERLINK("http://evil.example","x")'),
        "script": vote(page, "c", 4, comment="<script>alert(1)</script>"),
        "quiet": vote(page, "d", 3),
    }


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("boss", "boss@example.com", "password")


# --- Core never imports wagtail_modeladmin -------------------------------------------


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            first = node.args[0]
            if name in {"import_module", "import_string", "__import__"} and isinstance(
                first, ast.Constant
            ):
                yield str(first.value)


def test_core_never_imports_wagtail_modeladmin():
    contrib = PACKAGE / "contrib" / "modeladmin"
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if contrib in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(m.split(".")[0] == "wagtail_modeladmin" for m in _imported_modules(tree)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    # The scan does see the sub-app's imports (so it can fail).
    tree = ast.parse((contrib / "wagtail_hooks.py").read_text(encoding="utf-8"))
    assert "wagtail_modeladmin.options" in set(_imported_modules(tree))


def test_a_site_without_the_extra_never_loads_wagtail_modeladmin():
    """The core app, its hooks, admin URLs and checks, with neither modeladmin app installed."""
    script = """
import sys
import django
from django.conf import settings
import tests.settings as base

values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
values["INSTALLED_APPS"] = [
    app for app in base.INSTALLED_APPS
    if app not in ("wagtail_modeladmin", "wagtail_pmolib.contrib.modeladmin")
]
settings.configure(**values)
django.setup()
from django.core.management import call_command
from django.urls import reverse
import wagtail_pmolib.views, wagtail_pmolib.viewsets, wagtail_pmolib.wagtail_hooks
from wagtail.hooks import search_for_hooks
search_for_hooks()
reverse("wagtailadmin_home")
call_command("check")
from wagtail_pmolib.conf import pmolib_settings
assert pmolib_settings.FEEDBACK_ADMIN == "snippets"
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "wagtail_modeladmin")
print("LOADED", loaded)
sys.exit(1 if loaded else 0)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LOADED []" in result.stdout


# --- The setting ----------------------------------------------------------------------


def test_feedback_admin_defaults_to_snippets():
    assert pmolib_settings.FEEDBACK_ADMIN == "snippets"


@pytest.mark.parametrize("value", ["modelAdmin", "wagtail_modeladmin", "", None, ["snippets"]])
def test_unknown_feedback_admin_is_rejected_naming_the_choices(value):
    with (
        override_settings(WAGTAIL_PMOLIB={"FEEDBACK_ADMIN": value}),
        pytest.raises(ImproperlyConfigured, match=r"FEEDBACK_ADMIN.*'snippets', 'modeladmin'"),
    ):
        pmolib_settings.FEEDBACK_ADMIN


def test_modeladmin_without_the_sub_app_installed_is_rejected(monkeypatch):
    from django.apps import apps

    installed = apps.is_installed
    monkeypatch.setattr(
        apps,
        "is_installed",
        lambda name: name != "wagtail_pmolib.contrib.modeladmin" and installed(name),
    )
    with MODELADMIN, pytest.raises(ImproperlyConfigured, match="INSTALLED_APPS"):
        pmolib_settings.FEEDBACK_ADMIN


# --- Default ("snippets"): the modeladmin admin stays out of the way ------------------


def test_by_default_the_modeladmin_menu_item_is_hidden(superuser):
    from wagtail_pmolib.contrib.modeladmin.options import FeedbackMenuItem

    items = menu_items(superuser)
    assert MENU_NAME not in items
    registered = [i for i in admin_menu.registered_menu_items if i.name == MENU_NAME]
    assert len(registered) == 1 and isinstance(registered[0], FeedbackMenuItem)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    assert registered[0].is_shown(request) is False
    # … and the snippet admin's item is the one feedback item in the menu.
    assert [i.url for i in items.values()].count(snippet_menu_url()) == 1


def test_by_default_the_modeladmin_views_answer_404(client, superuser, feedback):
    client.force_login(superuser)
    for url in (INDEX_URL, edit_url(feedback["happy"]), delete_url(feedback["happy"])):
        assert client.get(url).status_code == 404, url
    response = client.post(edit_url(feedback["happy"]), {"status": "spam"})
    assert response.status_code == 404
    assert Feedback.objects.get(pk=feedback["happy"].pk).status == "new"


def test_by_default_edit_links_lead_to_the_snippet_admin(superuser, feedback):
    url = AdminURLFinder(superuser).get_edit_url(feedback["happy"])
    assert url == reverse(
        Feedback.snippet_viewset.get_url_name("edit"), args=[feedback["happy"].pk]
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, feedback):
    with MODELADMIN:
        response = client.get(INDEX_URL)
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]


# --- "modeladmin": listing, edit, export, permissions ---------------------------------


@MODELADMIN
def test_menu_item_shows_for_editors_who_may_see_feedback(superuser):
    viewer = editor("viewer", "view_feedback")
    outsider = editor("outsider")

    assert MENU_NAME in menu_items(superuser)
    assert MENU_NAME in menu_items(viewer)
    assert MENU_NAME not in menu_items(outsider)
    assert menu_items(superuser)[MENU_NAME].url == INDEX_URL


@MODELADMIN
def test_the_snippet_menu_item_is_hidden_so_feedback_is_listed_once(superuser):
    urls = [item.url for item in menu_items(superuser).values()]
    assert snippet_menu_url() not in urls
    assert INDEX_URL in urls


@MODELADMIN
def test_listing_shows_feedback_escaped_with_no_add_button(client, superuser, feedback):
    client.force_login(superuser)
    response = client.get(INDEX_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Great session" in html
    assert "Step up" in html
    assert "5 stars" in html
    assert "New" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert edit_url(feedback["happy"]) in html
    assert reverse("wagtail_pmolib_feedback_modeladmin_create") not in html


@MODELADMIN
def test_listing_search_and_filters(client, superuser, feedback):
    Feedback.objects.filter(pk=feedback["quiet"].pk).update(status="reviewed")
    client.force_login(superuser)

    html = client.get(INDEX_URL, {"q": "great"}).content.decode()
    assert edit_url(feedback["happy"]) in html
    assert edit_url(feedback["formula"]) not in html

    html = client.get(INDEX_URL, {"status__exact": "reviewed"}).content.decode()
    assert edit_url(feedback["quiet"]) in html
    assert edit_url(feedback["happy"]) not in html

    html = client.get(INDEX_URL, {"rating__exact": "2"}).content.decode()
    assert edit_url(feedback["formula"]) in html
    assert edit_url(feedback["script"]) not in html


@MODELADMIN
def test_edit_changes_the_status_only_and_spam_leaves_the_summary(
    client, superuser, feedback, page
):
    client.force_login(superuser)
    happy = feedback["happy"]
    assert RatingSummary.objects.get(page=page).count == 4

    response = client.get(edit_url(happy))
    assert response.status_code == 200
    assert 'name="status"' in response.content.decode()
    assert 'name="comment"' not in response.content.decode()
    assert "Great session" in response.content.decode()  # shown, read only

    response = client.post(edit_url(happy), {"status": "spam", "rating": "1", "comment": "Hacked"})
    assert response.status_code == 302
    happy.refresh_from_db()
    assert (happy.status, happy.rating, happy.comment) == ("spam", 5, "Great session")
    summary = RatingSummary.objects.get(page=page)
    assert (summary.count, summary.stars_5) == (3, 0)


@MODELADMIN
def test_nobody_adds_feedback_here(client, superuser):
    client.force_login(superuser)
    assert_denied(client.get(reverse("wagtail_pmolib_feedback_modeladmin_create")))
    assert Feedback.objects.count() == 0


@MODELADMIN
def test_delete_recounts_the_page(client, superuser, feedback, page):
    client.force_login(superuser)
    response = client.post(delete_url(feedback["happy"]))
    assert response.status_code == 302
    assert not Feedback.objects.filter(pk=feedback["happy"].pk).exists()
    assert RatingSummary.objects.get(page=page).count == 3


@MODELADMIN
def test_permissions_are_enforced(client, feedback):
    happy = feedback["happy"]

    client.force_login(editor("outsider"))
    assert_denied(client.get(INDEX_URL))
    assert_denied(client.get(edit_url(happy)))

    client.force_login(editor("viewer", "view_feedback"))
    response = client.get(INDEX_URL)
    assert response.status_code == 200
    assert edit_url(happy) not in response.content.decode()
    assert_denied(client.post(edit_url(happy), {"status": "spam"}))
    assert_denied(client.post(delete_url(happy)))
    inspect = reverse("wagtail_pmolib_feedback_modeladmin_inspect", args=[happy.pk])
    assert client.get(inspect).status_code == 200

    client.force_login(editor("moderator", "change_feedback"))
    assert client.post(edit_url(happy), {"status": "reviewed"}).status_code == 302
    assert_denied(client.post(delete_url(happy)))
    happy.refresh_from_db()
    assert happy.status == "reviewed"


@MODELADMIN
def test_csv_export_neutralises_formulas(client, superuser, feedback):
    client.force_login(superuser)
    response = client.get(INDEX_URL, {"export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="feedback.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == [
        "Page ID",
        "Page",
        "Rating",
        "Comment",
        "Status",
        "Rating period",
        "Created",
    ]
    by_comment = {row["Comment"]: row for row in rows}
    assert '\'=HYPERLINK("http://evil.example","x")' in by_comment
    assert by_comment["Great session"]["Page"] == "Step up"
    assert by_comment["Great session"]["Status"] == "New"
    assert by_comment[""]["Rating"] == "3"  # an empty comment is an empty cell


@MODELADMIN
def test_csv_export_follows_the_search(client, superuser, feedback):
    client.force_login(superuser)
    response = client.get(INDEX_URL, {"export": "csv", "q": "great"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["Comment"] for row in rows] == ["Great session"]


@MODELADMIN
def test_xlsx_export_keeps_formulas_as_text(client, superuser, feedback):
    from openpyxl import load_workbook

    client.force_login(superuser)
    response = client.get(INDEX_URL, {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    formula = [c for c in cells if str(c.value).startswith("'=HYPERLINK")]
    assert formula and all(c.data_type == "s" for c in formula)


@MODELADMIN
def test_edit_links_lead_here_when_modeladmin_is_chosen(superuser, feedback):
    happy = feedback["happy"]
    assert AdminURLFinder(superuser).get_edit_url(happy) == edit_url(happy)
    assert AdminURLFinder(editor("viewer", "view_feedback")).get_edit_url(happy) is None
