"""``/libraries/``: the site's session libraries and their conferences."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from ...access import visibility_for
from ...models import ConferencePage, LibraryIndexPage
from ..params import WholeNumber
from ..present import Presenter
from ..schemas import LibraryDetail, LibraryList
from .common import Paging, answers, get_visible, paginate

router = Router(tags=["libraries"])

# Newest edition first, as a library's visitors look for them.
CONFERENCE_ORDER = (F("start_date").desc(nulls_last=True), "-path")


@router.get(
    "/",
    response=answers(LibraryList),
    url_name="pmolib_libraries",
    operation_id="pmolib_libraries",
    summary=_("The site's session libraries"),
)
def list_libraries(request, paging: Query[Paging]):
    presenter = Presenter(request)
    libraries = visibility_for(request).pages(LibraryIndexPage).order_by("path")
    return paginate(libraries, paging, lambda found: [presenter.library(p) for p in found])


@router.get(
    "/{id}/",
    response=answers(LibraryDetail),
    url_name="pmolib_library",
    operation_id="pmolib_library",
    summary=_("A library, with its conferences"),
)
def get_library(request, id: WholeNumber):
    visibility = visibility_for(request)
    library = get_visible(visibility.pages(LibraryIndexPage), id, _("library"))
    presenter = Presenter(request)
    conferences = (
        visibility.pages(ConferencePage)
        .child_of(library)
        .prefetch_related("themes")
        .order_by(*CONFERENCE_ORDER)
    )
    return {
        **presenter.library(library),
        "intro": presenter.html(library.intro),
        "conferences": [presenter.conference(c, library) for c in conferences],
    }
