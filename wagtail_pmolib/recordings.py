"""Recordings: rights status, public notices, chapters and safe embeds.

Plain Python used by the recording block's template context and its API
representation, so HTML and JSON never disagree.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.cache import cache
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .conf import pmolib_settings

logger = logging.getLogger(__name__)


class RecordingStatus(models.TextChoices):
    FULL = "full", gettext_lazy("Full recording")
    SHORTENED = "shortened", gettext_lazy("Shortened edit")
    AUDIO = "audio", gettext_lazy("Audio only")
    UNAVAILABLE = "unavailable", gettext_lazy("Not available")
    EMBARGOED = "embargoed", gettext_lazy("Embargoed until a date")


DEFAULT_NOTICES = {
    RecordingStatus.SHORTENED: gettext_lazy(
        "This is a shortened version of the original recording."
    ),
    RecordingStatus.AUDIO: gettext_lazy("Only the audio of this session was recorded."),
    RecordingStatus.UNAVAILABLE: gettext_lazy("The recording of this session is not available."),
}

TIME_RE = re.compile(r"^\s*(?:(\d+):)?([0-5]?\d):([0-5]\d)\s*$")


def parse_timestamp(text: str) -> int:
    """Seconds from "m:ss", "mm:ss" or "h:mm:ss". Raises ValueError otherwise."""
    match = TIME_RE.match(text or "")
    if not match:
        raise ValueError(text)
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_timestamp(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def provider_of(kind: str, url: str) -> str:
    """Who plays a recording: "youtube", "vimeo" or another provider's host name
    for an embed, "file" for a self-hosted file, "" when nothing plays."""
    if kind in ("video", "audio"):
        return "file"
    if kind != "embed":
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:  # a malformed address (e.g. an unclosed "[")
        return ""
    if "youtube" in host or host.endswith("youtu.be"):
        return "youtube"
    if "vimeo" in host:
        return "vimeo"
    return host


def url_at_time(url: str, seconds: int) -> str:
    """The provider URL that starts playing at ``seconds`` (YouTube ``t=``, Vimeo ``#t=``)."""
    parts = urlsplit(url)
    provider = provider_of("embed", url)
    if provider == "youtube":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("t", "start")]
        query.append(("t", str(seconds)))
        return urlunsplit(parts._replace(query=urlencode(query)))
    if provider == "vimeo":
        return urlunsplit(parts._replace(fragment=f"t={seconds}s"))
    return url


@dataclass
class Chapter:
    seconds: int
    title: str
    href: str

    @property
    def label(self):
        return format_timestamp(self.seconds)


@dataclass
class EmbedResult:
    html: str
    title: str = ""
    provider_name: str = ""


@dataclass
class Recording:
    """What a visitor gets for a recording block value."""

    status: str
    notice: str
    playable: bool
    kind: str  # "embed", "video", "audio" or "" (nothing to play)
    url: str = ""
    file_url: str = ""
    captions_url: str = ""
    embed: EmbedResult | None = None
    chapters: list[Chapter] = field(default_factory=list)
    available_from: datetime.date | None = None

    @property
    def fallback(self) -> bool:
        """A provider URL whose player could not be looked up: show a plain link."""
        return self.kind == "embed" and self.embed is None


def _cache_key(url: str) -> str:
    return "wagtail_pmolib:embed:" + hashlib.sha256(url.encode()).hexdigest()


FAILED = "failed"


def resolve_embed(url: str) -> EmbedResult | None:
    """The provider's player for ``url``, or ``None`` when it cannot be had.

    Wagtail's embed finders do the lookup and store it in the database; the
    result is also kept in Django's cache for ``EMBED_CACHE_TIMEOUT`` seconds so
    a page view usually costs no query for it. A failure (no network, provider
    down, unsupported URL) is logged, remembered for ``EMBED_FAILURE_TIMEOUT``
    seconds and answered with ``None``: the page then shows a plain link
    instead of an empty box.
    """
    from wagtail.embeds.embeds import get_embed

    if not url:
        return None
    key = _cache_key(url)
    cached = cache.get(key)
    if cached == FAILED:
        return None
    if cached is not None:
        return cached
    try:
        embed = get_embed(url)
    except Exception as exc:  # any failure must degrade to a link, never a 500
        logger.warning("oEmbed lookup failed for %s: %s", url, exc)
        if pmolib_settings.EMBED_FAILURE_TIMEOUT:
            cache.set(key, FAILED, pmolib_settings.EMBED_FAILURE_TIMEOUT)
        return None
    if not embed.html:
        return None
    result = EmbedResult(
        html=embed.html, title=embed.title or "", provider_name=embed.provider_name or ""
    )
    if pmolib_settings.EMBED_CACHE_TIMEOUT:
        cache.set(key, result, pmolib_settings.EMBED_CACHE_TIMEOUT)
    return result


EMBED_OK = "ok"
EMBED_NOT_FOUND = "not-found"
EMBED_UNREACHABLE = "unreachable"


def _provider_refused(exc: BaseException) -> bool:
    """Whether a failed lookup was the provider answering "no such video" (a 4xx
    such as YouTube's 404 for a mistyped id), not a network or server failure.
    Wagtail's oEmbed finder raises ``EmbedNotFoundException`` from the
    ``requests`` error, whose response carries the status."""
    cause = exc.__cause__ or exc.__context__
    response = getattr(cause, "response", None)
    status = getattr(response, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)


def check_embed(url: str) -> str:
    """Look ``url`` up for an editor saving it: ``EMBED_OK``, ``EMBED_NOT_FOUND``
    (the provider says there is no such video) or ``EMBED_UNREACHABLE`` (no
    answer; remembered like a visitor's failed lookup, so a second save within
    ``EMBED_FAILURE_TIMEOUT`` does not wait on the provider again)."""
    from wagtail.embeds.embeds import get_embed
    from wagtail.embeds.exceptions import EmbedUnsupportedProviderException

    key = _cache_key(url)
    cached = cache.get(key)
    if cached == FAILED:
        return EMBED_UNREACHABLE
    if cached is not None:
        return EMBED_OK
    try:
        embed = get_embed(url)
    except EmbedUnsupportedProviderException:
        return EMBED_NOT_FOUND
    except Exception as exc:  # the editor's save must never fail on the provider
        if _provider_refused(exc):
            return EMBED_NOT_FOUND
        logger.warning("oEmbed lookup failed for %s: %s", url, exc)
        if pmolib_settings.EMBED_FAILURE_TIMEOUT:
            cache.set(key, FAILED, pmolib_settings.EMBED_FAILURE_TIMEOUT)
        return EMBED_UNREACHABLE
    return EMBED_OK if embed.html else EMBED_NOT_FOUND


def notice_for(status: str, custom_notice: str, available_from=None) -> str:
    if custom_notice and custom_notice.strip():
        return custom_notice.strip()
    if status == RecordingStatus.EMBARGOED and available_from:
        return _("The recording will be available from %(date)s.") % {
            "date": date_format(available_from, "DATE_FORMAT")
        }
    if status == RecordingStatus.EMBARGOED:
        return _("The recording is not available yet.")
    default = DEFAULT_NOTICES.get(status)
    return str(default) if default else ""


def build_recording(value, *, resolve=True, today=None, early=False) -> Recording:
    """Turn a ``RecordingBlock`` value into what a visitor gets.

    ``resolve=False`` skips the oEmbed lookup (the API reports URLs only);
    ``early``: an embargo with a date does not hold for this visitor (a member,
    with ``RECORDING_EMBARGO = "non-members"``).
    """
    status = value.get("status") or RecordingStatus.FULL
    available_from = value.get("available_from")
    today = today or timezone.localdate()
    embargoed = status == RecordingStatus.EMBARGOED and (
        available_from is None or (available_from > today and not early)
    )
    playable = status != RecordingStatus.UNAVAILABLE and not embargoed
    # Once an embargo has passed the notice about it is no longer true.
    if status == RecordingStatus.EMBARGOED and not embargoed:
        notice = (value.get("notice") or "").strip()
    else:
        notice = notice_for(status, value.get("notice") or "", available_from)

    url = value.get("url") or ""
    video = value.get("video")
    captions = value.get("captions")
    recording = Recording(
        status=status,
        notice=notice,
        playable=playable,
        kind="",
        url=url,
        available_from=available_from if status == RecordingStatus.EMBARGOED else None,
    )
    if not playable:
        return recording
    if video is not None:
        recording.kind = "audio" if status == RecordingStatus.AUDIO else "video"
        recording.file_url = video.url
        recording.captions_url = captions.url if captions is not None else ""
    elif url:
        recording.kind = "embed"
        if resolve:
            recording.embed = resolve_embed(url)
    else:
        recording.playable = False
        return recording

    for chapter in value.get("chapters") or []:
        try:
            seconds = parse_timestamp(chapter.get("time"))
        except ValueError:
            continue
        if recording.kind == "embed":
            href = url_at_time(url, seconds)
        else:
            href = f"{recording.file_url}#t={seconds}"
        recording.chapters.append(
            Chapter(seconds=seconds, title=chapter.get("title") or "", href=href)
        )
    recording.chapters.sort(key=lambda c: c.seconds)
    return recording
