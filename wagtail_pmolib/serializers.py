"""Fields for Wagtail's API v2 (``api_fields``): useful JSON, not database ids."""

from rest_framework import serializers
from wagtail.api.rich_text import APIRichText
from wagtail.images.api.fields import ImageRenditionField


class RichTextAPIField(serializers.Field):
    """Rich text fields in the format Wagtail's API uses for rich text blocks.

    That is ``WAGTAILAPI_RICH_TEXT_FORMAT`` (Wagtail's default is database HTML;
    set it to ``"html"`` for front-end HTML), or a request's ``?rich_text_format=``,
    so fields and StreamField paragraphs always agree.
    """

    def to_representation(self, value):
        request = self.context.get("request")
        asked = request.GET.get("rich_text_format") if request is not None else None
        return APIRichText.serialize(value or "", format=APIRichText.resolve_format(asked))


class ThemeAPIField(serializers.Field):
    def to_representation(self, theme):
        if theme is None:
            return None
        return {"id": theme.pk, "name": theme.name}


class SpeakerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    role = serializers.CharField()
    organisation = serializers.CharField()
    bio = serializers.CharField()
    photo = ImageRenditionField("fill-240x240", allow_null=True)


class SpeakerAPIField(serializers.Field):
    def to_representation(self, speakers):
        return SpeakerSerializer(speakers, many=True).data


# --- Members-only sessions ----------------------------------------------------------
# A members-only session's gated parts (recording, body, notes) go only to callers
# who may read them; others get its teaser (README, "Members-only sessions"). The
# rule is ``access.members`` (L3), asked when a field is serialized, as a page's
# route imports its view (tests/test_layering.py lists these exceptions).

_GATED = object()


def _access(field, page):
    from .access.members import access_for

    return access_for(field.context.get("request"), page)


class _Gated:
    """A field of a session's gated parts: ``empty`` for callers without access."""

    empty = None
    needs = "full"  # the ``Access`` attribute that must be true

    def get_attribute(self, instance):
        if not getattr(_access(self, instance), self.needs):
            return _GATED
        return super().get_attribute(instance)

    def to_representation(self, value):
        if value is _GATED:
            return self.empty() if callable(self.empty) else self.empty
        return super().to_representation(value)


class StreamAPIField(serializers.Field):
    """A StreamField as Wagtail's API v2 gives it (``wagtail.api.v2.serializers.
    StreamField``, which cannot be imported while models load)."""

    def to_representation(self, value):
        return value.stream_block.get_api_representation(value, self.context)


class GatedStreamAPIField(_Gated, StreamAPIField):
    """A StreamField as Wagtail's API gives it; ``[]`` without access. An embargo
    with a date does not hold for a member when ``RECORDING_EMBARGO`` says so."""

    empty = list

    def get_attribute(self, instance):
        # DRF serializes one page's fields in turn: what this page's value needs.
        self._early = getattr(_access(self, instance), "early_recordings", False)
        return super().get_attribute(instance)

    def to_representation(self, value):
        if value is _GATED:
            return []
        context = {**self.context, "pmolib_early_recordings": self._early}
        return value.stream_block.get_api_representation(value, context)


class GatedRichTextAPIField(_Gated, RichTextAPIField):
    """A rich text field (``RichTextAPIField``); ``""`` without access."""

    empty = ""


class TeaserTableOfContentsAPIField(_Gated, serializers.Field):
    """The table of contents, for teasers too unless ``TEASER_TABLE_OF_CONTENTS``
    is off."""

    empty = list
    needs = "show_toc"

    def to_representation(self, value):
        if value is _GATED:
            return []
        return value


class AccessAPIField(serializers.Field):
    """``{"level", "full", "sign_in_url", "join_url"}`` of the caller's access to the
    page (``source="*"``: the page itself)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page):
        found = _access(self, page).as_dict()
        request = self.context.get("request")
        for key in ("sign_in_url", "join_url"):
            if found[key] and request is not None and found[key].startswith("/"):
                found[key] = request.build_absolute_uri(found[key])
        return found
