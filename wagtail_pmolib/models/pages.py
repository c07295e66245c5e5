"""The library's front door and conference pages, and what all library pages share.

``LibraryIndexPage`` › ``ConferencePage`` › ``SessionPage`` (in ``sessions.py``).
Each concrete page type is a thin subclass of an abstract base, so a host site
can build its own page types from the same parts. ``LibraryPageMixin`` stays
here: migrations name it by this path.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable, Page, PageViewRestriction, get_page_models
from wagtail.search import index

from ..conf import pmolib_settings
from ..serializers import RichTextAPIField
from .access import AccessMixin
from .fields import RichTextField
from .rows import child_page

ABSTRACT_FEATURES = ["bold", "italic", "link", "ol", "ul"]

# The columns a link to a session needs (title, URL, date); loading only these
# keeps cross-link queries light.
LINK_FIELDS = ("title", "slug", "url_path", "depth", "path", "starts_at", "locale_id")


class LibraryPageMixin:
    """What every library page gives its template."""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["pmolib_base_template"] = pmolib_settings.BASE_TEMPLATE
        context["breadcrumbs"] = self.get_breadcrumbs()
        context["pmolib_include_css"] = pmolib_settings.INCLUDE_CSS
        context["pmolib_include_js"] = pmolib_settings.INCLUDE_JS
        return context

    def route(self, request, path_components):
        """Route as Wagtail does, but pass through a child on the way to one of
        its descendants without loading the child's own fields (Wagtail loads
        every page on the path in full; a conference's dates and introduction
        are not needed to serve one of its sessions)."""
        if len(path_components) > 1:
            child = child_page(self, path_components[0], self.base_page_model)
            if child is None:
                raise Http404
            child._cached_parent_obj = self
            return child.specific_deferred.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_library(self):
        """The library this page is in (itself, for a library), or ``None``: one
        query, for the nearest library page at or above it (host types included)."""
        if not self.path:
            return None
        libraries = [m for m in get_page_models() if issubclass(m, AbstractLibraryIndexPage)]
        return (
            Page.objects.ancestor_of(self, inclusive=True)
            .type(*libraries)
            .order_by("-depth")
            .only("path", "depth")
            .first()
        )

    def get_breadcrumbs(self):
        """Ancestors below the tree root, outermost first.

        Wagtail's routing leaves each page's parent on it (treebeard's
        ``_cached_parent_obj``), so a page being served gets its breadcrumbs
        without a query; elsewhere (previews, API, pages fetched by hand) one
        query fetches them.
        """
        if not self.path:
            return []
        crumbs, page = [], self
        while page.depth > 2:
            page = getattr(page, "_cached_parent_obj", None)
            if page is None:
                return list(Page.objects.ancestor_of(self).filter(depth__gt=1).order_by("depth"))
            crumbs.append(page)
        crumbs.reverse()
        return crumbs


def access_panel():
    """The access level and its groups, for a page's settings tab."""
    from django import forms

    return MultiFieldPanel(
        [
            FieldPanel("access_level"),
            FieldPanel("access_groups", widget=forms.CheckboxSelectMultiple),
        ],
        heading=_("Members-only access"),
    )


def exclude_restricted(queryset):
    """Leave out pages under a view restriction (password, login, groups).

    Listings and cross-links use it so that a private session's title is never
    shown on a public page. It is a subquery, not an extra query.
    """
    restricted = PageViewRestriction.objects.annotate(
        outer_path=models.ExpressionWrapper(
            models.OuterRef("path"), output_field=models.CharField()
        )
    ).filter(outer_path__startswith=models.F("page__path"))
    return queryset.exclude(models.Exists(restricted))


def prefetch_speakers(sessions):
    """Attach ``session.speaker_list`` to each session with two queries in all."""
    sessions = list(sessions)
    prefetch_related_objects(sessions, "session_speakers__speaker")
    for session in sessions:
        session.speaker_list = [link.speaker for link in session.session_speakers.all()]
    return sessions


# --- Library index ---------------------------------------------------------

SUGGEST_ROUTE = "suggest"


class AbstractLibraryIndexPage(RoutablePageMixin, LibraryPageMixin, AccessMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=ABSTRACT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    settings_panels = [*Page.settings_panels, access_panel()]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro", serializer=RichTextAPIField())]

    class Meta:
        abstract = True

    # A path below the library that answers with search suggestions (JSON).
    SUGGEST_ROUTE = SUGGEST_ROUTE

    def get_session_model(self):
        """The page type the library lists and searches."""
        from .sessions import SessionPage

        return SessionPage

    @path("")
    def index_route(self, request, *args, **kwargs):
        from ..views import library_page_view  # a page's route imports its view (DESIGN.md)

        return library_page_view(request, self, *args, **kwargs)

    @path(f"{SUGGEST_ROUTE}/", name="suggest")
    def suggest_route(self, request):
        from ..views import suggest_view

        return suggest_view(request, self)

    def route(self, request, path_components):
        # A child page whose slug is the route's is that page (as Wagtail routes
        # children), not the suggestions.
        if (
            list(path_components) == [self.SUGGEST_ROUTE]
            and self.get_children().filter(slug=self.SUGGEST_ROUTE).exists()
        ):
            return super(RoutablePageMixin, self).route(request, path_components)
        return super().route(request, path_components)


class LibraryIndexPage(AbstractLibraryIndexPage):
    # Any page may hold a library (no parent_page_types), e.g. a site's home page.
    subpage_types = ["wagtail_pmolib.ConferencePage"]

    class Meta:
        verbose_name = _("session library")
        verbose_name_plural = _("session libraries")


# --- Conference --------------------------------------------------------------


class ConferenceTheme(Orderable):
    """A theme or track of one conference edition, e.g. "PMO Services"."""

    page = ParentalKey(
        "wagtail_pmolib.ConferencePage", on_delete=models.CASCADE, related_name="themes"
    )
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("description")]
    api_fields = [APIField("name"), APIField("description")]

    class Meta(Orderable.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.name


def format_date_range(start, end):
    """ "2–3 November 2021", "30 October – 2 November 2021", or one date."""
    if start is None:
        return ""
    if end is None or end == start:
        return date_format(start, "j F Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{date_format(start, 'j')}\u2013{date_format(end, 'j F Y')}"
    if start.year == end.year:
        return f"{date_format(start, 'j F')} \u2013 {date_format(end, 'j F Y')}"
    return f"{date_format(start, 'j F Y')} \u2013 {date_format(end, 'j F Y')}"


class AbstractConferencePage(LibraryPageMixin, AccessMixin, Page):
    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=255, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=ABSTRACT_FEATURES)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
                FieldRowPanel([FieldPanel("venue"), FieldPanel("city")]),
            ],
            heading=_("When and where"),
        ),
        FieldPanel("intro"),
        InlinePanel("themes", heading=_("Themes and tracks"), label=_("Theme")),
    ]
    settings_panels = [*Page.settings_panels, access_panel()]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("city"),
        index.FilterField("start_date"),
    ]
    api_fields = [
        APIField("start_date"),
        APIField("end_date"),
        APIField("venue"),
        APIField("city"),
        APIField("intro", serializer=RichTextAPIField()),
        APIField("themes"),
    ]

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})

    @property
    def date_range(self):
        return format_date_range(self.start_date, self.end_date)

    @property
    def place(self):
        return ", ".join(p for p in (self.venue, self.city) if p)

    def route(self, request, path_components):
        """Serve a session in one query, with its theme: the page's own row, its
        session fields and its theme (Wagtail would read the child as a plain
        page, then its specific fields, then the theme when the page shows it)."""
        from .sessions import SessionPage

        if path_components:
            # Written out (``rows.py``): compiling the ORM's query took longer than
            # running it, on every request to a session.
            child = child_page(self, path_components[0], SessionPage, related=["theme"])
            if child is not None and child.specific_class not in (None, type(child)):
                # A host's subclass of SessionPage: served as its own type, as
                # Wagtail's Page.route serves ``subpage.specific``.
                child = child.specific
            if child is not None:
                child._cached_parent_obj = self
                return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_sessions(self, request=None):
        from .sessions import SessionPage

        queryset = (
            SessionPage.objects.live()
            .child_of(self)
            .select_related("theme")
            .defer_streamfields()
            .order_by(models.F("starts_at").asc(nulls_last=True), "path")
        )
        return exclude_restricted(queryset)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sessions = prefetch_speakers(self.get_sessions(request))
        themes = list(self.themes.all())
        by_theme = {theme.pk: [] for theme in themes}
        other = []
        for session in sessions:
            by_theme.get(session.theme_id, other).append(session)
        groups = [(theme, by_theme[theme.pk]) for theme in themes if by_theme[theme.pk]]
        if other:
            groups.append((None, other))
        context.update(sessions=sessions, theme_groups=groups, themes=themes)
        return context


class ConferencePage(AbstractConferencePage):
    parent_page_types = ["wagtail_pmolib.LibraryIndexPage"]
    subpage_types = ["wagtail_pmolib.SessionPage"]

    class Meta:
        verbose_name = _("conference")
        verbose_name_plural = _("conferences")
