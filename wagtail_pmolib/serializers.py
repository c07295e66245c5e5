"""Fields for Wagtail's API v2 (``api_fields``): useful JSON, not database ids."""

from rest_framework import serializers
from wagtail.images.api.fields import ImageRenditionField
from wagtail.rich_text import expand_db_html


class RichTextAPIField(serializers.Field):
    """Rich text as front-end HTML (internal links and embeds expanded)."""

    def to_representation(self, value):
        return expand_db_html(value or "")


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
