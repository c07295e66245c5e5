"""A host that uses Wagtail's API v3 and mounts the library's routers in it
(the README's "Wagtail's API v3" lines), besides the usual URLs."""

from django.urls import path
from wagtail.api.v3.urls import api

from tests.urls import urlpatterns as usual
from wagtail_pmolib.api.routers import router

api.add_router("/pmolib/", router)

urlpatterns = [path("api/v3/", api.urls), *usual]
