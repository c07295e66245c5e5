"""Which pages refer to an object, from Wagtail's reference index (handouts,
captions, covers and posters in StreamFields, links in rich text, choosers).

One rule for the search re-indexing (``search/reindex.py``) and the cache
invalidation (``invalidation/``).
"""

from __future__ import annotations

from django.db import models


def pages_referencing(model, ids) -> set[int]:
    """Ids of the pages whose content refers to the ``model`` objects ``ids``
    (a list of ids, or a single-column queryset of ids as text)."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, ReferenceIndex

    if not isinstance(ids, models.QuerySet):
        ids = [str(pk) for pk in ids]
    return {
        int(pk)
        for pk in ReferenceIndex.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            to_content_type=ContentType.objects.get_for_model(model),
            to_object_id__in=ids,
        ).values_list("object_id", flat=True)
        if str(pk).isdigit()
    }
