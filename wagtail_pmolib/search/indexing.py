"""Keep sessions' search index entries current when what they show changes
elsewhere: a speaker's name or organisation (or its deletion), a conference's
title or themes, a handout document's title or file (its PDF text).

Wagtail re-indexes an object when it is saved; these handlers re-index the
live sessions that show the changed object. Each handler does one query to
find them.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.documents import get_document_model
from wagtail.search import index
from wagtail.signals import page_published

logger = logging.getLogger(__name__)


def _session_models():
    from ..models import AbstractSessionPage

    return [
        model
        for model in index.get_indexed_models()
        if issubclass(model, AbstractSessionPage) and not model._meta.abstract
    ]


def reindex(sessions) -> int:
    count = 0
    for session in sessions:
        try:
            index.insert_or_update_object(session)
            count += 1
        except Exception:  # the search index must never fail an editor's save
            logger.exception("Could not re-index session %s", session.pk)
    return count


def reindex_for_speaker(sender, instance, raw=False, **kwargs):
    if raw:
        return
    for model in _session_models():
        reindex(model.objects.live().filter(session_speakers__speaker=instance).distinct())


def remember_speaker_sessions(sender, instance, **kwargs):
    """Before a speaker is deleted (and its session links with it), note its sessions."""
    from ..models import SessionSpeaker

    instance._pmolib_session_ids = list(
        SessionSpeaker.objects.filter(speaker=instance).values_list("page_id", flat=True)
    )


def reindex_after_speaker_deleted(sender, instance, **kwargs):
    ids = getattr(instance, "_pmolib_session_ids", None)
    if ids:
        for model in _session_models():
            reindex(model.objects.live().filter(pk__in=ids))


def reindex_for_conference(sender, instance, **kwargs):
    from ..models import AbstractConferencePage

    if not isinstance(instance, AbstractConferencePage):
        return
    for model in _session_models():
        reindex(model.objects.live().child_of(instance))


def reindex_for_document(sender, instance, raw=False, **kwargs):
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, ReferenceIndex

    if raw or instance.pk is None:
        return
    page_ids = (
        ReferenceIndex.get_references_to(instance)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
    )
    ids = [int(pk) for pk in page_ids if str(pk).isdigit()]
    if not ids:
        return
    for model in _session_models():
        reindex(model.objects.live().filter(pk__in=ids))


def register_signal_handlers():
    from ..models import Speaker

    post_save.connect(reindex_for_speaker, sender=Speaker, dispatch_uid="pmolib_reindex_speaker")
    pre_delete.connect(
        remember_speaker_sessions, sender=Speaker, dispatch_uid="pmolib_speaker_sessions"
    )
    post_delete.connect(
        reindex_after_speaker_deleted, sender=Speaker, dispatch_uid="pmolib_reindex_speaker_d"
    )
    page_published.connect(reindex_for_conference, dispatch_uid="pmolib_reindex_conference")
    # After the document's text was stored (that handler is connected first).
    post_save.connect(
        reindex_for_document,
        sender=get_document_model(),
        dispatch_uid="pmolib_reindex_document",
    )
