"""The invalidation rule on its own (``invalidation/rules.py``): what a change
makes stale, with the content described in memory instead of a database.

``tests/test_invalidation.py`` checks the same through real saves and the keys
of what is cached."""

from wagtail_pmolib.invalidation.rules import (
    CONFERENCE,
    CONTENT,
    LIBRARY,
    MOVED,
    SESSION,
    SITES,
    TREE,
    VISIBILITY,
    Changes,
    stale_scopes,
)

# id: (path, role); speakers by session; the pages each document or image shows on.
PAGES = {
    1: ("0001", None),  # the site's root
    2: ("00010001", LIBRARY),
    3: ("000100010001", CONFERENCE),
    4: ("0001000100010001", SESSION),
    5: ("0001000100010002", SESSION),
    6: ("000100010002", CONFERENCE),
    7: ("0001000100020001", SESSION),
    8: ("00010002", None),  # "About us", outside the library
    9: ("000100010003", CONFERENCE),  # no sessions yet
}
SPEAKERS = {4: {40}, 5: {40, 50}, 7: {70}}
PHOTOS = {400: 40}  # image → speaker
SHOWN_ON = {("document", 10): {5}, ("image", 20): {7}}
LINKS = {4: {8}}  # page → pages linking to it
SITE_ROOTS = {1}


class Content:
    """``rules.Lookups`` over the dictionaries above."""

    def speakers_with_photos(self, image_ids):
        return {PHOTOS[pk] for pk in image_ids if pk in PHOTOS}

    def sessions_showing(self, speaker_ids):
        return {page for page, speakers in SPEAKERS.items() if speakers & set(speaker_ids)}

    def documents_in(self, collection_ids):
        return {10} if 99 in collection_ids else set()

    def pages_showing(self, document_ids, image_ids):
        wanted = {("document", pk) for pk in document_ids} | {("image", pk) for pk in image_ids}
        return set().union(*(pages for key, pages in SHOWN_ON.items() if key in wanted))

    def pages(self, page_ids):
        return [(pk, *PAGES[pk]) for pk in page_ids if pk in PAGES]

    def parent_path(self, path):
        return path[:-4]

    def ids_at(self, paths):
        return {pk for pk, (path, _) in PAGES.items() if path in paths}

    def has_sessions_below(self, path):
        return any(p.startswith(path) and role == SESSION for p, role in PAGES.values())

    def is_a_site_root(self, page_ids):
        return bool(SITE_ROOTS & set(page_ids))

    def pages_linking_to_pages_under(self, paths):
        below = {pk for pk, (p, _) in PAGES.items() if any(p.startswith(x) for x in paths)}
        return set().union(*(LINKS.get(pk, set()) for pk in below))

    def speakers_of(self, session_ids, under_paths):
        sessions = set(session_ids) | {
            pk for pk, (p, _) in PAGES.items() if any(p.startswith(x) for x in under_paths)
        }
        return set().union(*(SPEAKERS.get(pk, set()) for pk in sessions))


def stale(**changes):
    pages = changes.pop("pages", {})
    found = Changes(**changes)
    for pk, what in pages.items():
        found.page(pk, what)
    return stale_scopes(found, Content())


def test_a_session_published_its_article_neighbours_and_speakers():
    assert stale(pages={5: CONTENT}) == {"page:5", "order:3", "speaker:40", "speaker:50"}


def test_a_session_deleted_the_same():
    deleted = {"0001000100010002": (5, SESSION)}
    assert stale(deleted=deleted) == {"page:5", "order:3", "speaker:40", "speaker:50"}


def test_a_session_moved_also_the_running_order_it_left():
    scopes = stale(pages={7: MOVED}, old_parents={"000100010001"})  # from 3 to 6
    assert scopes == {"page:7", "order:3", "order:6", "speaker:70"}


def test_a_speaker_edited_their_list_and_the_articles_showing_them():
    assert stale(speakers={40}) == {"speaker:40", "page:4", "page:5"}


def test_a_speakers_photo_edited_the_same():
    assert stale(images={400}) == {"speaker:40", "page:4", "page:5"}


def test_a_document_picture_or_collection_the_articles_showing_it():
    assert stale(documents={10}) == {"page:5"}
    assert stale(images={20}) == {"page:7"}
    assert stale(collections={99}) == {"page:5"}
    assert stale(collections={98}) == set()


def test_a_conference_published_its_sessions_articles_only():
    assert stale(pages={3: CONTENT}) == {"conference:3"}


def test_a_conference_hidden_its_sessions_leave_other_sessions_by():
    assert stale(pages={3: VISIBILITY}) == {"speaker:40", "speaker:50"}


def test_a_conference_moved_with_sessions_below_everything():
    assert TREE in stale(pages={3: MOVED})
    assert stale(pages={9: MOVED}) == set()  # nothing below, nothing links to it


def test_a_site_root_moved_everything_and_the_sites():
    assert {TREE, SITES} <= stale(pages={1: MOVED})


def test_a_moved_page_the_articles_linking_to_it():
    assert stale(pages={8: MOVED}) == set()  # nothing links to "About us"
    assert {"page:8"} <= stale(pages={4: MOVED}, old_parents={"000100010001"})


def test_unrelated_or_empty_changes_nothing():
    assert stale() == set()
    assert stale(pages={8: CONTENT}) == set()  # "About us" edited
    assert stale(pages={2: CONTENT}) == set()  # the library's intro: nothing caches it
    assert stale(scopes={"settings:1"}) == {"settings:1"}
