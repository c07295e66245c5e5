"""StreamField blocks: headings, handouts, recordings and friends.

Every block has an icon, a description, a preview value and its own template
under ``wagtail_pmolib/blocks/``, and, where its default JSON would be useless
to a headless front end (a document chooser gives only an id), its own API
representation. Host sites may use these blocks in their own StreamFields.

One module on purpose, although it is long: a block's import path is written
into every host migration that uses it (``ParagraphBlock``,
``validate_timestamp``), so these paths must not move.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.forms.utils import ErrorList
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents import get_document_model
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock, ImageChooserBlock

from .conf import pmolib_settings
from .documents import describe_document, file_type_label, human_size
from .recordings import (
    EMBED_NOT_FOUND,
    RecordingStatus,
    build_recording,
    check_embed,
    parse_timestamp,
)
from .richtext import is_blank

PREVIEW_TEMPLATE = "wagtail_pmolib/blocks/preview.html"

HEADING_LEVELS = [("h2", _("Heading 2")), ("h3", _("Heading 3")), ("h4", _("Heading 4"))]

RICH_TEXT_FEATURES = [
    "h2",
    "h3",
    "h4",
    "bold",
    "italic",
    "ol",
    "ul",
    "link",
    "document-link",
    "hr",
]

ANCHOR_HELP = _(
    "The id used in links to this heading (#…). Left blank, it is made from the "
    "heading when the page is saved, and then kept so links keep working."
)


class _EmptyChoicesCostNothing:
    """For a ``StructBlock``: an empty chooser (a recording without a poster, a
    handout without a cover) is left to the chooser's default, ``None``, instead of
    being passed to its ``bulk_to_python``, which builds and compiles a query (that
    it never runs) for a list of ids that are all empty. The compiling cost more
    than rendering the block."""

    @cached_property
    def _choosers(self):
        return [
            name
            for name, block in self.child_blocks.items()
            if isinstance(block, blocks.ChooserBlock) and block.get_default() is None
        ]

    def bulk_to_python(self, values):
        choosers = self._choosers
        values = [
            {k: v for k, v in value.items() if v is not None or k not in choosers}
            if any(value.get(name, 0) is None for name in choosers)
            else value
            for value in values
        ]
        return super().bulk_to_python(values)


def _prefetch_renditions(images):
    """One query for the renditions of all these images, whatever their number."""
    images = [image for image in images if image is not None]
    if images:
        prefetch_related_objects(images, "renditions")


def _is_private(document) -> bool:
    from .models.documents import is_private

    return is_private(document)


def _first_document():
    return get_document_model().objects.order_by("-created_at").first()


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=255)
    level = blocks.ChoiceBlock(choices=HEADING_LEVELS, default="h2", label=_("Level"))
    anchor = blocks.CharBlock(
        required=False, max_length=80, label=_("Anchor"), help_text=ANCHOR_HELP
    )

    class Meta:
        icon = "title"
        template = "wagtail_pmolib/blocks/heading_block.html"
        description = _("A section heading; it appears in the table of contents.")
        label = _("Heading")
        form_classname = "struct-block pmolib-heading-block"
        preview_template = PREVIEW_TEMPLATE
        # Not "Session Notes": the page adds that heading itself above the notes.
        preview_value = {"text": "Key takeaways", "level": "h2", "anchor": "key-takeaways"}

    def toc_heading(self, value):
        level = value.get("level") or "h2"
        return int(level[1]), value.get("text") or ""

    def get_api_representation(self, value, context=None):
        return {
            "text": value.get("text"),
            "level": int((value.get("level") or "h2")[1]),
            "anchor": value.get("anchor") or "",
        }


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    def render(self, value, context=None):
        # An editor left empty is an empty paragraph in Draftail's HTML: show nothing.
        return "" if is_blank(value.source) else super().render(value, context)

    class Meta:
        icon = "pilcrow"
        template = "wagtail_pmolib/blocks/paragraph_block.html"
        description = _("Rich text; its headings appear in the table of contents.")
        label = _("Paragraph")
        preview_template = PREVIEW_TEMPLATE
        preview_value = (
            "<h3>What the SORE framework is</h3><p>A framework that helps the PMO have "
            "better conversations with its stakeholders.</p>"
        )


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(required=False, max_length=255, label=_("Attribution"))

    class Meta:
        icon = "openquote"
        template = "wagtail_pmolib/blocks/quote_block.html"
        description = _("A quotation with an optional attribution.")
        label = _("Quote")
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "quote": (
                "If the PMO is going to step up, negotiation is one skill we could improve on."
            ),
            "attribution": "Session notes",
        }


class FigureBlock(_EmptyChoicesCostNothing, blocks.StructBlock):
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, max_length=255, label=_("Caption"))

    class Meta:
        icon = "image"
        template = "wagtail_pmolib/blocks/figure_block.html"
        description = _("An image with alt text and an optional caption.")
        label = _("Figure")
        preview_template = PREVIEW_TEMPLATE

    def bulk_to_python(self, values):
        result = super().bulk_to_python(values)
        _prefetch_renditions([value.get("image") for value in result])
        return result

    def get_preview_value(self):
        from wagtail.images import get_image_model

        image = get_image_model().objects.order_by("-created_at").first()
        if image is None:
            return None
        return self.to_python(
            {
                "image": {"image": image.pk, "decorative": False, "alt_text": image.title},
                "caption": image.title,
            }
        )


class HandoutDocumentChooserBlock(DocumentChooserBlock):
    """Wagtail's document chooser that also shows the chosen file's type and size
    ("The SORE Framework — PDF, 245 KB"), and refuses file types outside
    ``WAGTAIL_PMOLIB["HANDOUT_FILE_EXTENSIONS"]`` when that is set. The documents
    of a page's handouts are read with whether each is private, in one query."""

    def bulk_to_python(self, values):
        from .models.documents import documents_with_privacy  # the models import blocks

        # Wagtail's ChooserBlock.bulk_to_python, reading from documents_with_privacy.
        objects = documents_with_privacy(self.model_class, values)
        seen, result = set(), []
        for pk in values:
            obj = objects.get(pk)
            if obj is not None and pk in seen:
                obj = copy.copy(obj)  # one instance per use, as Wagtail's
            result.append(obj)
            seen.add(pk)
        return result

    @cached_property
    def widget(self):
        from wagtail.documents.widgets import AdminDocumentChooser

        class HandoutDocumentChooser(AdminDocumentChooser):
            def get_display_title(self, instance):
                info = describe_document(instance)
                return f"{instance} — {info}" if info else str(instance)

        return HandoutDocumentChooser()

    def clean(self, value):
        value = super().clean(value)
        allowed = pmolib_settings.HANDOUT_FILE_EXTENSIONS
        if value is not None and allowed:
            extension = value.file_extension.lower()
            if extension not in allowed:
                raise ValidationError(
                    _(
                        "“%(file)s” can’t be a handout: its type is %(kind)s. "
                        "Handouts may be: %(allowed)s."
                    )
                    % {
                        "file": value.filename,
                        "kind": file_type_label(extension) or _("unknown"),
                        "allowed": ", ".join(file_type_label(e) for e in allowed),
                    }
                )
        return value


class HandoutBlock(_EmptyChoicesCostNothing, blocks.StructBlock):
    document = HandoutDocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        required=False,
        max_length=255,
        label=_("Title"),
        help_text=_("Shown as the link text. Left blank, the document's title is used."),
    )
    description = blocks.TextBlock(required=False, label=_("Description"))
    cover = ImageChooserBlock(
        required=False,
        label=_("Cover image"),
        help_text=_("A picture of the handout's first page."),
    )

    class Meta:
        icon = "doc-full"
        template = "wagtail_pmolib/blocks/handout_block.html"
        description = _("A downloadable handout: a document with a title, description and cover.")
        label = _("Handout")
        preview_template = PREVIEW_TEMPLATE

    def bulk_to_python(self, values):
        result = super().bulk_to_python(values)
        _prefetch_renditions([value.get("cover") for value in result])
        return result

    def title_for(self, value) -> str:
        """The handout's link text: the editor's title, else the document's own
        title, unless the document is private (README, "Private documents on
        public pages"): its title is the document's, which visitors who may not
        download it do not read either. Empty when there is neither."""
        document = value.get("document")
        if value.get("title"):
            return value["title"]
        if document is None or _is_private(document):
            return ""
        return document.title

    def get_preview_value(self):
        document = _first_document()
        return self.to_python(
            {
                "document": document.pk if document else None,
                "title": "The SORE Framework",
                "description": "A one-page guide to better stakeholder conversations.",
            }
        )

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        document = value.get("document")
        request = context.get("request")
        context["document"] = document
        context["handout_title"] = self.title_for(value) or _("Handout")
        context["private"] = _is_private(document)
        context["document_info"] = describe_document(document)
        context["is_preview"] = bool(getattr(request, "is_preview", False))
        return context

    def get_api_representation(self, value, context=None):
        document = value.get("document")
        cover = value.get("cover")
        if document is None:
            return None
        private = _is_private(document)
        return {
            "title": self.title_for(value),
            "description": value.get("description") or "",
            "document": {
                "id": document.pk,
                "title": "" if private else document.title,
                # Private: Wagtail serves it only to visitors who pass its
                # collection's restriction (a front end may say so, as the page does).
                "private": private,
                "url": document.url,
                "file_type": file_type_label(document.file_extension),
                "file_extension": document.file_extension.lower(),
                "file_size": document.file_size,
                "file_size_display": human_size(document.file_size),
            },
            "cover": {"id": cover.pk, "title": cover.title} if cover is not None else None,
        }


class HandoutGroupBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=255, label=_("Heading"))
    anchor = blocks.CharBlock(
        required=False, max_length=80, label=_("Anchor"), help_text=ANCHOR_HELP
    )
    description = blocks.TextBlock(required=False, label=_("Description"))
    handouts = blocks.ListBlock(HandoutBlock(), min_num=1, label=_("Handouts"))

    class Meta:
        icon = "folder-open-inverse"
        template = "wagtail_pmolib/blocks/handout_group_block.html"
        description = _("Several handouts under one heading.")
        # "Handout" and "Handouts" looked alike in the block picker.
        label = _("Group of handouts")
        preview_template = PREVIEW_TEMPLATE

    def toc_heading(self, value):
        return 2, value.get("heading") or ""

    def get_preview_value(self):
        document = _first_document()
        return self.to_python(
            {
                "heading": "Handouts",
                "description": "Everything from the session to take away.",
                "handouts": [
                    {"document": document.pk if document else None, "title": "The SORE Framework"}
                ],
            }
        )

    def get_api_representation(self, value, context=None):
        handout_block = self.child_blocks["handouts"].child_block
        return {
            "heading": value.get("heading") or "",
            "anchor": value.get("anchor") or "",
            "description": value.get("description") or "",
            "handouts": [
                rep
                for rep in (
                    handout_block.get_api_representation(item, context)
                    for item in value.get("handouts") or []
                )
                if rep is not None
            ],
        }


def validate_timestamp(value):
    try:
        parse_timestamp(value)
    except ValueError:
        raise ValidationError(
            _("Enter a time as m:ss or h:mm:ss, for example 4:05 or 1:02:30.")
        ) from None


class ChapterBlock(blocks.StructBlock):
    time = blocks.CharBlock(
        max_length=10,
        label=_("Starts at"),
        help_text=_("m:ss or h:mm:ss"),
        validators=[validate_timestamp],
    )
    title = blocks.CharBlock(max_length=255, label=_("Title"))

    class Meta:
        icon = "time"
        label = _("Chapter")
        description = _("A point in the recording visitors can jump to.")
        preview_value = {"time": "4:30", "title": "The SORE framework"}


class RecordingBlock(_EmptyChoicesCostNothing, blocks.StructBlock):
    url = blocks.URLBlock(
        required=False,
        label=_("Video URL"),
        help_text=_("A YouTube or Vimeo link (any provider Wagtail's embeds support)."),
    )
    video = DocumentChooserBlock(
        required=False,
        label=_("Video or audio file"),
        help_text=_("A self-hosted recording, used instead of the video URL."),
    )
    captions = DocumentChooserBlock(
        required=False, label=_("Captions"), help_text=_("A WebVTT (.vtt) file for the video file.")
    )
    poster = ImageChooserBlock(
        required=False,
        label=_("Poster image"),
        help_text=_("Shown until the visitor starts the video."),
    )
    status = blocks.ChoiceBlock(
        choices=RecordingStatus.choices,
        default=RecordingStatus.FULL,
        label=_("Recording rights"),
    )
    available_from = blocks.DateBlock(
        required=False,
        label=_("Available from"),
        help_text=_("For embargoed recordings: the day the recording may be shown."),
    )
    notice = blocks.TextBlock(
        required=False,
        label=_("Public notice"),
        help_text=_(
            "Shown above the player, e.g. why only a shortened version is available. "
            "Left blank, a standard notice for the rights status is shown."
        ),
    )
    # default=[]: a new recording starts with no chapters (ListBlock's own default
    # is one empty child, which Publish then rejects as "This field is required").
    chapters = blocks.ListBlock(ChapterBlock(), required=False, default=[], label=_("Chapters"))

    class Meta:
        icon = "media"
        template = "wagtail_pmolib/blocks/recording_block.html"
        description = _(
            "A session recording with its rights notice and chapters; the provider's "
            "player loads only when the visitor asks for it."
        )
        label = _("Recording")
        form_classname = "struct-block pmolib-recording-block"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "status": RecordingStatus.SHORTENED,
            "notice": (
                "The original recording from the conference cannot be used due to "
                "performance rights, in this article, you'll find a shortened version."
            ),
            "chapters": [
                {"time": "0:00", "title": "Introduction"},
                {"time": "4:30", "title": "The SORE framework"},
            ],
        }

    def bulk_to_python(self, values):
        result = super().bulk_to_python(values)
        _prefetch_renditions([value.get("poster") for value in result])
        return result

    def clean(self, value):
        errors = {}
        try:
            value = super().clean(value)
        except blocks.StructBlockValidationError as exc:
            errors.update(exc.block_errors)
        status = value.get("status")
        if status not in (RecordingStatus.UNAVAILABLE, RecordingStatus.EMBARGOED) and not (
            value.get("url") or value.get("video")
        ):
            errors.setdefault(
                "url",
                ErrorList(
                    [
                        ValidationError(
                            _(
                                "Give a video URL or a video file, "
                                "or set the rights to “Not available”."
                            )
                        )
                    ]
                ),
            )
        if status == RecordingStatus.EMBARGOED and not value.get("available_from"):
            errors.setdefault(
                "available_from",
                ErrorList(
                    [
                        ValidationError(
                            _("An embargoed recording needs the date it becomes available.")
                        )
                    ]
                ),
            )
        captions = value.get("captions")
        if captions is not None and captions.file_extension.lower() != "vtt":
            errors.setdefault(
                "captions",
                ErrorList([ValidationError(_("Captions must be a WebVTT file ending in .vtt."))]),
            )
        if "chapters" not in errors:
            chapter_errors = _chapter_order_errors(value.get("chapters") or [])
            if chapter_errors:
                errors["chapters"] = blocks.list_block.ListBlockValidationError(
                    block_errors=chapter_errors
                )
        url = value.get("url")
        if url and not value.get("video") and "url" not in errors:
            if not _embeddable(url):
                message = _("This URL is not from a video provider Wagtail can embed.")
            elif check_embed(url) == EMBED_NOT_FOUND:
                # An unreachable provider only warns (after the save, see
                # AbstractSessionPage.get_editor_warnings): it must not block editors.
                message = _(
                    "The video provider found no video at this URL. "
                    "Check the link, for example the video id."
                )
            else:
                message = None
            if message:
                errors["url"] = ErrorList([ValidationError(message)])
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        # The session page's ``access`` (``access.members.Access``) says whether an
        # embargo holds for this visitor; the article's cache key holds it too.
        early = bool(getattr(context.get("access"), "early_recordings", False))
        context["recording"] = build_recording(value, early=early)
        context["poster"] = value.get("poster")
        return context

    def get_api_representation(self, value, context=None):
        early = bool((context or {}).get("pmolib_early_recordings"))
        recording = build_recording(value, resolve=False, early=early)
        poster = value.get("poster")
        return {
            "status": recording.status,
            "status_display": str(RecordingStatus(recording.status).label),
            "notice": recording.notice,
            "playable": recording.playable,
            "kind": recording.kind,
            "url": recording.url if recording.playable else "",
            "file_url": recording.file_url,
            "captions_url": recording.captions_url,
            "available_from": (
                recording.available_from.isoformat() if recording.available_from else None
            ),
            "poster": {"id": poster.pk, "title": poster.title} if poster is not None else None,
            "chapters": [
                {"seconds": c.seconds, "label": c.label, "title": c.title, "url": c.href}
                for c in recording.chapters
            ],
        }


def _chapter_order_errors(chapters) -> dict:
    """Chapters run forwards: each starts after the one above it. Errors keyed by
    the index of each chapter that doesn't, on its time."""
    errors, previous = {}, None
    for index, chapter in enumerate(chapters):
        try:
            seconds = parse_timestamp(chapter.get("time") or "")
        except ValueError:
            continue  # the time's own validator has said why
        if previous is not None and seconds <= previous[0]:
            errors[index] = blocks.StructBlockValidationError(
                block_errors={
                    "time": ValidationError(
                        _("Starts at or before the chapter above it (%(time)s).")
                        % {"time": previous[1]}
                    )
                }
            )
        else:
            previous = (seconds, chapter.get("time"))
    return errors


def _embeddable(url):
    """Whether one of Wagtail's configured embed finders accepts ``url`` (no network)."""
    from wagtail.embeds.finders import get_finders

    return any(finder.accept(url) for finder in get_finders())


class SessionBodyBlock(blocks.StreamBlock):
    """The blocks editors use in a session's body."""

    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    handout = HandoutBlock()
    handouts = HandoutGroupBlock()
    figure = FigureBlock()
    quote = QuoteBlock()

    class Meta:
        block_counts = {}


class RecordingStreamBlock(blocks.StreamBlock):
    recording = RecordingBlock()

    class Meta:
        max_num = 1


__all__ = [
    "ChapterBlock",
    "FigureBlock",
    "HandoutBlock",
    "HandoutGroupBlock",
    "HeadingBlock",
    "ParagraphBlock",
    "QuoteBlock",
    "RecordingBlock",
    "RecordingStreamBlock",
    "SessionBodyBlock",
]
