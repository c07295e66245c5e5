from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Speaker


class SpeakerViewSet(SnippetViewSet):
    model = Speaker
    icon = "user"
    menu_label = _("Speakers")
    menu_name = "pmolib_speakers"
    add_to_admin_menu = True
    menu_order = 290
    list_display = ["name", "role", "organisation"]
    list_filter = ["organisation"]
    list_export = ["name", "role", "organisation", "bio"]
    search_fields = ["name", "organisation", "role"]
    # Plain database matching: works on every database (SQLite's full-text
    # index does not take per-field searches).
    search_backend_name = None
    ordering = ["name"]
