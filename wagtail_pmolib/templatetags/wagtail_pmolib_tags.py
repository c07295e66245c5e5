"""Template tags for host templates: ``{% load wagtail_pmolib_tags %}``."""

from django import template
from django.core.cache import cache

from ..access.members import access_for
from ..conf import pmolib_settings
from ..documents import describe_document

register = template.Library()


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist, key, parts):
        self.nodelist = nodelist
        self.key = key
        self.parts = parts

    def render(self, context):
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)
        key = ":".join([key, *(str(part.resolve(context)) for part in self.parts)])
        # Fragments the view fetched in one round trip (see prefetch_fragments).
        prefetched = context.get("pmolib_fragments") or {}
        html = prefetched[key] if key in prefetched else cache.get(key)
        if html is None:
            html = self.nodelist.render(context)
            cache.set(key, html, pmolib_settings.FRAGMENT_CACHE_TIMEOUT)
        return html


def prefetch_fragments(*keys):
    """Fetch the cached fragments a page will ask for with one ``get_many``.

    Put the result in the context as ``pmolib_fragments``.
    """
    return cache.get_many([key for key in keys if key])


@register.tag
def pmolib_cached(parser, token):
    """Cache what it encloses under a key from the context; no key, no caching.

    ``{% pmolib_cached pmolib_fragment_key "part" %}…{% endpmolib_cached %}``:
    the key, then any values that tell fragments of one page apart
    (see ``wagtail_pmolib.fragment_cache``).
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a cache key.")
    nodelist = parser.parse(("endpmolib_cached",))
    parser.delete_first_token()
    return CachedFragmentNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )


@register.simple_tag(takes_context=True)
def pmolib_access(context, page):
    """What the caller may read of ``page`` (``access.members.Access``):
    ``{% pmolib_access page as access %}``, then ``{% if access.full %}`` around
    the gated parts. Without a request (a template rendered by hand) nothing
    gated is shown."""
    return access_for(context.get("request"), page)


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
