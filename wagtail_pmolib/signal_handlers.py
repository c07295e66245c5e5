import logging

from django.db import transaction
from django.db.models.signals import pre_save
from wagtail.documents import get_document_model

from . import invalidation

logger = logging.getLogger(__name__)


def fill_document_file_metadata(sender, instance, **kwargs):
    """Store a document's size and hash when it is saved, so pages never open files
    to show its size and its text is extracted again only when the file changes.

    Wagtail's admin does this for uploads; documents created in code (imports,
    fixtures, our demo) often don't.
    """
    if not instance.file:
        return
    try:
        if instance.file_size is None:
            instance.file_size = instance.file.size
        if not instance.file_hash:
            instance._set_file_hash()
    except OSError as exc:
        logger.warning(
            "Could not read the size and hash of document file %s: %s", instance.file.name, exc
        )


def extract_document_text(sender, instance, **kwargs):
    """Keep the text of PDF handouts for search and the sessions that show the
    document re-indexed: a task (``tasks.document_changed_task``) enqueued once
    the save commits, so the save never waits for, nor fails on, the PDF."""
    from .tasks import enqueue_document_changed

    enqueue_document_changed(instance.pk)


def recount_feedback_summary(sender, instance, **kwargs):
    """Keep a page's summary equal to its votes when editors change or delete feedback
    (status Spam takes a rating out of the summary) or feedback is purged."""
    from .feedback.votes import request_recount

    if kwargs.get("created") or instance.rating is None:
        return
    origin = kwargs.get("origin")
    if origin is not None and getattr(origin, "model", type(origin)) is not sender:
        return  # deleted with its page: the page's summary goes too
    request_recount(instance.page_id)


# --- What changed, for the caches (see invalidation.py) -------------------------------


def _loaded(raw, instance) -> bool:
    """Saved by ``loaddata`` (``raw``): a fixture can change anything, and the rows
    it relates to may not be loaded yet, so every cached thing is stale."""
    if raw:
        invalidation.invalidate_everything(using=instance._state.db)
    return raw


def page_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if _loaded(raw, instance) or (
        update_fields is not None and set(update_fields) <= invalidation.DRAFT_FIELDS
    ):
        return  # a draft, a lock, a schedule: nothing a visitor sees
    invalidation.page_changed(instance, invalidation.CONTENT)


def access_changed(sender=None, session_ids=(), using=None, **kwargs):
    """Sessions whose access level that applies changed (``models.access``): their
    index entries lose or regain their gated parts, and what is cached of them
    (their badges) is stale."""
    if not session_ids:
        return
    from . import tasks

    tasks.enqueue_reindex_sessions(session_ids)
    invalidation.invalidate_everything(using=using)


def page_published(sender, instance, **kwargs):
    invalidation.page_changed(instance, invalidation.CONTENT)


def page_unpublished(sender, instance, **kwargs):
    invalidation.page_changed(instance, invalidation.VISIBILITY)


def page_slug_changed(sender, instance, instance_before=None, **kwargs):
    # Its parent is the same: only its address (and its descendants') changed.
    old_url_path = instance_before.url_path if instance_before is not None else ""
    invalidation.page_moved(instance, "", old_url_path)


def page_moved(sender, instance, parent_page_before=None, url_path_before="", **kwargs):
    invalidation.page_moved(
        instance, parent_page_before.path if parent_page_before else "", url_path_before
    )
    # Below a new conference or library, inherited access levels may differ.
    from wagtail.models import Page

    from .models.access import refresh_access_below

    moved = Page.objects.filter(pk=instance.pk).only("path").first()
    if moved is not None:
        access_changed(session_ids=refresh_access_below(moved), using=instance._state.db)


def page_deleting(sender, instance, **kwargs):
    invalidation.page_deleted(instance)


def view_restriction_changed(sender, instance, **kwargs):
    invalidation.page_id_changed(
        instance.page_id, invalidation.VISIBILITY, using=instance._state.db
    )


def _restrictions_of_m2m_change(instance, action, reverse, pk_set, model):
    """The view restrictions whose groups changed, for a change made from either
    side (``restriction.groups.add(…)`` or ``group.pageviewrestriction_set.add(…)``),
    or ``[]`` for the half of the change that does not report it."""
    if not reverse:
        return [instance] if action.startswith("post_") else []
    if action == "pre_clear":  # afterwards the group's restrictions are gone
        return list(model.objects.filter(groups=instance))
    if action in ("post_add", "post_remove"):
        return list(model.objects.filter(pk__in=pk_set or ()))
    return []


def view_restriction_groups_changed(sender, instance, action, reverse=False, **kwargs):
    for restriction in _restrictions_of_m2m_change(
        instance, action, reverse, kwargs.get("pk_set"), kwargs["model"]
    ):
        invalidation.page_id_changed(
            restriction.page_id, invalidation.VISIBILITY, using=kwargs.get("using")
        )


def collection_privacy_changed(collection_id, using=None):
    """Whether the documents of a collection (and of those below it) are private
    changed: the articles showing them are stale, and so are the search index
    entries of the sessions showing them (a private document's title and text
    are not searched: ``models.documents.private_q``)."""
    from .tasks import enqueue_reindex_collection

    invalidation.collection_privacy_changed(collection_id, using=using)
    enqueue_reindex_collection(collection_id, using=using)


def collection_restriction_changed(sender, instance, **kwargs):
    collection_privacy_changed(instance.collection_id, using=instance._state.db)


def collection_restriction_groups_changed(sender, instance, action, reverse=False, **kwargs):
    # Which groups may download changes nothing the library shows or searches.
    for restriction in _restrictions_of_m2m_change(
        instance, action, reverse, kwargs.get("pk_set"), kwargs["model"]
    ):
        invalidation.collection_privacy_changed(
            restriction.collection_id, using=kwargs.get("using")
        )


def _collection_is_private(collection_id, using) -> bool:
    from wagtail.models import Collection

    from .models.documents import restricted_collection_q

    return (
        Collection.objects.using(using).filter(restricted_collection_q(), pk=collection_id).exists()
    )


def collection_saving(sender, instance, raw=False, **kwargs):
    """Before a collection is saved: note whether its documents are private, for
    ``collection_saved``."""
    if not raw and instance.pk is not None:
        instance._pmolib_was_private = _collection_is_private(instance.pk, instance._state.db)


def collection_saved(sender, instance, raw=False, **kwargs):
    """A collection moved under (or out from under) a restricted one changes its
    documents' privacy without any restriction changing. Wagtail's admin moves it
    (treebeard's ``move()``, which sends no signal) after saving it, in the same
    transaction: compare once that has committed."""
    was_private = getattr(instance, "_pmolib_was_private", None)
    if raw or was_private is None:
        return
    using = instance._state.db

    def compare():
        if _collection_is_private(instance.pk, using) != was_private:
            collection_privacy_changed(instance.pk, using=using)

    transaction.on_commit(compare, using=using)


def session_speaker_changed(sender, instance, raw=False, **kwargs):
    if not _loaded(raw, instance):
        invalidation.session_speaker_changed(
            instance.page_id, instance.speaker_id, using=instance._state.db
        )


def theme_changed(sender, instance, raw=False, **kwargs):
    if not _loaded(raw, instance):
        invalidation.theme_changed(instance)


def speaker_changed(sender, instance, raw=False, **kwargs):
    if not _loaded(raw, instance):
        invalidation.speaker_changed(instance.pk, using=instance._state.db)


# Fields Wagtail fills in on first use (rendering a picture, serving a file):
# nothing a visitor sees changes.
FILE_METADATA = frozenset({"file_size", "file_hash"})


def document_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    if not _loaded(raw, instance) and not (update_fields and set(update_fields) <= FILE_METADATA):
        invalidation.document_changed(instance.pk, using=instance._state.db)


def image_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    if not _loaded(raw, instance) and not (update_fields and set(update_fields) <= FILE_METADATA):
        invalidation.image_changed(instance.pk, using=instance._state.db)


def image_deleting(sender, instance, **kwargs):
    invalidation.image_deleting(instance.pk, using=instance._state.db)


def document_deleting(sender, instance, **kwargs):
    invalidation.document_deleting(instance.pk, using=instance._state.db)


def site_changed(sender, instance, raw=False, **kwargs):
    if not _loaded(raw, instance):
        invalidation.site_changed(using=instance._state.db)


def feedback_settings_changed(sender, instance, raw=False, created=False, **kwargs):
    # A row created on first use holds the defaults every process already applied.
    if not _loaded(raw, instance) and not created:
        invalidation.feedback_settings_changed(instance.site_id, using=instance._state.db)


def purge_frontend_cache(sender, changes, scopes, **kwargs):
    """Committed changes purge the JSON API's URLs from a front-end cache, where
    the host configured one (``api/purge.py``)."""
    from .api.purge import purge_committed_changes

    purge_committed_changes(sender, changes, scopes)


def register_invalidation_handlers():
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
    from wagtail import signals as wagtail_signals
    from wagtail.images import get_image_model
    from wagtail.models import (
        Collection,
        CollectionViewRestriction,
        Page,
        PageViewRestriction,
        Site,
        get_page_models,
    )

    from .models import ConferenceTheme, FeedbackSettings, SessionSpeaker, Speaker

    def connect(signal, handler, sender):
        signal.connect(
            handler, sender=sender, dispatch_uid=f"pmolib_{handler.__name__}_{sender._meta.label}"
        )

    # Page signals are sent with the concrete page class as sender.
    for model in {Page, *get_page_models()}:
        connect(post_save, page_saved, model)
        connect(pre_delete, page_deleting, model)
        connect(wagtail_signals.page_published, page_published, model)
        connect(wagtail_signals.page_unpublished, page_unpublished, model)
        connect(wagtail_signals.page_slug_changed, page_slug_changed, model)
        connect(wagtail_signals.post_page_move, page_moved, model)
    for signal in (post_save, post_delete):
        connect(signal, view_restriction_changed, PageViewRestriction)
        connect(signal, collection_restriction_changed, CollectionViewRestriction)
        connect(signal, session_speaker_changed, SessionSpeaker)
        connect(signal, speaker_changed, Speaker)
        connect(signal, document_changed, get_document_model())
        connect(signal, image_changed, get_image_model())
        connect(signal, site_changed, Site)
        connect(signal, feedback_settings_changed, FeedbackSettings)
    connect(m2m_changed, view_restriction_groups_changed, PageViewRestriction.groups.through)
    connect(
        m2m_changed, collection_restriction_groups_changed, CollectionViewRestriction.groups.through
    )
    connect(pre_delete, image_deleting, get_image_model())
    connect(pre_save, collection_saving, Collection)
    connect(post_save, collection_saved, Collection)
    # Saved, and about to be deleted: sessions lose a deleted theme without a signal.
    connect(post_save, theme_changed, ConferenceTheme)
    connect(pre_delete, theme_changed, ConferenceTheme)
    connect(pre_delete, document_deleting, get_document_model())
    from .models.access import access_changed as access_changed_signal

    access_changed_signal.connect(access_changed, dispatch_uid="pmolib_access_changed")
    invalidation.changes_committed.connect(purge_frontend_cache, dispatch_uid="pmolib_purge")


def register_signal_handlers():
    from django.db.models.signals import post_delete, post_save

    from .models import Feedback
    from .search import indexing as search_indexing

    register_invalidation_handlers()
    post_save.connect(
        extract_document_text,
        sender=get_document_model(),
        dispatch_uid="wagtail_pmolib_extract_document_text",
    )
    search_indexing.register_signal_handlers()
    post_save.connect(recount_feedback_summary, sender=Feedback, dispatch_uid="pmolib_recount_s")
    post_delete.connect(recount_feedback_summary, sender=Feedback, dispatch_uid="pmolib_recount_d")
    pre_save.connect(
        fill_document_file_metadata,
        sender=get_document_model(),
        dispatch_uid="wagtail_pmolib_fill_document_file_metadata",
    )
