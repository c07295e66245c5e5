"""The sessions a session's article links to: the previous and next session in its
conference's running order, and other sessions by its speakers.

Both come from one statement, written out here rather than built with the ORM:
compiling the two querysets took several times longer than the database took to
answer them, on every article rendered anew. The rules are those of the
querysets they replaced (``tests/models/test_crosslinks.py`` compares them):

- neighbours: the live siblings, ordered by date (undated last) then tree
  position, leaving out those with a view restriction of their own (restrictions
  on the conference or above apply to the page itself, and were checked before
  it was served). Only the two rows next to the page leave the database, however
  many sessions the conference has.
- other sessions: live sessions anywhere with one of the page's speakers, not
  the page itself, none under a view restriction (on it or on an ancestor),
  newest first (undated last), at most ``limit``.

Each link is a session page with only ``LINK_FIELDS`` loaded (title, address, date).
"""

from __future__ import annotations

from django.db import connections, router

from .rows import columns

NEIGHBOURS, OTHERS = 0, 1  # the two parts of the statement (its rows' second last column)
POSITION = "pmolib_position"  # a row's place in date order (its last column)


def crosslinks(page, *, limit: int) -> dict:
    """``{"previous_session": …, "next_session": …, "other_sessions": […]}`` for the
    session ``page`` (one query; none for an unsaved page)."""
    from .sessions import SessionPage

    found = {"previous_session": None, "next_session": None, "other_sessions": []}
    if page.pk is None or not page.path:
        return found
    # The session table holding the running order (``SessionPage``'s, or a host's own).
    siblings_model = type(page)._meta.get_field("starts_at").model
    connection = connections[router.db_for_read(siblings_model)]
    sql = _Sql(connection, siblings_model)
    others_sql = _Sql(connection, SessionPage)
    statement, params = sql.neighbours(page)
    if limit:
        others, others_params = others_sql.others(page, limit)
        statement = f"{statement} UNION ALL {others}"
        params += others_params
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    for row in sorted(rows, key=lambda row: row[-2:]):
        *values, arm, rank = row
        if arm == NEIGHBOURS:
            found["previous_session" if rank < 0 else "next_session"] = sql.instance(values)
        else:
            found["other_sessions"].append(others_sql.instance(values))
    return found


class _Sql:
    """The statement's parts for one session model (its page table ``p`` joined to its
    own table ``s``), and its rows made into instances."""

    def __init__(self, connection, model):
        from .pages import LINK_FIELDS

        self.connection, self.model = connection, model
        self.quote = quote = connection.ops.quote_name
        self.base = base = model._meta.pk.related_model  # the page table (Page is swappable)
        wanted = {"id", model._meta.pk.attname, *LINK_FIELDS}
        # In the model's field order, as ``Model.from_db`` takes them.
        self.rows = columns(connection, model, "s", wanted)
        self.fields = self.rows.fields
        self.columns = ", ".join(
            f"{'p' if f.model is base else 's'}.{quote(f.column)} AS {quote(f.attname)}"
            for f in self.fields
        )
        self.pages = quote(base._meta.db_table)
        self.restrictions = quote(_view_restriction_table())
        self.starts_at = f"s.{quote(model._meta.get_field('starts_at').column)}"
        self.join = (
            f"{self.pages} p JOIN {quote(model._meta.db_table)} s "
            f"ON s.{quote(model._meta.pk.column)} = p.{quote('id')}"
        )

    def c(self, column, alias="p"):
        return f"{alias}.{self.quote(column)}"

    def ordered(self, direction):
        """The link columns and each row's place in date order (undated last)."""
        undated_last = f"CASE WHEN {self.starts_at} IS NULL THEN 1 ELSE 0 END"
        return (
            f"SELECT {self.columns}, ROW_NUMBER() OVER (ORDER BY {undated_last}, "
            f"{self.starts_at} {direction}, {self.c('path')}) AS {POSITION} "
            f"FROM {self.join}"
        )

    def outer_columns(self, alias):
        return ", ".join(f"{alias}.{self.quote(f.attname)}" for f in self.fields)

    def neighbours(self, page):
        parent = page.path[: -self.base.steplen]
        low, high = self.base._get_children_path_interval(parent)
        own_restriction = (
            f"SELECT 1 FROM {self.restrictions} r WHERE {self.c('page_id', 'r')} = {self.c('id')}"
        )
        siblings = (
            f"{self.ordered('ASC')} WHERE {self.c('depth')} = %s "
            f"AND {self.c('path')} BETWEEN %s AND %s AND {self.c('live')} = %s "
            f"AND ({self.c('id')} = %s OR NOT EXISTS ({own_restriction}))"
        )
        me = self.quote(self.model._meta.pk.attname)
        sql = (
            f"SELECT {self.outer_columns('o')}, {NEIGHBOURS}, o.{POSITION} - m.{POSITION} "
            f"FROM ({siblings}) o JOIN ({siblings}) m ON m.{me} = %s "
            f"WHERE o.{POSITION} IN (m.{POSITION} - 1, m.{POSITION} + 1)"
        )
        values = [page.depth, low, high, True, page.pk]
        return sql, [*values, *values, page.pk]

    def others(self, page, limit):
        from .sessions import SessionSpeaker

        links = self.quote(SessionSpeaker._meta.db_table)
        by_the_speakers = (
            f"SELECT 1 FROM {links} l WHERE {self.c('page_id', 'l')} = {self.c('id')} "
            f"AND {self.c('speaker_id', 'l')} IN (SELECT {self.c('speaker_id', 'k')} "
            f"FROM {links} k WHERE {self.c('page_id', 'k')} = %s)"
        )
        # Under a view restriction: one on the page or on one of its ancestors.
        restricted = (
            f"SELECT 1 FROM {self.restrictions} r JOIN {self.pages} a "
            f"ON {self.c('id', 'a')} = {self.c('page_id', 'r')} "
            f"WHERE SUBSTR({self.c('path')}, 1, LENGTH({self.c('path', 'a')})) = "
            f"{self.c('path', 'a')}"
        )
        candidates = (
            f"{self.ordered('DESC')} WHERE {self.c('live')} = %s AND {self.c('id')} <> %s "
            f"AND EXISTS ({by_the_speakers}) AND NOT EXISTS ({restricted})"
        )
        sql = (
            f"SELECT {self.outer_columns('b')}, {OTHERS}, b.{POSITION} "
            f"FROM ({candidates}) b WHERE b.{POSITION} <= %s"
        )
        return sql, [True, page.pk, page.pk, limit]

    def instance(self, values):
        """A model instance from a row's link columns, converted as the ORM would."""
        return self.rows.instance(values)


def _view_restriction_table():
    from wagtail.models import PageViewRestriction

    return PageViewRestriction._meta.db_table
