"""A stand-in for YouTube's and Vimeo's oEmbed endpoints: the suite makes no network call.

URLs containing "unreachable" fail as a provider outage would; URLs containing
"missing" get the provider's 404, as a mistyped video id does.
"""

from urllib.parse import parse_qs, urlsplit

import requests
from wagtail.embeds.exceptions import EmbedNotFoundException
from wagtail.embeds.finders.base import EmbedFinder

CALLS = []


class StubOEmbedFinder(EmbedFinder):
    def __init__(self, **options):
        self.options = options

    def accept(self, url):
        host = urlsplit(url).netloc.lower()
        return any(name in host for name in ("youtube.com", "youtu.be", "vimeo.com"))

    def find_embed(self, url, max_width=None, max_height=None):
        CALLS.append(url)
        if "unreachable" in url:
            raise EmbedNotFoundException(f"stub provider is down for {url}")
        if "missing" in url:
            # What Wagtail's oEmbed finder raises for the provider's 404.
            response = requests.Response()
            response.status_code = 404
            try:
                raise requests.HTTPError("404 Client Error: Not Found", response=response)
            except requests.HTTPError as exc:
                raise EmbedNotFoundException(f"Request failed: {exc}") from exc
        parts = urlsplit(url)
        if "vimeo" in parts.netloc:
            video_id = parts.path.strip("/").split("/")[-1]
            src = f"https://player.vimeo.com/video/{video_id}"
            provider = "Vimeo"
        else:
            video_id = parse_qs(parts.query).get("v", [parts.path.strip("/")])[0]
            src = f"https://www.youtube.com/embed/{video_id}?feature=oembed"
            provider = "YouTube"
        return {
            "title": f"Stub video {video_id}",
            "author_name": "Stub",
            "provider_name": provider,
            "type": "video",
            "thumbnail_url": f"https://img.example.invalid/{video_id}.jpg",
            "width": 640,
            "height": 360,
            "html": f'<iframe width="640" height="360" src="{src}" title="Stub video {video_id}" '
            'frameborder="0" allowfullscreen></iframe>',
        }
