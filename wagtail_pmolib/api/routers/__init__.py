"""The API's routers, one per resource, under one parent ``router``.

Mount ``router`` in another django-ninja API (Wagtail's API v3, for one) with
``api.add_router("/pmolib/", router)``: the operations, their schemas, their
cache headers and 304s come along (see the README, "Headless JSON API").
"""

from ninja import Router

from ..caching import conditional
from . import conferences, feedback, libraries, search, sessions, speakers

router = Router()
router.add_router("/libraries/", libraries.router)
router.add_router("/libraries/", search.router)
router.add_router("/conferences/", conferences.router)
router.add_router("/sessions/", sessions.router)
router.add_router("/sessions/", feedback.router)
router.add_router("/speakers/", speakers.router)
router.add_decorator(conditional, mode="view")

__all__ = ["router"]
