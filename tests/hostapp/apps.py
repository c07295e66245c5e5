from django.apps import AppConfig


class HostAppConfig(AppConfig):
    """A host site's own app, for the tests: what a site builds on our abstract
    bases and concrete page types (``tests/models/test_host_types.py``)."""

    name = "tests.hostapp"
    label = "pmolib_hostapp"
    default_auto_field = "django.db.models.BigAutoField"
