"""Describing documents for visitors: "PDF, 245 KB" (wagtail_pmolib.documents)."""

import pytest
from django.core.files.base import ContentFile
from django.utils import translation
from wagtail.documents import get_document_model

from tests.conftest import make_pdf_bytes
from wagtail_pmolib.documents import describe_document, file_type_label, human_size

NBSP = "\u00a0"  # between number and unit, so "245 KB" never wraps
KB = 1024
MB = 1024 * 1024


def pdf_of_size(size):
    """A valid PDF padded with a trailing comment to exactly ``size`` bytes."""
    content = make_pdf_bytes("The SORE Framework") + b"\n%"
    return content + b"x" * (size - len(content))


# --- file_type_label ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "label"),
    [
        ("pdf", "PDF"),
        ("PDF", "PDF"),
        (".pdf", "PDF"),
        ("docx", "Word"),
        ("doc", "Word"),
        ("pptx", "PowerPoint"),
        ("xlsx", "Excel"),
        ("vtt", "Captions"),
        ("txt", "Text"),
        ("mp4", "MP4"),
        ("key", "KEY"),
        ("", ""),
        (None, ""),
    ],
)
def test_file_type_label(extension, label):
    assert file_type_label(extension) == label


# --- human_size -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, f"0{NBSP}bytes"),
        (1, f"1{NBSP}byte"),
        (2, f"2{NBSP}bytes"),
        (1023, f"1023{NBSP}bytes"),
        (KB, f"1{NBSP}KB"),
        (KB + 1, f"1{NBSP}KB"),
        (1536, f"2{NBSP}KB"),
        (250880, f"245{NBSP}KB"),
        (1000 * KB, f"1000{NBSP}KB"),
        (MB, f"1{NBSP}MB"),
        (int(1.5 * MB), f"1.5{NBSP}MB"),
        (int(1.44 * MB), f"1.4{NBSP}MB"),
        (2 * MB, f"2{NBSP}MB"),
        (2 * MB - 1, f"2{NBSP}MB"),
        (10**9, f"953.7{NBSP}MB"),
        (3 * 1024 * MB, f"3{NBSP}GB"),
        (5 * 1024 * 1024 * MB, f"5{NBSP}TB"),
        (2048 * 1024 * 1024 * MB, f"2048{NBSP}TB"),
    ],
)
def test_human_size(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize("size", [None, -1])
def test_human_size_unknown(size):
    assert human_size(size) == ""


@pytest.mark.parametrize("size", [MB - 1, MB - 300])
def test_a_size_just_under_a_megabyte_reads_one_megabyte(size):
    assert human_size(size) == f"1{NBSP}MB"


def test_human_size_uses_the_visitors_number_format():
    with translation.override("de"):
        assert human_size(int(1.5 * MB)).startswith("1,5")
    with translation.override("en"):
        assert human_size(int(1.5 * MB)).startswith("1.5")


# --- describe_document ----------------------------------------------------------------


def test_describe_a_real_document(make_document):
    document = make_document(content=pdf_of_size(250880))
    assert document.file_size == 250880  # filled in on save, not by the admin
    assert describe_document(document) == f"PDF, 245{NBSP}KB"


def test_describe_after_reloading_from_the_database(make_document):
    document = make_document(content=pdf_of_size(250880))
    reloaded = get_document_model().objects.get(pk=document.pk)
    assert describe_document(reloaded) == f"PDF, 245{NBSP}KB"


def test_describe_a_word_document(make_document):
    document = make_document(title="Checklist", filename="checklist.docx", content=b"x" * 3000)
    assert describe_document(document) == f"Word, 3{NBSP}KB"


def test_describe_leaves_out_an_unknown_size(make_document):
    document = make_document(content=pdf_of_size(250880))
    get_document_model().objects.filter(pk=document.pk).update(file_size=None)
    document = get_document_model().objects.get(pk=document.pk)
    assert document.file_size is None
    assert describe_document(document) == "PDF"


def test_describe_leaves_out_an_unknown_type(make_document):
    document = make_document(filename="README", content=b"x" * 2048)
    assert describe_document(document) == f"2{NBSP}KB"


def test_describe_nothing():
    assert describe_document(None) == ""


def test_a_size_given_by_the_uploader_is_kept(make_document):
    Document = get_document_model()
    document = Document(title="Sized", file_size=123)
    document.file.save("sized.pdf", ContentFile(pdf_of_size(5000)), save=False)
    document.save()
    assert Document.objects.get(pk=document.pk).file_size == 123


def test_describing_never_opens_the_file(make_document, django_assert_num_queries):
    document = make_document(content=pdf_of_size(250880))
    document.file.storage.delete(document.file.name)
    assert not document.file.storage.exists(document.file.name)

    reloaded = get_document_model().objects.get(pk=document.pk)
    with django_assert_num_queries(0):
        assert describe_document(reloaded) == f"PDF, 245{NBSP}KB"


def test_a_document_whose_file_is_gone_still_saves(make_document, caplog):
    Document = get_document_model()
    document = make_document(content=pdf_of_size(2048))
    document.file.storage.delete(document.file.name)
    document = Document.objects.get(pk=document.pk)
    document.file_size = None
    document.title = "Renamed"
    with caplog.at_level("WARNING", logger="wagtail_pmolib.signal_handlers"):
        document.save()
    assert Document.objects.get(pk=document.pk).title == "Renamed"
    assert describe_document(document) == "PDF"
    assert "Could not read the size" in caplog.text
