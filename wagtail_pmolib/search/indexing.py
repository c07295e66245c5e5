"""Keep sessions' search index entries current when what they show changes
elsewhere: a speaker's name or organisation (or its deletion), a conference's
title or themes. (A handout document's title or file: ``signal_handlers``
enqueues ``document_changed_task``, which reads the PDF and then re-indexes.)
And a session's row in the members' index when the session itself is saved
(``members_index``; every re-index here refreshes it too).

Wagtail re-indexes an object when it is saved; these handlers enqueue a task
(``wagtail_pmolib.tasks``) that re-indexes the live sessions showing the
changed object, once the change has committed. With Django's default immediate
task backend it runs then, in the same request; with a task worker, there.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.signals import page_published

from .. import tasks


def reindex_for_speaker(sender, instance, raw=False, **kwargs):
    if raw:
        return
    tasks.enqueue_reindex_speaker(instance.pk)


def remember_speaker_sessions(sender, instance, **kwargs):
    """Before a speaker is deleted (and its session links with it), note its sessions."""
    from ..models import SessionSpeaker

    instance._pmolib_session_ids = list(
        SessionSpeaker.objects.filter(speaker=instance).values_list("page_id", flat=True)
    )


def reindex_after_speaker_deleted(sender, instance, **kwargs):
    ids = getattr(instance, "_pmolib_session_ids", None)
    if ids:
        tasks.enqueue_reindex_sessions(ids)


def reindex_for_conference(sender, instance, **kwargs):
    from ..models import AbstractConferencePage

    if not isinstance(instance, AbstractConferencePage):
        return
    tasks.enqueue_reindex_conference(instance.pk)


def refresh_members_text(sender, instance, raw=False, update_fields=None, **kwargs):
    """A session saved (published, unpublished, its own level changed) or moved:
    once that commits, its row in the members' index (``members_index``) follows;
    Wagtail re-indexes the session's own entry. A draft saved changes nothing
    live. Also for a session saved as a plain ``Page`` (Wagtail's move saves one)."""
    from ..invalidation import DRAFT_FIELDS
    from ..models import AbstractSessionPage

    if raw or (update_fields is not None and set(update_fields) <= DRAFT_FIELDS):
        return
    if not issubclass(
        getattr(instance, "specific_class", None) or type(instance), AbstractSessionPage
    ):
        return
    tasks.enqueue_members_text([instance.pk], using=instance._state.db)


def register_signal_handlers():
    from wagtail.models import Page

    from ..models import Speaker
    from .reindex import session_models

    for model in {Page, *session_models()}:
        post_save.connect(
            refresh_members_text,
            sender=model,
            dispatch_uid=f"pmolib_members_text_{model._meta.label}",
        )

    post_save.connect(reindex_for_speaker, sender=Speaker, dispatch_uid="pmolib_reindex_speaker")
    pre_delete.connect(
        remember_speaker_sessions, sender=Speaker, dispatch_uid="pmolib_speaker_sessions"
    )
    post_delete.connect(
        reindex_after_speaker_deleted, sender=Speaker, dispatch_uid="pmolib_reindex_speaker_d"
    )
    page_published.connect(reindex_for_conference, dispatch_uid="pmolib_reindex_conference")
