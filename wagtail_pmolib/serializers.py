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
