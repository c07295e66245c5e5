"""Model instances from the rows of a hand-written statement, converted as the ORM
converts them.

A few statements run on every article rendered anew (its links to other sessions,
its speakers with their photos). Compiling their querysets cost the ORM about a
millisecond each, twenty times what the database took to answer them, so they are
written out (``crosslinks.py``, ``speakers.py``). This module turns their rows
back into model instances the way ``QuerySet`` does: each value through the
field's and the database backend's converters (dates from SQLite's text,
booleans, JSON), then ``Model.from_db``.
"""

from __future__ import annotations

from django.db.models.expressions import Col


class Columns:
    """Some (by default all) concrete fields of ``model``, read from the table
    aliased ``alias`` of a statement on ``connection``. For a model with parents
    (a page type), ``alias`` maps each table's model to its alias:
    ``{Page: "p", SessionPage: "s"}``."""

    def __init__(self, connection, model, alias, attnames=None):
        self.connection, self.model = connection, model
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        if attnames is not None:
            fields = [f for f in fields if f.attname in attnames]
        # In the model's field order, as ``Model.from_db`` takes them.
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.pk_index = next(
            (n for n, f in enumerate(fields) if f.attname == model._meta.pk.attname), None
        )
        self.sql = ", ".join(
            f"{alias if isinstance(alias, str) else alias[f.model]}.{quote(f.column)}"
            for f in fields
        )
        # The converters of each field (``SQLCompiler.get_converters``'s rule).
        self.converters = []
        for field in fields:
            column = Col(model._meta.db_table, field)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            self.converters.append((column, found))

    def __len__(self):
        return len(self.fields)

    def instance(self, values):
        """An instance from this model's values of a row (``None`` when the row has
        none: its primary key is NULL, as in an outer join that found nothing)."""
        if self.pk_index is not None and values[self.pk_index] is None:
            return None
        connection = self.connection
        converted = []
        for (column, converters), value in zip(self.converters, values, strict=True):
            if value is not None:
                for converter in converters:
                    value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


def columns(connection, model, alias, attnames=None) -> Columns:
    """``Columns`` for ``model`` on ``connection``, made once per connection (the
    fields and converters do not change while a process runs)."""
    known = connection.__dict__.setdefault("_pmolib_columns", {})
    aliases = alias if isinstance(alias, str) else tuple(sorted(alias.items(), key=repr))
    key = (model, aliases, None if attnames is None else frozenset(attnames))
    if key not in known:
        known[key] = Columns(connection, model, alias, attnames)
    return known[key]


def child_page(parent, slug: str, model, related=()):
    """The child of the page ``parent`` with this ``slug`` as an instance of
    ``model`` (``None`` if it has none of that type), with the ``related``
    foreign keys' objects (as ``select_related``): one hand-written statement.
    ``model`` is the base page model or a page type."""
    from django.db import connections, router

    base = model.base_page_model  # Wagtail 8: the page model is swappable
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    aliases = {base: "p"}
    joins = ""
    # A page type's own table and those of its parents below the page's, each
    # joined on its primary key (the page's id).
    for n, table in enumerate(m for m in [model, *model._meta.get_parent_list()] if m is not base):
        aliases[table] = alias = f"s{n}"
        joins += (
            f" JOIN {quote(table._meta.db_table)} {alias} "
            f"ON {alias}.{quote(table._meta.pk.column)} = p.{quote(base._meta.pk.column)}"
        )
    page = columns(connection, model, aliases)
    related_columns = []
    for n, name in enumerate(related):
        field = model._meta.get_field(name)
        other = field.related_model
        alias = f"r{n}"
        related_columns.append((field, columns(connection, other, alias)))
        joins += (
            f" LEFT JOIN {quote(other._meta.db_table)} {alias} "
            f"ON {alias}.{quote(other._meta.pk.column)} = "
            f"{aliases[field.model]}.{quote(field.column)}"
        )
    selected = ", ".join([page.sql, *(c.sql for _field, c in related_columns)])
    steps = base.steplen
    sql = (
        f"SELECT {selected} FROM {quote(base._meta.db_table)} p{joins} "
        f"WHERE p.{quote('path')} BETWEEN %s AND %s AND p.{quote('depth')} = %s "
        f"AND p.{quote('slug')} = %s ORDER BY p.{quote('path')}"
    )
    # The children's paths, as treebeard finds them: the parent's and one step more.
    params = [parent.path + "0" * steps, parent.path + "Z" * steps, parent.depth + 1, slug]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} {connection.ops.limit_offset_sql(0, 1)}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    child = page.instance(row[: len(page)])
    start = len(page)
    for field, other in related_columns:
        field.set_cached_value(child, other.instance(row[start : start + len(other)]))
        start += len(other)
    return child
