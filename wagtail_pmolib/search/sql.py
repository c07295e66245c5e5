"""Several small read-only queries sent as one statement (``UNION ALL``).

A library request needs facet counts in four dimensions, the names behind them
and a few figures besides; each is a small ``GROUP BY`` or lookup. Sending them as
one statement keeps a request's query count constant and low on every database.
Each arm is an ordinary Django queryset (``values_list`` with the same number of
columns and compatible types); ``union_rows`` wraps each one in a derived table,
so an arm may be ordered and sliced (which Django's ``union()`` refuses on
SQLite), and tags its rows with the arm's position.
"""

from __future__ import annotations

from django.db import connections


def union_rows(arms, using="default"):
    """The rows of every queryset in ``arms`` as ``(arm index, *columns)`` tuples, from
    one statement (no query when ``arms`` is empty)."""
    arms = list(arms)
    if not arms:
        return []
    connection = connections[using]
    parts, params = [], []
    for index, queryset in enumerate(arms):
        sql, arm_params = queryset.query.get_compiler(using=using).as_sql(with_col_aliases=True)
        parts.append(f"SELECT {int(index)} AS pmolib_arm, a{index}.* FROM ({sql}) a{index}")
        params.extend(arm_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()
