"""Session pages: one conference session with its speakers, recording, handouts,
notes, table of contents and feedback."""

from __future__ import annotations

import functools

from django.db import models
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.db.models.functions import Length, Substr
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .. import previews
from ..blocks import RICH_TEXT_FEATURES, RecordingStreamBlock, SessionBodyBlock
from ..conf import pmolib_settings
from ..forms import SessionPageForm
from ..recordings import (
    EMBED_UNREACHABLE,
    RecordingStatus,
    check_embed,
    format_timestamp,
    parse_timestamp,
)
from ..serializers import (
    AccessAPIField,
    GatedRichTextAPIField,
    GatedStreamAPIField,
    RichTextAPIField,
    SpeakerAPIField,
    TeaserTableOfContentsAPIField,
    ThemeAPIField,
)
from ..toc import TocSection
from .access import SessionAccessMixin
from .crosslinks import crosslinks
from .fields import RichTextField
from .mixins import FeedbackMixin, TableOfContentsMixin
from .pages import (
    ABSTRACT_FEATURES,
    LibraryPageMixin,
    access_panel,
    format_date_range,
)
from .panels import DocumentPrivacyPanel, FeedbackSummaryPanel
from .speakers import speakers_of

# The notes sit under the page's own "Session Notes" h2, so their headings start at h3.
NOTES_FEATURES = [f for f in RICH_TEXT_FEATURES if f != "h2"]

RECORDING_SECTION_ID = "session-recording"
NOTES_SECTION_ID = "session-notes"


# The preview mode that sends editors to the headless front end (``previews.py``).
HEADLESS_PREVIEW_MODE = "headless"


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


class AbstractSessionPage(
    FeedbackMixin, TableOfContentsMixin, LibraryPageMixin, SessionAccessMixin, Page
):
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
        DocumentPrivacyPanel(),
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
    # What the library's search matches: the title (weighted highest, by
    # Page.search_fields), abstract, speakers' names and organisations,
    # conference, theme, handout titles and descriptions, notes, and the text of
    # PDF handouts. Changes to speakers, conferences and documents re-index the
    # sessions they appear in (``search/indexing.py``). A members-only session's
    # entry holds its teaser only (``search_notes``, ``search_handouts``): its full
    # text is in the members' index, searched only for its readers
    # (``models/members_text.py``).
    search_fields = [
        *Page.search_fields,
        index.SearchField("abstract"),
        index.SearchField("search_notes"),
        index.SearchField("search_conference"),
        index.SearchField("search_handouts"),
        index.RelatedFields("theme", [index.SearchField("name")]),
        index.RelatedFields(
            "session_speakers",
            [
                index.RelatedFields(
                    "speaker",
                    [
                        index.SearchField("name"),
                        index.AutocompleteField("name"),
                        index.SearchField("organisation"),
                    ],
                ),
                index.FilterField("speaker"),
            ],
        ),
        # Filters and facets on search backends that are not the database (search/remote.py).
        index.FilterField("conference_id"),
        index.FilterField("speaker_ids"),
        index.FilterField("starts_at"),
        index.FilterField("theme"),
        index.FilterField("has_recording"),
        index.FilterField("has_handouts"),
        index.FilterField("access_effective"),
    ]

    api_fields = [
        APIField("edition"),
        APIField("full_title"),
        APIField("abstract", serializer=RichTextAPIField()),
        APIField("theme", serializer=ThemeAPIField()),
        APIField("starts_at"),
        APIField("duration_minutes"),
        APIField("speakers", serializer=SpeakerAPIField()),
        # A members-only session's gated parts only for callers with access
        # (``access.members``); others get its teaser and ``access``.
        APIField("recording", serializer=GatedStreamAPIField()),
        APIField("body", serializer=GatedStreamAPIField()),
        APIField("notes", serializer=GatedRichTextAPIField()),
        APIField("table_of_contents", serializer=TeaserTableOfContentsAPIField()),
        APIField("access", serializer=AccessAPIField()),
        APIField("has_recording"),
        APIField("has_handouts"),
        APIField("feedback_enabled"),
        APIField("rating_summary"),
    ]

    settings_panels = [
        *Page.settings_panels,
        access_panel(),
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

    def get_editor_warnings(self) -> list[str]:
        warnings = super().get_editor_warnings()
        conference = self.get_parent().specific if self.path else None
        start = getattr(conference, "start_date", None)
        end = getattr(conference, "end_date", None) or start
        if self.starts_at and start:
            day = timezone.localtime(self.starts_at).date()
            if not start <= day <= end:
                warnings.append(
                    gettext(
                        "This session is dated %(day)s, outside its conference’s days "
                        "(%(days)s). Saved all the same: check the date."
                    )
                    % {"day": format_date_range(day, day), "days": format_date_range(start, end)}
                )
        for child in self.recording:
            last = max(_chapter_seconds(child.value), default=0)
            if self.duration_minutes and last > self.duration_minutes * 60:
                warnings.append(
                    gettext(
                        "A chapter starts at %(time)s, after the session’s %(minutes)s minutes: "
                        "check the chapter times and the duration."
                    )
                    % {"time": format_timestamp(last), "minutes": self.duration_minutes}
                )
            url = child.value.get("url")
            if url and not child.value.get("video") and check_embed(url) == EMBED_UNREACHABLE:
                warnings.append(
                    gettext(
                        "The video provider could not be reached to check %(url)s. Saved "
                        "all the same: visitors see a link until the player can be loaded."
                    )
                    % {"url": url}
                )
        return warnings

    @classmethod
    def get_indexed_objects(cls):
        # Each session's conference title comes with it, not one query each.
        parent = Page.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen)
        )
        return (
            super()
            .get_indexed_objects()
            .annotate(
                _search_conference=Subquery(parent.values("title")[:1]),
                _search_conference_id=Subquery(parent.values("pk")[:1]),
            )
        )

    def search_conference(self):
        """The conference's title, for search."""
        title = getattr(self, "_search_conference", None)
        if title is None:
            parent = self.get_parent() if self.path else None
            title = parent.title if parent else ""
        return title

    def conference_id(self):
        """The conference's (parent page's) id, for search backends' facets."""
        pk = getattr(self, "_search_conference_id", None)
        if pk is None:
            parent = self.get_parent() if self.path else None
            pk = parent.pk if parent else None
        return pk

    def speaker_ids(self):
        """The speakers' ids, for search backends' facets."""
        return [link.speaker_id for link in self.session_speakers.all()]

    def indexes_gated_parts(self) -> bool:
        """Whether the entry being built holds the gated parts: a free session's
        does; a members-only session's only in the members' index, which its
        readers search (``models.members_text.full_text``)."""
        return not self.is_gated or getattr(self, "_pmolib_members_text", False)

    def search_notes(self):
        """The notes, for search; nothing for a members-only session
        (``indexes_gated_parts``: whoever searches finds it by its teaser)."""
        return self.notes if self.indexes_gated_parts() else ""

    def search_handouts(self):
        """Handout titles and descriptions and the text of their PDFs, for search.
        A private document's own title and text are left out (``documents.private_q``),
        and everything of a members-only session (``search_notes``).

        Kept on the instance: the indexer reads a field once per index column."""
        if not self.indexes_gated_parts():
            return ""
        if getattr(self, "_search_handouts", None) is None:
            self._search_handouts = self._read_handouts_text()
        return self._search_handouts

    def _read_handouts_text(self):
        from wagtail.documents import get_document_model

        from ..text import handouts_in, raw_stream_data
        from .documents import private_q

        handouts = handouts_in(raw_stream_data(self.body))
        ids = {h["document"] for h in handouts if h["document"]}
        documents = {}
        if ids:
            documents = {
                pk: (title, text or "")
                for pk, title, text in get_document_model()
                .objects.filter(pk__in=ids)
                .exclude(private_q())
                .values_list("pk", "title", "pmolib_text__text")
            }
        parts = []
        for handout in handouts:
            title = handout["title"] or documents.get(handout["document"], ("", ""))[0]
            parts += [title, handout["description"]]
        parts += [text for _title, text in documents.values()]
        return "\n".join(part for part in parts if part)

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
        """The speakers in their order, each with its photo and the photo's renditions."""
        if self.pk is None or "session_speakers" in getattr(self, "_cluster_related_objects", {}):
            # Unsaved, or edited in memory (a preview): modelcluster holds the links.
            links = self.session_speakers.select_related("speaker__photo")
            found = [link.speaker for link in links]
            prefetch_related_objects([s.photo for s in found if s.photo], "renditions")
            return found
        return speakers_of(self.pk, type(self)._meta.get_field("session_speakers").related_model)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        breadcrumbs = context["breadcrumbs"]
        conference = breadcrumbs[-1] if breadcrumbs else None
        if conference is not None:
            self.edition = conference.title  # reuse the breadcrumbs query

        # What the article needs beyond the page's own fields is computed only
        # if the article is rendered, not when it comes from the fragment cache.
        links = functools.cache(
            lambda: crosslinks(self, limit=pmolib_settings.RELATED_SESSIONS_LIMIT)
        )
        context.update(
            conference=conference,
            speakers=lambda: self.speakers,
            previous_session=lambda: links()["previous_session"],
            next_session=lambda: links()["next_session"],
            other_sessions=lambda: links()["other_sessions"],
            title_separator=pmolib_settings.TITLE_SEPARATOR,
            recording_section_id=RECORDING_SECTION_ID,
            notes_section_id=NOTES_SECTION_ID,
        )
        return context

    # --- Headless previews (``previews.py``) --------------------------------------

    @property
    def preview_modes(self):
        modes = super().preview_modes
        if pmolib_settings.HEADLESS_PREVIEW_CLIENT_URL:
            modes = [*modes, (HEADLESS_PREVIEW_MODE, _("Headless front end"))]
        return modes

    def serve_preview(self, request, mode_name):
        if mode_name != HEADLESS_PREVIEW_MODE or not pmolib_settings.HEADLESS_PREVIEW_CLIENT_URL:
            return super().serve_preview(request, mode_name)
        if self.pk is None or self.latest_revision_id is None:
            # The token names a stored revision: a page never saved has none.
            return HttpResponse(
                gettext("Save a draft first: the headless preview shows the latest saved draft."),
                content_type="text/plain; charset=utf-8",
            )
        token = previews.make_token(self.pk, self.latest_revision_id)
        url = previews.client_url(pmolib_settings.HEADLESS_PREVIEW_CLIENT_URL, type(self), token)
        return HttpResponseRedirect(url)

    @path("")
    def index_route(self, request, *args, **kwargs):
        from ..views import session_page_view  # a page's route imports its view (DESIGN.md)

        return session_page_view(request, self, *args, **kwargs)


class SessionPage(AbstractSessionPage):
    parent_page_types = ["wagtail_pmolib.ConferencePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")


def _chapter_seconds(recording):
    """Where each chapter of a recording block's value starts, in seconds."""
    for chapter in recording.get("chapters") or []:
        try:
            yield parse_timestamp(chapter.get("time") or "")
        except ValueError:
            continue
