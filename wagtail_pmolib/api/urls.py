"""The API's URLs: ``path("api/pmolib/", include("wagtail_pmolib.api.urls"))``.

Include it without a ``namespace`` argument: the API's namespace is its own
(``wagtail_pmolib_api``), which its docs page uses to find its schema.
"""

from ninja import NinjaAPI

import wagtail_pmolib

from ..conf import pmolib_settings
from .errors import PROBLEM_JSON, register_error_handlers
from .http import browser_view
from .routers import router

NAMESPACE = "wagtail_pmolib_api"


class PmolibAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """ninja documents every answer as ``application/json``; problems are
        ``application/problem+json`` (RFC 9457)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content") or {}
                    if int(status) >= 400 and "application/json" in content:
                        answer["content"] = {PROBLEM_JSON: content["application/json"]}
                for parameter in operation.get("parameters", []):
                    _describe_parameter(parameter)
        return schema


def _describe_parameter(parameter) -> None:
    """A query parameter is left out, never null: ``int | None`` is documented as
    the integer (not ``anyOf`` with null); ``per_page``'s maximum is the setting's."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if options and {"type": "null"} in options and len(options) == 2:
        [kept] = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        schema.update(kept)
    if parameter.get("name") == "per_page":
        schema["maximum"] = pmolib_settings.MAX_PAGE_SIZE


api = PmolibAPI(
    title="wagtail-pmolib",
    version=wagtail_pmolib.__version__,
    description=(
        "The session library of this site: libraries, conferences, sessions and "
        "speakers as their pages show them, the library search with its facets and "
        "suggestions, and sessions' ratings and feedback. What a caller may see is "
        "what the site's pages show them; feedback follows the rules of the pages' "
        "feedback form."
    ),
    urls_namespace=NAMESPACE,
)
register_error_handlers(api)
api.add_router("/", router)

app_name = NAMESPACE
urlpatterns = api.urls[0]
# HEAD, OPTIONS and CORS on the API's URLs only (see ``http``).
for pattern in urlpatterns:
    pattern.callback = browser_view(pattern.callback)
