"""StreamField blocks: definitions, previews, rendering, API and query counts."""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.db import connection
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.module_loading import import_string
from wagtail import blocks as wagtail_blocks
from wagtail.documents import get_document_model
from wagtail.fields import StreamField
from wagtail.images import get_image_model

from tests import embed_finders
from tests.conftest import make_pdf_bytes
from wagtail_pmolib import blocks as pmolib_blocks
from wagtail_pmolib.blocks import (
    ChapterBlock,
    FigureBlock,
    HandoutBlock,
    HandoutDocumentChooserBlock,
    HandoutGroupBlock,
    HeadingBlock,
    ParagraphBlock,
    QuoteBlock,
    RecordingBlock,
    RecordingStreamBlock,
    SessionBodyBlock,
)
from wagtail_pmolib.models import SessionPage

NBSP = "\u00a0"
BLOCK_CLASSES = [
    HeadingBlock,
    ParagraphBlock,
    QuoteBlock,
    FigureBlock,
    HandoutBlock,
    HandoutGroupBlock,
    RecordingBlock,
]
ALL_BLOCK_CLASSES = [*BLOCK_CLASSES, ChapterBlock, SessionBodyBlock, RecordingStreamBlock]
BLOCK_IDS = [cls.__name__ for cls in BLOCK_CLASSES]


def make_image(title="Cover", size=(320, 180), color="teal"):
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "PNG")
    slug = title.lower().replace(" ", "-")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{slug}.png"))


def pdf_of_size(size):
    content = make_pdf_bytes("The SORE Framework") + b"\n%"
    return content + b"x" * (size - len(content))


def handout_raw(document, title="", description="", cover=None):
    return {
        "document": document.pk if document is not None else None,
        "title": title,
        "description": description,
        "cover": cover.pk if cover is not None else None,
    }


def preview_request():
    request = RequestFactory().get("/")
    request.is_preview = True
    return request


@pytest.fixture
def sore(make_document):
    return make_document(
        title="The SORE Framework", filename="sore-framework.pdf", content=pdf_of_size(250880)
    )


def delete_document(document):
    get_document_model().objects.filter(pk=document.pk).delete()


# --- definitions ----------------------------------------------------------------------


@pytest.mark.parametrize("block_class", BLOCK_CLASSES, ids=BLOCK_IDS)
def test_every_block_has_icon_template_description_and_preview(block_class):
    block = block_class()
    assert block.meta.icon and block.meta.icon != "placeholder"
    assert block.meta.template.startswith("wagtail_pmolib/blocks/")
    get_template(block.meta.template)  # raises TemplateDoesNotExist when missing
    description = str(block.get_description())
    assert len(description) > 10
    assert block.is_previewable
    get_template(block.meta.preview_template)


@pytest.mark.parametrize("block_class", BLOCK_CLASSES, ids=BLOCK_IDS)
@pytest.mark.django_db
def test_preview_value_without_documents_or_images(block_class):
    assert not get_document_model().objects.exists()
    block = block_class()
    value = block.get_preview_value()
    block.render(value)  # renders without error


@pytest.mark.parametrize("block_class", BLOCK_CLASSES, ids=BLOCK_IDS)
def test_preview_value_with_documents_and_images(block_class, sore):
    make_image("Cover photo")
    block = block_class()
    value = block.get_preview_value()
    assert value is not None
    block.render(value)


def test_preview_values_use_the_newest_document_and_image(make_document):
    make_document(title="Old handout", filename="old.pdf")
    newest = make_document(title="New handout", filename="new.pdf")
    make_image("Old photo")
    photo = make_image("New photo")
    assert HandoutBlock().get_preview_value()["document"] == newest
    group = HandoutGroupBlock().get_preview_value()
    assert [h["document"] for h in group["handouts"]] == [newest]
    assert FigureBlock().get_preview_value()["image"].pk == photo.pk


def body_child_blocks():
    body = SessionPage._meta.get_field("body").stream_block
    recording = SessionPage._meta.get_field("recording").stream_block
    return [*body.child_blocks.values(), *recording.child_blocks.values()]


@pytest.mark.parametrize("with_media", [False, True], ids=["empty-library", "with-media"])
def test_admin_block_previews_render(admin_client, make_document, with_media):
    if with_media:
        document = make_document(title="The SORE Framework", filename="sore-framework.pdf")
        make_image("Cover photo")
    for block in body_child_blocks():
        url = reverse("wagtailadmin_block_preview") + f"?id={block.definition_prefix}"
        response = admin_client.get(url)
        assert response.status_code == 200, block.name
        html = response.content.decode()
        assert "wagtail_pmolib/css/pmolib.css" in html
        if with_media and block.name in ("handout", "handouts"):
            assert f'href="{document.url}"' in html
        if with_media and block.name == "figure":
            assert "<img" in html


# --- deconstruct ----------------------------------------------------------------------


@pytest.mark.parametrize("block_class", ALL_BLOCK_CLASSES, ids=lambda c: c.__name__)
def test_deconstruct_paths_are_importable_and_rebuild_the_block(block_class):
    # Migrations store each block (and every block nested in it) as path, args, kwargs.
    for block in _walk(block_class()):
        path, args, kwargs = block.deconstruct()
        rebuilt_class = import_string(path)
        assert isinstance(block, rebuilt_class)
        rebuilt = rebuilt_class(*args, **kwargs)
        assert rebuilt.deconstruct() == (path, args, kwargs)


def test_paragraph_block_is_frozen_with_our_path_and_its_features():
    path, args, kwargs = ParagraphBlock().deconstruct()
    assert path == "wagtail_pmolib.blocks.ParagraphBlock"
    rebuilt = import_string(path)(*args, **kwargs)
    assert rebuilt.features == ParagraphBlock().features
    assert {"h2", "h3", "h4", "link", "document-link"} <= set(rebuilt.features)


def test_the_module_exports_what_host_sites_use():
    for name in pmolib_blocks.__all__:
        assert getattr(pmolib_blocks, name).__module__ == "wagtail_pmolib.blocks"


def test_a_streamfield_of_session_body_blocks_round_trips_through_deconstruct(sore):
    field = StreamField(SessionBodyBlock(), blank=True)
    _name, path, args, kwargs = field.deconstruct()
    assert import_string(path) is StreamField
    rebuilt = StreamField(*args, **kwargs)

    original_children = field.stream_block.child_blocks
    rebuilt_children = rebuilt.stream_block.child_blocks
    assert list(rebuilt_children) == list(original_children)
    for child_name, child in original_children.items():
        assert isinstance(child, type(rebuilt_children[child_name]))
        assert rebuilt_children[child_name].deconstruct() == child.deconstruct()
        # Every nested block path (ListBlock of HandoutBlock, ChapterBlock…) imports too.
        for nested in _walk(rebuilt_children[child_name]):
            import_string(nested.deconstruct()[0])

    raw = [
        {"type": "heading", "value": {"text": "Handouts", "level": "h2", "anchor": "handouts"}},
        {"type": "paragraph", "value": "<h3>SORE</h3><p>Text</p>"},
        {"type": "handout", "value": handout_raw(sore, title="Guide")},
        {"type": "quote", "value": {"quote": "Step up.", "attribution": "Lindsay"}},
    ]
    original_value = field.stream_block.to_python(raw)
    rebuilt_value = rebuilt.stream_block.to_python(raw)
    assert rebuilt.stream_block.get_prep_value(rebuilt_value) == field.stream_block.get_prep_value(
        original_value
    )
    assert rebuilt_value[2].value["document"] == sore


def _walk(block):
    yield block
    for child in getattr(block, "child_blocks", {}).values():
        yield from _walk(child)
    if isinstance(block, wagtail_blocks.ListBlock):
        yield from _walk(block.child_block)


@pytest.mark.django_db
def test_migrations_match_the_block_definitions():
    # Block definitions are written into migrations: a change needs a new migration.
    call_command("makemigrations", "wagtail_pmolib", "--check", "--dry-run", verbosity=0)


# --- HandoutBlock ---------------------------------------------------------------------


def render_handout(document, context=None, **fields):
    block = HandoutBlock()
    value = block.to_python(handout_raw(document, **fields))
    return block.render(value, context)


def test_handout_links_to_the_document_download(sore, client):
    html = render_handout(sore, title="Handout – The SORE Framework")
    soup = BeautifulSoup(html, "html.parser")
    link = soup.find("a", class_="pmolib-handout__link")
    assert sore.url == f"/documents/{sore.pk}/sore-framework.pdf"
    assert link["href"] == sore.url
    assert link.has_attr("download")
    assert link.get_text() == "Handout – The SORE Framework"
    assert soup.find(class_="pmolib-handout__info").get_text() == f"(PDF, 245{NBSP}KB)"

    response = client.get(link["href"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_of_size(250880)


def test_handout_title_falls_back_to_the_document_title(sore):
    soup = BeautifulSoup(render_handout(sore, title=""), "html.parser")
    assert soup.find("a", class_="pmolib-handout__link").get_text() == "The SORE Framework"


def test_handout_description_and_cover(sore):
    cover = make_image("SORE cover")
    html = render_handout(sore, description="One page.\nPrint it.", cover=cover)
    soup = BeautifulSoup(html, "html.parser")
    assert "One page.<br>Print it." in html
    img = soup.find("img", class_="pmolib-handout__cover")
    assert img["src"].startswith("/media/images/sore-cover")
    assert img["alt"] == ""


def test_handout_with_a_deleted_document_shows_visitors_nothing(sore):
    block = HandoutBlock()
    value = block.to_python(handout_raw(sore, title="The SORE Framework"))
    delete_document(sore)
    value = block.to_python(handout_raw(sore, title="The SORE Framework"))
    assert value["document"] is None
    assert block.render(value).strip() == ""
    visitor = RequestFactory().get("/")
    assert block.render(value, {"request": visitor}).strip() == ""


def test_handout_with_a_deleted_document_is_flagged_in_preview(sore):
    delete_document(sore)
    block = HandoutBlock()
    value = block.to_python(handout_raw(sore, title="The SORE Framework"))
    html = block.render(value, {"request": preview_request()})
    assert "Document missing" in html
    assert "The SORE Framework" in html
    assert "<a " not in html


def test_session_page_with_a_deleted_handout_document(make_session, sore, client):
    page = make_session(body=[{"type": "handout", "value": handout_raw(sore, title="Handout")}])
    delete_document(sore)
    page = SessionPage.objects.get(pk=page.pk)

    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "pmolib-handout" not in html
    assert "/documents/" not in html
    assert "Document missing" not in html

    preview = page.make_preview_request()
    assert preview.status_code == 200
    assert "Document missing" in preview.content.decode()


# --- HandoutGroupBlock ----------------------------------------------------------------


def test_handout_group_renders_its_heading_with_the_anchor_and_every_handout(make_document):
    documents = [
        make_document(title="The SORE Framework", filename="sore.pdf"),
        make_document(
            title="Negotiation checklist", filename="checklist.docx", content=b"x" * 3000
        ),
    ]
    block = HandoutGroupBlock()
    value = block.to_python(
        {
            "heading": "Handouts",
            "anchor": "handouts",
            "description": "Take these away.",
            "handouts": [handout_raw(d) for d in documents],
        }
    )
    soup = BeautifulSoup(block.render(value), "html.parser")
    section = soup.find("section")
    assert section["aria-labelledby"] == "handouts"
    assert section.find("h2", id="handouts").get_text() == "Handouts"
    assert "Take these away." in section.get_text()
    links = section.select("a.pmolib-handout__link")
    assert [a["href"] for a in links] == [d.url for d in documents]
    assert [a.get_text() for a in links] == ["The SORE Framework", "Negotiation checklist"]
    assert f"(Word, 3{NBSP}KB)" in section.get_text()


def test_handout_group_without_a_heading_renders_no_empty_heading(sore):
    block = HandoutGroupBlock()
    value = block.to_python({"heading": "", "anchor": "", "handouts": [handout_raw(sore)]})
    soup = BeautifulSoup(block.render(value), "html.parser")
    assert soup.find("h2") is None
    assert not soup.find("section").has_attr("aria-labelledby")
    assert soup.find("a")["href"] == sore.url


def test_handout_group_in_a_page_gets_its_anchor_from_the_heading(make_session, sore, client):
    page = make_session(
        body=[
            {
                "type": "handouts",
                "value": {
                    "heading": "Handout – The SORE Framework",
                    "anchor": "",
                    "handouts": [handout_raw(sore)],
                },
            }
        ]
    )
    soup = BeautifulSoup(client.get(page.url).content, "html.parser")
    heading = soup.find(id="handout-the-sore-framework")
    assert heading.name == "h2"
    assert (
        heading.find_parent("section").find("a", class_="pmolib-handout__link")["href"] == sore.url
    )


# --- API representations --------------------------------------------------------------


def test_handout_api_representation(sore):
    cover = make_image("SORE cover")
    block = HandoutBlock()
    value = block.to_python(handout_raw(sore, description="One page.", cover=cover))
    assert block.get_api_representation(value) == {
        "title": "The SORE Framework",
        "description": "One page.",
        "document": {
            "id": sore.pk,
            "title": "The SORE Framework",
            "private": False,
            "url": f"/documents/{sore.pk}/sore-framework.pdf",
            "file_type": "PDF",
            "file_extension": "pdf",
            "file_size": 250880,
            "file_size_display": f"245{NBSP}KB",
        },
        "cover": {"id": cover.pk, "title": "SORE cover"},
    }


def test_handout_api_representation_with_a_deleted_document(sore):
    delete_document(sore)
    block = HandoutBlock()
    assert block.get_api_representation(block.to_python(handout_raw(sore))) is None


def test_handout_group_api_representation_skips_deleted_documents(make_document):
    keep = make_document(title="Keep", filename="keep.pdf")
    gone = make_document(title="Gone", filename="gone.pdf")
    raw = {
        "heading": "Handouts",
        "anchor": "handouts",
        "description": "",
        "handouts": [handout_raw(gone), handout_raw(keep, title="Kept handout")],
    }
    delete_document(gone)
    block = HandoutGroupBlock()
    representation = block.get_api_representation(block.to_python(raw))
    assert representation["heading"] == "Handouts"
    assert representation["anchor"] == "handouts"
    assert [h["title"] for h in representation["handouts"]] == ["Kept handout"]
    assert representation["handouts"][0]["document"]["url"] == keep.url


def test_recording_api_representation_needs_no_oembed_lookup():
    embed_finders.CALLS.clear()
    block = RecordingBlock()
    value = block.to_python(
        {
            "url": "https://www.youtube.com/watch?v=seed123",
            "status": "shortened",
            "notice": "",
            "chapters": [
                {"time": "4:30", "title": "The SORE framework"},
                {"time": "bad", "title": "Skipped"},
                {"time": "0:00", "title": "Introduction"},
            ],
        }
    )
    representation = block.get_api_representation(value)
    assert embed_finders.CALLS == []
    assert representation["status"] == "shortened"
    assert representation["status_display"] == "Shortened edit"
    assert representation["notice"] == "This is a shortened version of the original recording."
    assert representation["playable"] is True
    assert representation["url"] == "https://www.youtube.com/watch?v=seed123"
    assert representation["chapters"] == [
        {
            "seconds": 0,
            "label": "0:00",
            "title": "Introduction",
            "url": "https://www.youtube.com/watch?v=seed123&t=0",
        },
        {
            "seconds": 270,
            "label": "4:30",
            "title": "The SORE framework",
            "url": "https://www.youtube.com/watch?v=seed123&t=270",
        },
    ]


def test_recording_api_hides_an_embargoed_url():
    block = RecordingBlock()
    value = block.to_python(
        {
            "url": "https://www.youtube.com/watch?v=secret",
            "status": "embargoed",
            "available_from": "2099-01-01",
            "chapters": [{"time": "1:00", "title": "Part"}],
        }
    )
    representation = block.get_api_representation(value)
    assert representation["playable"] is False
    assert representation["url"] == ""
    assert representation["chapters"] == []
    assert representation["available_from"] == "2099-01-01"
    assert "2099" in representation["notice"]


def test_heading_api_representation():
    block = HeadingBlock()
    value = block.to_python({"text": "Key takeaways", "level": "h3", "anchor": "key-takeaways"})
    assert block.get_api_representation(value) == {
        "text": "Key takeaways",
        "level": 3,
        "anchor": "key-takeaways",
    }


def test_page_api_body_uses_the_block_representations(make_session, sore, client):
    page = make_session(
        body=[
            {"type": "handout", "value": handout_raw(sore)},
            {
                "type": "handouts",
                "value": {"heading": "More", "anchor": "", "handouts": [handout_raw(sore)]},
            },
        ]
    )
    body = client.get(f"/api/v2/pages/{page.pk}/").json()["body"]
    assert body[0]["type"] == "handout"
    assert body[0]["value"]["document"]["url"] == sore.url
    assert body[0]["value"]["document"]["file_type"] == "PDF"
    assert body[1]["value"]["anchor"] == "more"
    assert body[1]["value"]["handouts"][0]["document"]["file_size"] == 250880


# --- query counts ---------------------------------------------------------------------


def _load_and_render(pk):
    # Renditions are also kept in Django's cache; measure a cold cache (after a
    # deploy or an eviction), when only the block's prefetch saves the queries.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        page = SessionPage.objects.get(pk=pk)
        html = page.body.render_as_block()
    return len(queries), html


@pytest.mark.parametrize("grouped", [False, True], ids=["handout-blocks", "handout-group"])
def test_rendering_twenty_handouts_costs_the_same_queries_as_one(
    make_session, make_document, grouped
):
    def handouts(n, prefix):
        items = []
        for i in range(n):
            document = make_document(title=f"{prefix} handout {i}", filename=f"{prefix}-{i}.pdf")
            items.append(handout_raw(document, cover=make_image(f"{prefix} cover {i}")))
        if grouped:
            return [
                {
                    "type": "handouts",
                    "value": {"heading": "Handouts", "anchor": "", "handouts": items},
                }
            ]
        return [{"type": "handout", "value": item} for item in items]

    one = make_session(title="One handout", body=handouts(1, "one"))
    twenty = make_session(title="Twenty handouts", body=handouts(20, "twenty"))
    # The first view makes the cover renditions; measure the views after it.
    _load_and_render(one.pk)
    _load_and_render(twenty.pk)

    one_queries, one_html = _load_and_render(one.pk)
    twenty_queries, twenty_html = _load_and_render(twenty.pk)
    assert one_html.count("pmolib-handout__link") == 1
    assert twenty_html.count("pmolib-handout__link") == 20
    assert twenty_html.count("<img") == 20
    assert twenty_queries == one_queries


def test_session_page_view_with_twenty_handouts_costs_the_same_queries_as_one(
    make_session, make_document, client
):
    def body(n, prefix):
        return [
            {
                "type": "handout",
                "value": handout_raw(
                    make_document(title=f"{prefix} {i}", filename=f"{prefix}-{i}.pdf"),
                    cover=make_image(f"{prefix} cover {i}"),
                ),
            }
            for i in range(n)
        ]

    one = make_session(title="One handout", body=body(1, "one"))
    twenty = make_session(title="Twenty handouts", body=body(20, "twenty"))
    client.get(one.url)
    client.get(twenty.url)

    counts = []
    for page in (one, twenty):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_new_recording_starts_with_no_chapters():
    """The editor's Add → Recording inserts the block's default; one empty chapter
    there was accepted by drafts and preview, then refused by Publish."""
    block = RecordingBlock()
    default = block.get_default()
    assert list(default["chapters"]) == []
    assert block.get_form_state(default)["chapters"] == []
    # Once the editor gives it a URL, it publishes: nothing else is required.
    default["url"] = "https://www.youtube.com/watch?v=seed123"
    assert list(block.clean(default)["chapters"]) == []


@pytest.mark.django_db
def test_the_handout_chooser_shows_the_files_type_and_size():
    document = get_document_model()(title="The SORE Framework")
    document.file.save("sore.pdf", ContentFile(pdf_of_size(250 * 1024)), save=False)
    document.save()
    widget = HandoutBlock().child_blocks["document"].widget
    shown = "The SORE Framework — PDF, 250\u00a0KB"
    assert widget.get_value_data(document)["title"] == shown
    assert shown in widget.render("doc", document.pk, attrs={"id": "id_doc"})


@pytest.mark.django_db
def test_a_setting_restricts_handout_file_types(settings):
    document = get_document_model()(title="Installer")
    document.file.save("setup.exe", ContentFile(b"MZ..."), save=False)
    document.save()
    block = HandoutBlock()
    value = block.to_python(handout_raw(document))
    block.clean(value)  # any file while the setting is empty

    settings.WAGTAIL_PMOLIB = {"HANDOUT_FILE_EXTENSIONS": ["pdf", "pptx"]}
    with pytest.raises(wagtail_blocks.StructBlockValidationError) as raised:
        block.clean(value)
    assert raised.value.block_errors["document"].messages == [
        "“setup.exe” can’t be a handout: its type is EXE. Handouts may be: PDF, PowerPoint."
    ]


def test_chapters_must_run_forwards():
    block = RecordingBlock()
    value = block.to_python(
        {
            "url": "https://www.youtube.com/watch?v=seed123",
            "status": "full",
            "chapters": [
                {"time": "0:00", "title": "Introduction"},
                {"time": "4:30", "title": "SORE"},
                {"time": "4:30", "title": "Same time"},
                {"time": "2:00", "title": "Backwards"},
                {"time": "9:00", "title": "Fine again"},
            ],
        }
    )
    with pytest.raises(wagtail_blocks.StructBlockValidationError) as raised:
        block.clean(value)
    chapter_errors = raised.value.block_errors["chapters"].block_errors
    assert sorted(chapter_errors) == [2, 3]
    assert chapter_errors[2].block_errors["time"].messages == [
        "Starts at or before the chapter above it (4:30)."
    ]
    assert chapter_errors[3].block_errors["time"].messages == [
        "Starts at or before the chapter above it (4:30)."
    ]


@pytest.mark.django_db
def test_empty_choosers_are_not_asked_for(monkeypatch, make_document):
    """A recording without a file, captions or poster and a handout without a cover:
    Wagtail's chooser blocks would build (and compile) a query for their empty ids
    (a list of ``None``); they are not asked for them, and the values still come
    out right."""
    asked = []

    def recording(cls):
        original = cls.bulk_to_python

        def bulk_to_python(self, values):
            values = list(values)
            asked.append((type(self).__name__, values))
            return original(self, values)

        monkeypatch.setattr(cls, "bulk_to_python", bulk_to_python)

    # Wagtail's choosers, and the handout's document chooser, which reads its own way.
    recording(wagtail_blocks.ChooserBlock)
    recording(HandoutDocumentChooserBlock)
    document = make_document()
    recording = RecordingBlock().bulk_to_python(
        [{"url": "https://www.youtube.com/watch?v=a", "video": None, "poster": None}]
    )
    handouts = HandoutBlock().bulk_to_python(
        [{"document": document.pk, "cover": None}, {"document": None, "title": "Gone"}]
    )
    # Empty lists cost nothing (Django answers them without a query); None would not.
    assert [values for _name, values in asked if values] == [[document.pk]]
    assert recording[0]["poster"] is None and recording[0]["video"] is None
    assert recording[0]["url"] == "https://www.youtube.com/watch?v=a"
    assert [h["document"] for h in handouts] == [document, None]
    assert [h["cover"] for h in handouts] == [None, None]
    assert handouts[1]["title"] == "Gone"


@pytest.mark.django_db
def test_handout_documents_are_read_with_their_privacy_in_one_query(make_document):
    """A page's handout documents come with whether each is private: rendering
    them (title, the private note) asks nothing more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from wagtail.models import Collection, CollectionViewRestriction

    public = make_document()
    members = Collection.get_first_root_node().add_child(name="Members")
    CollectionViewRestriction.objects.create(
        collection=members, restriction_type=CollectionViewRestriction.LOGIN
    )
    private = make_document()
    private.collection = members
    private.save()
    block = HandoutBlock()
    with CaptureQueriesContext(connection) as queries:
        values = block.bulk_to_python(
            [{"document": public.pk}, {"document": private.pk}, {"document": public.pk}]
        )
        titles = [block.title_for(value) for value in values]
    assert len(queries) == 1
    assert titles == [public.title, "", public.title]
    assert values[0]["document"] is not values[2]["document"]
