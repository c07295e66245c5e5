"""What the JSON API's tests share: the seed library built as editors would, and
readers of the API's answers."""

import datetime
from types import SimpleNamespace

from wagtail.rich_text import RichText

from tests.builders import (
    at,
    build_conference,
    build_document,
    build_image,
    build_library,
    build_session,
    recording_stream,
)
from wagtail_pmolib.models import Speaker

API = "/api/pmolib/"
PROBLEM_JSON = "application/problem+json"


def build_seed_library():
    """A library, a conference with three themes, two speakers (one with a photo),
    the seed session with every kind of block, and a second session after it."""
    tree = SimpleNamespace()
    tree.library = build_library(intro="<p>Every session since 2019.</p>")
    tree.conference = build_conference(
        tree.library,
        themes=("PMO Services", "PMO People", "PMO in Practice"),
        start_date=datetime.date(2021, 11, 2),
        end_date=datetime.date(2021, 11, 3),
        venue="Barbican",
        city="London",
        intro="<p>Our 2021 edition.</p>",
    )
    tree.theme = tree.conference.themes.get(name="PMO People")
    tree.photo = build_image("Lindsay", size=(300, 300))
    tree.cover = build_image("Cover", size=(200, 300))
    tree.poster = build_image("Poster", size=(1600, 900))
    tree.figure = build_image("Chart", size=(800, 600))
    tree.lindsay = Speaker.objects.create(
        name="Lindsay Scott",
        role="Director",
        organisation="PMO Learning",
        bio="Runs PMO Flashmob.",
        photo=tree.photo,
    )
    tree.eileen = Speaker.objects.create(name="Eileen Roden", role="PMO Lead")
    tree.document = build_document()
    tree.session = build_session(
        tree.conference,
        speakers=[tree.lindsay, tree.eileen],
        theme=tree.theme,
        starts_at=at(2021, 11, 2, 11),
        duration_minutes=45,
        abstract=f'<p>Visit <a linktype="page" id="{tree.library.pk}">the library</a>.</p>',
        recording=recording_stream(poster=tree.poster),
        body=[
            ("heading", {"text": "Handout – The SORE Framework", "level": "h2", "anchor": ""}),
            (
                "handout",
                {
                    "document": tree.document,
                    "title": "",
                    "description": "Take it home.",
                    "cover": tree.cover,
                },
            ),
            (
                "handouts",
                {
                    "heading": "More handouts",
                    "description": "For the team.",
                    "handouts": [{"document": tree.document, "title": "Again"}],
                },
            ),
            (
                "figure",
                {
                    "image": {"image": tree.figure, "decorative": False, "alt_text": "A chart"},
                    "caption": "The SORE framework",
                },
            ),
            ("quote", {"quote": "Step up.", "attribution": "Lindsay"}),
            (
                "paragraph",
                RichText(
                    f'<h3>Read more</h3><p>In <a linktype="page" id="{tree.library.pk}">'
                    "the library</a>.</p>"
                ),
            ),
            ("paragraph", RichText('<p data-block-key="x"></p>')),
        ],
        notes=(
            f'<h3>The SORE framework</h3><p><a linktype="document" id="{tree.document.pk}">'
            "Download</a></p>"
        ),
    )
    tree.next_session = build_session(
        tree.conference, "Portfolio offices", speakers=[tree.lindsay], starts_at=at(2021, 11, 3)
    )
    return tree


def problem(response, status, parameter):
    """The problem details of ``response``, checked: its status, its media type,
    and that it names ``parameter``."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert parameter in body["detail"], body
    assert [e["parameter"] for e in body["errors"]] == [parameter], body
    return body
