"""PDF handout text for search: extracted on save, bounded, never fatal."""

import io
import logging

from django.core.files.base import ContentFile
from django.test import override_settings
from pypdf import PdfReader, PdfWriter

from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import DocumentText
from wagtail_pmolib.pdftext import extract_pdf_text


def multi_page_pdf(pages):
    writer = PdfWriter()
    for n in range(pages):
        writer.add_page(
            PdfReader(io.BytesIO(build_pdf(f"Page {n + 1}", [f"words {n + 1}"]))).pages[0]
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf():
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(build_pdf("Secret", ["hidden words"]))).pages[0])
    writer.encrypt("password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_text_of_a_handout_is_stored_when_it_is_saved(make_document):
    document = make_document(
        "The SORE Framework", content=build_pdf("The SORE Framework", ["Situation", "Objective"])
    )
    stored = DocumentText.objects.get(document=document)
    assert "The SORE Framework" in stored.text
    assert "Objective" in stored.text
    assert stored.pages_read == 1 and not stored.truncated and stored.error == ""


def test_broken_pdf_is_skipped_with_a_warning_and_the_document_saves(make_document, caplog):
    with caplog.at_level(logging.WARNING, logger="wagtail_pmolib.pdftext"):
        document = make_document("Broken", content=b"%PDF-1.4 this is not really a pdf")
    assert document.pk
    stored = DocumentText.objects.get(document=document)
    assert stored.text == "" and stored.error.startswith("unreadable")
    assert any("could not be read" in r.getMessage() for r in caplog.records)


def test_encrypted_pdf_is_skipped(make_document, caplog):
    with caplog.at_level(logging.WARNING, logger="wagtail_pmolib.pdftext"):
        document = make_document("Secret", content=encrypted_pdf())
    stored = DocumentText.objects.get(document=document)
    assert stored.text == "" and stored.error == "encrypted"
    assert "hidden" not in stored.text
    assert any("encrypted" in r.getMessage() for r in caplog.records)


def test_pages_and_text_are_bounded():
    data = multi_page_pdf(5)
    with override_settings(WAGTAIL_PMOLIB={"PDF_MAX_PAGES": 2}):
        extracted = extract_pdf_text(io.BytesIO(data), size=len(data))
    assert extracted.pages_read == 2 and extracted.truncated
    assert "words 2" in extracted.text and "words 3" not in extracted.text
    with override_settings(WAGTAIL_PMOLIB={"PDF_MAX_TEXT": 10}):
        extracted = extract_pdf_text(io.BytesIO(data), size=len(data))
    assert len(extracted.text) == 10 and extracted.truncated


def test_files_over_the_byte_limit_are_not_read():
    data = build_pdf("Big", ["big"])
    with override_settings(WAGTAIL_PMOLIB={"PDF_MAX_BYTES": len(data) - 1}):
        extracted = extract_pdf_text(io.BytesIO(data), size=len(data))
    assert extracted.text == "" and "PDF_MAX_BYTES" in extracted.error


def test_text_is_extracted_again_only_when_the_file_changes(make_document):
    document = make_document("Handout", content=build_pdf("First version", ["alpha"]))
    first = DocumentText.objects.get(document=document)
    document.title = "Handout, renamed"
    document.save()
    assert DocumentText.objects.get(document=document).extracted_at == first.extracted_at
    document.file.save("v2.pdf", ContentFile(build_pdf("Second version", ["beta"])), save=False)
    document.file_size = None
    document.file_hash = ""
    document.save()
    stored = DocumentText.objects.get(document=document)
    assert "beta" in stored.text and "alpha" not in stored.text


def test_other_file_types_have_no_text(make_document):
    document = make_document("Notes", filename="notes.txt", content=b"plain text notes")
    assert not DocumentText.objects.filter(document=document).exists()
