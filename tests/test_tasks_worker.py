"""The library's tasks through a real queue: django-tasks-db's database backend
and its ``db_worker`` command, as the README's "Background work" sets them up.

Transactional tests: each change really commits, as in production, so the
tasks are enqueued by the commit itself and the worker reads committed rows.
"""

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from tests.builders import found, handout_body, replace_file
from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import DocumentText

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def site_root(transactional_site_root):
    from wagtail.models import Collection

    # What Wagtail's migrations made, which an earlier transactional test's flush removed.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    return transactional_site_root


def run_worker():
    """What ``manage.py db_worker`` does, until the queue is empty."""
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def waiting(task_name):
    return [
        result.args_kwargs["args"]
        for result in DBTaskResult.objects.filter(
            task_path=f"wagtail_pmolib.tasks.{task_name}", status="READY"
        )
    ]


def test_a_replaced_pdf_waits_for_the_worker_then_is_searched(
    client, library, make_session, make_document, speaker
):
    document = make_document("Handout", content=build_pdf("Version one", ["alphaword"]))
    session = make_session(
        "Governance clinic", speakers=[speaker], body=handout_body(document, "Our handout")
    )
    with override_settings(TASKS=DATABASE_QUEUE):
        replace_file(document, build_pdf("Version two", ["betaword"]))
        speaker.name = "Morwenna Trelawney"
        speaker.save()
        # The requests committed and left the work in the queue.
        assert waiting("document_changed_task") == [[document.pk]]
        assert waiting("reindex_speaker_sessions_task") == [[speaker.pk]]
        assert "alphaword" in DocumentText.objects.get(document=document).text
        assert found(client, library, "betaword") == []
        assert found(client, library, "trelawney") == []

        run_worker()

        assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
        assert waiting("document_changed_task") == []
    assert "betaword" in DocumentText.objects.get(document=document).text
    assert found(client, library, "betaword") == [session.title]
    assert found(client, library, "alphaword") == []
    assert found(client, library, "trelawney") == [session.title]
