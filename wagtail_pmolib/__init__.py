"""wagtail-pmolib: a conference session library for Wagtail."""

__version__ = "0.1.0"
