"""The library's tiles on the Wagtail dashboard."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from wagtail_pmolib.models import Feedback, FeedbackStatus

pytestmark = pytest.mark.django_db


def tiles(client):
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    soup = WagtailTestUtils.get_soup(response.content)
    return {
        " ".join(a.get_text(" ").split()): a["href"] for a in soup.select("section.w-summary li a")
    }


def test_sessions_and_new_feedback_tiles(client, make_session, django_user_model):
    sessions = [make_session(title=f"Session {n}") for n in range(3)]
    draft = make_session(title="Unpublished")
    draft.unpublish()
    for n, status in enumerate([FeedbackStatus.NEW, FeedbackStatus.NEW, FeedbackStatus.SPAM]):
        Feedback.objects.create(page=sessions[0], rating=4, visitor=f"v{n}", status=status)
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw"))

    shown = tiles(client)
    sessions_link = shown["3 Sessions published in the library"]
    feedback_link = shown["2 New feedback items to read"]

    listing = client.get(feedback_link)
    assert listing.status_code == 200
    rows = WagtailTestUtils.get_soup(listing.content).select("table.listing tbody tr")
    assert len(rows) == 2
    found = client.get(sessions_link)
    assert found.status_code == 200
    for session in sessions:
        assert session.title in found.content.decode()


def test_the_feedback_tile_needs_the_feedback_permission(client, make_session, django_user_model):
    make_session()
    editors = Group.objects.create(name="Dashboard readers")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("editor", password="pw")
    user.groups.add(editors)
    client.force_login(user)
    labels = list(tiles(client))
    assert "1 Session published in the library" in labels
    assert not any("feedback" in label for label in labels)
