"""Mount before Wagtail's own URLs so feedback endpoints take token-less POSTs::

path("", include("wagtail_pmolib.urls")),
path("", include(wagtail_urls)),
"""

from django.urls import re_path

from .views import feedback_endpoint

app_name = "wagtail_pmolib"

urlpatterns = [
    re_path(r"^(?P<path>(?:[\w\-]+/)*)feedback/$", feedback_endpoint, name="feedback"),
]
