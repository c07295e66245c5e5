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
from django.db.models.expressions import RawSQL


def cte(name: str):
    """A subquery reading the ids of the common table expression ``name`` of
    ``union_rows`` (for ``pk__in=``)."""
    return RawSQL(f'SELECT "id" FROM "{name}"', [])


def union_rows(arms, using="default", with_=None):
    """The rows of every arm in ``arms`` as ``(arm index, *columns)`` tuples, from
    one statement (no query when ``arms`` is empty). An arm is a queryset or an
    ``(sql, params)`` pair. ``with_`` maps names to subqueries (``RawSQL``, or
    ``(columns, RawSQL)``; a subquery of ids by default) that the arms read by name
    (``cte(name)`` for ids): each is run once for the whole statement, however many
    arms read it (PostgreSQL and SQLite materialise a common table expression read
    more than once)."""
    arms = list(arms)
    if not arms:
        return []
    connection = connections[using]
    parts, params, ctes = [], [], []
    for name, subquery in (with_ or {}).items():
        if subquery is None:
            continue
        columns = ("id",)
        if isinstance(subquery, tuple):
            columns, subquery = subquery
        names = ", ".join(f'"{column}"' for column in columns)
        ctes.append(f'"{name}"({names}) AS ({subquery.sql})')
        params.extend(subquery.params)
    for index, queryset in enumerate(arms):
        if isinstance(queryset, tuple):
            sql, arm_params = queryset
        else:
            compiler = queryset.query.get_compiler(using=using)
            sql, arm_params = compiler.as_sql(with_col_aliases=True)
        parts.append(f"SELECT {int(index)} AS pmolib_arm, a{index}.* FROM ({sql}) a{index}")
        params.extend(arm_params)
    sql = " UNION ALL ".join(parts)
    if ctes:
        sql = f"WITH {', '.join(ctes)} {sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
