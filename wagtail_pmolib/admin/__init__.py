"""The editors' side of the library in Wagtail's admin: feedback exports, bulk
actions, the "Session ratings" report, the page panel and "Reset ratings".

Kept import-free on purpose: ``django.contrib.admin`` autodiscovers a module
named ``wagtail_pmolib.admin`` in every installed app and imports it early.
"""
