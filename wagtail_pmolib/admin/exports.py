"""Spreadsheet exports that are safe to open in a spreadsheet program."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

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
# "=HYPERLINK(…)" would become a live link in an editor's spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix text that a spreadsheet would evaluate with ``'`` so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeSpreadsheetExportMixin:
    """Neutralise formulas in CSV exports of Wagtail listings and reports.

    Put it before the view class (it overrides
    ``SpreadsheetExportMixin.write_csv_row``). XLSX needs nothing: Wagtail
    already writes cells openpyxl takes for formulas as plain strings.
    """

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: neutralise_formula(
                    self.preprocess_field_value(field, value, self.FORMAT_CSV)
                )
                for field, value in row_dict.items()
            }
        )
