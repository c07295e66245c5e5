"""What changed → which cached things are stale. The one place for that rule.

The library caches rendered session articles (``fragment_cache``) and each
site's feedback settings; its listing, search, facets and suggestions are read
from the database on every request and cache nothing. Each cached thing is kept
under *versions* read from the database on every request
(``models/versions.py``), one per scope:

``page:<id>``        a session's article: its own fields, speakers, handouts,
                     images and the conference heading.
``conference:<id>``  what a conference shows in its sessions' articles (its
                     title, its themes).
``order:<id>``       a conference's running order: previous/next session links.
``speaker:<id>``     the sessions a speaker has ("other sessions by …").
``library:<id>``     a library's listing: still bumped, but nothing reads it
                     since the search catalog went (to be removed).
``settings:<id>``    a site's feedback settings.
``tree``             everything: addresses changed (a site, a moved library or
                     conference), or a host asked (``invalidate_everything``).
``sites``            a site or a site's root page changed: each process drops
                     Wagtail's cached site root paths (read with ``tree``).

Signal handlers (``signal_handlers.py``) report *what* changed here. The scopes
are worked out and bumped once per transaction, **after it commits**
(``transaction.on_commit``): a process that renders between a change and its
commit keys what it renders with the old versions, which nobody reads once the
new ones are stored. Nothing is bumped for a transaction that rolls back, for
drafts, or for content outside every library (an unrelated page, image or
document) that no article links to. A change made on another database than
the versions' is flushed when that database's transaction commits; if working
out the scopes fails, ``tree`` is bumped (everything stale, never nothing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import connections, models, router, transaction

from .references import pages_referencing

logger = logging.getLogger(__name__)

TREE = "tree"
SITES = "sites"

# Page fields that saving a draft (``save_revision``), locking or scheduling
# writes: such a save changes nothing a visitor sees.
DRAFT_FIELDS = frozenset(
    {
        "wagtail_admin_comments",
        "comments",
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
    }
)

# What happened to a page.
CONTENT = "content"  # published or saved live: its fields may have changed
VISIBILITY = "visibility"  # unpublished, expired, deleted, privacy added or removed
MOVED = "moved"  # moved, or its slug (so its address and its descendants') changed
SHOWS = "shows"  # a session showing a speaker that changed (its name, photo…)


def page_scope(pk) -> str:
    return f"page:{pk}"


def conference_scope(pk) -> str:
    return f"conference:{pk}"


def order_scope(pk) -> str:
    return f"order:{pk}"


def speaker_scope(pk) -> str:
    return f"speaker:{pk}"


def library_scope(pk) -> str:
    return f"library:{pk}"


def settings_scope(site_id) -> str:
    return f"settings:{site_id}"


# --- Collecting changes per transaction ---------------------------------------------


@dataclass
class _Pending:
    atomic: object = None  # the outermost atomic block these changes belong to
    scopes: set = field(default_factory=set)
    pages: dict = field(default_factory=dict)  # id → set of what happened
    deleted: dict = field(default_factory=dict)  # path → (id, role) of deleted pages
    old_parents: set = field(default_factory=set)  # paths of pages moved away from
    speakers: set = field(default_factory=set)  # ids whose sessions show them
    documents: set = field(default_factory=set)
    images: set = field(default_factory=set)
    collections: set = field(default_factory=set)
    flushed: bool = False

    def flush(self):
        if self.flushed:
            return
        self.flushed = True
        from .models.versions import bump_versions

        try:
            scopes = self.scopes | _resolve(self)
        except Exception:
            # Scoping failed (a database error, a change too large to look up):
            # every cached thing is stale rather than none.
            logger.exception("Could not work out which cached library content changed")
            scopes = {TREE}
        try:
            bump_versions(scopes)
        except Exception:
            # Never fail the request that committed the change; caches still
            # expire (FRAGMENT_CACHE_TIMEOUT), and the next change bumps again.
            logger.exception("Could not record which cached library content changed")


def _record(change, using=None) -> None:
    """Apply ``change`` to the pending changes of the transaction that wrote it
    on database ``using`` (where the versions are kept if not given); they are
    flushed once after it commits (at once outside a transaction). With several
    databases, the versions move only after the content's own transaction
    commits, wherever the versions are kept."""
    using = using or router.db_for_write(_version_model())
    connection = connections[using]
    if not connection.in_atomic_block:
        pending = _Pending()
    else:
        outer = connection.atomic_blocks[0]
        pending = getattr(connection, "_pmolib_pending", None)
        if pending is None or pending.atomic is not outer or pending.flushed:
            pending = connection._pmolib_pending = _Pending(atomic=outer)
    change(pending)
    # One callback per change: Django drops the callbacks of a savepoint that rolls
    # back, so registering only once could lose the flush of the whole transaction.
    # The first callback to run flushes everything; the others do nothing.
    transaction.on_commit(pending.flush, using=using)


def _version_model():
    from .models.versions import ContentVersion

    return ContentVersion


# --- What signal handlers report ------------------------------------------------------


def page_changed(page, what: str) -> None:
    """``page`` (any page type) was published, unpublished, moved, restricted…"""
    if page.pk is not None:
        _record(lambda p: p.pages.setdefault(page.pk, set()).add(what), using=page._state.db)


def page_id_changed(page_id, what: str, using=None) -> None:
    """The page with id ``page_id`` changed (a view restriction, a theme…)."""
    if page_id is not None:
        _record(lambda p: p.pages.setdefault(page_id, set()).add(what), using=using)


def page_deleted(page) -> None:
    """``page`` is being deleted (called before the row goes, once for each
    page of a deleted subtree). Articles linking to it (rich text, page
    choosers) are looked up now: Wagtail drops references to what it deletes."""
    if not page.path:
        return
    role = page_role(page)

    def change(pending):
        if not any(page.path.startswith(done) for done in pending.deleted):
            pending.scopes.update(map(page_scope, _pages_linking_to_pages_under([page.path])))
        pending.deleted[page.path] = (page.pk, role)

    _record(change, using=page._state.db)


def page_moved(page, old_parent_path: str) -> None:
    def change(pending):
        pending.pages.setdefault(page.pk, set()).add(MOVED)
        if old_parent_path:
            pending.old_parents.add(old_parent_path)

    _record(change, using=page._state.db)


def session_speaker_changed(page_id, speaker_id, using=None) -> None:
    """A speaker was added to or removed from a published session."""

    def change(pending):
        pending.pages.setdefault(page_id, set()).add(CONTENT)
        pending.scopes.add(speaker_scope(speaker_id))

    _record(change, using=using)


def theme_changed(theme) -> None:
    """A conference theme was renamed, added or is being deleted (called before
    the row goes: sessions lose a deleted theme with an ``UPDATE`` that sends no
    signal). Its conference's sessions show it, and so does any session moved
    to another conference with it."""
    from .models import AbstractSessionPage

    sessions = set()
    for relation in type(theme)._meta.related_objects:
        if theme.pk is not None and issubclass(relation.related_model, AbstractSessionPage):
            sessions |= set(
                relation.related_model.objects.filter(**{relation.field.name: theme.pk})
                .exclude(path__startswith=_path_of(theme.page_id))
                .values_list("pk", flat=True)
            )

    def change(pending):
        if theme.page_id is not None:
            pending.pages.setdefault(theme.page_id, set()).add(CONTENT)
        for pk in sessions:
            pending.pages.setdefault(pk, set()).add(SHOWS)

    _record(change, using=theme._state.db)


def _path_of(page_id) -> str:
    from wagtail.models import Page

    return Page.objects.filter(pk=page_id).values_list("path", flat=True).first() or "-"


def speaker_changed(speaker_id, using=None) -> None:
    _record(lambda p: p.speakers.add(speaker_id), using=using)


def document_changed(document_id, using=None) -> None:
    _record(lambda p: p.documents.add(document_id), using=using)


def document_deleting(document_id, using=None) -> None:
    """The document ``document_id`` is being deleted (called before the row
    goes): the pages showing it are looked up now, while Wagtail's references
    to it still exist."""
    from wagtail.documents import get_document_model

    pages = pages_referencing(get_document_model(), [document_id])
    if pages:
        _record(lambda p: p.scopes.update(map(page_scope, pages)), using=using)


def image_changed(image_id, using=None) -> None:
    _record(lambda p: p.images.add(image_id), using=using)


def image_deleting(image_id, using=None) -> None:
    """The image ``image_id`` is being deleted (called before the row goes):
    speakers whose photo it is lose it with an ``UPDATE`` that sends no signal,
    and Wagtail drops the references to it, so both are looked up now."""
    from wagtail.images import get_image_model

    from .models import Speaker

    speakers = set(Speaker.objects.filter(photo_id=image_id).values_list("pk", flat=True))
    pages = pages_referencing(get_image_model(), [image_id])

    def change(pending):
        pending.speakers.update(speakers)
        pending.scopes.update(map(page_scope, pages))

    if speakers or pages:
        _record(change, using=using)


def collection_privacy_changed(collection_id, using=None) -> None:
    _record(lambda p: p.collections.add(collection_id), using=using)


def feedback_settings_changed(site_id, using=None) -> None:
    _record(lambda p: p.scopes.add(settings_scope(site_id)), using=using)


def site_changed(using=None) -> None:
    """A site was saved or deleted: every address may have changed."""
    _record(lambda p: p.scopes.update({TREE, SITES}), using=using)


def invalidate_everything(using=None) -> None:
    """Make every process re-read everything the library caches: call it after
    changing content without signals (bulk inserts, raw SQL, ``QuerySet.update``).
    With several databases, ``using`` names the one the content was written to:
    the versions move once its transaction commits."""
    _record(lambda p: p.scopes.add(TREE), using=using)


# --- From changes to scopes (after commit) ------------------------------------------


def _resolve(pending: _Pending) -> set[str]:
    """The scopes that ``pending``'s changes make stale (a few queries in all)."""
    from django.db.models import Q
    from wagtail.models import Page

    from .models import SessionSpeaker

    scopes: set[str] = set()
    steplen = Page.steplen
    roles = {role: _content_types(role) for role in ("session", "conference", "library")}

    def role_of(content_type_id):
        return next((role for role, ids in roles.items() if content_type_id in ids), None)

    # Speakers, documents and images: the articles that show them changed (and,
    # for speakers, the listings that name them: see SHOWS below).
    speaker_pages, file_pages = _pages_showing(pending, scopes)
    scopes.update(page_scope(pk) for pk in file_pages)
    for pk in speaker_pages:
        pending.pages.setdefault(pk, set()).add(SHOWS)

    # (id, path, what happened, role) of every changed page, deleted ones included.
    events = [
        (pk, path, pending.pages[pk], role_of(content_type_id))
        for pk, path, content_type_id in Page.objects.filter(pk__in=pending.pages).values_list(
            "pk", "path", "content_type_id"
        )
    ]
    events += [(pk, path, {VISIBILITY}, role) for path, (pk, role) in pending.deleted.items()]
    if not events:
        return scopes

    # The changed pages' ancestors (their conference, their library) and the
    # libraries inside subtrees that changed as a whole, in one query.
    ancestors = {path[:i] for _, path, _, _ in events for i in range(steplen, len(path), steplen)}
    # Where moved pages were: the old parent and its ancestors (the library a
    # session or conference left lists it no longer).
    ancestors |= {
        path[:i] for path in pending.old_parents for i in range(steplen, len(path) + 1, steplen)
    }
    subtrees = [path for _, path, what, role in events if role != "session" and what - {CONTENT}]
    found = Page.objects.filter(path__in=ancestors)
    if subtrees:
        inside = any_of("path__startswith", subtrees) & Q(content_type_id__in=roles["library"])
        found = Page.objects.filter(Q(path__in=ancestors) | inside)
    pk_at = {}
    for pk, path, content_type_id in found.values_list("pk", "path", "content_type_id"):
        pk_at[path] = pk
        if content_type_id in roles["library"]:
            scopes.add(library_scope(pk))
    scopes.update(library_scope(pk) for pk, _, _, role in events if role == "library" and pk)

    speakers_of = []  # conditions on SessionSpeaker
    sessions = []  # changed sessions: one IN (…) whatever their number
    for pk, path, what, role in events:
        if role == "session" and what == {SHOWS}:
            scopes.add(page_scope(pk))  # its own article; its library's was added above
            continue
        if role == "session":
            # Its article, its neighbours' links, its speakers' other sessions.
            scopes.add(page_scope(pk))
            sessions.append(pk)
            parents = {path[:-steplen]} | (pending.old_parents if MOVED in what else set())
            scopes.update(order_scope(pk_at[p]) for p in parents if p in pk_at)
            continue
        if role == "conference" and CONTENT in what:
            scopes.add(conference_scope(pk))  # its title and themes in its sessions
        if what - {CONTENT}:
            # Sessions below appear in, or leave, listings and "other sessions by".
            speakers_of.append(Q(page__path__startswith=path))
            if MOVED in what and _has_sessions_below(path, roles["session"]):
                scopes.add(TREE)  # the address of every session below changed
    # Articles linking to a moved page or one below it show its old address.
    moved = [path for _, path, what, _ in events if MOVED in what]
    if moved and _is_a_site_root([pk for pk, _, what, _ in events if MOVED in what]):
        scopes.update({TREE, SITES})
    if moved and TREE not in scopes:
        scopes.update(map(page_scope, _pages_linking_to_pages_under(moved)))
    if sessions:
        speakers_of.append(Q(page_id__in=sessions))
    if speakers_of:
        condition = speakers_of[0]
        for other in speakers_of[1:]:
            condition |= other
        scopes.update(
            speaker_scope(pk)
            for pk in SessionSpeaker.objects.filter(condition)
            .values_list("speaker_id", flat=True)
            .distinct()
        )
    return scopes


def _pages_showing(pending: _Pending, scopes: set) -> tuple[set[int], set[int]]:
    """Ids of the pages that show the changed speakers, and of those that show
    the changed documents and images (handouts, captions, covers, posters)."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    from .models import SessionSpeaker, Speaker

    speaker_pages: set[int] = set()
    file_pages: set[int] = set()
    speakers = set(pending.speakers)
    if pending.images:
        speakers |= set(
            Speaker.objects.filter(photo_id__in=pending.images).values_list("pk", flat=True)
        )
    if speakers:
        scopes.update(speaker_scope(pk) for pk in speakers)
        speaker_pages = set(
            SessionSpeaker.objects.filter(speaker_id__in=speakers).values_list("page_id", flat=True)
        )
    documents = set(pending.documents)
    if pending.collections:
        paths = Collection.objects.filter(pk__in=pending.collections).values_list("path", flat=True)
        condition = any_of("collection__path__startswith", paths)
        if condition is not None:
            documents |= set(
                get_document_model().objects.filter(condition).values_list("pk", flat=True)
            )
    targets = [(get_document_model(), documents), (get_image_model(), pending.images)]
    for model, pks in targets:
        if pks:
            file_pages |= pages_referencing(model, [str(pk) for pk in pks])
    return speaker_pages, file_pages


def _pages_linking_to_pages_under(paths) -> set[int]:
    """Ids of the pages linking to a page at or below one of ``paths``."""
    from django.db.models.functions import Cast
    from wagtail.models import Page

    targets = (
        Page.objects.filter(any_of("path__startswith", paths))
        .annotate(text_id=Cast("pk", models.CharField()))
        .values("text_id")
    )
    return pages_referencing(Page, targets)


def any_of(lookup, values):
    """``Q(lookup=v1) | Q(lookup=v2) | …``, or ``None`` for no values."""
    from django.db.models import Q

    condition = None
    for value in values:
        condition = Q(**{lookup: value}) if condition is None else condition | Q(**{lookup: value})
    return condition


def _is_a_site_root(page_ids) -> bool:
    from wagtail.models import Site

    return Site.objects.filter(root_page_id__in=page_ids).exists()


def _has_sessions_below(path, session_types) -> bool:
    from wagtail.models import Page

    return Page.objects.filter(path__startswith=path, content_type_id__in=session_types).exists()


def _content_types(role) -> set[int]:
    """Content type ids of the concrete page types that play ``role``."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import get_page_models

    from .models import AbstractConferencePage, AbstractLibraryIndexPage, AbstractSessionPage

    base = {
        "session": AbstractSessionPage,
        "conference": AbstractConferencePage,
        "library": AbstractLibraryIndexPage,
    }[role]
    models = [m for m in get_page_models() if issubclass(m, base)]
    return {ct.pk for ct in ContentType.objects.get_for_models(*models).values()}


def page_role(page) -> str | None:
    """ "session", "conference", "library" or ``None`` for ``page``'s type."""
    from .models import AbstractConferencePage, AbstractLibraryIndexPage, AbstractSessionPage

    model = page.specific_class or type(page)
    for role, base in (
        ("session", AbstractSessionPage),
        ("conference", AbstractConferencePage),
        ("library", AbstractLibraryIndexPage),
    ):
        if issubclass(model, base):
            return role
    return None
