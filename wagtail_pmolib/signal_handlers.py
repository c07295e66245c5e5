import logging

from django.db.models.signals import pre_save
from wagtail.documents import get_document_model

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
    request_recount(instance.page_id)


def register_signal_handlers():
    from django.db.models.signals import post_delete, post_save

    from . import fragment_cache
    from .feedback import settings as feedback_settings
    from .models import Feedback
    from .search import indexing as search_indexing

    fragment_cache.register_signal_handlers()
    post_save.connect(
        extract_document_text,
        sender=get_document_model(),
        dispatch_uid="wagtail_pmolib_extract_document_text",
    )
    search_indexing.register_signal_handlers()
    feedback_settings.register_signal_handlers()
    post_save.connect(recount_feedback_summary, sender=Feedback, dispatch_uid="pmolib_recount_s")
    post_delete.connect(recount_feedback_summary, sender=Feedback, dispatch_uid="pmolib_recount_d")
    pre_save.connect(
        fill_document_file_metadata,
        sender=get_document_model(),
        dispatch_uid="wagtail_pmolib_fill_document_file_metadata",
    )
