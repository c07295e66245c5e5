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
    aliased ``alias`` of a statement on ``connection``."""

    def __init__(self, connection, model, alias: str, attnames=None):
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
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
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


def columns(connection, model, alias: str, attnames=None) -> Columns:
    """``Columns`` for ``model`` on ``connection``, made once per connection (the
    fields and converters do not change while a process runs)."""
    known = connection.__dict__.setdefault("_pmolib_columns", {})
    key = (model, alias, None if attnames is None else frozenset(attnames))
    if key not in known:
        known[key] = Columns(connection, model, alias, attnames)
    return known[key]
