"""Which database errors mean "busy: try again shortly" rather than a bug.

SQLite lets one connection write at a time. With the settings the README
recommends (``transaction_mode = "IMMEDIATE"`` and a busy timeout) the other
writers wait their turn; one that waited longer than the timeout fails with
"database is locked". Nothing was written then, and the same request a moment
later succeeds: a vote answers 503 with ``Retry-After`` (``feedback.votes``),
and a search is shown without being counted in the search log (``search.log``).
"""

from __future__ import annotations

from django.db import OperationalError

# SQLITE_BUSY ("database is locked") and SQLITE_LOCKED ("database table is locked",
# in shared-cache mode), as Python's sqlite3 module words them.
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite giving up on a lock another connection held."""
    if not isinstance(error, OperationalError):
        return False
    message = str(error).lower()
    return any(text in message for text in SQLITE_BUSY_MESSAGES)
