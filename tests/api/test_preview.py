"""Headless previews of drafts (issue 10, item 6): wagtail-headless-preview's
flow (``?content_type=…&token=…``), no draft without a valid token, tokens expire."""

import time
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.signing import TimestampSigner
from django.test import RequestFactory, override_settings

from tests.api.support import API, PROBLEM_JSON
from tests.builders import build_conference, build_library, build_session
from wagtail_pmolib import previews
from wagtail_pmolib.models import SessionPage

PREVIEW = f"{API}sessions/preview/"
CONTENT_TYPE = "wagtail_pmolib.sessionpage"
CLIENT = "http://127.0.0.1:8765/preview.html"


@pytest.fixture
def session(db):
    conference = build_conference(build_library())
    page = build_session(conference, "The published title")
    page = SessionPage.objects.get(pk=page.pk)
    page.title = "The draft title"
    page.save_revision()
    return SessionPage.objects.get(pk=page.pk)


def token_for(page):
    return previews.make_token(page.pk, page.latest_revision_id)


def get_preview(client, token, content_type=CONTENT_TYPE):
    return client.get(PREVIEW, {"content_type": content_type, "token": token})


def test_a_valid_token_shows_the_draft_never_cached(client, session):
    response = get_preview(client, token_for(session))
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "The draft title"
    assert data["id"] == session.pk
    assert response["Cache-Control"] == "private, no-store"
    assert not response.has_header("ETag")
    # The published answer still shows what is live.
    assert client.get(f"{API}sessions/{session.pk}/").json()["title"] == "The published title"


def test_a_draft_never_published_can_be_previewed(client, db):
    conference = build_conference(build_library())
    draft = build_session(conference, "Not yet public", publish=False)
    draft.save_revision()
    draft = SessionPage.objects.get(pk=draft.pk)
    assert client.get(f"{API}sessions/{draft.pk}/").status_code == 404
    response = get_preview(client, token_for(draft))
    assert response.status_code == 200
    assert response.json()["title"] == "Not yet public"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "id=1;revision=1",
        "nonsense:1abc:xyz",
    ],
)
def test_no_draft_without_a_valid_token(client, session, token):
    response = get_preview(client, token)
    assert response.status_code in (400, 403)
    assert response["Content-Type"] == PROBLEM_JSON
    assert "The draft title" not in response.content.decode()
    assert response.json()["errors"][0]["parameter"] == "token"


def test_a_token_altered_to_name_another_revision_is_refused(client, session):
    token = token_for(session)
    _identifier, timestamp, signature = token.split(":")
    forged = f"id={session.pk};revision={session.latest_revision_id + 1}:{timestamp}:{signature}"
    response = get_preview(client, forged)
    assert response.status_code == 403


def test_wagtail_headless_preview_tokens_of_another_salt_are_refused(client, session):
    foreign = TimestampSigner(salt="headlesspreview.token").sign(f"id={session.pk}")
    assert get_preview(client, foreign).status_code == 403


def test_tokens_expire(client, session):
    token = token_for(session)
    later = time.time() + 3601
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = get_preview(client, token)
    assert response.status_code == 403
    assert "expired" in response.json()["detail"]
    with (
        override_settings(WAGTAIL_PMOLIB={"PREVIEW_TOKEN_MAX_AGE": 7200}),
        mock.patch("django.core.signing.time.time", return_value=later),
    ):
        assert get_preview(client, token).status_code == 200


def test_the_content_type_must_be_the_pages(client, session):
    response = get_preview(client, token_for(session), "wagtail_pmolib.conferencepage")
    assert response.status_code == 404
    assert response.json()["errors"][0]["parameter"] == "content_type"
    assert get_preview(client, token_for(session), "").status_code == 400


def test_a_token_for_a_conference_shows_no_session(client, session):
    conference = session.get_parent().specific
    conference.save_revision()
    conference.refresh_from_db()
    token = previews.make_token(conference.pk, conference.latest_revision_id)
    assert get_preview(client, token).status_code == 404


def test_a_deleted_revision_shows_nothing(client, session):
    token = token_for(session)
    session.latest_revision.delete()
    assert get_preview(client, token).status_code == 404


# --- The editor's side: the preview mode -------------------------------------------


def test_no_headless_preview_mode_without_a_client_url(session):
    assert "headless" not in dict(session.preview_modes)


@override_settings(WAGTAIL_PMOLIB={"HEADLESS_PREVIEW_CLIENT_URL": CLIENT})
def test_the_preview_mode_sends_the_editor_to_the_front_end_with_a_token(client, session):
    assert "headless" in dict(session.preview_modes)
    request = RequestFactory().get("/admin/pages/preview/")
    response = session.serve_preview(request, "headless")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CLIENT
    query = parse_qs(location.query)
    assert query["content_type"] == [CONTENT_TYPE]
    answer = get_preview(client, query["token"][0], query["content_type"][0])
    assert answer.status_code == 200
    assert answer.json()["title"] == "The draft title"
    # The other preview modes are Wagtail's own.
    assert session.serve_preview(request, session.default_preview_mode).status_code == 200


@override_settings(WAGTAIL_PMOLIB={"HEADLESS_PREVIEW_CLIENT_URL": "ftp://nowhere"})
def test_the_client_url_must_be_http():
    from django.core.exceptions import ImproperlyConfigured

    from wagtail_pmolib.conf import pmolib_settings

    with pytest.raises(ImproperlyConfigured, match="HEADLESS_PREVIEW_CLIENT_URL"):
        pmolib_settings.validate()


def test_a_members_only_draft_is_previewed_whole(client, db):
    """The token is an editor's preview: the gated parts of a members-only draft
    are in it (as in the admin's preview), while the live answer to an anonymous
    caller is the teaser."""
    conference = build_conference(build_library(), access_level="members")
    page = build_session(conference, "Members only", notes="<p>Secret notes about quolls.</p>")
    page = SessionPage.objects.get(pk=page.pk)
    page.notes = "<p>Draft notes about quolls.</p>"
    page.save_revision()
    page = SessionPage.objects.get(pk=page.pk)
    data = get_preview(client, token_for(page)).json()
    assert "Draft notes about quolls" in data["notes"]
    assert data["access"]["full"] is True
    live = client.get(f"{API}sessions/{page.pk}/").json()
    assert "quolls" not in str(live)
    assert live["access"]["full"] is False
