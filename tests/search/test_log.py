"""The search log (``search/log.py``): what is counted, once per text and day."""

import datetime

from django.db.models import Sum
from django.test import RequestFactory, override_settings
from django.utils import timezone
from wagtail.contrib.search_promotions.models import Query, QueryDailyHits

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.search.helpers import BOT, BROWSER, LibraryTestCase
from wagtail_pmolib.models import SearchTerm


class SearchLogTests(LibraryTestCase):
    def test_each_search_is_counted_once_per_normalised_text_and_day(self):
        self.search("Benefits  Tracking")
        self.search("benefits tracking")
        self.search("BENEFITS, tracking!")
        self.search("zzyzx")
        rows = {
            row.query_string: (row.hits, row.no_result_hits, row.date)
            for row in SearchTerm.objects.all()
        }
        today = timezone.localdate()
        self.assertEqual(rows, {"benefits tracking": (3, 0, today), "zzyzx": (1, 1, today)})
        # Wagtail's query log, which normalises in its own way (spaces and case only).
        self.assertEqual(QueryDailyHits.objects.aggregate(n=Sum("hits"))["n"], 4)
        self.assertEqual(Query.get("benefits tracking").hits, 2)
        self.assertEqual(Query.get("zzyzx").hits, 1)

    def test_searches_are_counted_per_day(self):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        SearchTerm.objects.create(query_string="benefits", date=yesterday, hits=5)
        self.search("benefits")
        self.search("benefits")
        self.assertEqual(
            dict(SearchTerm.objects.values_list("date", "hits")),
            {yesterday: 5, timezone.localdate(): 2},
        )

    def test_a_search_that_finds_nothing_with_its_filters_counts_as_no_results(self):
        self.search("benefits", conference=self.conf_2021.pk, format="handout")
        self.assertEqual(
            SearchTerm.objects.values_list("query_string", "hits", "no_result_hits").get(),
            ("benefits", 1, 1),
        )

    def test_what_is_not_counted(self):
        self.search("benefits", headers={"HTTP_USER_AGENT": BOT})
        self.search("benefits", page=2, per_page=1)
        self.get()
        self.search("!!!")
        self.get({"conference": self.conf_2021.pk})
        self.assertEqual(SearchTerm.objects.count(), 0)
        self.assertFalse(Query.objects.exists())
        self.search("benefits", headers={"HTTP_USER_AGENT": BROWSER})
        self.assertEqual(SearchTerm.objects.get().hits, 1)

    def test_a_preview_is_not_counted(self):
        request = RequestFactory().get(self.library.url, {"q": "benefits"})
        request.user = self.user
        request.session = self.client.session
        request.is_preview = True
        response = self.library.serve_preview(request, self.library.default_preview_mode)
        context = response.context_data
        self.assertEqual(context["search"].total, 3)  # signed in: the members' session too
        self.assertEqual(SearchTerm.objects.count(), 0)

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_LOG": False})
    def test_the_log_can_be_turned_off(self):
        self.search("benefits")
        self.assertEqual(SearchTerm.objects.count(), 0)
