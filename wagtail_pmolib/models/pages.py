"""The library's page types: LibraryIndexPage › ConferencePage › SessionPage.

Each concrete page type is a thin subclass of an abstract base, so a host site
can build its own page types from the same parts.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import prefetch_related_objects
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index

from ..admin.panels import FeedbackSummaryPanel
from ..blocks import RICH_TEXT_FEATURES, RecordingStreamBlock, SessionBodyBlock
from ..conf import pmolib_settings
from ..forms import SessionPageForm
from ..fragment_cache import fragment_key
from ..recordings import RecordingStatus
from ..serializers import RichTextAPIField, SpeakerAPIField, ThemeAPIField
from ..toc import TocSection
from .mixins import FeedbackMixin, TableOfContentsMixin

ABSTRACT_FEATURES = ["bold", "italic", "link", "ol", "ul"]
# The notes sit under the page's own "Session Notes" h2, so their headings start at h3.
NOTES_FEATURES = [f for f in RICH_TEXT_FEATURES if f != "h2"]

# The columns a link to a session needs (title, URL, date); loading only these
# keeps cross-link queries light.
LINK_FIELDS = ("title", "slug", "url_path", "depth", "path", "starts_at", "locale_id")

RECORDING_SECTION_ID = "session-recording"
NOTES_SECTION_ID = "session-notes"


class LibraryPageMixin:
    """What every library page gives its template."""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["pmolib_base_template"] = pmolib_settings.BASE_TEMPLATE
        context["breadcrumbs"] = self.get_breadcrumbs()
        context["pmolib_include_css"] = pmolib_settings.INCLUDE_CSS
        context["pmolib_include_js"] = pmolib_settings.INCLUDE_JS
        return context

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


class AbstractLibraryIndexPage(LibraryPageMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=ABSTRACT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro", serializer=RichTextAPIField())]

    class Meta:
        abstract = True

    def get_sessions(self, request=None):
        queryset = (
            SessionPage.objects.live()
            .descendant_of(self)
            .select_related("theme")
            .defer_streamfields()
            .order_by(models.F("starts_at").desc(nulls_last=True), "-first_published_at", "path")
        )
        return exclude_restricted(queryset)

    def get_page_size(self, request):
        size = pmolib_settings.INDEX_PAGE_SIZE
        try:
            asked = int(request.GET.get("per_page", size))
        except (TypeError, ValueError):
            return size
        return max(1, min(asked, pmolib_settings.MAX_PAGE_SIZE))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        paginator = Paginator(self.get_sessions(request), self.get_page_size(request))
        sessions_page = paginator.get_page(request.GET.get("page"))
        sessions = prefetch_speakers(sessions_page.object_list)
        conferences = {
            c.path: c
            for c in ConferencePage.objects.live().descendant_of(self).defer_streamfields()
        }
        for session in sessions:
            session.conference = conferences.get(session.path[: -Page.steplen])
        per_page = self.get_page_size(request)
        context.update(
            sessions=sessions,
            sessions_page=sessions_page,
            paginator=paginator,
            per_page_param=per_page if "per_page" in request.GET else None,
        )
        return context


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


class AbstractConferencePage(LibraryPageMixin, Page):
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

    def get_sessions(self, request=None):
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


# --- Session -----------------------------------------------------------------


class SessionSpeaker(Orderable):
    page = ParentalKey(
        "wagtail_pmolib.SessionPage", on_delete=models.CASCADE, related_name="session_speakers"
    )
    speaker = models.ForeignKey(
        "wagtail_pmolib.Speaker",
        verbose_name=_("speaker"),
        on_delete=models.CASCADE,
        related_name="session_links",
    )

    panels = [FieldPanel("speaker")]

    class Meta(Orderable.Meta):
        verbose_name = _("session speaker")
        verbose_name_plural = _("session speakers")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "speaker"], name="pmolib_unique_session_speaker"
            )
        ]

    def __str__(self):
        return str(self.speaker)


class AbstractSessionPage(FeedbackMixin, TableOfContentsMixin, LibraryPageMixin, Page):
    abstract = RichTextField(_("abstract"), blank=True, features=ABSTRACT_FEATURES)
    theme = models.ForeignKey(
        "wagtail_pmolib.ConferenceTheme",
        verbose_name=_("theme or track"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    starts_at = models.DateTimeField(_("date and time"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    recording = StreamField(
        RecordingStreamBlock(),
        blank=True,
        verbose_name=_("recording"),
        help_text=_("The session's video or audio, its rights and its chapters."),
    )
    body = StreamField(
        SessionBodyBlock(),
        blank=True,
        verbose_name=_("body"),
        help_text=_(
            "Handouts, headings and anything else shown between the recording and the notes."
        ),
    )
    notes = RichTextField(
        _("session notes"),
        blank=True,
        features=NOTES_FEATURES,
        help_text=_("Shown under the heading “Session Notes”; use headings 3 and 4 inside."),
    )
    has_recording = models.BooleanField(default=False, editable=False)
    has_handouts = models.BooleanField(default=False, editable=False)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("theme"),
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("duration_minutes")]),
            ],
            heading=_("Programme"),
        ),
        InlinePanel("session_speakers", heading=_("Speakers"), label=_("Speaker")),
        FieldPanel("abstract"),
        FieldPanel("recording"),
        FieldPanel("body"),
        FieldPanel("notes"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("abstract"),
        index.SearchField("notes"),
        index.FilterField("starts_at"),
        index.FilterField("theme"),
        index.FilterField("has_recording"),
        index.FilterField("has_handouts"),
    ]

    api_fields = [
        APIField("edition"),
        APIField("full_title"),
        APIField("abstract", serializer=RichTextAPIField()),
        APIField("theme", serializer=ThemeAPIField()),
        APIField("starts_at"),
        APIField("duration_minutes"),
        APIField("speakers", serializer=SpeakerAPIField()),
        APIField("recording"),
        APIField("body"),
        APIField("notes", serializer=RichTextAPIField()),
        APIField("table_of_contents"),
        APIField("has_recording"),
        APIField("has_handouts"),
        APIField("feedback_enabled"),
    ]

    settings_panels = [
        *Page.settings_panels,
        FieldPanel("feedback_enabled"),
        FeedbackSummaryPanel(),
    ]

    base_form_class = SessionPageForm
    reserved_anchor_ids = frozenset(
        {"main", "pmolib-title", "pmolib-toc-heading", "pmolib-related-heading", "feedback"}
    )

    class Meta:
        abstract = True

    def get_toc_sources(self):
        sources = []
        if self.recording:
            sources.append(TocSection(RECORDING_SECTION_ID, _("Session Recording")))
        sources.append("body")
        if self.notes:
            sources += [TocSection(NOTES_SECTION_ID, _("Session Notes")), "notes"]
        return sources

    def clean(self):
        super().clean()
        self.has_recording = any(
            child.value.get("status") != RecordingStatus.UNAVAILABLE
            and (child.value.get("url") or child.value.get("video"))
            for child in self.recording
        )
        self.has_handouts = any(child.block_type in ("handout", "handouts") for child in self.body)

    @cached_property
    def edition(self):
        """The conference edition's title, e.g. "PMO Conference 2021"."""
        parent = self.get_parent() if self.path else None
        return parent.title if parent else ""

    @property
    def full_title(self):
        """ "PMO Conference 2021 \\\\ Step up – …": edition and title, as the heading shows them."""
        if not self.edition:
            return self.title
        return f"{self.edition} {pmolib_settings.TITLE_SEPARATOR} {self.title}"

    @cached_property
    def speakers(self):
        return [link.speaker for link in self.session_speakers.select_related("speaker__photo")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        breadcrumbs = context["breadcrumbs"]
        conference = breadcrumbs[-1] if breadcrumbs else None
        if conference is not None:
            self.edition = conference.title  # reuse the breadcrumbs query

        # What the article needs beyond the page's own fields is computed only
        # if the article is rendered, not when it comes from the fragment cache.
        @functools.cache
        def speakers():
            found = self.speakers
            prefetch_related_objects([s.photo for s in found if s.photo], "renditions")
            return found

        neighbours = functools.cache(lambda: self.get_neighbours(request))
        context.update(
            conference=conference,
            speakers=speakers,
            previous_session=lambda: neighbours()["previous_session"],
            next_session=lambda: neighbours()["next_session"],
            other_sessions=functools.cache(
                lambda: self.get_other_sessions_by_speakers(speakers(), request)
            ),
            title_separator=pmolib_settings.TITLE_SEPARATOR,
            recording_section_id=RECORDING_SECTION_ID,
            notes_section_id=NOTES_SECTION_ID,
            pmolib_fragment_key=fragment_key(self, request),
        )
        return context

    def get_neighbours(self, request=None):
        """The previous and next session in the conference's running order (one query).

        Siblings with a view restriction of their own are skipped; restrictions
        on the conference or above apply to this page too and were checked
        before it was served.
        """
        if self.pk is None:
            return {"previous_session": None, "next_session": None}
        own_restriction = PageViewRestriction.objects.filter(page_id=models.OuterRef("pk"))
        siblings = list(
            type(self)
            .objects.live()
            .sibling_of(self, inclusive=True)
            .filter(models.Q(pk=self.pk) | ~models.Exists(own_restriction))
            .only(*LINK_FIELDS)
            .order_by(models.F("starts_at").asc(nulls_last=True), "path")
        )
        ids = [s.pk for s in siblings]
        if self.pk not in ids:
            return {"previous_session": None, "next_session": None}
        i = ids.index(self.pk)
        return {
            "previous_session": siblings[i - 1] if i > 0 else None,
            "next_session": siblings[i + 1] if i + 1 < len(siblings) else None,
        }

    def get_other_sessions_by_speakers(self, speakers, request=None):
        limit = pmolib_settings.RELATED_SESSIONS_LIMIT
        if not speakers or not limit:
            return []
        queryset = (
            SessionPage.objects.live()
            .filter(session_speakers__speaker__in=[s.pk for s in speakers])
            .exclude(pk=self.pk)
            .only(*LINK_FIELDS)
            .distinct()
            .order_by(models.F("starts_at").desc(nulls_last=True), "path")
        )
        return list(exclude_restricted(queryset)[:limit])


class SessionPage(AbstractSessionPage):
    parent_page_types = ["wagtail_pmolib.ConferencePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
