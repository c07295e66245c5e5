"""The library's JSON API (django-ninja), a thin layer over the models, blocks and
services the HTML pages use, so that the two never disagree.

A host site mounts it with one line::

    path("api/pmolib/", include("wagtail_pmolib.api.urls")),

which serves the operations, their OpenAPI 3.1 schema (``openapi.json``) and a
docs page (``docs``). ``wagtail_pmolib.api.routers.router`` holds the operations
for a host that mounts them in its own django-ninja API (Wagtail's API v3).
"""
