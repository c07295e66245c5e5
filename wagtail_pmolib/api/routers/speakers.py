"""``/speakers/``: the people who speak at the sessions a caller may see."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from ...access import visibility_for
from ...models import SessionPage, SessionSpeaker, Speaker
from ...search.matching import NEWEST
from ..params import WholeNumber
from ..present import Presenter
from ..schemas import SpeakerDetail, SpeakerList
from .common import Paging, answers, get_visible, paginate

router = Router(tags=["speakers"])


def visible_speakers(visibility):
    """Speakers with at least one session the caller may see: a speaker known only
    from private sessions is not named to those who may not see them."""
    sessions = visibility.pages(SessionPage).values("pk")
    return Speaker.objects.filter(
        pk__in=SessionSpeaker.objects.filter(page__in=sessions).values("speaker_id")
    )


def with_renditions(speakers) -> list:
    """The speakers, their photos' renditions read in one query."""
    speakers = list(speakers)
    photos = [s.photo for s in speakers if s.photo is not None]
    if photos:
        prefetch_related_objects(photos, "renditions")
    return speakers


@router.get(
    "/",
    response=answers(SpeakerList),
    url_name="pmolib_speakers",
    operation_id="pmolib_speakers",
    summary=_("Speakers, by name"),
)
def list_speakers(request, paging: Query[Paging]):
    presenter = Presenter(request)
    speakers = visible_speakers(visibility_for(request)).select_related("photo")
    return paginate(
        speakers.order_by("name", "pk"),
        paging,
        lambda found: [presenter.speaker(s) for s in with_renditions(found)],
    )


@router.get(
    "/{id}/",
    response=answers(SpeakerDetail),
    url_name="pmolib_speaker",
    operation_id="pmolib_speaker",
    summary=_("A speaker, with their sessions, newest first"),
)
def get_speaker(request, id: WholeNumber):
    visibility = visibility_for(request)
    speaker = get_visible(visible_speakers(visibility).select_related("photo"), id, _("speaker"))
    presenter = Presenter(request)
    sessions = (
        visibility.pages(SessionPage)
        .filter(session_speakers__speaker=speaker)
        .select_related("theme")
        .defer_streamfields()
        .order_by(*NEWEST)
    )
    [speaker] = with_renditions([speaker])
    return {**presenter.speaker(speaker), "sessions": presenter.session_summaries(sessions)}
