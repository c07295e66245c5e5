from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class SessionPageForm(WagtailAdminPageForm):
    """Offers only the themes of the session's own conference."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("theme")
        if field is None:
            return
        parent = self.parent_page
        conference_id = parent.pk if parent is not None else None
        field.queryset = field.queryset.filter(page_id=conference_id)
        field.empty_label = _("No theme")
        if not field.queryset.exists():
            field.help_text = _("Add themes on the conference page to group its sessions.")
