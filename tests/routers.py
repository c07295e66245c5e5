"""Database routers for the tests that use a second database."""


class VersionsDatabaseHoldsOnlyVersions:
    """The ``versions`` test database gets the table of ``ContentVersion`` only
    (Wagtail's data migrations assume they run on the content's database)."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db != "versions":
            return None
        return app_label == "wagtail_pmolib" and model_name == "contentversion"


class VersionsElsewhere(VersionsDatabaseHoldsOnlyVersions):
    """Versions kept in their own database, content in ``default``."""

    def db_for_read(self, model, **hints):
        from wagtail_pmolib.models import ContentVersion

        return "versions" if model is ContentVersion else "default"

    db_for_write = db_for_read
