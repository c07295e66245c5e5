"""Filters and facet counts on the library page (``search/facets.py``)."""

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import soup_of
from tests.search.helpers import (
    LibraryTestCase,
    chips,
    facet_counts,
    facet_link,
    heading,
    notices,
    titles,
)


class FacetTests(LibraryTestCase):
    def test_facets_without_filters(self):
        self.assertEqual(
            facet_counts(self.get()),
            {
                "Conference": {"PMO Conference 2022": 2, "PMO Conference 2021": 2},
                "Theme": {"PMO in Practice": 1, "PMO People": 1, "PMO Services": 2},
                "Speaker": {"Eileen Roden": 1, "John Smith": 2, "Lindsay Scott": 2},
                "Format": {"Recording": 2, "Handout": 2},
            },
        )

    def test_facets_follow_the_query(self):
        self.assertEqual(
            facet_counts(self.search("benefits")),
            {
                "Conference": {"PMO Conference 2022": 1, "PMO Conference 2021": 1},
                "Theme": {"PMO Services": 2},
                "Speaker": {"John Smith": 1, "Lindsay Scott": 2},
                "Format": {"Recording": 2, "Handout": 1},
            },
        )

    def test_a_conference_filter(self):
        response = self.get({"conference": self.conf_2022.pk})
        self.assertEqual(titles(response), self.NEWEST[:2])
        self.assertEqual(
            facet_counts(response),
            {
                # Other conferences are counted as if chosen too: what they would add.
                "Conference": {"PMO Conference 2022": 2, "PMO Conference 2021": 2},
                "Theme": {"PMO in Practice": 1, "PMO Services": 1},
                "Speaker": {"John Smith": 2, "Lindsay Scott": 1},
                "Format": {"Recording": 1, "Handout": 1},
            },
        )
        option = facet_link(response, "Conference", "PMO Conference 2022")
        self.assertIn("is-selected", option["class"])
        self.assertEqual(option["aria-current"], "true")
        self.assertEqual(option["href"], "?")
        self.assertEqual(
            facet_link(response, "Conference", "PMO Conference 2021")["href"],
            f"?conference={self.conf_2022.pk}&conference={self.conf_2021.pk}",
        )
        self.assertEqual(heading(response), "All sessions (2 sessions)")

    def test_values_of_one_filter_are_or_ed(self):
        response = self.get({"conference": [self.conf_2021.pk, self.conf_2022.pk]})
        self.assertEqual(titles(response), self.NEWEST)
        response = self.get({"speaker": [self.eileen.pk, self.lindsay.pk]})
        self.assertEqual(titles(response), self.NEWEST[1:])

    def test_different_filters_are_and_ed(self):
        response = self.get({"conference": self.conf_2022.pk, "speaker": self.lindsay.pk})
        self.assertEqual(titles(response), ["Portfolio dashboards people read"])
        counts = facet_counts(response)
        self.assertEqual(counts["Conference"], {"PMO Conference 2022": 1, "PMO Conference 2021": 1})
        self.assertEqual(counts["Speaker"], {"John Smith": 2, "Lindsay Scott": 1})
        response = self.search("benefits", conference=self.conf_2021.pk, format="handout")
        self.assertEqual(titles(response), [])

    def test_a_theme_filter_spans_editions_by_name(self):
        response = self.get({"theme": "pmo-services"})
        self.assertEqual(
            titles(response),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )
        self.assertEqual(facet_counts(response)["Theme"]["PMO People"], 1)

    def test_a_speaker_filter_matches_any_of_a_sessions_speakers(self):
        response = self.get({"speaker": self.john.pk})
        self.assertEqual(titles(response), self.NEWEST[:2])

    def test_format_filters(self):
        self.assertEqual(
            titles(self.get({"format": "recording"})),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )
        self.assertEqual(
            titles(self.get({"format": "handout"})),
            ["Portfolio dashboards people read", "Hierarchy is not destiny"],
        )

    def test_the_two_formats_are_one_filter_whose_values_are_or_ed(self):
        """Issue, item 3: "format (has recording, has handout)" is one filter, and
        values within one filter combine with OR."""
        both = titles(self.get({"format": ["recording", "handout"]}))
        # With "Recording" chosen, "Handout" is counted as the other format filters'
        # values are: with the format filter itself left out.
        counts = facet_counts(self.get({"format": "recording"}))["Format"]
        self.assertEqual(
            (both, counts),
            (
                [
                    "Portfolio dashboards people read",  # recording and handout
                    "Hierarchy is not destiny",  # handout
                    "Benefits realisation that sticks",  # recording
                ],
                {"Recording": 2, "Handout": 2},
            ),
        )

    def test_selected_filters_are_shown_with_links_that_remove_them(self):
        response = self.search(
            "pmo", conference=self.conf_2022.pk, speaker=self.john.pk, theme="pmo-services"
        )
        self.assertEqual(titles(response), ["Portfolio dashboards people read"])
        q = "?q=pmo"
        self.assertEqual(
            chips(response),
            {
                "Conference: PMO Conference 2022": f"{q}&theme=pmo-services&speaker={self.john.pk}",
                "Theme: PMO Services": f"{q}&conference={self.conf_2022.pk}&speaker={self.john.pk}",
                "Speaker: John Smith": f"{q}&conference={self.conf_2022.pk}&theme=pmo-services",
            },
        )
        clear = soup_of(response).select_one(".pmolib-search__selected a[data-clear]")
        self.assertEqual(clear["href"], q)
        # Following a removal link removes exactly that filter.
        removed = self.client.get(self.library.url + chips(response)["Speaker: John Smith"])
        self.assertEqual(
            set(chips(removed)), {"Conference: PMO Conference 2022", "Theme: PMO Services"}
        )
        self.assertEqual(titles(removed), ["Portfolio dashboards people read"])

    def test_the_address_holds_the_whole_state(self):
        data = {
            "q": "pmo",
            "conference": self.conf_2022.pk,
            "format": "recording",
            "sort": "newest",
            "per_page": "5",
        }
        response = self.get(data)
        soup = soup_of(response)
        # The form resubmits every filter with a new query.
        hidden = [
            (i["name"], i["value"]) for i in soup.select("form[role=search] input[type=hidden]")
        ]
        self.assertEqual(
            hidden,
            [
                ("conference", str(self.conf_2022.pk)),
                ("format", "recording"),
                ("sort", "newest"),
                ("per_page", "5"),
            ],
        )
        # A facet link keeps the query, the other filters and the sort.
        link = facet_link(response, "Speaker", "John Smith")["href"]
        followed = self.client.get(self.library.url + link)
        self.assertEqual(
            dict(followed.context["search"].params.items()),
            {
                "q": "pmo",
                "conference": self.conf_2022.pk,
                "speaker": self.john.pk,
                "format": "recording",
                "sort": "newest",
                "per_page": 5,
            },
        )
        # The same address gives the same page.
        self.assertEqual(titles(self.get(data)), titles(response))

    def test_unknown_filter_values_give_a_page_and_a_notice(self):
        response = self.get({"conference": ["999999", "abc", "-1"], "speaker": "1.5"})
        self.assertEqual(titles(response), self.NEWEST)
        self.assertEqual(
            notices(response),
            [
                "A conference filter in the address was not recognised and is not applied.",
                "A speaker filter in the address was not recognised and is not applied.",
            ],
        )
        # Known values among unknown ones still apply.
        response = self.get({"conference": ["nope", str(self.conf_2021.pk)]})
        self.assertEqual(titles(response), self.NEWEST[2:])
