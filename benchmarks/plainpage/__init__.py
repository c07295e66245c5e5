"""A benchmark-only app: the seed session's content as a plain Wagtail page.

It is the yardstick the session page is timed against: the same text, video and
handout in plain fields with a standalone template, nothing of wagtail-pmolib.
"""
