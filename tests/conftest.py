"""Shared fixtures: a page tree, speakers and documents, built the way editors would."""

import io
import shutil

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Site
from wagtail.rich_text import RichText

from wagtail_pmolib.models import (
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    SessionPage,
    SessionSpeaker,
    Speaker,
)

SEED_NOTICE = (
    "The original recording from the conference cannot be used due to performance "
    "rights, in this article, you’ll find a shortened version."
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    # Version numbers repeat between tests (each test's rows are rolled back), so
    # nothing cached under them may outlive a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _commit_like_production():
    """Run ``transaction.on_commit`` callbacks when they would run in production.

    pytest-django's ``db`` runs each test inside a transaction that is rolled
    back, never committed, so on-commit work (cache invalidation, tasks) would
    never happen. Here the test's own transaction stands for autocommit: a
    callback registered outside any ``atomic()`` of the code under test runs at
    once, and one registered inside runs when the outermost such block exits
    successfully (one rolled back drops its callbacks, as Django does).
    ``transactional_db`` tests commit for real and are left alone. For the whole
    session, so that ``setUpTestData`` (before any test's fixtures) is covered too.
    """
    from django.db import transaction
    from django.db.backends.base.base import BaseDatabaseWrapper

    def only_test_blocks(connection):
        return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)

    def run_pending(connection):
        while connection.run_on_commit:
            _sids, func, _robust = connection.run_on_commit.pop(0)
            func()

    original_on_commit = BaseDatabaseWrapper.on_commit

    def on_commit(self, func, robust=False):
        if self.in_atomic_block and only_test_blocks(self) and not self.needs_rollback:
            func()
        else:
            original_on_commit(self, func, robust)

    original_exit = transaction.Atomic.__exit__

    def exit_(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
        result = original_exit(self, exc_type, exc_value, traceback)
        if (
            exc_type is None
            and not self._from_testcase
            and connection.in_atomic_block
            and only_test_blocks(connection)
            and not connection.needs_rollback
        ):
            run_pending(connection)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
        patch.setattr(transaction.Atomic, "__exit__", exit_)
        yield


def make_pdf_bytes(text="Handout"):
    """A small, valid one-page PDF."""
    from wagtail_pmolib.demo.pdf import build_pdf

    return build_pdf(title=text, lines=[text])


@pytest.fixture
def make_document(db):
    """Upload a document as the admin does: once it returns, what runs after the
    commit (the PDF's text, ``tasks.document_changed_task``) has run."""
    Document = get_document_model()

    def make(title="The SORE Framework", filename="sore-framework.pdf", content=None):
        content = make_pdf_bytes(title) if content is None else content
        document = Document(title=title)
        document.file.save(filename, ContentFile(content), save=False)
        document.save()
        return document

    return make


@pytest.fixture
def make_image(db):
    Image = get_image_model()

    def make(title="Photo", size=(60, 40), color="teal"):
        from PIL import Image as PILImage

        buffer = io.BytesIO()
        PILImage.new("RGB", size, color).save(buffer, "PNG")
        name = f"{title.lower().replace(' ', '-')}.png"
        image = Image(title=title, file=ImageFile(buffer, name=name))
        image.save()
        return image

    return make


def ensure_default_site():
    """The default site's root page (and the root collection), made again if a
    transactional test's flush removed what Wagtail's migrations created."""
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page

    if Collection.get_first_root_node() is None:  # documents and images need it
        Collection.add_root(name="Root")
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return site.root_page
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    home = root.add_child(title="Home", slug="home")
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return home


@pytest.fixture
def transactional_site_root(transactional_db):
    return ensure_default_site()


@pytest.fixture
def site_root(db):
    return Site.objects.get(is_default_site=True).root_page


@pytest.fixture
def library(site_root):
    return site_root.add_child(instance=LibraryIndexPage(title="PMO Library", slug="library"))


@pytest.fixture
def conference(library):
    import datetime

    page = ConferencePage(
        title="PMO Conference 2021",
        slug="pmo-conference-2021",
        start_date=datetime.date(2021, 11, 2),
        end_date=datetime.date(2021, 11, 3),
        city="London",
    )
    for name in ("PMO Services", "PMO People", "PMO in Practice"):
        page.themes.add(ConferenceTheme(name=name))
    library.add_child(instance=page)
    return page


@pytest.fixture
def speaker(db):
    return Speaker.objects.create(
        name="Lindsay Scott", role="Director", organisation="PMO Learning"
    )


@pytest.fixture
def make_session(conference):
    """Build a published session under ``conference``; keyword arguments set its fields."""

    def make(title="Step up – Powering up the PMO Service", speakers=(), parent=None, **fields):
        parent = parent or conference
        fields.setdefault("slug", None)
        if fields["slug"] is None:
            from django.utils.text import slugify

            fields["slug"] = slugify(title)
        page = SessionPage(title=title, **fields)
        for speaker in speakers:
            page.session_speakers.add(SessionSpeaker(speaker=speaker))
        parent.add_child(instance=page)
        page.save_revision().publish()
        page.refresh_from_db()
        return page

    return make


def menu_item_names(request):
    """The names of every admin menu item (and submenu item) shown for ``request``."""
    from wagtail.admin.menu import admin_menu

    names = []

    def walk(items):
        for item in items:
            names.append(item.name)
            submenu = getattr(item, "menu", None)
            if submenu is not None:
                walk(submenu.menu_items_for_request(request))

    walk(admin_menu.menu_items_for_request(request))
    return names


def recording_value(url="https://www.youtube.com/watch?v=seed123", **extra):
    value = {"url": url, "status": "shortened", "notice": SEED_NOTICE, "chapters": []}
    value.update(extra)
    return [("recording", value)]


def paragraph(html):
    return ("paragraph", RichText(html))


__all__ = ["SEED_NOTICE", "make_pdf_bytes", "paragraph", "recording_value", "settings"]
