"""The library's search, as visitors use it: the search box, results, sorting,
paging, the "no results" state, editors' picks and page privacy. Facets, the
search log, suggestions, query counts and other backends have their own modules
beside this one.

Runs on Wagtail's database search backend: SQLite FTS5 by default, PostgreSQL's
full-text search with DATABASE_URL=postgres://…."""

import pytest
from django.test import override_settings
from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.models import PageViewRestriction

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import (
    at,
    build_conference,
    build_library,
    build_session,
    soup_of,
    text_of,
)
from tests.search.helpers import (
    LibraryTestCase,
    SearchTestCase,
    chips,
    facet_counts,
    handout,
    heading,
    inner_html,
    make_pdf_document,
    notices,
    strings_containing,
    titles,
)
from wagtail_pmolib.models import RatingSummary, SearchTerm, Speaker


def test_search_ranking_setting_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    from wagtail_pmolib.conf import pmolib_settings

    with (
        override_settings(WAGTAIL_PMOLIB={"SEARCH_RANKING": "bm25"}),
        pytest.raises(ImproperlyConfigured, match="SEARCH_RANKING"),
    ):
        pmolib_settings.validate()


# --- The library page --------------------------------------------------------------------------


class SearchableFieldsTests(SearchTestCase):
    """Every field the issue lists is searched: a word found only in that field
    finds the session."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        other = build_conference(cls.library, "Other Conference", themes=["Other Theme"])
        conference = build_conference(
            cls.library, "Ostrevant Summit 2020", themes=["Pellucid Futures"]
        )
        speaker = Speaker.objects.create(
            name="Yevgenia Marlowick", role="Head of PMO", organisation="Trevannion Consulting"
        )
        plain_speaker = Speaker.objects.create(name="Sam Jones", organisation="Acme")
        pdf = make_pdf_document("Worksheet", ["The cormorantine method, step by step"])
        titled_by_document = make_pdf_document(
            "Halvorsen Matrix", ["Some text"], "matrix.pdf", pdf_title="Matrix"
        )
        cls.session = build_session(
            conference,
            "Quillbrook: a session with every field",
            speakers=[speaker],
            theme=conference.themes.get(),
            starts_at=at(2020, 5, 1, 9),
            abstract="<p>The zanthorp approach to portfolio reporting.</p>",
            notes="<h3>Gildersleeve</h3><p>What we discussed.</p>",
            body=[
                handout(pdf, title="Brackwater Canvas", description="A fennimore checklist"),
                handout(titled_by_document),  # no title of its own: the document's is shown
                (
                    "handouts",
                    {
                        "heading": "Lindqvist pack",
                        "description": "Saltmarshy extras",
                        "anchor": "",
                        "handouts": [
                            {"document": titled_by_document, "title": "", "description": ""}
                        ],
                    },
                ),
            ],
        )
        cls.control = build_session(
            other,
            "A session with none of the words",
            speakers=[plain_speaker],
            theme=other.themes.get(),
            starts_at=at(2021, 5, 1, 9),
            abstract="<p>Portfolio reporting, plainly.</p>",
            notes="<p>Notes.</p>",
            body=[handout(make_pdf_document("Plain", ["plain text"], "plain.pdf"), "Plain")],
        )
        cls.title = cls.session.title

    def test_each_field_is_searchable_by_a_word_found_only_there(self):
        fields = {
            "title": "quillbrook",
            "abstract": "zanthorp",
            "speaker name": "marlowick",
            "speaker organisation": "trevannion",
            "conference title": "ostrevant",
            "theme name": "pellucid",
            "handout title": "brackwater",
            "handout description": "fennimore",
            "document title of an untitled handout": "halvorsen",
            "handout group heading": "lindqvist",
            "handout group description": "saltmarshy",
            "notes": "gildersleeve",
            "PDF text": "cormorantine",
        }
        for field, word in fields.items():
            with self.subTest(field=field, word=word):
                self.assertEqual(self.found(word), [self.title])
                self.assertEqual(self.found(word.upper()), [self.title])

    def test_a_shared_word_finds_both(self):
        self.assertEqual(len(self.found("portfolio reporting")), 2)

    def test_the_excerpt_shows_the_field_that_matched(self):
        for word, field_text in (
            ("zanthorp", "The <mark>zanthorp</mark> approach"),
            ("gildersleeve", "<mark>Gildersleeve</mark> What we discussed."),
            ("brackwater", "<mark>Brackwater</mark> Canvas A fennimore checklist"),
            ("fennimore", "Brackwater Canvas A <mark>fennimore</mark> checklist"),
            ("cormorantine", "The <mark>cormorantine</mark> method"),
        ):
            with self.subTest(word=word):
                [found] = inner_html(self.search(word), "pmolib-result__excerpt")
                self.assertIn(field_text, found)

    def test_a_match_elsewhere_shows_the_start_of_the_abstract(self):
        [found] = inner_html(self.search("marlowick"), "pmolib-result__excerpt")
        self.assertEqual(found, "The zanthorp approach to portfolio reporting.")

    def test_the_title_is_marked(self):
        response = self.search("quillbrook")
        link = soup_of(response).select_one(".pmolib-result__title a")
        self.assertEqual(str(link.mark), "<mark>Quillbrook</mark>")
        self.assertEqual(link["href"], self.session.url)

    def test_a_phrase_must_appear_as_written(self):
        self.assertEqual(self.found('"zanthorp approach"'), [self.title])
        self.assertEqual(self.found('"approach zanthorp"'), [])

    def test_every_word_must_match_before_some_may(self):
        self.assertEqual(self.found("zanthorp portfolio"), [self.title])
        # No session has both words: those with some of them, and a notice saying so.
        response = self.search("zanthorp plainly")
        self.assertEqual(len(titles(response)), 2)
        self.assertIn(
            "No session has all of your words; these have some of them.", notices(response)
        )


class LibrarySearchTests(LibraryTestCase):
    # --- Browsing and searching

    def test_without_a_query_all_sessions_newest_first(self):
        response = self.get()
        self.assertEqual(titles(response), self.NEWEST)
        self.assertEqual(heading(response), "All sessions (4 sessions)")
        soup = soup_of(response)
        search_box = soup.select_one(".pmolib-search form[role=search] input#pmolib-q[name=q]")
        self.assertEqual(search_box["value"], "")
        self.assertEqual(search_box["maxlength"], "200")
        self.assertEqual(
            soup.select_one("form[role=search]")["data-suggest-url"], "/library/suggest/"
        )
        self.assertEqual(SearchTerm.objects.count(), 0)

    def test_a_search_lists_matches_with_a_count_and_the_query_in_the_box(self):
        response = self.search("Benefits")
        self.assertEqual(
            titles(response),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )
        self.assertEqual(heading(response), "2 sessions found for “Benefits”")
        self.assertEqual(soup_of(response).select_one("#pmolib-q")["value"], "Benefits")
        self.assertEqual(heading(self.search("governance")), "1 session found for “governance”")

    def test_each_result_shows_title_conference_speakers_date_excerpt_badges_rating(self):
        RatingSummary.objects.create(page=self.s3, count=4, total=18, stars_5=2, stars_4=2)
        response = self.search("dashboards")
        [card] = soup_of(response).select(".pmolib-result")
        self.assertEqual(text_of(card.select_one(".pmolib-result__title")), self.s3.title)
        self.assertEqual(card.select_one(".pmolib-result__title a")["href"], self.s3.url)
        self.assertEqual(text_of(card.select_one(".pmolib-result__edition")), "PMO Conference 2022")
        self.assertEqual(card.select_one("time")["datetime"][:10], "2022-11-01")
        self.assertEqual(text_of(card.select_one("time")), "1 November 2022")
        self.assertEqual(text_of(card.select_one(".pmolib-result__theme")), "PMO Services")
        self.assertEqual(
            text_of(card.select_one(".pmolib-result__speakers")), "Lindsay Scott, John Smith"
        )
        self.assertEqual(
            str(card.select_one(".pmolib-result__excerpt")),
            '<p class="pmolib-result__excerpt"><mark>Dashboards</mark> that show benefits to the '
            "board.</p>",
        )
        self.assertEqual(
            [text_of(b) for b in card.select(".pmolib-badge")], ["Recording", "Handout"]
        )
        self.assertEqual(
            text_of(card.select_one(".pmolib-result__rating")), "★ 4.5 out of 5 stars (4 ratings)"
        )

    def test_title_matches_rank_above_abstract_matches(self):
        # "benefits" is in s1's title and abstract and only in s3's abstract; s3 is newer.
        self.assertEqual(
            self.found("benefits"),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )
        for word in ("governance", "dashboards"):
            with self.subTest(word=word):
                self.assertEqual(len(self.found(word)), 1)

    def test_a_title_word_outranks_the_same_word_in_a_newer_abstract(self):
        # Created title-match second (a higher id) and older, so neither id nor date explains it.
        in_abstract = build_session(
            self.conf_2022,
            "A newer session",
            starts_at=at(2022, 12, 1, 9),
            abstract="<p>Notes about kestrel spotting.</p>",
        )
        in_title = build_session(
            self.conf_2021,
            "Kestrel spotting",
            starts_at=at(2021, 1, 1, 9),
            abstract="<p>Birds.</p>",
        )
        self.assertEqual(self.found("kestrel"), [in_title.title, in_abstract.title])
        self.assertEqual(self.found("kestrel", sort="newest"), [in_abstract.title, in_title.title])

    def test_both_rankings_put_the_title_match_first(self):
        """Whoever ranks (the backend's scores, or the library on SQLite), a word in
        the title comes before the same word in a newer abstract."""
        in_abstract = build_session(
            self.conf_2022,
            "A newer session",
            starts_at=at(2022, 12, 1, 9),
            abstract="<p>Notes about osprey nests.</p>",
        )
        in_title = build_session(
            self.conf_2021, "Osprey nests", starts_at=at(2021, 1, 1, 9), abstract="<p>Birds.</p>"
        )
        for ranking in ("backend", "library", "auto"):
            with (
                self.subTest(ranking=ranking),
                override_settings(WAGTAIL_PMOLIB={"SEARCH_RANKING": ranking}),
            ):
                self.assertEqual(self.found("osprey nests"), [in_title.title, in_abstract.title])

    def test_a_wordless_query_browses_with_a_notice(self):
        response = self.search('"*" -- ( ) 😀')
        self.assertEqual(titles(response), self.NEWEST)
        self.assertIn(
            "Your search has no words to look for, so all sessions are shown.", notices(response)
        )
        self.assertEqual(SearchTerm.objects.count(), 0)

    def test_a_long_query_is_cut_with_a_notice(self):
        response = self.search("benefits " + "x" * 10_000)
        self.assertEqual(len(soup_of(response).select_one("#pmolib-q")["value"]), 200)
        self.assertIn("Your search was shortened to its first 200 characters.", notices(response))

    @override_settings(WAGTAIL_PMOLIB={"SEARCH_MAX_QUERY_LENGTH": 20})
    def test_the_query_length_follows_the_setting(self):
        response = self.search("benefits realisation that sticks")
        box = soup_of(response).select_one("#pmolib-q")
        self.assertEqual(box["value"], "benefits realisation")
        self.assertEqual(box["maxlength"], "20")
        self.assertEqual(titles(response), ["Benefits realisation that sticks"])

    def test_operators_and_quotes_are_words_not_syntax(self):
        for q in (
            "benefits OR governance",
            "benefits AND NOT governance",
            "benefits*",
            "NEAR(benefits",
        ):
            with self.subTest(q=q):
                response = self.search(q)
                self.assertFalse(response.context["search"].failed)
        # OR is a word, not an operator: nothing has all of "benefits", "or" and
        # "governance", so the sessions with some of them come back with a notice.
        response = self.search("benefits OR governance")
        self.assertIn(
            "No session has all of your words; these have some of them.", notices(response)
        )
        self.assertEqual(len(titles(response)), 3)

    # --- Drafts and privacy

    def test_drafts_are_never_found(self):
        self.assertEqual(self.found("draftonlyword"), [])
        self.assertNotIn("Draft benefits session", self.found("benefits"))
        # A published session's unpublished changes are not searched either.
        self.s4.title = "Agile governance, redrafted"
        self.s4.abstract = "<p>Pendingword.</p>"
        self.s4.save_revision()
        self.assertEqual(self.found("pendingword"), [])
        self.assertEqual(self.found("governance"), ["Agile governance for the PMO"])

    def test_an_unpublished_session_disappears(self):
        self.assertEqual(self.found("governance"), ["Agile governance for the PMO"])
        self.s4.unpublish()
        self.assertEqual(self.found("governance"), [])
        self.assertNotIn("Agile governance for the PMO", titles(self.get()))

    def test_restricted_sessions_are_hidden_from_anonymous_visitors(self):
        for word in ("clinicword", "workshopword", "briefingword"):
            with self.subTest(word=word):
                self.assertEqual(self.found(word), [])
        content = self.search("benefits").content.decode()
        for title in ("Members benefits clinic", "Password benefits workshop", "Sponsors benefits"):
            self.assertNotIn(title, content)
        self.assertEqual(len(titles(self.get())), 4)

    def test_a_login_restriction_shows_the_session_to_signed_in_visitors(self):
        self.client.force_login(self.user)
        self.assertEqual(self.found("clinicword"), ["Members benefits clinic"])
        self.assertEqual(self.found("workshopword"), [])  # a password is still needed
        self.assertEqual(self.found("briefingword"), [])  # not in the group
        self.assertIn("Members Day", facet_counts(self.get())["Conference"])

    def test_a_group_restriction_shows_the_session_to_members_of_the_group(self):
        self.client.force_login(self.sponsor)
        self.assertEqual(self.found("briefingword"), ["Sponsors benefits briefing"])

    def test_a_password_restriction_shows_the_session_once_the_password_was_given(self):
        session = self.client.session
        session[PageViewRestriction.passed_view_restrictions_session_key] = [
            self.password_restriction.pk
        ]
        session.save()
        self.assertEqual(self.found("workshopword"), ["Password benefits workshop"])
        self.assertEqual(self.found("clinicword"), [])

    def test_facets_do_not_show_what_the_visitor_may_not_see(self):
        counts = facet_counts(self.get())
        self.assertNotIn("Members Day", counts["Conference"])
        self.assertNotIn("Harriet Private", counts["Speaker"])
        # Eileen's password-protected session is not counted.
        self.assertEqual(counts["Speaker"]["Eileen Roden"], 1)
        self.assertEqual(counts["Conference"], {"PMO Conference 2022": 2, "PMO Conference 2021": 2})

    def test_a_restricted_conference_chosen_by_id_is_not_named(self):
        """A private conference's id in the address is treated like an id that does
        not exist: its title never shows, and the page does not tell them apart."""
        private = self.get({"conference": self.members.pk})
        self.assertEqual(strings_containing(private, "Members Day"), [])
        unknown = self.get({"conference": 999_999})
        self.assertEqual(titles(private), titles(unknown))
        self.assertEqual(notices(private), notices(unknown))
        self.client.force_login(self.user)
        response = self.get({"conference": self.members.pk})
        self.assertEqual(titles(response), ["Members benefits clinic"])
        self.assertIn("Conference: Members Day", chips(response))

    def test_a_speaker_of_only_restricted_sessions_chosen_by_id_is_not_named(self):
        private = self.get({"speaker": self.harriet.pk})
        self.assertEqual(strings_containing(private, "Harriet Private"), [])
        unknown = self.get({"speaker": 999_999})
        self.assertEqual(titles(private), titles(unknown))
        self.assertEqual(notices(private), notices(unknown))
        self.client.force_login(self.user)
        self.assertEqual(
            titles(self.get({"speaker": self.harriet.pk})), ["Members benefits clinic"]
        )

    # --- Sorting

    def rate(self):
        RatingSummary.objects.create(page=self.s1, count=20, total=90)  # 4.5 from 20
        RatingSummary.objects.create(page=self.s2, count=1, total=5)  # 5.0 from 1
        RatingSummary.objects.create(page=self.s3, count=3, total=9)  # 3.0 from 3

    def sort_links(self, response):
        return {
            text_of(item): (item.a["href"] if item.a else None)
            for item in soup_of(response).select(".pmolib-search__sort li")
        }

    def test_newest_is_the_default_without_a_query(self):
        self.assertEqual(titles(self.get()), self.NEWEST)
        self.assertEqual(titles(self.get({"sort": "newest"})), self.NEWEST)
        self.assertEqual(
            self.sort_links(self.get()),
            {"Newest": None, "Top rated": "?sort=top-rated", "Most rated": "?sort=most-rated"},
        )

    def test_relevance_is_the_default_with_a_query(self):
        response = self.search("benefits")
        self.assertEqual(
            self.sort_links(response),
            {
                "Relevance": None,
                "Newest": "?q=benefits&sort=newest",
                "Top rated": "?q=benefits&sort=top-rated",
                "Most rated": "?q=benefits&sort=most-rated",
            },
        )
        self.assertEqual(
            titles(self.search("benefits", sort="newest")),
            ["Portfolio dashboards people read", "Benefits realisation that sticks"],
        )

    def test_top_rated_uses_the_bayesian_average(self):
        self.rate()
        # Prior: the library's mean (104 / 24) with weight 5. s1 (4.5 × 20) beats s2
        # (5.0 × 1); unrated s4 sits at the prior, above s3 (3.0 × 3).
        response = self.get({"sort": "top-rated"})
        self.assertEqual(
            titles(response),
            [
                "Benefits realisation that sticks",
                "Hierarchy is not destiny",
                "Agile governance for the PMO",
                "Portfolio dashboards people read",
            ],
        )
        ratings = [text_of(r) for r in soup_of(response).select(".pmolib-result__rating")]
        self.assertEqual(
            ratings,
            [
                "★ 4.5 out of 5 stars (20 ratings)",
                "★ 5.0 out of 5 stars (1 rating)",
                "★ 3.0 out of 5 stars (3 ratings)",
            ],
        )

    def test_most_rated(self):
        self.rate()
        self.assertEqual(
            titles(self.get({"sort": "most-rated"})),
            [
                "Benefits realisation that sticks",
                "Portfolio dashboards people read",
                "Hierarchy is not destiny",
                "Agile governance for the PMO",
            ],
        )
        self.assertEqual(
            titles(self.search("benefits", sort="most-rated")),
            ["Benefits realisation that sticks", "Portfolio dashboards people read"],
        )

    def test_relevance_without_a_query_is_newest(self):
        self.assertEqual(titles(self.get({"sort": "relevance"})), self.NEWEST)

    def test_an_unknown_sort_falls_back_with_a_notice(self):
        response = self.get({"sort": "oldest"})
        self.assertEqual(titles(response), self.NEWEST)
        self.assertIn("The sort order in the address was not recognised.", notices(response))

    # --- Paging

    def test_pages_of_results_keep_the_search(self):
        first = self.get({"q": "pmo", "per_page": 2})
        self.assertEqual(len(titles(first)), 2)
        soup = soup_of(first)
        self.assertEqual(soup.find("a", rel="next")["href"], "?q=pmo&per_page=2&page=2")
        self.assertEqual(
            text_of(soup.select_one(".pmolib-pagination [aria-current=page]")), "Page 1"
        )
        second = self.client.get(self.library.url + soup.find("a", rel="next")["href"])
        self.assertEqual(soup_of(second).find("a", rel="prev")["href"], "?q=pmo&per_page=2")
        self.assertEqual(soup_of(second).select_one("ol.pmolib-results")["start"], "3")
        self.assertTrue(set(titles(first)).isdisjoint(titles(second)))
        total = first.context["search"].total
        self.assertEqual(heading(first), f"{total} sessions found for “pmo”")

    @override_settings(WAGTAIL_PMOLIB={"INDEX_PAGE_SIZE": 2, "MAX_PAGE_SIZE": 3})
    def test_the_page_size_is_capped(self):
        self.assertEqual(len(titles(self.get({"per_page": 1000}))), 3)
        self.assertEqual(len(titles(self.search("pmo", per_page=1000))), 3)
        self.assertEqual(len(titles(self.get({"per_page": 10**30}))), 2)  # the default
        self.assertEqual(len(titles(self.get({"per_page": 1}))), 1)
        self.assertEqual(len(titles(self.get({"per_page": 0}))), 1)
        self.assertEqual(len(titles(self.get({"per_page": -3}))), 2)
        self.assertEqual(len(titles(self.get())), 2)

    def test_bad_page_values_give_a_page(self):
        for page in ("0", "-1", "abc", "2.5", "99999999999999999999999", ""):
            with self.subTest(page=page):
                self.assertEqual(titles(self.get({"page": page})), self.NEWEST)
        self.assertEqual(titles(self.get({"page": ["1", "2"], "per_page": 1})), [self.NEWEST[1]])

    # --- No results

    def test_no_results_because_of_filters_offers_to_clear_them(self):
        response = self.search("benefits", conference=self.conf_2021.pk, format="handout")
        self.assertEqual(titles(response), [])
        clear = soup_of(response).select_one(".pmolib-empty a[data-clear]")
        self.assertEqual(text_of(clear), "Clear the filters to see 2 sessions")
        self.assertEqual(clear["href"], "?q=benefits")
        self.assertEqual(
            titles(self.client.get(self.library.url + clear["href"])), self.found("benefits")
        )
        response = self.get({"format": "handout", "theme": "pmo-in-practice"})
        clear = soup_of(response).select_one(".pmolib-empty a[data-clear]")
        self.assertEqual(text_of(clear), "Clear the filters to see 4 sessions")
        self.assertEqual(clear["href"], "?")

    def test_no_results_shows_editors_picks(self):
        promote(self.s4, "zzyzx", "Start here")
        response = self.search("zzyzx")
        self.assertEqual(titles(response), [])
        self.assertEqual(
            picks(response), [("Agile governance for the PMO", self.s4.url, "Start here")]
        )

    # --- Editors' picks

    def test_editors_picks_for_a_search(self):
        promote(self.s4, "dashboards", "Our pick", sort_order=1)
        promote(self.s2, "Dashboards", "", sort_order=0)
        response = self.search("DASHBOARDS")
        self.assertEqual(
            picks(response),
            [
                ("Hierarchy is not destiny", self.s2.url, ""),
                ("Agile governance for the PMO", self.s4.url, "Our pick"),
            ],
        )
        self.assertEqual(
            text_of(soup_of(response).select_one("#pmolib-picks-heading")), "Editors’ picks"
        )
        self.assertEqual(picks(self.search("governance")), [])
        self.assertEqual(picks(self.get()), [])

    def test_editors_picks_leave_out_drafts_and_pages_the_visitor_may_not_view(self):
        for page in (self.draft, self.password_session, self.group_session):
            promote(page, "benefits")
        promote(self.members_session, "benefits", sort_order=1)
        promote(self.s4, "benefits", sort_order=2)
        self.assertEqual(picks(self.search("benefits")), [(self.s4.title, self.s4.url, "")])
        self.client.force_login(self.user)
        self.assertEqual(
            [title for title, _url, _d in picks(self.search("benefits"))],
            ["Members benefits clinic", self.s4.title],
        )

    def test_editors_picks_only_on_the_first_page(self):
        promote(self.s4, "pmo")
        self.assertEqual(len(picks(self.search("pmo", per_page=1))), 1)
        self.assertEqual(picks(self.search("pmo", per_page=1, page=2)), [])

    def test_an_external_editors_pick(self):
        Query.get("governance").editors_picks.create(
            external_link_url="https://example.com/guide",
            external_link_text="The governance guide",
            sort_order=0,
        )
        self.assertEqual(
            picks(self.search("governance")),
            [("The governance guide", "https://example.com/guide", "")],
        )


def promote(page, query, description="", sort_order=0):
    return SearchPromotion.objects.create(
        query=Query.get(query), page=page, description=description, sort_order=sort_order
    )


def picks(response):
    aside = soup_of(response).select_one(".pmolib-picks")
    if aside is None:
        return []
    return [
        (text_of(li.a), li.a["href"], text_of(li.p) if li.p else "") for li in aside.select("li")
    ]
