"""What every resource's router uses: the answers it documents, paging, lookups."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Schema

from ..errors import Problem, ProblemDetails
from ..params import WholeNumber, page_slice


def answers(success) -> dict:
    """The responses an operation documents: ``success`` and the problems."""
    return {200: success, 400: ProblemDetails, 404: ProblemDetails}


class Paging(Schema):
    page: WholeNumber = 1
    per_page: WholeNumber | None = None


def paginate(queryset, paging: Paging, present) -> dict:
    """``{count, items}`` for one page of ``queryset`` (two queries), each page of
    items turned into JSON by ``present`` (a function of a list)."""
    count = queryset.count()
    offset, limit = page_slice(paging.page, paging.per_page, count)
    return {"count": count, "items": present(list(queryset[offset : offset + limit]))}


def get_visible(queryset, pk, what: str, parameter: str = "id"):
    """The object ``pk`` of ``queryset`` (what the caller may see), or a 404 naming
    ``parameter`` (the path's ``id``, or a filter in the query). One that does not
    exist and one the caller may not see get the same answer."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        detail = _("There is no %(what)s with id %(id)s.") % {"what": what, "id": pk}
        raise Problem(404, detail, parameter, "path" if parameter == "id" else "query")
    return found
