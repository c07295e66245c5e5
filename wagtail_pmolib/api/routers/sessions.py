"""``/sessions/``: the sessions a caller may see, and one session as its page shows it."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router, Schema
from pydantic import Field
from wagtail.models import Page, Revision

from ... import invalidation, previews
from ...access import visibility_for
from ...access.members import access_for, may_give_feedback
from ...conf import pmolib_settings
from ...feedback.context import feedback_endpoint, is_enabled
from ...feedback.settings import settings_for_request
from ...feedback.summary import Summary
from ...models import (
    AbstractSessionPage,
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    RatingSummary,
    SessionPage,
)
from ...models.crosslinks import crosslinks
from ...models.feedback import ratings_below
from ...models.versions import request_versions
from ...search.matching import NEWEST
from .. import blocks
from ..caching import not_modified, set_headers, version_etag
from ..errors import Problem, ProblemDetails
from ..params import Flag, WholeNumber
from ..present import Presenter
from ..schemas import SessionDetail, SessionList
from .common import Paging, answers, get_visible, paginate
from .speakers import visible_speakers, with_renditions

router = Router(tags=["sessions"])

# Longest address ``by-path/`` reads (Wagtail's own limit on a page's url_path is
# far longer, but no library nests that deep).
MAX_PATH_LENGTH = 2000


class SessionFilters(Paging):
    library: WholeNumber | None = None
    conference: WholeNumber | None = None
    theme: WholeNumber | None = None
    speaker: WholeNumber | None = None
    has_recording: Flag | None = None
    has_handouts: Flag | None = None


@router.get(
    "/",
    response=answers(SessionList),
    url_name="pmolib_sessions",
    operation_id="pmolib_sessions",
    summary=gettext_lazy("Sessions, newest first, with filters"),
    description=gettext_lazy(
        "Each filter is a number the other endpoints give (a library's, conference's, "
        "theme's or speaker's id) or true/false; filters combine with AND."
    ),
)
def list_sessions(request, filters: Query[SessionFilters]):
    visibility = visibility_for(request)
    sessions = visibility.pages(SessionPage)
    if filters.library is not None:
        library = get_visible(
            visibility.pages(LibraryIndexPage), filters.library, _("library"), "library"
        )
        sessions = sessions.descendant_of(library)
    if filters.conference is not None:
        conference = get_visible(
            visibility.pages(ConferencePage), filters.conference, _("conference"), "conference"
        )
        sessions = sessions.child_of(conference)
    if filters.theme is not None:
        themes = ConferenceTheme.objects.filter(
            page__in=visibility.pages(ConferencePage).values("pk")
        )
        get_visible(themes, filters.theme, _("theme"), "theme")
        sessions = sessions.filter(theme_id=filters.theme)
    if filters.speaker is not None:
        get_visible(visible_speakers(visibility), filters.speaker, _("speaker"), "speaker")
        sessions = sessions.filter(session_speakers__speaker_id=filters.speaker)
    if filters.has_recording is not None:
        sessions = sessions.filter(has_recording=filters.has_recording)
    if filters.has_handouts is not None:
        sessions = sessions.filter(has_handouts=filters.has_handouts)
    sessions = sessions.select_related("theme").defer_streamfields().order_by(*NEWEST)
    return paginate(sessions, filters, Presenter(request).session_summaries)


class PathQuery(Schema):
    path: str = Field(
        min_length=1,
        max_length=MAX_PATH_LENGTH,
        # From "/", without a scheme, a host, a query, a fragment, an empty step
        # ("//") or a control character.
        pattern=r"^/([^/?#\x00-\x1f\x7f]+/?)*$",
        description="The session's address on the site, e.g. /library/2021/step-up/",
    )


@router.get(
    "/by-path/",
    response={**answers(SessionDetail), 304: None},
    url_name="pmolib_session_by_path",
    operation_id="pmolib_session_by_path",
    summary=gettext_lazy("A session, found by its address on the site"),
)
def get_session_by_path(request, query: Query[PathQuery], response: HttpResponse):
    visibility = visibility_for(request)
    path = query.path
    if visibility.site is None:
        session = None
    else:
        url_path = visibility.root.url_path + path.strip("/") + "/"
        session = visibility.pages(SessionPage).filter(url_path=url_path).first()
    if session is None:
        raise Problem(
            404,
            _("No session has the address given in “path”: %(path)s.") % {"path": path},
            "path",
            "query",
        )
    return session_detail(request, session, response)


class PreviewQuery(Schema):
    content_type: str = Field(
        min_length=1,
        max_length=200,
        description="The draft's page type, app_label.modelname: wagtail_pmolib.sessionpage",
    )
    token: str = Field(
        min_length=1,
        max_length=500,
        description="The token the editor's preview gave the front end",
    )


@router.get(
    "/preview/",
    response={200: SessionDetail, 400: ProblemDetails, 403: ProblemDetails, 404: ProblemDetails},
    url_name="pmolib_session_preview",
    operation_id="pmolib_session_preview",
    summary=gettext_lazy("A session's draft, for an editor's headless preview"),
    description=gettext_lazy(
        "wagtail-headless-preview's flow: the editor's \"Headless front end\" preview sends "
        "them to the front end with content_type and token; the front end passes both "
        "here. The token shows one revision of one page and expires "
        "(PREVIEW_TOKEN_MAX_AGE). Never cached."
    ),
)
def get_session_preview(request, query: Query[PreviewQuery], response: HttpResponse):
    try:
        page_id, revision_id = previews.read_token(
            query.token, pmolib_settings.PREVIEW_TOKEN_MAX_AGE
        )
    except previews.ExpiredToken:
        raise Problem(
            403, _("The preview token has expired: preview the page again."), "token"
        ) from None
    except previews.InvalidToken:
        raise Problem(403, _("The preview token is not valid."), "token") from None
    revision = (
        Revision.page_revisions.filter(pk=revision_id, object_id=str(page_id))
        .select_related("content_type")
        .first()
    )
    if revision is None:
        raise Problem(404, _("The draft of this preview no longer exists."), "token")
    model = revision.content_type.model_class()
    if (
        model is None
        or not issubclass(model, AbstractSessionPage)
        or previews.content_type_label(model) != query.content_type
    ):
        raise Problem(
            404,
            _("The token is not for a page of the type given in “content_type”."),
            "content_type",
        )
    session = revision.as_object()
    response["Cache-Control"] = "private, no-store"
    # The token is an editor's preview: it shows the whole draft, a members-only
    # session's gated parts included, as the admin's preview does.
    request.is_preview = True
    conference = ConferencePage.objects.filter(path=session.path[: -Page.steplen]).first()
    library = session.get_library()
    summary = Summary.from_model(RatingSummary.objects.filter(page_id=session.pk).first())
    prior = ratings_below(library) if library is not None else (0, 0)
    return present_session(request, session, conference, summary, prior)


@router.get(
    "/{id}/",
    response={**answers(SessionDetail), 304: None},
    url_name="pmolib_session",
    operation_id="pmolib_session",
    summary=gettext_lazy("A session, with everything its page shows"),
)
def get_session(request, id: WholeNumber, response: HttpResponse):
    session = get_visible(visibility_for(request).pages(SessionPage), id, _("session"))
    return session_detail(request, session, response)


def session_detail(request, session, response):
    """Everything the session's page shows. Answers 304 before building anything
    when the caller's copy is current (see ``caching``)."""
    visibility = visibility_for(request)
    steplen = Page.steplen
    conference = ConferencePage.objects.filter(path=session.path[:-steplen]).first()
    library = session.get_library()
    conference_id = conference.pk if conference is not None else None
    scopes = [
        invalidation.page_scope(session.pk),
        invalidation.conference_scope(conference_id),
        invalidation.order_scope(conference_id),
        invalidation.TREE,
        invalidation.settings_scope(visibility.site.pk),
    ]
    # The rating summary comes with the versions, in one statement.
    versions = request_versions(request, scopes, summary_of=session.pk)
    summary = Summary.from_model(versions.summary)
    prior = ratings_below(library) if library is not None else (0, 0)
    # What the caller is shown of a members-only session is part of the answer.
    outcome = access_for(request, session).outcome
    etag = version_etag(
        visibility.site.pk, [versions[s] for s in scopes], summary.cache_token, prior, outcome
    )
    cached = not_modified(request, etag, session.last_published_at)
    if cached is not None:
        return cached
    set_headers(response, request, etag=etag, last_modified=session.last_published_at)
    return present_session(request, session, conference, summary, prior)


def present_session(request, session, conference, summary, prior) -> dict:
    """The session as its page shows it to the caller: without access to a
    members-only session, its teaser (``access.members``): no recording, body or
    notes, and its table of contents only if teasers show it."""
    presenter = Presenter(request)
    access = access_for(request, session)
    if conference is not None:
        session.edition = conference.title  # full_title without another query
    speakers = session.speakers
    if access.full:
        paragraphs = [c.value.source for c in session.body if c.block_type == "paragraph"]
        presenter.prepare_html([session.abstract, session.notes, *paragraphs])
    else:
        presenter.prepare_html([session.abstract])
    neighbours = crosslinks(session, limit=0)  # the running order only, as the page
    feedback_on = is_enabled(session, settings_for_request(request)) and may_give_feedback(
        request, session
    )
    return {
        **presenter.link(session, "pmolib_session"),
        "full_title": session.full_title,
        "edition": session.edition,
        "slug": session.slug,
        "conference": (
            {
                **presenter.link(conference, "pmolib_conference"),
                "date_range": conference.date_range,
            }
            if conference is not None
            else None
        ),
        "theme": presenter.theme_ref(session.theme),
        "starts_at": session.starts_at,
        "duration_minutes": session.duration_minutes,
        "speakers": [presenter.speaker(s) for s in with_renditions(speakers)],
        "abstract": presenter.html(session.abstract),
        "recording": _recording(presenter, session, access),
        "body": blocks.body(presenter, session.body) if access.full else [],
        "notes": presenter.html(session.notes) if access.full else "",
        "table_of_contents": session.table_of_contents if access.show_toc else [],
        "access": {
            **access.as_dict(),
            "sign_in_url": presenter.absolute(access.sign_in_url) if access.sign_in_url else None,
            "join_url": presenter.absolute(access.join_url) if access.join_url else None,
        },
        "rating": session.rating_summary(summary, prior),
        "feedback": {
            "enabled": feedback_on,
            "url": presenter.absolute(feedback_endpoint(session, request)) if feedback_on else None,
            "api_url": presenter.api_url("pmolib_session_feedback", session.pk)
            if feedback_on
            else None,
        },
        "previous": _neighbour(presenter, neighbours["previous_session"]),
        "next": _neighbour(presenter, neighbours["next_session"]),
        "first_published_at": session.first_published_at,
        "updated_at": session.last_published_at,
    }


def _recording(presenter, session, access):
    """The session's recording, for callers who may read it (an embargo with a date
    lifted for members when ``RECORDING_EMBARGO`` says so)."""
    if not access.full:
        return None
    return next(
        (
            blocks.recording(presenter, child, early=access.early_recordings)
            for child in session.recording
        ),
        None,
    )


def _neighbour(presenter, page):
    return presenter.link(page, "pmolib_session") if page is not None else None
