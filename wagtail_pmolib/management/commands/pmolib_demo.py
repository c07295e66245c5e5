"""``manage.py pmolib_demo``: a demo session library to look at, idempotently.

Creates (or reuses) a LibraryIndexPage with the slug ``library`` under the default
site's root page, two conferences, the seed session "Step up – …" and a dozen more
sessions with speakers, recordings, handouts and notes (the data is in
``wagtail_pmolib.demo.content``). Anything already there, found by slug under its
parent page, by title (documents, images) or by name (speakers), is reused exactly
as it is, so running the command again creates and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Site

from ...demo import content
from ...models import ConferencePage, LibraryIndexPage, SessionPage, Speaker

LIBRARY_SLUG = "library"
KINDS = ["library pages", "conference pages", "session pages", "speakers", "documents", "images"]


@dataclass
class DemoResult:
    """What the demo created and what it found and reused, by kind."""

    created: Counter = field(default_factory=Counter)
    reused: Counter = field(default_factory=Counter)
    library: LibraryIndexPage | None = None
    seed_session: SessionPage | None = None

    def count(self, kind, created):
        (self.created if created else self.reused)[kind] += 1


def get_or_create_page(parent, model, slug, make):
    """The child of ``parent`` with ``slug``, or ``make()`` added there and published.

    New pages are added as drafts, then published from a revision as an editor
    would, so that they have a revision and a first publication date.
    """
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        page = existing.specific
        if not isinstance(page, model):
            raise CommandError(
                f"The page at {existing.url_path} is a {type(page).__name__}, not a "
                f"{model.__name__}: change its slug or move it, then run pmolib_demo again."
            )
        return page, False
    page = make()
    page.slug, page.live = slug, False
    parent.add_child(instance=page)
    page.save_revision().publish()
    return model.objects.get(pk=page.pk), True


def build_speakers(result):
    speakers = {}
    for name, role, organisation, bio, colour in content.SPEAKERS:
        speaker = Speaker.objects.filter(name=name).order_by("pk").first()
        result.count("speakers", speaker is None)
        if speaker is None:
            photo = None
            if colour:
                photo, created = content.speaker_photo(name, colour)
                result.count("images", created)
            speaker = content.build_speaker(name, role, organisation, bio, photo)
        speakers[name] = speaker
    return speakers


def build_files(result):
    """Every handout's document and cover picture, by handout title."""
    documents, covers = {}, {}
    for spec in content.SESSIONS:
        for title, description in content.handouts_of(spec):
            if title not in documents:
                lines = content.handout_lines(title, description, spec["title"])
                documents[title], created = content.get_or_create_document(title, lines)
                result.count("documents", created)
    for title, colour in content.COVERS.items():
        covers[title], created = content.handout_cover(title, colour)
        result.count("images", created)
    return documents, covers


@transaction.atomic
def build_demo() -> DemoResult:
    """Create, or find and reuse, the demo library under the default site's root page."""
    result = DemoResult()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise CommandError("There is no default site: run migrate, or add a site, first.")
    library, created = get_or_create_page(
        site.root_page,
        LibraryIndexPage,
        LIBRARY_SLUG,
        lambda: LibraryIndexPage(title=content.LIBRARY["title"], intro=content.LIBRARY["intro"]),
    )
    result.library = library
    result.count("library pages", created)
    speakers = build_speakers(result)
    documents, covers = build_files(result)
    conferences = {}
    for spec in content.CONFERENCES:
        conferences[spec["slug"]], created = get_or_create_page(
            library, ConferencePage, spec["slug"], lambda s=spec: content.build_conference(s)
        )
        result.count("conference pages", created)
    for spec in content.SESSIONS:
        conference = conferences[spec["conference"]]
        session, created = get_or_create_page(
            conference,
            SessionPage,
            spec.get("slug") or slugify(spec["title"]),
            lambda s=spec, c=conference: content.build_session(c, s, speakers, documents, covers),
        )
        result.count("session pages", created)
        if spec["title"] == content.SEED_TITLE:
            result.seed_session = session
    return result


class Command(BaseCommand):
    help = (
        "Create demo content for the session library, idempotently: a library at /library/ "
        "under the default site's root page, conferences, sessions, speakers and handouts."
    )

    def handle(self, *args, **options):
        result = build_demo()
        if options["verbosity"] < 1:
            return
        created, reused = result.created, result.reused
        self.stdout.write("Demo content for the session library:")
        for kind in KINDS:
            self.stdout.write(f"  {kind}: {created[kind]} created, {reused[kind]} reused")
        if created.total():
            self.stdout.write(self.style.SUCCESS(f"Created {created.total()} objects."))
        else:
            self.stdout.write("Nothing new: everything was already there.")
        if not result.library.live:
            self.stdout.write(
                self.style.WARNING(f"Note: the library page {result.library.url_path} is not live.")
            )
        seed = result.seed_session
        self.stdout.write(f"Seed session: {seed.get_full_url() or seed.url_path}")
