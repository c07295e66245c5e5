"""The feedback listing through wagtail-modeladmin, for sites that standardise on it.

Wagtail's snippet views are the built-in admin for feedback; wagtail-modeladmin is
in maintenance mode, so this is an optional extra::

    pip install "wagtail-pmolib[modeladmin]"

    INSTALLED_APPS = [
        "wagtail_pmolib",
        "wagtail_pmolib.contrib.modeladmin",
        "wagtail_modeladmin",
        ...
    ]
    WAGTAIL_PMOLIB = {"FEEDBACK_ADMIN": "modeladmin"}

``FEEDBACK_ADMIN`` decides which admin has the menu item (and, here, whether the
views answer at all), so feedback never shows twice in the menu.
"""
