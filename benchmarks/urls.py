"""The test suite's URLs and the yardstick search view (``plainpage.views.search``)."""

from django.urls import path

from benchmarks.plainpage.views import search
from tests.urls import urlpatterns as test_urlpatterns

urlpatterns = [path("bare-search/", search, name="bare_search"), *test_urlpatterns]
