"""Search backends that are not the database (``search/remote.py``)."""

import datetime

from django.test import override_settings
from wagtail.models import Page

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_library,
    build_session,
    recording_stream,
    restrict,
)
from tests.search.helpers import SearchTestCase, facet_counts, titles
from wagtail_pmolib.models import Speaker

REMOTE_BACKEND = {"default": {"BACKEND": "tests.fake_search_backend"}}


class RemoteBackendTests(SearchTestCase):
    """Elasticsearch and OpenSearch cannot run here: a fake backend answers through
    the same API (filters on ``FilterField``s, ``count()``, ``facet()``), so the
    library's path for such backends is exercised without the database's shortcuts."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conferences = [
            build_conference(cls.library, f"Edition {n}", themes=["Theme A", "Theme B"])
            for n in range(2)
        ]
        cls.speakers = [Speaker.objects.create(name=f"Remote Speaker {n}") for n in range(3)]
        for n in range(8):
            conference = cls.conferences[n % 2]
            build_session(
                conference,
                f"Benefits session {n}",
                speakers=[cls.speakers[n % 3]],
                theme=conference.themes.all()[n % 2],
                starts_at=at(2021, 1, 1, 9) + datetime.timedelta(days=n),
                abstract="<p>Benefits for everyone.</p>",
                recording=recording_stream() if n % 2 else [],
            )
        private = build_session(
            cls.conferences[0], "Benefits behind a password", speakers=[cls.speakers[0]]
        )
        restrict(private)

    def compare(self, data, max_matches=1):
        from tests.fake_search_backend import FakeResults

        database = self.get(data)
        with override_settings(
            WAGTAILSEARCH_BACKENDS=REMOTE_BACKEND,
            WAGTAIL_PMOLIB={"SEARCH_MAX_MATCHES": max_matches},
        ):
            FakeResults.facet_calls = []
            remote = self.get(data)
            calls = list(FakeResults.facet_calls)
        self.assertFalse(remote.context["search"].failed)
        self.assertEqual(facet_counts(remote), facet_counts(database))
        self.assertEqual(sorted(titles(remote)), sorted(titles(database)))
        self.assertEqual(remote.context["search"].total, database.context["search"].total)
        return remote, calls

    def test_facets_come_from_the_backend_over_every_match(self):
        remote, calls = self.compare({"q": "benefits"})
        self.assertEqual(remote.context["search"].total, 8)  # more than SEARCH_MAX_MATCHES
        self.assertEqual(
            set(calls),
            {
                "conference_id",
                "theme_id",
                "speaker_ids",
                "has_recording",
                "has_handouts",
                "access_effective",  # the Access facet (members-only sessions)
            },
        )
        self.assertNotIn("Benefits behind a password", remote.content.decode())

    def test_the_access_facet_and_filter_come_from_the_backend(self):
        from tests.builders import committed

        with committed():
            conference = Page.objects.get(pk=self.conferences[1].pk).specific
            conference.access_level = "members"
            conference.save_revision().publish()
        remote, _calls = self.compare({"q": "benefits"})
        self.assertIn("Access", facet_counts(remote))
        self.compare({"q": "benefits", "access": "free"})
        self.compare({"q": "benefits", "access": "members", "format": "recording"})

    def test_filters_are_applied_by_the_backend(self):
        self.compare(
            {
                "q": "benefits",
                "conference": self.conferences[1].pk,
                "speaker": [self.speakers[1].pk, self.speakers[2].pk],
                "format": "recording",
            }
        )
        self.compare({"q": "benefits", "theme": "theme-a", "sort": "newest"})
        # The rating sorts order the first SEARCH_MAX_MATCHES matches (the index holds
        # no ratings); the counts are the backend's whatever the limit.
        self.compare({"q": "benefits", "sort": "top-rated"}, max_matches=100)
