"""Documents a private page shows but anyone may download.

Wagtail's page privacy (a password, a login, groups) keeps a page from the
public, not the documents it shows: ``/documents/<id>/<file name>`` is served to
anyone with the address unless the document's *collection* is restricted
(document privacy is per collection). So a handout, recording or captions file
of a login-only session downloads for anyone it is passed to. The admin warns
editors about such documents (``models/panels.py``, ``wagtail_hooks.py``); the
safe setup is a restricted collection for members' documents (README, "Private
sessions and their documents").
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
