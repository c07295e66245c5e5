"""Models → the API's answers: links, images, speakers, conferences, session lists.

A thin layer: what a page shows is computed by the models, blocks and services the
HTML uses (``full_title``, ``date_range``, ``role_line``, ``table_of_contents``,
the rating ``Summary``), and only put into JSON here, with absolute URLs. Lists
cost the same few queries whatever their length.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.urls import NoReverseMatch, reverse
from wagtail.api.utils import get_base_url
from wagtail.images.models import SourceImageIOError
from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from ..conf import pmolib_settings
from ..feedback.summary import Summary
from ..models import RatingSummary
from ..models.pages import prefetch_speakers

logger = logging.getLogger(__name__)

# A URL of this site without its scheme and host, in an attribute of a tag.
_LOCAL_URL = re.compile(r"""(<[a-zA-Z][^>]*?\s(?:href|src)=")/(?!/)""")

# The columns a link to a page needs (its title and its address).
PAGE_LINK_FIELDS = ("title", "slug", "url_path", "depth", "path", "locale_id")


class Presenter:
    """Turns models into the API's JSON for one request (absolute URLs need the
    request's site; the API's own URLs, the namespace it is mounted under)."""

    def __init__(self, request):
        self.request = request
        self.base = get_base_url(request) or ""
        match = getattr(request, "resolver_match", None)
        self.namespace = match.namespace if match is not None else ""
        self._expanded: dict[str, str] = {}  # rich text source → front-end HTML

    # --- Addresses -------------------------------------------------------------

    def absolute(self, url: str | None) -> str | None:
        if not url:
            return None
        if url.startswith(("http://", "https://")):
            return url
        if url.startswith("//"):
            return f"{self.base.split('://')[0]}:{url}" if self.base else url
        return f"{self.base}{url}"

    def html(self, source: str | None) -> str:
        """Rich text as a front end shows it: Wagtail's links and embeds resolved
        (as the ``richtext`` filter does), addresses of this site made absolute."""
        if not source:
            return ""
        if source not in self._expanded:
            self.prepare_html([source])
        return self._expanded[source]

    def prepare_html(self, sources) -> None:
        """Resolve the links of all these rich texts at once: Wagtail looks up the
        pages and documents of one piece of HTML together, so a page with many
        paragraphs costs the same queries as a page with one."""
        sources = [s for s in dict.fromkeys(sources) if s and s not in self._expanded]
        if not sources:
            return
        # A marker no stored rich text holds (Wagtail leaves comments as they are).
        marker = f"<!--pmolib-{uuid.uuid4().hex}-->"
        expanded = expand_db_html(marker.join(sources)).split(marker)
        for source, html in zip(sources, expanded, strict=True):
            self._expanded[source] = _LOCAL_URL.sub(lambda m: f"{m.group(1)}{self.base}/", html)

    def api_url(self, name: str, pk) -> str | None:
        """The API's own address for an object, in whichever API it is mounted."""
        prefix = f"{self.namespace}:" if self.namespace else ""
        try:
            return self.absolute(reverse(f"{prefix}{name}", kwargs={"id": pk}))
        except NoReverseMatch:
            return None

    def page_url(self, page) -> str | None:
        return self.absolute(page.get_url(self.request))

    def link(self, page, api_name: str | None) -> dict:
        return {
            "id": page.pk,
            "title": page.title,
            "url": self.page_url(page),
            "api_url": self.api_url(api_name, page.pk) if api_name else None,
        }

    # --- Images ------------------------------------------------------------------

    def image(self, image, kind: str, alt: str = "") -> dict | None:
        """An image with the renditions ``API_RENDITIONS`` allows for ``kind``
        (made once, as the page's ``{% image %}`` tags make theirs)."""
        if image is None:
            return None
        renditions = {}
        for spec in pmolib_settings.API_RENDITIONS[kind]:
            try:
                rendition = image.get_rendition(spec)
            except SourceImageIOError:
                # The file is gone: the page shows no picture, so no rendition here.
                logger.warning("Image %s has no file; no %s rendition", image.pk, spec)
                continue
            renditions[spec] = {
                "url": self.absolute(rendition.url),
                "width": rendition.width,
                "height": rendition.height,
            }
        return {
            "id": image.pk,
            "title": image.title,
            "alt": alt,
            "width": image.width,
            "height": image.height,
            "renditions": renditions,
        }

    # --- Speakers ----------------------------------------------------------------

    def speaker_ref(self, speaker) -> dict:
        return {
            "id": speaker.pk,
            "name": speaker.name,
            "slug": speaker.slug,
            "api_url": self.api_url("pmolib_speaker", speaker.pk),
        }

    def speaker(self, speaker) -> dict:
        """A speaker as the session page shows one (the photo is decorative there:
        the name is beside it)."""
        return {
            **self.speaker_ref(speaker),
            "role": speaker.role,
            "organisation": speaker.organisation,
            "role_line": speaker.role_line,
            "bio": speaker.bio,
            "photo": self.image(speaker.photo, "photo"),
        }

    # --- Conferences and libraries ----------------------------------------------

    def theme(self, theme) -> dict:
        return {"id": theme.pk, "name": theme.name, "description": theme.description}

    def conference(self, conference, library=None) -> dict:
        """``library``: the library's page, when the caller may see it."""
        return {
            **self.link(conference, "pmolib_conference"),
            "start_date": conference.start_date,
            "end_date": conference.end_date,
            "date_range": conference.date_range,
            "venue": conference.venue,
            "city": conference.city,
            "themes": [self.theme(theme) for theme in conference.themes.all()],
            "library": self.link(library, "pmolib_library") if library is not None else None,
            "updated_at": conference.last_published_at,
        }

    def library(self, library) -> dict:
        return {**self.link(library, "pmolib_library"), "updated_at": library.last_published_at}

    # --- Sessions ------------------------------------------------------------------

    def session_summaries(self, sessions) -> list[dict]:
        """Sessions as lists show them, with their speakers, conferences and
        rating counts: four queries whatever their number."""
        sessions = prefetch_speakers(sessions)
        if not sessions:
            return []
        steplen = Page.steplen
        parents = {
            page.path: page
            for page in Page.objects.filter(
                path__in={session.path[:-steplen] for session in sessions}
            ).only(*PAGE_LINK_FIELDS)
        }
        ratings = {
            row.page_id: Summary.from_model(row)
            for row in RatingSummary.objects.filter(page_id__in=[s.pk for s in sessions])
        }
        items = []
        for session in sessions:
            parent = parents.get(session.path[:-steplen])
            if parent is not None:
                session.edition = parent.title  # full_title without another query
            rating = ratings.get(session.pk) or Summary()
            items.append(
                {
                    **self.link(session, "pmolib_session"),
                    "full_title": session.full_title,
                    "slug": session.slug,
                    "conference": self.link(parent, "pmolib_conference") if parent else None,
                    "theme": self.theme_ref(session.theme),
                    "starts_at": session.starts_at,
                    "duration_minutes": session.duration_minutes,
                    "speakers": [self.speaker_ref(s) for s in session.speaker_list],
                    "has_recording": session.has_recording,
                    "has_handouts": session.has_handouts,
                    "access": session.access_effective,
                    "rating": {"count": rating.count, "average": _rounded(rating.average)},
                    "first_published_at": session.first_published_at,
                    "updated_at": session.last_published_at,
                }
            )
        return items

    def theme_ref(self, theme) -> dict | None:
        return {"id": theme.pk, "name": theme.name} if theme is not None else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
