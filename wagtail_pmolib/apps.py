from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailPmolibConfig(AppConfig):
    name = "wagtail_pmolib"
    label = "wagtail_pmolib"
    verbose_name = _("Conference session library")
    # Pinned so that a host's DEFAULT_AUTO_FIELD never asks for migrations in this app.
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
