"""Optional integrations, each a sub-app with its own ``apps.py`` and hooks.

Core never imports anything from here: a host site opts in by adding the sub-app
to ``INSTALLED_APPS`` (and installing its extra).
"""
