"""Heading anchors and the table of contents (wagtail_pmolib.toc and TableOfContentsMixin)."""

import re

import pytest
from bs4 import BeautifulSoup
from django.test import override_settings
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from tests.conftest import recording_value
from wagtail_pmolib.blocks import HeadingBlock, SessionBodyBlock
from wagtail_pmolib.conf import pmolib_settings
from wagtail_pmolib.models import SessionPage
from wagtail_pmolib.models.sessions import NOTES_FEATURES
from wagtail_pmolib.toc import (
    AnchorRegistry,
    annotate_block,
    annotate_html,
    flatten,
    heading_text,
    nest,
    slugify_anchor,
)

TOC_KEYS = {"id", "text", "level", "children"}


def heading(text, level="h2", anchor=""):
    return {"type": "heading", "value": {"text": text, "level": level, "anchor": anchor}}


def paragraph(html):
    return {"type": "paragraph", "value": html}


def handout_group(heading_text, documents, anchor=""):
    return {
        "type": "handouts",
        "value": {
            "heading": heading_text,
            "anchor": anchor,
            "description": "",
            "handouts": [{"document": d.pk, "title": "", "description": ""} for d in documents],
        },
    }


def annotate(source):
    headings = []
    html = annotate_html(source, AnchorRegistry(), headings)
    return html, headings


def ids_in(toc):
    return [item["id"] for item in flatten(toc)]


def shape(toc):
    """The table of contents as (id, level, children) tuples, to compare nesting."""
    return [(item["id"], item["level"], shape(item["children"])) for item in toc]


def save_again(page):
    """Save a new revision and publish it, as an editor pressing Publish would."""
    page.save_revision().publish()
    page.refresh_from_db()
    return page


# --- slugify_anchor -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Session Notes", "session-notes"),
        ("Handout – The SORE Framework", "handout-the-sore-framework"),
        ("  What's   next?  ", "whats-next"),
        ("PMO Conference 2021", "pmo-conference-2021"),
        ("Über Führung", "über-führung"),
        ("日本語の見出し", "日本語の見出し"),
        ("Qu’est-ce qu’un PMO ?", "quest-ce-quun-pmo"),
        ("", ""),
        ("?!", ""),
    ],
)
def test_slugify_anchor_is_readable_and_keeps_unicode(text, expected):
    assert slugify_anchor(text) == expected


def test_slugify_anchor_is_cut_to_the_configured_length_without_a_trailing_hyphen():
    text = "a" * 63 + " bcd"  # the slug's 64th character is the hyphen
    assert slugify_anchor(text) == "a" * 63
    long_text = (
        "Powering up the PMO service by overcoming hierarchical barriers in large organisations"
    )
    anchor = slugify_anchor(long_text)
    assert len(anchor) <= pmolib_settings.ANCHOR_MAX_LENGTH == 64
    assert long_text.lower().replace(" ", "-").startswith(anchor)
    assert not anchor.endswith("-")


def test_slugify_anchor_follows_the_anchor_max_length_setting():
    with override_settings(WAGTAIL_PMOLIB={"ANCHOR_MAX_LENGTH": 10}):
        assert slugify_anchor("Session Recording") == "session-re"
        assert slugify_anchor("Session Notes") == "session-no"
        assert slugify_anchor("Powering up") == "powering-u"
        assert slugify_anchor("Negotiate now") == "negotiate"  # not "negotiate-"
    assert slugify_anchor("Session Recording") == "session-recording"
    assert slugify_anchor("Session Recording", max_length=7) == "session"


# --- AnchorRegistry -------------------------------------------------------------------


def test_registry_numbers_repeated_headings_in_document_order():
    registry = AnchorRegistry()
    assert [registry.claim("Notes") for _ in range(3)] == ["notes", "notes-2", "notes-3"]
    assert registry.claim("Other") == "other"


def test_registry_skips_numbers_already_taken_by_other_headings():
    registry = AnchorRegistry()
    assert registry.claim("Notes 2") == "notes-2"
    assert registry.claim("Notes") == "notes"
    assert registry.claim("Notes") == "notes-3"


def test_registry_never_hands_out_reserved_ids():
    registry = AnchorRegistry(reserved={"session-notes", "session-recording"})
    assert registry.claim("Session Notes") == "session-notes-2"
    assert registry.claim("Session Recording") == "session-recording-2"
    assert registry.claim("Session Notes") == "session-notes-3"


def test_numbered_anchors_also_respect_the_maximum_length():
    registry = AnchorRegistry()
    text = "Powering up the PMO service by overcoming hierarchical barriers in large organisations"
    anchors = [registry.claim(text) for _ in range(3)]
    assert len(set(anchors)) == 3
    for anchor in anchors:
        assert len(anchor) <= pmolib_settings.ANCHOR_MAX_LENGTH, anchor
        assert not anchor.endswith("-")


def test_registry_gives_nothing_for_text_without_letters_or_digits():
    registry = AnchorRegistry()
    assert registry.claim("") is None
    assert registry.claim(" – ") is None
    assert registry.claim("–") is None


# --- annotate_html --------------------------------------------------------------------


def test_headings_get_ids_and_are_collected_with_level_and_text():
    html, headings = annotate("<h2>Key takeaways</h2><p>Text</p><h3>Negotiation</h3>")
    assert (
        html == '<h2 id="key-takeaways">Key takeaways</h2><p>Text</p>'
        '<h3 id="negotiation">Negotiation</h3>'
    )
    assert headings == [(2, "key-takeaways", "Key takeaways"), (3, "negotiation", "Negotiation")]


def test_repeated_heading_texts_get_unique_ids():
    html, headings = annotate("<h3>Notes</h3><h3>Notes</h3><h4>Notes</h4>")
    assert re.findall(r'id="([^"]+)"', html) == ["notes", "notes-2", "notes-3"]
    assert [h[1] for h in headings] == ["notes", "notes-2", "notes-3"]


def test_empty_headings_are_skipped_and_lose_an_old_id():
    source = '<h2 id="old"><br/></h2><h2 id="gone">  </h2><h2>&nbsp;</h2><h2>Real</h2>'
    html, headings = annotate(source)
    assert html == '<h2><br/></h2><h2>  </h2><h2>&nbsp;</h2><h2 id="real">Real</h2>'
    assert headings == [(2, "real", "Real")]


def test_existing_ids_are_replaced_not_duplicated():
    html, _ = annotate(
        '<h2 id="stale" class="intro">Title</h2><h3 id=\'single\'>Sub</h3><h4 ID=bare>Deep</h4>'
    )
    assert html == (
        '<h2 id="title" class="intro">Title</h2><h3 id="sub">Sub</h3><h4 id="deep">Deep</h4>'
    )


def test_everything_but_heading_ids_stays_byte_for_byte():
    source = (
        '<p data-block-key="a1">See <a linktype="page" id="3">the library</a> and '
        '<a linktype="document" id="7">the handout</a>.</p>\n'
        '<h2 data-block-key="b2">Where <a linktype="page" id="3">the library</a> lives</h2>'
        '<ul><li data-block-key="c3">One &amp; two</li></ul>'
        '<embed embedtype="image" id="12" format="left" alt=""/>'
        "<h1>Not in the table</h1><hr/><h5>Too deep</h5>"
    )
    html, headings = annotate(source)
    expected = source.replace(
        '<h2 data-block-key="b2">', '<h2 id="where-the-library-lives" data-block-key="b2">'
    )
    assert html == expected
    # Wagtail's link and embed ids (the linked page, document or image) are untouched.
    assert html.count('linktype="page" id="3"') == 2
    assert 'linktype="document" id="7"' in html
    assert 'embedtype="image" id="12"' in html
    assert headings == [(2, "where-the-library-lives", "Where the library lives")]


def test_headings_with_inline_markup_and_entities_give_their_visible_text():
    html, headings = annotate("<h3>A &amp; <b>B</b></h3><h4><i>Quotes</i> &lt;and&gt; more</h4>")
    assert headings == [(3, "a-b", "A & B"), (4, "quotes-and-more", "Quotes <and> more")]
    # The stored inner HTML is not rewritten.
    assert (
        html == '<h3 id="a-b">A &amp; <b>B</b></h3>'
        '<h4 id="quotes-and-more"><i>Quotes</i> &lt;and&gt; more</h4>'
    )


def test_heading_text_folds_whitespace_and_line_breaks():
    assert heading_text("  Step\n   up<br/>now ") == "Step up now"


def test_markup_inside_a_word_does_not_split_it_in_the_table_of_contents():
    _, headings = annotate("<h2>PM<b>O</b> Services</h2>")
    assert headings == [(2, "pmo-services", "PMO Services")]


def test_an_escaped_entity_shown_in_a_heading_is_listed_as_shown():
    # The editor typed "Escaping &amp; in HTML"; the page shows exactly that.
    _, headings = annotate("<h2>Escaping &amp;amp; in HTML</h2>")
    assert headings[0][2] == "Escaping &amp; in HTML"


def test_levels_outside_the_default_range_are_untouched():
    source = '<h1 id="keep-me">Title</h1><h5>Small</h5><h6 id="x">Tiny</h6><h2>Big</h2>'
    html, headings = annotate(source)
    assert (
        html == '<h1 id="keep-me">Title</h1><h5>Small</h5><h6 id="x">Tiny</h6><h2 id="big">Big</h2>'
    )
    assert headings == [(2, "big", "Big")]


def test_levels_follow_the_toc_level_settings():
    source = '<h2 id="keep">Two</h2><h3>Three</h3><h4 id="old">Four</h4>'
    with override_settings(WAGTAIL_PMOLIB={"TOC_MIN_LEVEL": 3, "TOC_MAX_LEVEL": 3}):
        html, headings = annotate(source)
    assert html == '<h2 id="keep">Two</h2><h3 id="three">Three</h3><h4 id="old">Four</h4>'
    assert headings == [(3, "three", "Three")]

    with override_settings(WAGTAIL_PMOLIB={"TOC_MIN_LEVEL": 1, "TOC_MAX_LEVEL": 6}):
        _, headings = annotate("<h1>One</h1><h6>Six</h6>")
    assert headings == [(1, "one", "One"), (6, "six", "Six")]


def test_annotating_twice_gives_the_same_html():
    source = "<h2>Notes</h2><p>x</p><h3>Notes</h3><h2 id='stale'>Other</h2>"
    once, _ = annotate(source)
    twice, headings = annotate(once)
    assert twice == once
    assert [h[1] for h in headings] == ["notes", "notes-2", "other"]


def test_annotate_html_accepts_empty_content():
    assert annotate("") == ("", [])
    assert annotate(None) == ("", [])


# --- nesting --------------------------------------------------------------------------


def test_nesting_follows_heading_levels():
    toc = nest([(2, "a", "A"), (3, "b", "B"), (4, "c", "C"), (3, "d", "D"), (2, "e", "E")])
    assert shape(toc) == [
        ("a", 2, [("b", 3, [("c", 4, [])]), ("d", 3, [])]),
        ("e", 2, []),
    ]


def test_a_skipped_level_still_nests_under_the_previous_heading():
    toc = nest([(2, "a", "A"), (4, "b", "B"), (3, "c", "C"), (4, "d", "D")])
    assert shape(toc) == [("a", 2, [("b", 4, []), ("c", 3, [("d", 4, [])])])]


def test_a_subheading_before_any_h2_sits_at_the_root():
    toc = nest([(3, "intro", "Intro"), (2, "main", "Main"), (3, "sub", "Sub")])
    assert shape(toc) == [("intro", 3, []), ("main", 2, [("sub", 3, [])])]


def test_table_of_contents_items_have_exactly_the_contract_keys():
    toc = nest([(2, "a", "A"), (3, "b", "B")])
    for item in flatten(toc):
        assert set(item) == TOC_KEYS
    assert toc[0] == {
        "id": "a",
        "text": "A",
        "level": 2,
        "children": [{"id": "b", "text": "B", "level": 3, "children": []}],
    }


# --- blocks ---------------------------------------------------------------------------


def test_annotate_block_walks_a_session_body():
    block = SessionBodyBlock()
    value = block.to_python(
        [
            heading("Key takeaways"),
            paragraph("<h3>Negotiation</h3><p>Text</p>"),
            {"type": "quote", "value": {"quote": "<h2>Not a heading</h2>", "attribution": ""}},
            heading("Key takeaways", level="h3"),
        ]
    )
    headings = []
    annotate_block(block, value, AnchorRegistry(), headings)
    assert headings == [
        (2, "key-takeaways", "Key takeaways"),
        (3, "negotiation", "Negotiation"),
        (3, "key-takeaways-2", "Key takeaways"),
    ]
    assert value[0].value["anchor"] == "key-takeaways"
    assert value[1].value.source == '<h3 id="negotiation">Negotiation</h3><p>Text</p>'
    assert value[3].value["anchor"] == "key-takeaways-2"


def test_a_session_with_a_figure_is_saved_with_its_table_of_contents(make_session, make_image):
    # ImageBlock is a StructBlock whose value is an image, not a dict of children:
    # walking into it failed every save of a page with a figure.
    image = make_image("Chart")
    figure = {"image": {"image": image, "decorative": False, "alt_text": "A chart"}, "caption": ""}
    after = {"text": "After the figure", "level": "h2", "anchor": ""}
    session = make_session(body=[("figure", figure), ("heading", after)])
    assert [item["id"] for item in session.table_of_contents] == ["after-the-figure"]


def test_heading_block_out_of_range_loses_its_anchor():
    block = HeadingBlock()
    value = block.to_python({"text": "Deep", "level": "h4", "anchor": "deep"})
    headings = []
    with override_settings(WAGTAIL_PMOLIB={"TOC_MAX_LEVEL": 3}):
        annotate_block(block, value, AnchorRegistry(), headings)
    assert headings == []
    assert value["anchor"] == ""
    assert "id=" not in block.render(value)


# --- the session page's table of contents ---------------------------------------------


@pytest.fixture
def handout_documents(make_document):
    return [
        make_document("The SORE Framework", "sore-framework.pdf"),
        make_document("Negotiation checklist", "negotiation.pdf"),
    ]


@pytest.fixture
def full_session(make_session, handout_documents):
    return make_session(
        recording=recording_value(),
        body=[
            heading("Handout – The SORE Framework"),
            paragraph("<p>You can download the handout here.</p><h3>What SORE stands for</h3>"),
            handout_group("More handouts", handout_documents),
        ],
        notes="<h3>Stepping up</h3><p>Text</p><h4>Hierarchy</h4><h3>Negotiation</h3>",
    )


def test_session_table_of_contents_lists_recording_body_and_notes(full_session):
    toc = full_session.table_of_contents
    assert toc == [
        {"id": "session-recording", "text": "Session Recording", "level": 2, "children": []},
        {
            "id": "handout-the-sore-framework",
            "text": "Handout – The SORE Framework",
            "level": 2,
            "children": [
                {
                    "id": "what-sore-stands-for",
                    "text": "What SORE stands for",
                    "level": 3,
                    "children": [],
                }
            ],
        },
        {"id": "more-handouts", "text": "More handouts", "level": 2, "children": []},
        {
            "id": "session-notes",
            "text": "Session Notes",
            "level": 2,
            "children": [
                {
                    "id": "stepping-up",
                    "text": "Stepping up",
                    "level": 3,
                    "children": [
                        {"id": "hierarchy", "text": "Hierarchy", "level": 4, "children": []}
                    ],
                },
                {"id": "negotiation", "text": "Negotiation", "level": 3, "children": []},
            ],
        },
    ]
    for item in flatten(toc):
        assert set(item) == TOC_KEYS


def test_table_of_contents_survives_reloading_from_the_database(full_session):
    reloaded = SessionPage.objects.get(pk=full_session.pk)
    assert reloaded.table_of_contents == full_session.table_of_contents
    assert reloaded.body[2].value["anchor"] == "more-handouts"
    assert 'id="hierarchy"' in reloaded.notes


def test_no_recording_entry_without_a_recording(make_session):
    page = make_session(body=[heading("Key takeaways")], notes="<h3>Stepping up</h3>")
    assert ids_in(page.table_of_contents) == ["key-takeaways", "session-notes", "stepping-up"]


def test_no_notes_entry_without_notes(make_session):
    page = make_session(recording=recording_value(), body=[heading("Key takeaways")])
    assert ids_in(page.table_of_contents) == ["session-recording", "key-takeaways"]


def test_an_empty_session_has_an_empty_table_of_contents(make_session, client):
    page = make_session()
    assert page.table_of_contents == []
    html = client.get(page.url).content.decode()
    assert "Table of Contents" not in html


def test_body_headings_never_take_the_page_sections_ids(make_session):
    page = make_session(
        recording=recording_value(),
        body=[heading("Session Recording"), heading("Session Notes")],
        notes="<h3>Session Notes</h3>",
    )
    assert ids_in(page.table_of_contents) == [
        "session-recording",
        "session-recording-2",
        "session-notes-2",
        "session-notes",
        "session-notes-3",
    ]


def test_rich_text_headings_inside_body_paragraphs_keep_links_untouched(make_session, library):
    page = make_session(
        body=[paragraph(f'<h2>See <a linktype="page" id="{library.pk}">the library</a></h2>')]
    )
    assert page.body[0].value.source == (
        f'<h2 id="see-the-library">See <a linktype="page" id="{library.pk}">the library</a></h2>'
    )
    assert ids_in(page.table_of_contents) == ["see-the-library"]


def test_saving_twice_gives_the_same_ids(full_session):
    first_toc = full_session.table_of_contents
    first_body = full_session.body.raw_data
    first_notes = full_session.notes
    page = save_again(full_session)
    page = save_again(page)
    assert page.table_of_contents == first_toc
    assert [c["value"] for c in page.body.raw_data] == [c["value"] for c in first_body]
    assert page.notes == first_notes


def test_heading_block_anchor_is_kept_when_its_text_changes(make_session):
    page = make_session(body=[heading("Key takeaways")])
    assert page.body[0].value["anchor"] == "key-takeaways"

    page.body[0].value["text"] = "Three key takeaways"
    page = save_again(page)
    assert page.body[0].value["anchor"] == "key-takeaways"
    assert page.table_of_contents == [
        {"id": "key-takeaways", "text": "Three key takeaways", "level": 2, "children": []}
    ]


def test_heading_block_anchor_is_regenerated_when_cleared(make_session):
    page = make_session(body=[heading("Key takeaways")])
    page.body[0].value["text"] = "Three key takeaways"
    page.body[0].value["anchor"] = ""
    page = save_again(page)
    assert page.body[0].value["anchor"] == "three-key-takeaways"
    assert ids_in(page.table_of_contents) == ["three-key-takeaways"]


def test_an_anchor_typed_by_the_editor_is_made_a_valid_id(make_session):
    page = make_session(body=[heading("Key takeaways", anchor="My Anchor!")])
    assert page.body[0].value["anchor"] == "my-anchor"
    assert ids_in(page.table_of_contents) == ["my-anchor"]


def test_a_duplicated_heading_block_gets_its_own_anchor(make_session):
    # Wagtail's "Duplicate" copies the anchor along with the text.
    page = make_session(
        body=[heading("Notes", anchor="notes"), heading("More notes", anchor="notes")]
    )
    assert [child.value["anchor"] for child in page.body] == ["notes", "notes-2"]


def test_a_new_heading_above_does_not_steal_a_kept_anchor(make_session):
    page = make_session(body=[heading("Key takeaways")])
    assert page.body[0].value["anchor"] == "key-takeaways"
    # An editor adds a paragraph above it whose heading has the same text.
    page.body.insert(0, ("paragraph", RichText("<h3>Key takeaways</h3>")))
    page = save_again(page)
    assert page.body[1].value["anchor"] == "key-takeaways"


def test_heading_levels_outside_the_settings_stay_out_of_the_page_toc(make_session):
    with override_settings(WAGTAIL_PMOLIB={"TOC_MAX_LEVEL": 3}):
        page = make_session(
            body=[
                heading("Shown"),
                heading("Hidden", level="h4"),
                paragraph("<h4>Also hidden</h4>"),
            ],
            notes="<h3>Note</h3><h4>Deep note</h4>",
        )
    assert ids_in(page.table_of_contents) == ["shown", "session-notes", "note"]
    assert page.body[1].value["anchor"] == ""
    assert page.body[2].value.source == "<h4>Also hidden</h4>"
    assert "<h4>Deep note</h4>" in page.notes


# --- the rendered page ----------------------------------------------------------------


def test_rendered_page_has_every_toc_id_once_and_a_plain_link_list(full_session, client):
    response = client.get(full_session.url)
    assert response.status_code == 200
    html = response.content.decode()
    ids = ids_in(full_session.table_of_contents)
    assert len(ids) == 8
    for anchor in ids:
        assert html.count(f'id="{anchor}"') == 1, anchor

    soup = BeautifulSoup(html, "html.parser")
    nav = soup.select_one("nav.pmolib-toc")
    assert nav is not None
    assert nav.find(["h2", "h3"]).get_text(strip=True) == "Table of Contents"
    assert not nav.has_attr("hidden")
    links = nav.select("a")
    assert [a["href"] for a in links] == [f"#{anchor}" for anchor in ids]
    assert [a.get_text() for a in links][:2] == [
        "Session Recording",
        "Handout – The SORE Framework",
    ]
    # Every link goes to an element on the page: it works without JavaScript.
    for anchor in ids:
        assert soup.find(id=anchor) is not None
    # The nesting is visible as nested lists.
    notes_item = nav.find("a", href="#session-notes").parent
    nested = [a["href"] for a in notes_item.find("ol").select("a")]
    assert nested == ["#stepping-up", "#hierarchy", "#negotiation"]


def test_rendered_heading_markup_matches_the_toc(full_session, client):
    soup = BeautifulSoup(client.get(full_session.url).content, "html.parser")
    assert soup.find(id="session-recording").name == "h2"
    assert soup.find(id="handout-the-sore-framework").get_text() == "Handout – The SORE Framework"
    assert soup.find(id="what-sore-stands-for").name == "h3"
    assert soup.find(id="more-handouts").name == "h2"
    assert soup.find(id="hierarchy").name == "h4"


def test_heading_ids_never_collide_with_the_page_templates_own_ids(make_session, client):
    page = make_session(body=[heading("Main"), paragraph("<h3>PMOLib title</h3>")])
    html = client.get(page.url).content.decode()
    for anchor in ids_in(page.table_of_contents):
        assert html.count(f'id="{anchor}"') == 1, anchor


def test_admin_preview_of_unsaved_changes_has_heading_ids(full_session, admin_client):
    data = nested_form_data(
        {
            "title": full_session.title,
            "slug": full_session.slug,
            "theme": "",
            "starts_at": "",
            "duration_minutes": "",
            "session_speakers": inline_formset([]),
            "abstract": rich_text("<p>Abstract</p>"),
            "recording": streamfield([]),
            "body": streamfield(
                [
                    ("heading", {"text": "Brand new heading", "level": "h2", "anchor": ""}),
                    ("paragraph", rich_text("<h3>Inner heading</h3><p>Text</p>")),
                ]
            ),
            "notes": rich_text("<h3>Previewed note</h3><p>Text</p>", features=NOTES_FEATURES),
        }
    )
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[full_session.pk])
    response = admin_client.post(url, data)
    assert response.json()["is_valid"] is True
    response = admin_client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    expected = ["brand-new-heading", "inner-heading", "session-notes", "previewed-note"]
    nav = soup.select_one("nav.pmolib-toc")
    assert [a["href"] for a in nav.select("a")] == [f"#{anchor}" for anchor in expected]
    for anchor in expected:
        assert len(soup.find_all(id=anchor)) == 1, anchor
    # The preview saved nothing.
    assert SessionPage.objects.get(pk=full_session.pk).table_of_contents == (
        full_session.table_of_contents
    )


def test_page_preview_request_has_heading_ids(full_session):
    response = full_session.make_preview_request()
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ids_in(full_session.table_of_contents):
        assert html.count(f'id="{anchor}"') == 1, anchor


def test_toc_is_in_the_page_api(full_session, client):
    data = client.get(f"/api/v2/pages/{full_session.pk}/").json()
    assert data["table_of_contents"] == full_session.table_of_contents


def test_deleted_documents_do_not_break_the_toc(full_session, handout_documents):
    for document in handout_documents:
        get_document_model().objects.filter(pk=document.pk).delete()
    page = save_again(SessionPage.objects.get(pk=full_session.pk))
    assert "more-handouts" in ids_in(page.table_of_contents)
