"""A search request's queries: a fixed number whatever the number of sessions."""

import datetime

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_library,
    build_session,
    recording_stream,
    restrict,
)
from tests.search.helpers import SearchTestCase, handout, make_pdf_document, notices, titles
from wagtail_pmolib.models import RatingSummary, Speaker


class SearchQueryCountTests(SearchTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conferences = [
            build_conference(cls.library, f"Edition {n}", themes=["Theme A", "Theme B"])
            for n in range(3)
        ]
        cls.speakers = [Speaker.objects.create(name=f"Speaker {n}") for n in range(4)]
        cls.document = make_pdf_document("Counted handout", ["countedpdf words"])

    def add_sessions(self, start, count):
        for n in range(start, start + count):
            conference = self.conferences[n % 3]
            session = build_session(
                conference,
                f"Counted session {n}",
                speakers=[self.speakers[n % 4], self.speakers[(n + 1) % 4]],
                theme=conference.themes.all()[n % 2],
                starts_at=at(2021, 1, 1, 9) + datetime.timedelta(days=n),
                abstract=f"<p>Counted abstract {n}.</p>",
                recording=recording_stream() if n % 3 != 1 else [],
                body=[handout(self.document, f"Handout {n}")] if n % 3 == 0 else [],
            )
            RatingSummary.objects.create(page=session, count=n + 1, total=3 * (n + 1))

    URLS = [
        {"q": "counted"},
        {"q": "countedpdf"},  # excerpts from the PDF text
        {"q": "counted session", "sort": "top-rated"},
        {"q": "counted", "theme": "theme-a", "format": "recording", "per_page": 48},
        {"speaker": "SPEAKER", "sort": "most-rated"},
        {},
        # Every filter at once, with words; and words of which no session has all.
        {
            "q": "counted session",
            "conference": "CONFERENCE",
            "theme": "theme-a",
            "speaker": "SPEAKER",
            "format": "recording",
        },
        {"q": "counted zzyzx", "conference": "CONFERENCE", "speaker": "SPEAKER"},
        {"q": "counted zzyzx"},
        {"q": "counted", "page": 2, "per_page": 1, "sort": "newest"},
    ]

    def resolve(self, data):
        values = {"SPEAKER": self.speakers[0].pk, "CONFERENCE": self.conferences[0].pk}
        return {k: values.get(v, v) for k, v in data.items()}

    def measure(self):
        counts = []
        for data in map(self.resolve, self.URLS):
            self.get(data)  # warm up: the search log's rows
            with CaptureQueriesContext(connection) as queries:
                response = self.get(data)
            self.assertTrue(titles(response), data)
            self.assertFalse(
                [n for n in notices(response) if "not recognised" in n or "not available" in n]
            )
            # Savepoints are the test's transaction's (a site without ATOMIC_REQUESTS has none).
            counts.append(
                len([q for q in queries if "SAVEPOINT" not in q["sql"].split(" ", 2)[:2]])
            )
        return counts

    def test_query_count_does_not_grow_with_sessions(self):
        self.add_sessions(0, 3)
        three = self.measure()
        self.add_sessions(3, 27)
        thirty = self.measure()
        self.assertEqual(three, thirty)
        self.assertLessEqual(max(thirty), 15, dict(zip(map(str, self.URLS), thirty, strict=True)))

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_MAX_MATCHES": 5})
    def test_facet_counts_are_exact_for_many_matches(self):
        """An option's count is what its link adds: the number of results it gives in a
        filter with no value chosen, what it adds to the results in a one-valued filter
        with a value chosen (themes); with more matches than SEARCH_MAX_MATCHES (which
        only bounds backends that are not the database)."""
        self.add_sessions(0, 30)
        for data in ({"q": "counted"}, {"q": "counted", "theme": "theme-b"}, {}):
            search = self.get(self.resolve(data)).context["search"]
            self.assertGreater(search.total, 5)
            for facet in search.facets:
                chosen = any(option.selected for option in facet.options)
                for option in facet.options:
                    if option.selected or (chosen and facet.name != "theme"):
                        continue
                    with self.subTest(data=data, facet=facet.name, value=option.label):
                        followed = self.client.get(self.library.url + option.url)
                        added = followed.context["search"].total - (search.total if chosen else 0)
                        self.assertEqual(option.count, added)

    def test_a_request_keeps_nothing_of_the_sessions_in_memory(self):
        """No module of the search holds sessions between requests, and what a
        request leaves allocated does not grow with the number of sessions."""
        import gc
        import sys
        import tracemalloc

        def mutable_globals():
            found = {}
            for name, module in list(sys.modules.items()):
                if name.startswith("wagtail_pmolib.search") and module is not None:
                    for attr, value in vars(module).items():
                        if isinstance(value, (dict, list, set)) and not attr.startswith("__"):
                            found[f"{name}.{attr}"] = len(value)
            return found

        def retained():
            urls = [self.resolve(data) for data in self.URLS]
            for data in urls:
                self.get(data)  # warm: templates, content types, the search log's rows
            gc.collect()
            tracemalloc.start(30)
            try:
                before = tracemalloc.take_snapshot()
                for data in urls:
                    self.get(data)
                gc.collect()
                after = tracemalloc.take_snapshot()
            finally:
                tracemalloc.stop()
            # What is still allocated by code of this package (Django's and the test
            # client's own caches and signal registries are not the library's).
            ours = tracemalloc.Filter(True, "*/wagtail_pmolib/*", all_frames=True)
            return sum(
                stat.size_diff
                for stat in after.filter_traces([ours]).compare_to(
                    before.filter_traces([ours]), "filename"
                )
            )

        self.add_sessions(0, 30)
        state = mutable_globals()
        small = retained()
        self.add_sessions(30, 120)
        large = retained()
        self.assertEqual(mutable_globals(), state)
        # The former per-process catalog kept about 600 bytes a session: 70 KB more here.
        self.assertLess(large - small, 20_000, (small, large))

    def add_private_sessions(self, start, count, group):
        """Sessions kept for a group of users, as a members' area restricts them."""
        for n in range(start, start + count):
            session = build_session(
                self.conferences[n % 3],
                f"Counted members session {n}",
                speakers=[self.speakers[n % 4]],
                starts_at=at(2020, 1, 1, 9) + datetime.timedelta(days=n),
            )
            restriction = PageViewRestriction.objects.create(
                page=session, restriction_type=PageViewRestriction.GROUPS
            )
            restriction.groups.add(group)

    def test_query_count_does_not_grow_with_restrictions(self):
        """Restrictions are read in one query, whatever their number."""
        self.add_sessions(0, 3)
        group = Group.objects.create(name="Members")
        self.add_private_sessions(0, 2, group)
        two = self.measure()
        self.add_private_sessions(2, 20, group)
        restrict(self.conferences[2], PageViewRestriction.LOGIN)
        self.assertEqual(self.measure(), two)

    def test_query_count_does_not_grow_with_restricted_sessions(self):
        group = Group.objects.create(name="Members")
        member = User.objects.create_user("member", password="pw")
        member.groups.add(group)

        def measure_both():
            self.client.logout()
            anonymous = self.measure()
            self.client.force_login(member)
            return {"anonymous": anonymous, "member of the group": self.measure()}

        self.add_sessions(0, 3)
        self.add_private_sessions(0, 3, group)
        three = measure_both()
        self.add_private_sessions(3, 27, group)
        thirty = measure_both()
        self.assertEqual(three, thirty)
