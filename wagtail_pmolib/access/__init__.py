"""Who may see what (L3: no HTTP answers here). Here: which library pages, decided
per request; ``documents``: which documents a page exposes.

The JSON API (and any other front end that is not Wagtail's own page serving)
asks this module what a caller may see: live pages of the request's site, minus
the subtrees under a view restriction (password, login, groups) the caller has
not passed. Each restriction is decided as Wagtail decides it when it serves the
page (``search.scope.scope_for``, the rule the library search uses), so a
signed-in caller sees exactly what the HTML shows them. Drafts are never seen:
only the live version of a page is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from wagtail.models import Page, PageViewRestriction, Site

from ..search.scope import LibraryScope, scope_for


@dataclass(frozen=True)
class Visibility:
    """What one request's caller may see of one site."""

    site: Site | None
    scope: LibraryScope | None  # the caller's hidden subtrees, over the whole tree

    @property
    def root(self):
        return self.site.root_page if self.site is not None else None

    def pages(self, model):
        """Live pages of ``model`` in the site that the caller may see (a queryset;
        no query until it is evaluated). Empty without a site."""
        if self.site is None:
            return model.objects.none()
        queryset = model.objects.live().descendant_of(self.root, inclusive=True)
        return self.scope.exclude_hidden(queryset)


def visibility_for(request) -> Visibility:
    """The caller's ``Visibility`` (two queries: the site, the view restrictions).
    Remembered on ``request``."""
    known = request.__dict__.get("_pmolib_visibility")
    if known is not None:
        return known
    site = Site.find_for_request(request)
    scope = None
    if site is not None:
        # Restrictions on the site's root page and its ancestors apply to every page
        # of the site: read them all from the tree's root down (the tree's root
        # itself cannot be restricted).
        tree_root = Page(path=site.root_page.path[: Page.steplen], depth=1)
        scope = scope_for(tree_root, request, Page)
    visibility = Visibility(site, scope)
    request.__dict__["_pmolib_visibility"] = visibility
    return visibility


def is_personal(request) -> bool:
    """Whether ``request`` comes with something that may show it more than an
    anonymous visitor sees (a signed-in user, a passed page password, a token):
    what it is shown must not go to shared caches."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    session = getattr(request, "session", None)
    key = PageViewRestriction.passed_view_restrictions_session_key
    if session is not None and session.get(key):
        return True
    return "Authorization" in request.headers


__all__ = ["Visibility", "is_personal", "visibility_for"]
