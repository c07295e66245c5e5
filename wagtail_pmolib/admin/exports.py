"""Spreadsheet exports that are safe to open in a spreadsheet program."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ..feedback.votes import CONTROL_RE

# The columns of a feedback export, in both admins (snippets and modeladmin).
FEEDBACK_EXPORT_FIELDS = [
    "page_id",
    "page.title",
    "rating",
    "comment",
    "get_status_display",
    "period",
    "created_at",
]
FEEDBACK_EXPORT_HEADINGS = {
    "page_id": _("Page ID"),
    "page.title": _("Page"),
    "rating": _("Rating"),
    "comment": _("Comment"),
    "get_status_display": _("Status"),
    "period": _("Rating period"),
    "created_at": _("Created"),
}

# A cell starting with one of these is read as a formula by Excel, LibreOffice
# and Google Sheets (CSV/formula injection, OWASP): a visitor's comment
# "=HYPERLINK(…)" would become a live link in an editor's spreadsheet. The
# full-width forms (＝＋－＠) too: Unicode compatibility normalisation (NFKC),
# which some programs apply to what they import, turns them into the ASCII ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE): the control
# characters new comments lose on the way in, which older rows and editors'
# texts may still hold.
XLSX_ILLEGAL_RE = CONTROL_RE


def neutralise_formula(value, export_format="csv"):
    """A cell value safe to open in a spreadsheet program: text that would be
    evaluated (a formula prefix at the start, or after leading blanks that an
    import may trim) gets a leading ``'``, so it stays text. For XLSX, also
    without the control characters the format cannot hold (one would fail the
    whole export). Anything but text is returned as it is.

    Every export of the package calls it, through ``SafeSpreadsheetExportMixin``.
    """
    if not isinstance(value, str):
        return value
    if export_format == "xlsx":
        value = XLSX_ILLEGAL_RE.sub("", value)
    if value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# Dates and times in CSV cells as the site shows them (the feedback panel, the
# reports): the site's time zone, day month year, 24-hour time. Not Python's
# "2026-11-30 06:24:29.123456+00:00". XLSX cells stay real dates, in the site's
# time zone rather than Wagtail's UTC, so a spreadsheet can sort and filter them.
CSV_DATETIME_FORMAT = "j F Y, H:i"
CSV_DATE_FORMAT = "j F Y"


def export_datetime(value, export_format="csv"):
    """A date or date-time cell: text for CSV, a naive local date-time for XLSX
    (the format has no time zones). Anything else is returned as it is."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)  # the site's TIME_ZONE
        return date_format(value, CSV_DATETIME_FORMAT) if export_format == "csv" else value
    if isinstance(value, datetime.date) and export_format == "csv":
        return date_format(value, CSV_DATE_FORMAT)
    return value


class SafeSpreadsheetExportMixin:
    """Every cell of a Wagtail listing's or report's CSV and XLSX export through
    ``neutralise_formula``, and its dates and times through ``export_datetime``.

    Put it before the view class: it overrides
    ``SpreadsheetExportMixin.preprocess_field_value``, which both formats call
    for every cell. Wagtail already writes XLSX cells that openpyxl takes for
    formulas as strings; the prefix also keeps one from turning into a formula
    when an editor edits the cell.
    """

    def preprocess_field_value(self, field, value, export_format):
        # Dates first: Wagtail's own preprocessing would make them UTC (XLSX) or
        # Python's ``str()`` (CSV).
        if isinstance(value, datetime.date):
            return export_datetime(value, export_format)
        value = super().preprocess_field_value(field, value, export_format)
        return neutralise_formula(value, export_format)
