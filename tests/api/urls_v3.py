"""A host that uses Wagtail's API v3 and mounts the library's routers in it
(the README's "Wagtail's API v3" lines), besides the usual URLs."""

from django.urls import path
from wagtail.api.v3.auth import AllowAnonymous, BearerTokenAuth
from wagtail.api.v3.urls import api

from tests.urls import urlpatterns as usual
from wagtail_pmolib.api.routers import router

# v3's bearer tokens identify the caller (the site's session cookie does not).
api.add_router("/pmolib/", router, auth=[BearerTokenAuth(), AllowAnonymous()])

urlpatterns = [path("api/v3/", api.urls), *usual]
