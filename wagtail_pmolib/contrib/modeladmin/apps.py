from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class WagtailPmolibModelAdminConfig(AppConfig):
    name = "wagtail_pmolib.contrib.modeladmin"
    label = "wagtail_pmolib_modeladmin"
    verbose_name = _("Conference session library: modeladmin")
    # No models here; pinned all the same, like the core app.
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        for needed in ("wagtail_pmolib", "wagtail_modeladmin"):
            if not apps.is_installed(needed):
                raise ImproperlyConfigured(
                    f"{self.name!r} needs {needed!r} in INSTALLED_APPS "
                    "(pip install wagtail-pmolib[modeladmin])."
                )
