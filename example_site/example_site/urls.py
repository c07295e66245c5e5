from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents import urls as wagtaildocs_urls

api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    # Visitors sign in here (members read members-only sessions); teasers link to it.
    path("accounts/", include("django.contrib.auth.urls")),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    # The library's JSON API, its OpenAPI schema (openapi.json) and docs page (docs).
    path("api/pmolib/", include("wagtail_pmolib.api.urls")),
    # The example site is all library: send the home page's visitors there.
    path("", RedirectView.as_view(url="/library/", permanent=False)),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    # Feedback endpoints ({page.url}feedback/) first, then Wagtail's pages.
    path("", include("wagtail_pmolib.urls")),
    path("", include(wagtail_urls)),
]
