"""Builders shared by the test modules: page trees, documents, images and the
seed session's fields, as plain functions (not fixtures) so that Django
TestCase classes can build their trees once in ``setUpTestData``; and small
readers of rendered pages.

A module whose classes build trees in ``setUpTestData`` imports ``_media_root``
too, so that files made there outlive a single test.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction, Site
from wagtail.rich_text import RichText
from wagtail.test.utils import WagtailPageTestCase

from tests.conftest import SEED_NOTICE, make_pdf_bytes
from wagtail_pmolib.models import (
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    SessionPage,
    SessionSpeaker,
)

SEED_TITLE = "Step up – Powering up the PMO Service by Overcoming Hierarchical Barriers"


# --- Building trees ----------------------------------------------------------
# Plain functions (not fixtures) so that Django TestCase classes can build their
# trees once in setUpTestData. Files go to the module-wide MEDIA_ROOT below.


@pytest.fixture(autouse=True, scope="module")
def _media_root(tmp_path_factory):
    """One MEDIA_ROOT for the whole module (overrides conftest's per-test one).

    Documents and images made in setUpTestData must still be on disk when the
    class's tests render their renditions.
    """
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


def build_library(title="PMO Library", slug="library", parent=None, **fields):
    parent = parent or Site.objects.get(is_default_site=True).root_page
    return parent.add_child(instance=LibraryIndexPage(title=title, slug=slug, **fields))


def build_conference(library, title="PMO Conference 2021", themes=(), **fields):
    fields.setdefault("slug", slugify(title))
    page = ConferencePage(title=title, **fields)
    for name in themes:
        page.themes.add(ConferenceTheme(name=name))
    library.add_child(instance=page)
    return page


def build_session(conference, title=SEED_TITLE, speakers=(), publish=True, **fields):
    fields.setdefault("slug", slugify(title)[:80])
    page = SessionPage(title=title, live=publish, **fields)
    for speaker in speakers:
        page.session_speakers.add(SessionSpeaker(speaker=speaker))
    conference.add_child(instance=page)
    if publish:
        page.save_revision().publish()
    return SessionPage.objects.get(pk=page.pk)


def build_document(title="The SORE Framework", filename="sore-framework.pdf"):
    document = get_document_model()(title=title)
    document.file.save(filename, ContentFile(make_pdf_bytes(title)), save=False)
    document.save()
    return document


def build_image(title="Photo", size=(120, 120), color="teal"):
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "PNG")
    # An ImageFile passed to the constructor gives Wagtail the width and height.
    return get_image_model().objects.create(
        title=title, file=ImageFile(buffer, name=f"{slugify(title)}.png")
    )


def restrict(page, restriction_type=PageViewRestriction.PASSWORD):
    return PageViewRestriction.objects.create(
        page=page, restriction_type=restriction_type, password="secret"
    )


def at(*args):
    """An aware datetime in the site's time zone."""
    return timezone.make_aware(datetime.datetime(*args))


def recording_stream(url="https://www.youtube.com/watch?v=seed123", **extra):
    value = {
        "url": url,
        "status": "shortened",
        "notice": SEED_NOTICE,
        "chapters": [{"time": "0:00", "title": "Introduction"}, {"time": "4:30", "title": "SORE"}],
    }
    value.update(extra)
    return [("recording", value)]


def seed_body(document):
    return [
        ("heading", {"text": "Handout – The SORE Framework", "level": "h2", "anchor": ""}),
        ("handout", {"document": document, "title": "", "description": "Download it here."}),
        ("paragraph", RichText("<h3>Why hierarchy gets in the way</h3><p>Text.</p>")),
    ]


def seed_session_fields(document):
    return {
        "abstract": "<p>How the PMO can step up.</p><p>Second paragraph.</p>",
        "recording": recording_stream(),
        "body": seed_body(document),
        "notes": "<h3>The SORE framework</h3><p>Notes.</p>",
    }


def toc_item(anchor, text, level=2, children=()):
    return {"id": anchor, "text": text, "level": level, "children": list(children)}


def soup_of(response):
    return WagtailPageTestCase.get_soup(response.content)


def text_of(tag):
    return " ".join(tag.get_text(" ").split())


# --- Committing and searching as a request does ----------------------------


def committed():
    """A block run as a request runs it: in a transaction that commits, after
    which what waits for the commit (``transaction.on_commit``) runs (see
    ``_commit_like_production`` in conftest.py)."""
    return transaction.atomic()


def found(client, library, q):
    response = client.get(library.url, {"q": q})
    assert response.status_code == 200
    return [
        " ".join(a.get_text().split()) for a in soup_of(response).select(".pmolib-result__title a")
    ]


def cards(client, library, q):
    response = client.get(library.url, {"q": q})
    return [text_of(card) for card in soup_of(response).select(".pmolib-result")]


def handout_body(document, title="", description=""):
    return [("handout", {"document": document, "title": title, "description": description})]


def replace_file(document, content, filename="v2.pdf"):
    """What the admin does when an editor uploads a new file for a document."""
    document.file.save(filename, ContentFile(content), save=False)
    document.file_size = None
    document.file_hash = ""
    document.save()


# --- Admin form data ------------------------------------------------------------


def list_block(items):
    """ListBlock form data (``-count``, ``-N-value``, ``-N-order``, ``-N-deleted``)."""
    data = {
        str(i): {"value": value, "order": str(i), "deleted": ""} for i, value in enumerate(items)
    }
    data["count"] = str(len(items))
    return data


def recording_form_value(url="https://www.youtube.com/watch?v=seed123", chapters=()):
    return {
        "url": url,
        "video": "",
        "captions": "",
        "poster": "",
        "status": "shortened",
        "available_from": "",
        "notice": SEED_NOTICE,
        "chapters": list_block([{"time": t, "title": title} for t, title in chapters]),
    }
