import logging

from django.db.models.signals import pre_save
from wagtail.documents import get_document_model

logger = logging.getLogger(__name__)


def fill_document_file_size(sender, instance, **kwargs):
    """Store a document's size when it is saved, so pages never open files to show it.

    Wagtail's admin does this for uploads; documents created in code (imports,
    fixtures, our demo) often don't.
    """
    if instance.file_size is not None or not instance.file:
        return
    try:
        instance.file_size = instance.file.size
    except OSError as exc:
        logger.warning("Could not read the size of document file %s: %s", instance.file.name, exc)


def register_signal_handlers():
    from . import fragment_cache

    fragment_cache.register_signal_handlers()
    pre_save.connect(
        fill_document_file_size,
        sender=get_document_model(),
        dispatch_uid="wagtail_pmolib_fill_document_file_size",
    )
