"""Template tags for host templates: ``{% load wagtail_pmolib_tags %}``."""

from django import template

from ..documents import describe_document

register = template.Library()


@register.inclusion_tag("wagtail_pmolib/includes/toc.html")
def table_of_contents(page):
    """The "Table of Contents" nav of any page using ``TableOfContentsMixin``.

    ``{% table_of_contents page %}``
    """
    return {"toc": getattr(page, "table_of_contents", None) or []}


@register.filter
def document_info(document):
    """ "PDF, 245 KB" for a document: ``{{ document|document_info }}``."""
    return describe_document(document)
