"""Heavy work leaves the request where the site runs a task worker.

Reading a PDF's text and re-indexing the sessions that show a changed speaker,
conference or document are tasks (``wagtail_pmolib.tasks``), enqueued once the
change commits. Here a queue is Django's dummy task backend: it records what a
worker would run, and ``Queue.run`` then runs it as a worker does. (With
Django's default immediate backend the same tasks run at the commit, in the
request: ``tests/search/test_indexing.py`` and ``tests/test_pdftext.py``.)
"""

from contextlib import contextmanager, suppress

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks import task_backends

from tests.builders import committed, found, handout_body, replace_file
from wagtail_pmolib import pdftext, tasks
from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import DocumentText, Speaker
from wagtail_pmolib.search import reindex

pytestmark = pytest.mark.django_db

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class Queue:
    """What the dummy backend recorded, and a worker that runs it."""

    def __init__(self, backend):
        self.backend = backend

    def ours(self):
        """The library's tasks waiting, as (task name, args)."""
        return [
            (result.task.name, result.args)
            for result in self.backend.results
            if result.task.module_path.startswith("wagtail_pmolib.")
        ]

    def run(self):
        """Run everything waiting (Wagtail's own tasks too), oldest first, as a
        worker would; the library's tasks' return values."""
        returned = []
        while self.backend.results:
            result = self.backend.results.pop(0)
            if not result.task.module_path.startswith("wagtail_pmolib."):
                # A worker records a failure of Wagtail's own tasks (they don't expect
                # their object to be deleted meanwhile); ours must not fail.
                with suppress(Exception):
                    result.task.call(*result.args, **result.kwargs)
                continue
            returned.append(result.task.call(*result.args, **result.kwargs))
        return returned


@contextmanager
def task_queue():
    with override_settings(TASKS=DUMMY):
        yield Queue(task_backends["default"])


@pytest.fixture
def pdf_reads(monkeypatch):
    """How many times a PDF was parsed."""
    calls = []
    original = pdftext.extract_pdf_text

    def counting(*args, **kwargs):
        calls.append(kwargs.get("name"))
        return original(*args, **kwargs)

    monkeypatch.setattr(pdftext, "extract_pdf_text", counting)
    return calls


# --- Documents ------------------------------------------------------------------------------------


def test_a_replaced_pdf_is_read_by_the_worker_not_in_the_request(
    client, library, make_session, make_document, pdf_reads
):
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    session = make_session("Governance clinic", body=handout_body(document, "Our handout"))
    pdf_reads.clear()
    with task_queue() as queue:
        with committed():
            replace_file(document, build_pdf("Version two", ["betaword"]))
            assert queue.ours() == []  # nothing before the commit
        assert queue.ours() == [("document_changed_task", [document.pk])]
        # The request did not open the PDF; visitors still find the old text.
        assert pdf_reads == []
        assert "alphaword" in DocumentText.objects.get(document=document).text
        assert found(client, library, "betaword") == []
        assert found(client, library, "alphaword") == [session.title]

        assert queue.run() == [{"document": document.pk, "sessions": 1}]
    assert len(pdf_reads) == 1
    assert "betaword" in DocumentText.objects.get(document=document).text
    assert found(client, library, "betaword") == [session.title]
    assert found(client, library, "alphaword") == []


def test_without_a_worker_the_text_is_read_in_the_request_once_the_save_commits(
    client, library, make_session, make_document, pdf_reads
):
    # No TASKS setting: Django's immediate backend, what a host gets by default.
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    session = make_session("Governance clinic", body=handout_body(document, "Our handout"))
    pdf_reads.clear()
    with committed():
        replace_file(document, build_pdf("Version two", ["betaword"]))
        assert pdf_reads == []  # not while the transaction is open
        assert "alphaword" in DocumentText.objects.get(document=document).text
    assert len(pdf_reads) == 1
    assert "betaword" in DocumentText.objects.get(document=document).text
    assert found(client, library, "betaword") == [session.title]


def test_a_new_pdfs_text_is_stored_once_the_worker_ran(make_document, pdf_reads):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    document = get_document_model()(title="Fresh handout")
    document.file.save("fresh.pdf", ContentFile(build_pdf("Fresh", ["gannetword"])), save=False)
    with task_queue() as queue:
        with committed():
            document.save()
        assert queue.ours() == [("document_changed_task", [document.pk])]
        assert pdf_reads == []
        assert not DocumentText.objects.filter(document=document).exists()
        queue.run()
    assert "gannetword" in DocumentText.objects.get(document=document).text


def test_a_broken_pdf_in_the_worker_is_skipped_and_its_sessions_still_reindexed(
    client, library, make_session, make_document
):
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    # An untitled handout shows (and is found by) its document's title.
    session = make_session("Governance clinic", body=handout_body(document))
    with task_queue() as queue:
        with committed():
            document.title = "Ravenglass sheet"
            replace_file(document, b"%PDF-1.4 not really a pdf")
        assert queue.run() == [{"document": document.pk, "sessions": 1}]
    stored = DocumentText.objects.get(document=document)
    assert stored.text == "" and stored.error.startswith("unreadable")
    assert found(client, library, "ravenglass") == [session.title]
    assert found(client, library, "alphaword") == []


def test_a_task_whose_document_was_deleted_meanwhile_does_nothing(make_document):
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    pk = document.pk
    with task_queue() as queue:
        with committed():
            document.title = "Renamed"
            document.save()
        with committed():
            document.delete()
        assert queue.run() == [{"document": None, "sessions": 0}]
    assert not DocumentText.objects.filter(document_id=pk).exists()


def test_running_a_document_task_twice_gives_the_same_result(
    client, library, make_session, make_document, pdf_reads
):
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    session = make_session("Governance clinic", body=handout_body(document, "Our handout"))
    first = DocumentText.objects.get(document=document)
    reads = len(pdf_reads)
    assert tasks.document_changed_task.call(document.pk) == {"document": document.pk, "sessions": 1}
    assert tasks.document_changed_task.call(document.pk) == {"document": document.pk, "sessions": 1}
    again = DocumentText.objects.get(document=document)
    assert (again.pk, again.extracted_at, again.text) == (first.pk, first.extracted_at, first.text)
    assert len(pdf_reads) == reads  # the same file is not read again
    assert found(client, library, "alphaword") == [session.title]


def test_a_rolled_back_change_enqueues_nothing(make_document, speaker):
    document = make_document("Handout")
    with task_queue() as queue:
        with committed():
            try:
                with transaction.atomic():
                    document.title = "Never saved"
                    document.save()
                    speaker.name = "Never saved"
                    speaker.save()
                    raise RuntimeError("the editor's request failed")
            except RuntimeError:
                pass
        assert queue.ours() == []


# --- Speakers and conferences ---------------------------------------------------------------------


def test_a_renamed_speaker_is_reindexed_by_the_worker(client, library, make_session, speaker):
    session = make_session("Governance clinic", speakers=[speaker])
    with task_queue() as queue:
        speaker.name = "Morwenna Trelawney"
        with committed():
            speaker.save()
        assert queue.ours() == [("reindex_speaker_sessions_task", [speaker.pk])]
        assert found(client, library, "trelawney") == []
        assert queue.run() == [1]
    assert found(client, library, "trelawney") == [session.title]
    assert found(client, library, "lindsay") == []


def test_a_published_conference_is_reindexed_by_the_worker(
    client, library, conference, make_session
):
    session = make_session("Governance clinic")
    with task_queue() as queue:
        conference.title = "Quorum Summit 2021"
        with committed():
            conference.save_revision().publish()
        assert queue.ours() == [("reindex_conference_sessions_task", [conference.pk])]
        assert found(client, library, "quorum") == []
        assert queue.run() == [1]
    assert found(client, library, "quorum") == [session.title]


def test_a_deleted_speakers_sessions_are_reindexed_in_bounded_tasks(
    client, library, make_session, speaker, monkeypatch
):
    monkeypatch.setattr(tasks, "SESSION_IDS_PER_TASK", 2)
    sessions = [make_session(f"Session {n}", speakers=[speaker]) for n in range(3)]
    ids = sorted(session.pk for session in sessions)
    with task_queue() as queue:
        with committed():
            speaker.delete()
        assert queue.ours() == [
            ("reindex_sessions_task", [ids[:2]]),
            ("reindex_sessions_task", [ids[2:]]),
        ]
        assert len(found(client, library, "lindsay")) == 3
        assert queue.run() == [2, 1]
    assert found(client, library, "lindsay") == []


def test_a_task_whose_speaker_was_deleted_meanwhile_does_nothing(make_session, speaker):
    make_session("Governance clinic", speakers=[speaker])
    pk = speaker.pk
    Speaker.objects.filter(pk=pk).delete()
    assert tasks.reindex_speaker_sessions_task.call(pk) == 0
    assert tasks.reindex_conference_sessions_task.call(999_999) == 0


def test_sessions_are_reindexed_in_batches(client, library, make_session, speaker, monkeypatch):
    from wagtail_pmolib.models import SessionPage

    monkeypatch.setattr(reindex, "BATCH_SIZE", 2)
    batches = []
    original = reindex._index_batch

    def recording(model, sessions):
        batches.append(sorted(session.pk for session in sessions))
        return original(model, sessions)

    monkeypatch.setattr(reindex, "_index_batch", recording)
    live = [make_session(f"Session {n}", speakers=[speaker]) for n in range(5)]
    draft = make_session("Draft session", speakers=[speaker])
    draft.unpublish()
    make_session("Someone else's session")
    batches.clear()
    Speaker.objects.filter(pk=speaker.pk).update(name="Morwenna Trelawney")

    assert reindex.reindex_sessions_of_speaker(speaker.pk) == 5
    ids = sorted(session.pk for session in live)
    assert batches == [ids[:2], ids[2:4], ids[4:]]
    assert sorted(found(client, library, "trelawney")) == sorted(s.title for s in live)
    assert not SessionPage.objects.live().filter(pk=draft.pk).exists()
