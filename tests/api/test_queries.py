"""Query counts: a session's detail and the lists cost the same whatever their size."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from wagtail.rich_text import RichText

from tests.api.support import API
from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    build_conference,
    build_document,
    build_image,
    build_library,
    build_session,
    recording_stream,
)
from wagtail_pmolib.models import Speaker

# A session's detail once its renditions exist: the site, the view restrictions,
# the session, its conference, its library, the content versions with its rating
# summary, its library's ratings (7: what a 304 costs), its speakers and their
# photos' renditions, its neighbours, the documents of its rich text's links, and
# per block type the documents or images it chose (handouts, handout groups,
# covers, figures, the poster) with their renditions, and per stream which of
# its documents are private (issue 9.1: a private document's title is not shown).
SESSION_DETAIL_QUERIES = 21
# A library search (``SearchQueryCountTests``), whatever the number of sessions.
SEARCH_BROWSE_QUERIES = 7
SEARCH_QUERIES = 17


def session_with(conference, n, title):
    speakers = []
    for i in range(n):
        speakers.append(
            Speaker.objects.create(name=f"{title} speaker {i}", photo=build_image(f"{title} {i}"))
        )
    documents = [build_document(f"{title} handout {i}", f"{title}-{i}.pdf") for i in range(n)]
    body = []
    for i, document in enumerate(documents):
        body += [
            ("heading", {"text": f"Part {i}", "level": "h2", "anchor": ""}),
            ("handout", {"document": document, "title": "", "cover": build_image(f"c{i}")}),
            ("figure", {"image": {"image": build_image(f"f{i}"), "decorative": True}}),
            ("paragraph", RichText(f'<p><a linktype="document" id="{document.pk}">x</a></p>')),
        ]
    body.append(("handouts", {"heading": "All", "handouts": [{"document": d} for d in documents]}))
    return build_session(
        conference,
        title,
        speakers=speakers,
        body=body,
        recording=recording_stream(poster=build_image(f"{title} poster")),
        notes=f'<p><a linktype="document" id="{documents[0].pk}">notes</a></p>',
    )


class QueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library, themes=["T"])
        cls.small = session_with(cls.conference, 1, "Small")
        cls.big = session_with(cls.conference, 5, "Big")

    def count(self, endpoint, **params):
        self.client.get(f"{API}{endpoint}", params)  # warm: renditions, site paths
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(f"{API}{endpoint}", params)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return len(queries)

    def test_a_session_detail_costs_the_same_with_one_or_five_speakers_and_handouts(self):
        small = self.count(f"sessions/{self.small.pk}/")
        big = self.count(f"sessions/{self.big.pk}/")
        self.assertEqual(big, small)
        self.assertLessEqual(small, SESSION_DETAIL_QUERIES)
        by_path = self.count("sessions/by-path/", path=self.big.url)
        self.assertEqual(by_path, big)

    def test_lists_cost_the_same_for_one_item_or_many(self):
        for n in range(6):
            build_session(self.conference, f"More {n}", speakers=list(Speaker.objects.all()[:2]))
        for path in ("sessions/", "speakers/", "conferences/"):
            with self.subTest(path):
                self.assertEqual(self.count(path, per_page=1), self.count(path, per_page=8))
        one = self.count(f"conferences/{self.conference.pk}/")
        build_session(self.conference, "Yet another", speakers=[Speaker.objects.first()])
        self.assertEqual(self.count(f"conferences/{self.conference.pk}/"), one)
        speaker = Speaker.objects.first()
        one = self.count(f"speakers/{speaker.pk}/")
        build_session(self.conference, "And another", speakers=[speaker])
        self.assertEqual(self.count(f"speakers/{speaker.pk}/"), one)


class SearchQueryCountTests(TestCase):
    """A library search costs the same with two sessions or many (the page's
    search, ``search/engine.py``, plus the site, the view restrictions and the
    library)."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conference = build_conference(cls.library, themes=["Services", "People"])
        cls.speakers = [Speaker.objects.create(name=f"Speaker {i}") for i in range(3)]
        cls.document = build_document()
        cls.sessions = [cls.session(n) for n in range(2)]

    @classmethod
    def session(cls, n):
        theme = cls.conference.themes.all()[n % 2]
        return build_session(
            cls.conference,
            f"Benefits session {n}",
            speakers=cls.speakers[: 1 + n % 3],
            theme=theme,
            abstract=f"<p>Benefits and governance, part {n}.</p>",
            body=[("handout", {"document": cls.document, "title": f"Handout {n}"})],
            **({"recording": recording_stream()} if n % 2 else {}),
        )

    def count(self, params, endpoint=None):
        url = f"{API}{endpoint or f'libraries/{self.library.pk}/search/'}"
        self.client.get(url, params)  # warm: renditions, site paths, the day's log row
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return len(queries)

    def test_a_search_costs_the_same_for_two_sessions_or_many(self):
        speaker = self.speakers[0].pk
        cases = [
            {},
            {"q": "benefits"},
            {"q": "benefits governance", "sort": "top-rated"},
            {"q": "benefits", "conference": self.conference.pk, "speaker": speaker},
            {"format": "handout", "theme": "services", "sort": "most-rated"},
            {"q": "zzyzx"},
        ]
        suggestions = f"libraries/{self.library.pk}/suggestions/"
        few = {repr(params): self.count(params) for params in cases}
        few["suggestions"] = self.count({"q": "bene"}, suggestions)
        for n in range(2, 14):
            self.session(n)
        many = {repr(params): self.count(params) for params in cases}
        many["suggestions"] = self.count({"q": "bene"}, suggestions)
        self.assertEqual(many, few)
        # Browsing: the site, the view restrictions (the API's, then the library's),
        # the library, the facet counts, the page's ids and its sessions.
        self.assertLessEqual(few[repr({})], SEARCH_BROWSE_QUERIES)
        # With words, the search log's writes besides (the day's row, Wagtail's
        # query log), as on the page.
        self.assertLessEqual(max(few.values()), SEARCH_QUERIES)
