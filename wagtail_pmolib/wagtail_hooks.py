from wagtail.snippets.models import register_snippet

from .viewsets import SpeakerViewSet

register_snippet(SpeakerViewSet)
