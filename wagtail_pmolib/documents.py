"""Describing documents for visitors: "PDF, 245 KB"."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# File types visitors know by another name than their extension.
FRIENDLY_TYPES = {
    "doc": gettext_lazy("Word"),
    "docx": gettext_lazy("Word"),
    "ppt": gettext_lazy("PowerPoint"),
    "pptx": gettext_lazy("PowerPoint"),
    "xls": gettext_lazy("Excel"),
    "xlsx": gettext_lazy("Excel"),
    "odt": gettext_lazy("OpenDocument text"),
    "odp": gettext_lazy("OpenDocument presentation"),
    "ods": gettext_lazy("OpenDocument spreadsheet"),
    "txt": gettext_lazy("Text"),
    "vtt": gettext_lazy("Captions"),
}


def file_type_label(extension: str) -> str:
    extension = (extension or "").lower().lstrip(".")
    if not extension:
        return ""
    return str(FRIENDLY_TYPES.get(extension, extension.upper()))


def human_size(size: int | None) -> str:
    """A file size as visitors read it: "812 bytes", "245 KB", "1.4 MB".

    Binary multiples (1 KB = 1024 bytes), as operating systems show them.
    Whole kilobytes; one decimal place from a megabyte up, dropped when it is 0.
    """
    if size is None or size < 0:
        return ""
    if size < 1024:
        return ngettext("%(n)s\u00a0byte", "%(n)s\u00a0bytes", size) % {"n": size}
    units = [_("KB"), _("MB"), _("GB"), _("TB")]
    value = size / 1024
    unit = 0
    # Round before choosing the unit, so 1023.9 KB reads "1 MB", not "1024 KB".
    while unit < len(units) - 1 and round(value, 0 if unit == 0 else 1) >= 1024:
        value /= 1024
        unit += 1
    if unit == 0:
        amount = number_format(round(value))
    else:
        rounded = round(value, 1)
        amount = number_format(rounded, 0 if rounded == int(rounded) else 1)
    return f"{amount}\u00a0{units[unit]}"


def describe_document(document) -> str:
    """ "PDF, 245 KB" for a document; parts that are unknown are left out.

    Uses the size Wagtail stores when a document is saved; never opens the file.
    """
    if document is None:
        return ""
    parts = [
        p for p in (file_type_label(document.file_extension), human_size(document.file_size)) if p
    ]
    return ", ".join(parts)
