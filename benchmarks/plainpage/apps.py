from django.apps import AppConfig


class PlainPageConfig(AppConfig):
    name = "benchmarks.plainpage"
    label = "plainpage"
    verbose_name = "Benchmark plain pages"
    default_auto_field = "django.db.models.AutoField"
