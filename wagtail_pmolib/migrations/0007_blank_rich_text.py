"""Rich text saved from an untouched editor (an empty paragraph) becomes "".

From this release the field stores such a value as "" (``models/fields.py``);
this clears the rows saved before. Revisions keep what they hold, and the next
save of a page cleans its value.
"""

from django.db import migrations
from django.db.models.functions import Length

from wagtail_pmolib.richtext import is_blank

FIELDS = {
    "sessionpage": ("abstract", "notes"),
    "conferencepage": ("intro",),
    "libraryindexpage": ("intro",),
}


def clear_blank_rich_text(apps, schema_editor):
    for model_name, field_names in FIELDS.items():
        model = apps.get_model("wagtail_pmolib", model_name)
        for name in field_names:
            # Blank values are short: an empty block is ~40 characters of markup.
            candidates = (
                model.objects.annotate(_length=Length(name))
                .filter(_length__gt=0, _length__lt=400)
                .values_list("pk", name)
            )
            blank = [pk for pk, value in candidates if is_blank(value)]
            if blank:
                model.objects.filter(pk__in=blank).update(**{name: ""})


class Migration(migrations.Migration):
    dependencies = [("wagtail_pmolib", "0006_session_blocks")]

    operations = [migrations.RunPython(clear_blank_rich_text, migrations.RunPython.noop)]
