"""Feedback rules in plain Python, shared by the HTML view and the JSON API.

- ``identity``: who the visitor is (a keyed hash; nothing raw is stored)
- ``throttle``: how often a visitor may submit
- ``summary``: the arithmetic of a page's rating summary
- ``votes``: validating and recording a submission, atomically with the summary
- ``settings``: the editor-facing texts and rules for a site
"""
