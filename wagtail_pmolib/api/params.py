"""Request parameters: numbers are ASCII digits only, pages are counted from 1.

Python and pydantic read " 12", "+12", "1_2", "12.0" and "١٢" as 12; an address
that says one of those is not the number it seems, so the API refuses it
(400, naming the parameter) rather than guess.
"""

from __future__ import annotations

from typing import Annotated

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field

from ..conf import pmolib_settings
from .errors import Problem

# Longest number read: ids beyond it exist in no database the library runs on,
# and SQLite refuses integers past 2**63 with an error, not an empty answer.
MAX_DIGITS = 18


def _ascii_digits(value):
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(_("must be a whole number written with the digits 0–9"))
        if len(value) > MAX_DIGITS:
            raise ValueError(_("must have at most %(count)s digits") % {"count": MAX_DIGITS})
    return value


def _true_or_false(value):
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError(_("must be true or false"))
    return value


# A positive whole number from the address (ids, page numbers). The constraints
# come before the validator so that the OpenAPI schema says "minimum"/"maximum".
WholeNumber = Annotated[int, Field(ge=1, le=10**MAX_DIGITS - 1), BeforeValidator(_ascii_digits)]
# A yes/no filter: "true" or "false", nothing else that pydantic would take ("1", "on"…).
Flag = Annotated[bool, BeforeValidator(_true_or_false)]


def page_slice(page: int, per_page: int | None, count: int) -> tuple[int, int]:
    """``(offset, limit)`` of page ``page`` of ``count`` items. ``per_page``
    defaults to ``INDEX_PAGE_SIZE`` and may not pass ``MAX_PAGE_SIZE``; a page
    after the last is a 404 naming ``page`` (page 1 always exists, if empty)."""
    if per_page is None:
        per_page = pmolib_settings.INDEX_PAGE_SIZE
    elif per_page > pmolib_settings.MAX_PAGE_SIZE:
        raise Problem(
            400,
            _("The query parameter “per_page” must be at most %(max)s.")
            % {"max": pmolib_settings.MAX_PAGE_SIZE},
            "per_page",
        )
    last = max(1, -(-count // per_page))
    if page > last:
        raise Problem(
            404,
            _("Page %(page)s is after the last page (%(last)s).") % {"page": page, "last": last},
            "page",
        )
    return (page - 1) * per_page, per_page
