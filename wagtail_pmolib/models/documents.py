from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string


class DocumentText(models.Model):
    """The text of a PDF document, extracted when it was saved (for search)."""

    document = models.OneToOneField(
        get_document_model_string(),
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="pmolib_text",
    )
    file_hash = models.CharField(_("file hash"), max_length=40, blank=True)
    text = models.TextField(_("text"), blank=True)
    pages_read = models.PositiveIntegerField(_("pages read"), default=0)
    truncated = models.BooleanField(_("truncated"), default=False)
    error = models.CharField(_("why there is no text"), max_length=255, blank=True)
    extracted_at = models.DateTimeField(_("extracted"), auto_now=True)

    class Meta:
        verbose_name = _("document text")
        verbose_name_plural = _("document texts")

    def __str__(self):
        return f"{self.document_id}: {len(self.text)} characters"


# --- Private documents ------------------------------------------------------------------
# Wagtail's document privacy is per collection: a document whose collection, or a
# collection above it, has a view restriction (a password, a login, groups) is
# served only to visitors who passed it. The library's rule (README, "Private
# documents on public pages"): such a document's own words, its PDF text and its title, are used
# nowhere a visitor could read them: not in the search index (whoever searches),
# not in excerpts, not in the page's HTML or API. What the editor wrote on the page
# about it (a handout's title and description) is the page's, and stays.


def _restrictions(path_field: str):
    """The view restrictions on the collection whose tree path is ``path_field``
    (an outer reference) or above it."""
    from wagtail.models import BaseViewRestriction, CollectionViewRestriction

    return (
        CollectionViewRestriction.objects.exclude(restriction_type=BaseViewRestriction.NONE)
        .annotate(
            outer_path=models.ExpressionWrapper(
                models.OuterRef(path_field), output_field=models.CharField()
            )
        )
        .filter(outer_path__startswith=models.F("collection__path"))
    )


def restricted_collection_q(path_field: str = "path") -> models.Q:
    """Collections (whose tree path is ``path_field``) with a view restriction of
    their own or above them: a condition with a subquery, not an extra query."""
    return models.Q(models.Exists(_restrictions(path_field)))


def documents_with_privacy(model, ids) -> dict:
    """The documents of ``model`` (Wagtail's document model) with these ids, by id,
    each read with whether it is private (``_pmolib_private``, so that
    ``is_private`` asks nothing more): one statement, none for no ids.

    The same rule as ``private_q``, written out: a page's handouts are read on
    every article rendered anew, and compiling the ORM's form (the query and its
    subquery) took twenty times longer than running it (``rows.py``)."""
    from django.core.exceptions import ValidationError
    from django.db import connections, router
    from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction

    from .rows import columns

    wanted = set()
    for value in ids:
        try:
            pk = model._meta.pk.to_python(value)
        except ValidationError:  # not an id at all: nothing to find, as ``in_bulk``
            continue
        if pk is not None:
            wanted.add(pk)
    if not wanted:
        return {}
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    document = columns(connection, model, "d")
    collections = quote(Collection._meta.db_table)
    own_collection = f"d.{quote(model._meta.get_field('collection').column)}"
    key = f"d.{quote(model._meta.pk.column)}"
    sql = (
        f"SELECT {document.sql}, EXISTS (SELECT 1 "
        f"FROM {quote(CollectionViewRestriction._meta.db_table)} r "
        f"JOIN {collections} c ON c.id = r.collection_id "
        f"JOIN {collections} own ON own.id = {own_collection} "
        "WHERE r.restriction_type <> %s AND SUBSTR(own.path, 1, LENGTH(c.path)) = c.path) "
        f"FROM {quote(model._meta.db_table)} d WHERE {key} IN ({', '.join(['%s'] * len(wanted))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [BaseViewRestriction.NONE, *sorted(wanted)])
        rows = cursor.fetchall()
    found = {}
    for *values, private in rows:
        instance = document.instance(values)
        instance._pmolib_private = bool(private)
        found[instance.pk] = instance
    return found


def private_q(prefix: str = "") -> models.Q:
    """Documents (reached through ``prefix``, e.g. ``"document__"``) that are private."""
    return restricted_collection_q(f"{prefix}collection__path")


def private_document_ids(ids) -> set[int]:
    """Which of the documents ``ids`` are private (one query; none for no ids)."""
    from wagtail.documents import get_document_model

    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    return set(
        get_document_model().objects.filter(private_q(), pk__in=ids).values_list("pk", flat=True)
    )


def mark_private(documents) -> None:
    """Note on each of ``documents`` whether it is private (one query for all),
    so ``is_private`` asks nothing more while a page renders."""
    documents = [d for d in documents if d is not None]
    private = private_document_ids(d.pk for d in documents)
    for document in documents:
        document._pmolib_private = document.pk in private


def is_private(document) -> bool:
    """Whether ``document`` is private (noted by ``mark_private``, else one query)."""
    if document is None:
        return False
    if getattr(document, "_pmolib_private", None) is None:
        mark_private([document])
    return document._pmolib_private
