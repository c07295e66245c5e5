"""Feedback rules in plain Python, no HTTP: the feedback endpoint's HTML and JSON
answers (``views.feedback_view``) call them, and so will any other front end.

- ``identity``: who the visitor is (a keyed hash; nothing raw is stored)
- ``throttle``: how often a visitor may submit
- ``summary``: the arithmetic of a page's rating summary
- ``votes``: validating and recording a submission, atomically with the summary
- ``settings``: a site's editor-facing texts and rules, read per request
"""
