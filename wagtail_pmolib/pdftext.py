"""The text of PDF handouts, for the library's search.

Extracted once, after a document is saved with a new file, by a task
(``tasks.document_changed_task``: in the request with Django's default
immediate backend, in a worker with a queue backend), and stored in
``DocumentText``; never while a page is served. Bounded: files over
``PDF_MAX_BYTES`` are skipped, at most ``PDF_MAX_PAGES`` pages are read and at
most ``PDF_MAX_TEXT`` characters kept. A broken or encrypted PDF is skipped
with a logged warning and never fails the save.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .conf import pmolib_settings

logger = logging.getLogger(__name__)


@dataclass
class Extracted:
    text: str = ""
    pages_read: int = 0
    truncated: bool = False
    error: str = ""


def extract_pdf_text(fileobj, *, size=None, name="") -> Extracted:
    """The text of an open PDF file; an ``error`` says why there is none."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if size is not None and size > pmolib_settings.PDF_MAX_BYTES:
        return Extracted(error=f"larger than PDF_MAX_BYTES ({size} bytes)")
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted:
            logger.warning("Skipped the text of %s: the PDF is encrypted.", name)
            return Extracted(error="encrypted")
        limit_pages = pmolib_settings.PDF_MAX_PAGES
        limit_text = pmolib_settings.PDF_MAX_TEXT
        parts, length, pages_read = [], 0, 0
        for page in reader.pages[:limit_pages]:
            text = " ".join((page.extract_text() or "").split())
            pages_read += 1
            if text:
                parts.append(text)
                length += len(text) + 1
            if length >= limit_text:
                break
        text = "\n".join(parts)
        truncated = len(reader.pages) > pages_read or len(text) > limit_text
        return Extracted(text=text[:limit_text], pages_read=pages_read, truncated=truncated)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        logger.warning("Skipped the text of %s: the PDF could not be read (%s).", name, exc)
        return Extracted(error=f"unreadable: {exc}"[:255])


def update_document_text(document):
    """Store the text of ``document`` if it is a PDF whose file changed."""
    from .models import DocumentText

    if (document.file_extension or "").lower() != "pdf" or not document.file:
        DocumentText.objects.filter(document=document).delete()
        return None
    file_hash = document.file_hash or ""
    stored = DocumentText.objects.filter(document=document).first()
    if stored is not None and file_hash and stored.file_hash == file_hash:
        return stored
    try:
        document.file.open("rb")
        try:
            extracted = extract_pdf_text(
                document.file, size=document.file_size, name=document.file.name
            )
        finally:
            document.file.close()
    except OSError as exc:
        logger.warning("Skipped the text of %s: %s", document.file.name, exc)
        extracted = Extracted(error=f"unreadable: {exc}"[:255])
    stored, _ = DocumentText.objects.update_or_create(
        document=document,
        defaults={
            "file_hash": file_hash,
            "text": extracted.text,
            "pages_read": extracted.pages_read,
            "truncated": extracted.truncated,
            "error": extracted.error[:255],
        },
    )
    return stored
