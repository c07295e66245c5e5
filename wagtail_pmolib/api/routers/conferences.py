"""``/conferences/``: conference editions with their themes and sessions."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from wagtail.models import Page

from ...access import visibility_for
from ...models import ConferencePage, LibraryIndexPage, SessionPage
from ..params import WholeNumber
from ..present import PAGE_LINK_FIELDS, Presenter
from ..schemas import ConferenceDetail, ConferenceList
from .common import Paging, answers, get_visible, paginate
from .libraries import CONFERENCE_ORDER

router = Router(tags=["conferences"])

# A conference's running order, as its page lists its sessions.
RUNNING_ORDER = (F("starts_at").asc(nulls_last=True), "path")


class ConferenceFilters(Paging):
    library: WholeNumber | None = None


def _libraries_of(conferences, visibility) -> dict:
    """Each conference's library (its parent) that the caller may see, by path."""
    paths = {c.path[: -Page.steplen] for c in conferences}
    found = visibility.pages(LibraryIndexPage).filter(path__in=paths).only(*PAGE_LINK_FIELDS)
    return {library.path: library for library in found}


@router.get(
    "/",
    response=answers(ConferenceList),
    url_name="pmolib_conferences",
    operation_id="pmolib_conferences",
    summary=_("Conference editions, newest first"),
)
def list_conferences(request, filters: Query[ConferenceFilters]):
    visibility = visibility_for(request)
    conferences = visibility.pages(ConferencePage).prefetch_related("themes")
    if filters.library is not None:
        library = get_visible(
            visibility.pages(LibraryIndexPage), filters.library, _("library"), "library"
        )
        conferences = conferences.child_of(library)
    presenter = Presenter(request)

    def present(found):
        libraries = _libraries_of(found, visibility)
        return [presenter.conference(c, libraries.get(c.path[: -Page.steplen])) for c in found]

    return paginate(conferences.order_by(*CONFERENCE_ORDER), filters, present)


@router.get(
    "/{id}/",
    response=answers(ConferenceDetail),
    url_name="pmolib_conference",
    operation_id="pmolib_conference",
    summary=_("A conference, with its themes and its sessions in running order"),
)
def get_conference(request, id: WholeNumber):
    visibility = visibility_for(request)
    conference = get_visible(
        visibility.pages(ConferencePage).prefetch_related("themes"), id, _("conference")
    )
    presenter = Presenter(request)
    library = _libraries_of([conference], visibility).get(conference.path[: -Page.steplen])
    sessions = (
        visibility.pages(SessionPage)
        .child_of(conference)
        .select_related("theme")
        .defer_streamfields()
        .order_by(*RUNNING_ORDER)
    )
    return {
        **presenter.conference(conference, library),
        "intro": presenter.html(conference.intro),
        "sessions": presenter.session_summaries(sessions),
    }
