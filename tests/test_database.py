"""``wagtail_pmolib.database.is_busy``: which errors mean "locked, try again shortly"."""

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError

from wagtail_pmolib.database import is_busy


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        # What Django raises when SQLite gives up waiting for another writer.
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked: wagtail_pmolib_feedback"), True),
        # Real faults stay errors (a 500 and a traceback), not "try again".
        (OperationalError("no such table: wagtail_pmolib_feedback"), False),
        (OperationalError("disk I/O error"), False),
        (IntegrityError("UNIQUE constraint failed"), False),
        (DatabaseError("database is locked"), False),  # not an OperationalError
        (ValueError("database is locked"), False),
    ],
)
def test_only_a_lock_timeout_counts_as_busy(error, busy):
    assert is_busy(error) is busy
