"""Feedback rules in plain Python, no HTTP: the feedback endpoint's HTML and JSON
answers (``views.feedback_view``) call them, and so will any other front end.

- ``identity``: who the visitor is and from which address (keyed hashes; nothing
  raw is stored)
- ``throttle``: how often a visitor, and an address, may submit
- ``summary``: the arithmetic of a page's rating summary
- ``votes``: validating and recording a submission, atomically with the summary
  (or answering it like a vote without recording it: honeypot, bots)
- ``settings``: a site's editor-facing texts and rules, read per request
"""
