"""The hand-written statements of a session request (``models/rows.py``): routing to
a conference and a session, the speakers with their photos and renditions, the
handout documents with their privacy. Each is compared with the ORM's answer for
the same question, field by field (converted values: dates, JSON, StreamFields),
and counted."""

from django.db import connection
from django.template import Context, Template
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_document,
    build_image,
    build_library,
    build_session,
    recording_stream,
    seed_session_fields,
)
from wagtail_pmolib.models import ConferencePage, SessionPage, SessionSpeaker, Speaker
from wagtail_pmolib.models.documents import documents_with_privacy
from wagtail_pmolib.models.rows import child_page
from wagtail_pmolib.models.speakers import speakers_of


def values(instance):
    """Every concrete field of ``instance`` as the ORM would serialise it."""
    return {f.attname: f.value_to_string(instance) for f in instance._meta.concrete_fields}


class ChildPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library, themes=["PMO Services", "PMO People"])
        cls.other = build_conference(cls.library, title="PMO Conference 2022")
        theme = cls.conference.themes.first()
        document = build_document()
        cls.session = build_session(
            cls.conference,
            theme=theme,
            starts_at=at(2021, 11, 2, 9, 30),
            duration_minutes=45,
            **seed_session_fields(document),
        )
        cls.plain = build_session(cls.conference, title="No theme", recording=recording_stream())
        # The same slug one level down and in another conference: not children.
        build_session(cls.other, title="No theme")

    def test_a_session_as_the_orm_reads_it_with_its_theme(self):
        for session in (self.session, self.plain):
            with self.subTest(session=session.title):
                with CaptureQueriesContext(connection) as queries:
                    found = child_page(self.conference, session.slug, SessionPage, ["theme"])
                self.assertEqual(len(queries), 1)
                expected = SessionPage.objects.select_related("theme").get(pk=session.pk)
                self.assertIs(type(found), SessionPage)
                self.assertEqual(values(found), values(expected))
                with self.assertNumQueries(0):  # the theme came with it
                    theme = found.theme
                self.assertEqual(theme and values(theme), expected.theme and values(expected.theme))
        found = child_page(self.conference, self.session.slug, SessionPage, ["theme"])
        self.assertIsNotNone(found.starts_at.tzinfo)
        self.assertEqual(timezone.localtime(found.starts_at).hour, 9)
        self.assertEqual(list(found.recording.raw_data), list(self.session.recording.raw_data))
        self.assertEqual(
            [child.block_type for child in found.body],
            [child.block_type for child in self.session.body],
        )

    def test_a_child_as_a_plain_page(self):
        found = child_page(self.library, self.conference.slug, Page)
        self.assertIs(type(found), Page)
        self.assertEqual(values(found), values(Page.objects.get(pk=self.conference.pk)))
        self.assertIsInstance(found.specific_deferred, ConferencePage)

    def test_only_children_with_that_slug(self):
        self.assertIsNone(child_page(self.conference, "nothing-here", SessionPage))
        # A grandchild's slug is not a child's; a session's slug is not the library's child.
        self.assertIsNone(child_page(self.library, self.plain.slug, Page))
        # The other conference's session with the same slug is not this one's.
        found = child_page(self.other, self.plain.slug, SessionPage)
        self.assertNotEqual(found.pk, self.plain.pk)
        self.assertEqual(found.get_parent().pk, self.other.pk)
        # A page of another type: not a session.
        self.assertIsNone(child_page(self.library, self.conference.slug, SessionPage))

    def test_routing_answers_as_before(self):
        self.assertEqual(self.client.get(self.session.url).status_code, 200)
        self.assertEqual(self.client.get(self.conference.url + "nothing-here/").status_code, 404)
        self.assertEqual(self.client.get(self.library.url + "nothing-here/x/").status_code, 404)
        draft = build_session(self.conference, title="A draft", publish=False)
        self.assertEqual(self.client.get(self.conference.url + draft.slug + "/").status_code, 404)


class SpeakersOfTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        conference = build_conference(build_library())
        photo = build_image("Ann")
        cls.ann = Speaker.objects.create(name="Ann", role="PMO Lead", photo=photo)
        cls.bob = Speaker.objects.create(name="Bob")  # no photo
        cls.cy = Speaker.objects.create(name="Cy", photo=build_image("Cy"))
        cls.session = build_session(conference, speakers=[cls.cy, cls.bob, cls.ann])
        # Two renditions of Ann's photo, none of Cy's.
        photo.get_rendition("fill-96x96")
        photo.get_rendition("max-165x165")
        cls.alone = build_session(conference, title="Nobody")

    def reference(self, session):
        links = SessionSpeaker.objects.filter(page=session).select_related("speaker__photo")
        return [link.speaker for link in links.order_by("sort_order", "pk")]

    def test_the_speakers_in_order_with_photos_and_renditions(self):
        with CaptureQueriesContext(connection) as queries:
            found = speakers_of(self.session.pk)
        self.assertEqual(len(queries), 1)
        expected = self.reference(self.session)
        self.assertEqual([s.name for s in found], ["Cy", "Bob", "Ann"])
        self.assertEqual([values(s) for s in found], [values(s) for s in expected])
        with self.assertNumQueries(0):
            photos = [s.photo for s in found]
        self.assertEqual(
            [p and values(p) for p in photos], [s.photo and values(s.photo) for s in expected]
        )
        self.assertIsNone(photos[1])
        ann = photos[2]
        self.assertEqual(
            sorted(r.filter_spec for r in ann.prefetched_renditions), ["fill-96x96", "max-165x165"]
        )
        self.assertEqual(photos[0].prefetched_renditions, [])
        self.assertEqual(speakers_of(self.alone.pk), [])

    def test_the_image_tag_asks_nothing_more_for_a_rendition_that_exists(self):
        found = speakers_of(self.session.pk)
        template = Template(
            '{% load wagtailimages_tags %}{% image speaker.photo fill-96x96 alt="" %}'
        )
        with self.assertNumQueries(0):
            html = template.render(Context({"speaker": found[2]}))
        self.assertIn(
            self.ann.photo.get_rendition("fill-96x96").url,
            html,
        )

    def test_the_page_reads_them_so_and_a_preview_from_memory(self):
        page = SessionPage.objects.get(pk=self.session.pk)
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual([s.name for s in page.speakers], ["Cy", "Bob", "Ann"])
        self.assertEqual(len(queries), 1)
        # Edited in memory (as a preview is): the links the editor chose, not the table's.
        page = SessionPage.objects.get(pk=self.session.pk)
        page.session_speakers = [SessionSpeaker(speaker=self.bob)]
        self.assertEqual([s.name for s in page.speakers], ["Bob"])


class DocumentsWithPrivacyTests(TestCase):
    def test_documents_as_the_orm_reads_them(self):
        from wagtail.documents import get_document_model

        model = get_document_model()
        a, b = build_document("A", "a.pdf"), build_document("B", "b.pdf")
        with CaptureQueriesContext(connection) as queries:
            found = documents_with_privacy(model, [b.pk, a.pk, b.pk, "x", None, 999999])
        self.assertEqual(len(queries), 1)
        self.assertEqual(set(found), {a.pk, b.pk})
        for document in (a, b):
            self.assertEqual(values(found[document.pk]), values(model.objects.get(pk=document.pk)))
            self.assertFalse(found[document.pk]._pmolib_private)
        with self.assertNumQueries(0):
            self.assertEqual(documents_with_privacy(model, []), {})
