"""Recordings: rights notices, chapters, safe embeds (wagtail_pmolib.recordings, RecordingBlock)."""

import datetime
import io
import logging

import pytest
from bs4 import BeautifulSoup
from django.core.files.images import ImageFile
from django.test import override_settings
from wagtail.blocks import StructBlockValidationError
from wagtail.embeds.models import Embed
from wagtail.images import get_image_model

from tests import embed_finders
from tests.conftest import SEED_NOTICE
from wagtail_pmolib.blocks import RecordingBlock
from wagtail_pmolib.recordings import (
    DEFAULT_NOTICES,
    RecordingStatus,
    build_recording,
    format_timestamp,
    parse_timestamp,
    resolve_embed,
    url_at_time,
)

YOUTUBE = "https://www.youtube.com/watch?v=seed123"
VIMEO = "https://vimeo.com/76979871"
UNREACHABLE = "https://www.youtube.com/watch?v=unreachable"
THIRD_PARTY_HOSTS = (
    "youtube.com",
    "youtube-nocookie.com",
    "ytimg.com",
    "vimeo.com",
    "vimeocdn.com",
)
TODAY = datetime.date(2024, 6, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finder_calls():
    embed_finders.CALLS.clear()
    yield embed_finders.CALLS
    embed_finders.CALLS.clear()


@pytest.fixture
def block():
    return RecordingBlock()


def value_of(block, **fields):
    """A RecordingBlock value as it comes out of the database."""
    raw = {"url": "", "status": "full", "notice": "", "chapters": []}
    raw.update(fields)
    for name in ("video", "captions", "poster"):
        if raw.get(name) is not None and not isinstance(raw[name], int):
            raw[name] = raw[name].pk
    return block.to_python(raw)


def chapters(*pairs):
    return [{"time": time, "title": title} for time, title in pairs]


def make_image(title="Poster"):
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (320, 180), "teal").save(buffer, "PNG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.lower()}.png")
    )


def outside_templates(html):
    """The markup a browser shows before any script runs: <template> content is inert."""
    soup = BeautifulSoup(html, "html.parser")
    for template in soup.find_all("template"):
        template.decompose()
    return soup


def third_party_resources(soup):
    """Attributes that would make the browser fetch from a video provider on page load."""
    found = []
    for tag in soup.find_all(True):
        for attr in ("src", "srcset", "poster", "data", "style"):
            value = tag.get(attr) or ""
            if any(host in value for host in THIRD_PARTY_HOSTS):
                found.append((tag.name, attr, value))
        if tag.name == "link" and any(
            host in (tag.get("href") or "") for host in THIRD_PARTY_HOSTS
        ):
            found.append((tag.name, "href", tag["href"]))
    return found


# --- timestamps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00", 0),
        ("0:59", 59),
        ("4:05", 245),
        ("04:05", 245),
        ("59:59", 3599),
        ("1:02:30", 3750),
        ("10:00:00", 36000),
        (" 4:30 ", 270),
    ],
)
def test_parse_timestamp(text, seconds):
    assert parse_timestamp(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", None, "soon", "4", "4:5", "4:60", "1:60:00", "1:2:3", "-1:00", "4:05:", "4.05", "1h30"],
)
def test_parse_timestamp_rejects_other_text(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (5, "0:05"),
        (59, "0:59"),
        (245, "4:05"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3750, "1:02:30"),
    ],
)
def test_format_timestamp(seconds, text):
    assert format_timestamp(seconds) == text
    assert parse_timestamp(text) == seconds


# --- url_at_time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=abc", "https://www.youtube.com/watch?v=abc&t=90"),
        ("https://www.youtube.com/watch?v=abc&t=30", "https://www.youtube.com/watch?v=abc&t=90"),
        ("https://www.youtube.com/watch?t=30s&v=abc", "https://www.youtube.com/watch?v=abc&t=90"),
        (
            "https://www.youtube.com/watch?v=abc&start=30",
            "https://www.youtube.com/watch?v=abc&t=90",
        ),
        ("https://m.youtube.com/watch?v=abc", "https://m.youtube.com/watch?v=abc&t=90"),
        ("https://youtu.be/abc", "https://youtu.be/abc?t=90"),
        ("https://youtu.be/abc?t=12", "https://youtu.be/abc?t=90"),
        ("https://vimeo.com/76979871", "https://vimeo.com/76979871#t=90s"),
        ("https://vimeo.com/76979871#t=12s", "https://vimeo.com/76979871#t=90s"),
        ("https://example.com/talk.mp4", "https://example.com/talk.mp4"),
    ],
)
def test_url_at_time(url, expected):
    assert url_at_time(url, 90) == expected


# --- build_recording: rights statuses -------------------------------------------------


def test_full_recording(block):
    recording = build_recording(value_of(block, url=YOUTUBE), today=TODAY)
    assert recording.playable
    assert recording.kind == "embed"
    assert recording.notice == ""
    assert recording.embed is not None
    assert recording.embed.provider_name == "YouTube"


def test_shortened_recording_gets_the_standard_notice(block):
    recording = build_recording(value_of(block, url=YOUTUBE, status="shortened"), today=TODAY)
    assert recording.playable
    assert recording.notice == str(DEFAULT_NOTICES[RecordingStatus.SHORTENED])
    assert "shortened" in recording.notice


def test_shortened_recording_with_the_seed_notice(block):
    value = value_of(block, url=YOUTUBE, status="shortened", notice=f"  {SEED_NOTICE}\n")
    recording = build_recording(value, today=TODAY)
    assert recording.playable
    assert recording.notice == SEED_NOTICE


def test_audio_only_recording(block, make_document):
    audio = make_document(
        title="Session audio", filename="session.mp3", content=b"ID3" + b"0" * 500
    )
    recording = build_recording(value_of(block, status="audio", video=audio), today=TODAY)
    assert recording.playable
    assert recording.kind == "audio"
    assert recording.file_url == audio.url
    assert recording.notice == str(DEFAULT_NOTICES[RecordingStatus.AUDIO])


def test_unavailable_recording_has_no_player_even_with_a_url(block, _finder_calls):
    recording = build_recording(value_of(block, url=YOUTUBE, status="unavailable"), today=TODAY)
    assert not recording.playable
    assert recording.kind == ""
    assert recording.embed is None
    assert recording.notice == str(DEFAULT_NOTICES[RecordingStatus.UNAVAILABLE])
    assert _finder_calls == []


def test_embargoed_recording_in_the_future_names_the_date(block, _finder_calls):
    value = value_of(
        block,
        url=YOUTUBE,
        status="embargoed",
        available_from="2024-09-01",
        chapters=chapters(("1:00", "Intro")),
    )
    recording = build_recording(value, today=TODAY)
    assert not recording.playable
    assert recording.kind == ""
    assert recording.chapters == []
    assert recording.available_from == datetime.date(2024, 9, 1)
    assert recording.notice == "The recording will be available from 1 Sep 2024."
    assert _finder_calls == []


def test_embargoed_recording_without_a_date_is_not_playable(block):
    recording = build_recording(value_of(block, url=YOUTUBE, status="embargoed"), today=TODAY)
    assert not recording.playable
    assert recording.notice == "The recording is not available yet."


def test_embargo_ends_on_its_date(block):
    value = value_of(block, url=YOUTUBE, status="embargoed", available_from="2024-06-01")
    recording = build_recording(value, today=TODAY)
    assert recording.playable
    assert recording.notice == ""
    assert recording.embed is not None


def test_embargo_in_the_past_is_playable_without_the_embargo_notice(block):
    value = value_of(block, url=YOUTUBE, status="embargoed", available_from="2023-01-15")
    recording = build_recording(value)  # today's real date
    assert recording.playable
    assert recording.kind == "embed"
    assert "available from" not in recording.notice
    assert recording.notice == ""


def test_the_embargo_uses_todays_date_by_default(block):
    future = datetime.date.today() + datetime.timedelta(days=30)
    value = value_of(block, url=YOUTUBE, status="embargoed", available_from=future.isoformat())
    assert not build_recording(value).playable


def test_a_custom_notice_replaces_the_standard_one(block):
    value = value_of(block, status="unavailable", notice="Speaker asked us not to publish it.")
    assert build_recording(value).notice == "Speaker asked us not to publish it."


def test_nothing_to_play_is_not_playable(block):
    recording = build_recording(value_of(block, status="full"), today=TODAY)
    assert not recording.playable
    assert recording.kind == ""


# --- build_recording: chapters --------------------------------------------------------


def test_chapters_are_sorted_and_invalid_ones_skipped(block):
    value = value_of(
        block,
        url=YOUTUBE,
        chapters=chapters(
            ("4:30", "The SORE framework"),
            ("0:00", "Introduction"),
            ("soon", "Broken"),
            ("1:02:30", "Questions"),
            ("4:75", "Also broken"),
        ),
    )
    recording = build_recording(value, today=TODAY)
    assert [(c.seconds, c.label, c.title) for c in recording.chapters] == [
        (0, "0:00", "Introduction"),
        (270, "4:30", "The SORE framework"),
        (3750, "1:02:30", "Questions"),
    ]
    assert recording.chapters[1].href == f"{YOUTUBE}&t=270"


def test_vimeo_chapters_link_with_a_fragment(block):
    recording = build_recording(value_of(block, url=VIMEO, chapters=chapters(("2:00", "Part two"))))
    assert recording.chapters[0].href == f"{VIMEO}#t=120s"


def test_file_chapters_use_media_fragments(block, make_document):
    video = make_document(title="Session video", filename="session.mp4", content=b"0" * 2048)
    recording = build_recording(value_of(block, video=video, chapters=chapters(("1:30", "Part"))))
    assert recording.chapters[0].href == f"{video.url}#t=90"


# --- self-hosted video ----------------------------------------------------------------


def test_self_hosted_video_with_captions(block, make_document, client):
    video = make_document(title="Session video", filename="session.mp4", content=b"0" * 4096)
    captions = make_document(
        title="Captions",
        filename="session.vtt",
        content=b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n",
    )
    value = value_of(block, url=YOUTUBE, video=video, captions=captions)
    recording = build_recording(value, today=TODAY)
    assert recording.kind == "video"
    assert recording.embed is None  # the file wins over the URL

    soup = BeautifulSoup(block.render(value), "html.parser")
    media = soup.find("video")
    assert media is not None
    assert media["src"] == video.url
    assert media.has_attr("controls")
    track = media.find("track")
    assert track["kind"] == "captions"
    assert track["src"] == captions.url
    assert track["srclang"] == "en-gb"
    assert soup.find("iframe") is None
    assert soup.find("template") is None
    # The captions are served as WebVTT, which browsers require for <track>.
    response = client.get(track["src"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vtt")


def test_self_hosted_audio_gives_an_audio_player(block, make_document):
    audio = make_document(
        title="Session audio", filename="session.mp3", content=b"ID3" + b"0" * 500
    )
    soup = BeautifulSoup(block.render(value_of(block, status="audio", video=audio)), "html.parser")
    assert soup.find("audio")["src"] == audio.url
    assert soup.find("video") is None


# --- resolve_embed --------------------------------------------------------------------


def test_a_failed_lookup_gives_none_logs_and_is_remembered(_finder_calls, caplog):
    with caplog.at_level(logging.WARNING, logger="wagtail_pmolib.recordings"):
        assert resolve_embed(UNREACHABLE) is None
    assert _finder_calls == [UNREACHABLE]
    assert any(
        record.levelno == logging.WARNING and UNREACHABLE in record.getMessage()
        for record in caplog.records
    )
    # A second page view does not wait for the provider again.
    assert resolve_embed(UNREACHABLE) is None
    assert _finder_calls == [UNREACHABLE]


def test_a_failure_is_retried_when_failure_memory_is_off(_finder_calls):
    with override_settings(WAGTAIL_PMOLIB={"EMBED_FAILURE_TIMEOUT": 0}):
        assert resolve_embed(UNREACHABLE) is None
        assert resolve_embed(UNREACHABLE) is None
    assert _finder_calls == [UNREACHABLE, UNREACHABLE]


def test_a_failure_does_not_hide_other_videos(_finder_calls):
    assert resolve_embed(UNREACHABLE) is None
    assert resolve_embed(YOUTUBE) is not None
    assert _finder_calls == [UNREACHABLE, YOUTUBE]


def test_a_successful_lookup_is_cached(_finder_calls, django_assert_num_queries):
    first = resolve_embed(YOUTUBE)
    assert first.provider_name == "YouTube"
    assert "<iframe" in first.html
    assert first.title == "Stub video seed123"
    assert Embed.objects.filter(url=YOUTUBE).exists()
    with django_assert_num_queries(0):
        second = resolve_embed(YOUTUBE)
    assert second == first
    assert _finder_calls == [YOUTUBE]


def test_without_the_cache_wagtails_embed_table_still_saves_the_provider_call(
    _finder_calls, django_assert_num_queries
):
    with override_settings(WAGTAIL_PMOLIB={"EMBED_CACHE_TIMEOUT": 0}):
        resolve_embed(YOUTUBE)
        with django_assert_num_queries(1):
            assert resolve_embed(YOUTUBE) is not None
    assert _finder_calls == [YOUTUBE]


def test_no_url_no_lookup(_finder_calls):
    assert resolve_embed("") is None
    assert _finder_calls == []


def test_a_second_render_makes_no_finder_call_and_no_query(
    block, _finder_calls, django_assert_num_queries
):
    value = value_of(block, url=YOUTUBE, status="shortened", notice=SEED_NOTICE)
    first = block.render(value)
    assert _finder_calls == [YOUTUBE]
    with django_assert_num_queries(0):
        second = block.render(value)
    assert second == first
    assert _finder_calls == [YOUTUBE]


# --- rendering: the click-to-load facade ----------------------------------------------


@pytest.mark.parametrize("url", [YOUTUBE, VIMEO])
def test_the_provider_player_loads_only_on_request(block, url):
    value = value_of(block, url=url, status="shortened", notice=SEED_NOTICE)
    html = block.render(value)
    visible = outside_templates(html)

    assert "<iframe" not in str(visible)
    assert visible.find("img") is None
    assert third_party_resources(visible) == []

    template = BeautifulSoup(html, "html.parser").find("template")
    assert template is not None and template.has_attr("data-pmolib-embed")
    assert "<iframe" in template.decode_contents()

    facade = visible.find("a", attrs={"data-pmolib-facade": True})
    assert facade["href"] == url
    assert "Stub video" in facade.get_text()


def test_the_notice_comes_before_the_player(block):
    html = block.render(value_of(block, url=YOUTUBE, status="shortened", notice=SEED_NOTICE))
    assert SEED_NOTICE in html
    assert html.index(SEED_NOTICE) < html.index("data-pmolib-player") < html.index("<template")


def test_chapter_links_jump_to_the_time(block):
    value = value_of(
        block, url=YOUTUBE, chapters=chapters(("4:30", "The SORE framework"), ("0:00", "Intro"))
    )
    soup = BeautifulSoup(block.render(value), "html.parser")
    nav = soup.find("nav", class_="pmolib-chapters")
    assert "Jump to" in nav.get_text()
    links = nav.find_all("a")
    assert [a["href"] for a in links] == [f"{YOUTUBE}&t=0", f"{YOUTUBE}&t=270"]
    assert [a.get_text(" ", strip=True) for a in links] == ["0:00 Intro", "4:30 The SORE framework"]


def test_unavailable_recording_renders_the_notice_and_no_player(block):
    html = block.render(
        value_of(block, url=YOUTUBE, status="unavailable", chapters=chapters(("1:00", "x")))
    )
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(role="note").get_text() == str(DEFAULT_NOTICES[RecordingStatus.UNAVAILABLE])
    for marker in (
        "data-pmolib-player",
        "<template",
        "<video",
        "<audio",
        "Watch the recording",
        YOUTUBE,
    ):
        assert marker not in html
    assert soup.find("nav") is None


def test_embargoed_recording_renders_the_date_and_no_player(block):
    value = value_of(block, url=YOUTUBE, status="embargoed", available_from="2099-03-02")
    html = block.render(value)
    assert "The recording will be available from 2 Mar 2099." in html
    assert "data-pmolib-player" not in html
    assert YOUTUBE not in html


def test_a_failed_lookup_renders_a_plain_link_and_no_empty_player(block):
    html = block.render(value_of(block, url=UNREACHABLE, chapters=chapters(("1:00", "Part"))))
    soup = BeautifulSoup(html, "html.parser")
    link = soup.find("a", string="Watch the recording")
    assert link is not None
    assert link["href"] == UNREACHABLE
    assert "data-pmolib-player" not in html
    assert soup.find("template") is None
    # Chapters still work as plain links to the provider.
    assert soup.select_one("nav.pmolib-chapters a")["href"] == f"{UNREACHABLE}&t=60"


@pytest.mark.parametrize("kind", ["embed", "video"])
def test_a_poster_image_renders_as_a_local_rendition(block, make_document, kind):
    poster = make_image()
    if kind == "video":
        video = make_document(title="Session video", filename="session.mp4", content=b"0" * 2048)
        value = value_of(block, video=video, poster=poster)
    else:
        value = value_of(block, url=YOUTUBE, poster=poster)
    html = block.render(value)
    assert "/media/images/poster" in html
    assert third_party_resources(outside_templates(html)) == []


# --- rendering: the session page ------------------------------------------------------


def recording_stream(**fields):
    value = {"url": "", "status": "full", "notice": "", "chapters": []}
    value.update(fields)
    return [{"type": "recording", "value": value}]


def test_session_page_recording_is_privacy_friendly(make_session, client, _finder_calls):
    page = make_session(
        recording=recording_stream(
            url=YOUTUBE, status="shortened", notice=SEED_NOTICE, chapters=chapters(("4:30", "SORE"))
        )
    )
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    visible = outside_templates(html)
    assert "<iframe" not in str(visible)
    assert third_party_resources(visible) == []
    section = visible.find("section", class_="pmolib-section--recording")
    assert section.find("h2").get_text() == "Session Recording"
    assert (
        html.index("Session Recording") < html.index(SEED_NOTICE) < html.index("data-pmolib-facade")
    )
    assert visible.find("a", href=f"{YOUTUBE}&t=270") is not None
    # The second visitor costs no provider call.
    client.get(page.url)
    assert _finder_calls == [YOUTUBE]


def test_session_page_survives_an_oembed_outage(make_session, client, caplog):
    page = make_session(recording=recording_stream(url=UNREACHABLE, status="full"))
    with caplog.at_level(logging.WARNING, logger="wagtail_pmolib.recordings"):
        response = client.get(page.url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    section = soup.find("section", class_="pmolib-section--recording")
    link = section.find("a", string="Watch the recording")
    assert link["href"] == UNREACHABLE
    assert section.find(attrs={"data-pmolib-player": True}) is None
    assert section.find("template") is None
    assert UNREACHABLE in caplog.text


# --- RecordingBlock.clean -------------------------------------------------------------


def clean_errors(block, **fields):
    with pytest.raises(StructBlockValidationError) as info:
        block.clean(value_of(block, **fields))
    return {name: str(errors) for name, errors in info.value.block_errors.items()}


def test_a_full_recording_needs_a_url_or_a_file(block):
    errors = clean_errors(block, status="full")
    assert list(errors) == ["url"]
    assert "video URL or a video file" in errors["url"]


@pytest.mark.parametrize("status", ["shortened", "audio"])
def test_other_playable_statuses_need_a_url_or_a_file(block, status):
    assert list(clean_errors(block, status=status)) == ["url"]


def test_an_embargo_needs_its_date(block):
    errors = clean_errors(block, url=YOUTUBE, status="embargoed")
    assert list(errors) == ["available_from"]
    assert "date" in errors["available_from"]


def test_captions_must_be_webvtt(block, make_document):
    video = make_document(title="Session video", filename="session.mp4", content=b"0" * 2048)
    captions = make_document(title="Captions", filename="captions.txt", content=b"Hello")
    errors = clean_errors(block, video=video, captions=captions)
    assert list(errors) == ["captions"]
    assert ".vtt" in errors["captions"]


def test_a_url_no_embed_finder_accepts_is_refused(block, _finder_calls):
    errors = clean_errors(block, url="https://example.com/video")
    assert list(errors) == ["url"]
    assert "video provider" in errors["url"]
    assert _finder_calls == []  # checked without a network call


def test_several_problems_are_reported_together(block, make_document):
    captions = make_document(title="Captions", filename="captions.txt", content=b"Hello")
    errors = clean_errors(block, status="embargoed", captions=captions)
    assert set(errors) == {"available_from", "captions"}


@pytest.mark.parametrize(
    "fields",
    [
        {"url": YOUTUBE},
        {"url": VIMEO, "status": "shortened"},
        {"status": "unavailable"},
        {"status": "embargoed", "available_from": "2099-01-01"},
        {"url": YOUTUBE, "chapters": chapters(("0:00", "Intro"), ("1:02:30", "Questions"))},
    ],
)
def test_valid_recordings_pass(block, fields):
    value = value_of(block, **fields)
    assert block.clean(value) is not None


def test_a_self_hosted_video_with_vtt_captions_passes(block, make_document):
    video = make_document(title="Session video", filename="session.mp4", content=b"0" * 2048)
    captions = make_document(title="Captions", filename="session.vtt", content=b"WEBVTT\n")
    cleaned = block.clean(value_of(block, video=video, captions=captions))
    assert cleaned["video"] == video


def test_a_chapter_time_must_be_a_timestamp(block):
    errors = clean_errors(block, url=YOUTUBE, chapters=chapters(("soon", "Intro")))
    assert list(errors) == ["chapters"]
