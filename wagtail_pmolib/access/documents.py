"""Documents a private page shows but anyone may download.

Wagtail's page privacy (a password, a login, groups) keeps a page from the
public, not the documents it shows: ``/documents/<id>/<file name>`` is served to
anyone with the address unless the document's *collection* is restricted
(document privacy is per collection). So a handout, recording or captions file
of a login-only session downloads for anyone it is passed to. The admin warns
editors about such documents (``models/panels.py``, ``wagtail_hooks.py``); the
safe setup is a restricted collection for members' documents (README, "Private
sessions and their documents").

Members-only sessions (``access.members``) gate their documents themselves:
``download_access`` is asked by Wagtail's ``before_serve_document`` hook
(``wagtail_hooks``), so a handout, recording or captions file of a gated session
does not download by its address for callers without access, whatever its
collection. The rule for a document shown by several sessions: a document that
a live *free* session shows is free (its link is public there); otherwise, a
document that a *gated* session shows (live, or in a draft not yet published)
downloads only for callers who may read one of those sessions. The video or
captions file of a live session's recording *embargoed until* a date does not
download before then, for those the embargo holds for (``RECORDING_EMBARGO``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext


def documents_shown(page) -> set[int]:
    """Ids of the documents ``page``'s content refers to as it is in memory (a
    draft being saved included): its document choosers, and the documents in its
    StreamFields and rich text (handouts, recordings, captions, document links),
    found as Wagtail's reference index finds them (``extract_references``)."""
    from wagtail.documents import get_document_model

    model = get_document_model()
    ids = set()
    for field in page._meta.get_fields():
        if field.is_relation and field.many_to_one and issubclass(field.related_model, model):
            pk = field.value_from_object(page)
            if pk is not None:
                ids.add(str(pk))
        elif hasattr(field, "extract_references"):
            value = field.value_from_object(page)
            if value is None:
                continue
            for to_model, pk, _path, _content_path in field.extract_references(value):
                if issubclass(to_model, model):
                    ids.add(str(pk))
    return {int(pk) for pk in ids if pk.isdigit()}


def is_private_page(page) -> bool:
    """Whether ``page``, or a page above it, has a view restriction, as Wagtail
    decides it (aliases included); not for a page never saved, which has no
    place in the tree yet."""
    from wagtail.models import BaseViewRestriction

    if not page.pk or not page.path:
        return False
    return page.get_view_restrictions().exclude(restriction_type=BaseViewRestriction.NONE).exists()


def exposed_documents(page) -> list:
    """The documents ``page`` shows that anyone may download although the page is
    private, by title (a few queries; none for a page showing no document)."""
    from wagtail.documents import get_document_model

    from ..models.documents import private_q

    ids = documents_shown(page)
    if not ids or not is_private_page(page):
        return []
    return list(
        get_document_model()
        .objects.filter(pk__in=ids)
        .exclude(private_q())
        .select_related("collection")
        .order_by(models.functions.Lower("title"), "pk")
    )


def exposed_documents_warning(page) -> list[str]:
    """What to tell the editor who saved ``page`` about ``exposed_documents``
    (nothing, or one message naming them)."""
    documents = exposed_documents(page)
    if not documents:
        return []
    return [
        gettext(
            "This page is private, but anyone with the address can download %(documents)s: "
            "move them to a restricted collection if they are for members only."
        )
        % {"documents": ", ".join(f"“{document.title}”" for document in documents)}
    ]


def sessions_showing(document_id: int) -> list:
    """The sessions whose content refers to the document (Wagtail's reference
    index: any version of them), each a row with its level that applies."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.documents import get_document_model
    from wagtail.models import Page, ReferenceIndex

    from ..models.access import session_models

    page_ids = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        to_content_type=ContentType.objects.get_for_model(get_document_model()),
        to_object_id=str(document_id),
    ).values_list("object_id", flat=True)
    ids = {int(pk) for pk in page_ids if str(pk).isdigit()}
    if not ids:
        return []
    found = []
    for model in session_models():
        found += list(model.objects.filter(pk__in=ids))
    return found


FREE, ALLOWED, REFUSED = "free", "allowed", "refused"


def download_access(document, request) -> str:
    """``FREE`` (no members-only session gates ``document``), ``ALLOWED`` (one
    does, and the caller may read one of them) or ``REFUSED``, as far as
    members-only sessions are concerned (see the module's docstring); Wagtail's
    collection privacy is checked by its own hook."""
    from ..models.access import AccessLevel
    from .members import can_read_full

    sessions = sessions_showing(document.pk)
    user = getattr(request, "user", None)
    if any(_embargoed_file(session, document.pk, user) for session in sessions):
        return REFUSED
    gated = [s for s in sessions if s.access_effective != AccessLevel.FREE]
    if not gated:
        return FREE
    for session in sessions:
        if (
            session.access_effective == AccessLevel.FREE
            and session.live
            and document.pk in documents_shown(session)
        ):
            return FREE
    return ALLOWED if any(can_read_full(user, session) for session in gated) else REFUSED


def _embargoed_file(session, document_id, user) -> bool:
    """Whether the document is the video or captions file of one of the live
    ``session``'s recordings that is embargoed for ``user`` (its address is not
    given out until then, and does not download by it either)."""
    from ..recordings import RecordingStatus, build_recording
    from .members import sees_embargoed_recordings

    if not session.live:
        return False
    for child in getattr(session, "recording", None) or []:
        value = child.value
        files = {getattr(value.get(name), "pk", None) for name in ("video", "captions")}
        if document_id not in files or value.get("status") != RecordingStatus.EMBARGOED:
            continue
        early = sees_embargoed_recordings(user)
        if not build_recording(value, resolve=False, early=early).playable:
            return True
    return False
