"""Model fields of the library's page types."""

from __future__ import annotations

from wagtail import fields

from ..richtext import is_blank


class RichTextField(fields.RichTextField):
    """Wagtail's ``RichTextField``, storing an editor left empty as ``""``.

    Draftail submits an untouched editor as an empty paragraph; stored as is, the
    page would show an empty section and a table-of-contents entry for it. The
    value is cleaned with the form (so previews see it too) and again on every
    save, whatever saved it. Migrations see Wagtail's own field.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return "" if isinstance(value, str) and is_blank(value) else value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if isinstance(value, str) and value and is_blank(value):
            value = ""
            setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "wagtail.fields.RichTextField", args, kwargs
