"""The cross-links of a session's article (previous/next session, other sessions by
its speakers) come from one hand-written statement (``models/crosslinks.py``).
Here it is compared, for every session of a tree full of awkward cases, with the
Django querysets that used to compute them and state the rules: live only, own
view restrictions skip a neighbour, any restriction on a page or its ancestors
hides it from "other sessions", undated sessions last, ties broken by tree order.
"""

from django.db import connection, models
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import at, build_conference, build_library, build_session, restrict
from wagtail_pmolib.models import SessionPage, Speaker
from wagtail_pmolib.models.crosslinks import crosslinks
from wagtail_pmolib.models.pages import LINK_FIELDS, exclude_restricted


def reference_neighbours(page):
    """The queryset the article used before (the rule, as Django states it)."""
    own_restriction = PageViewRestriction.objects.filter(page_id=models.OuterRef("pk"))
    siblings = list(
        type(page)
        .objects.live()
        .sibling_of(page, inclusive=True)
        .filter(models.Q(pk=page.pk) | ~models.Exists(own_restriction))
        .only(*LINK_FIELDS)
        .order_by(models.F("starts_at").asc(nulls_last=True), "path")
    )
    ids = [s.pk for s in siblings]
    if page.pk not in ids:
        return None, None
    i = ids.index(page.pk)
    return (
        siblings[i - 1] if i > 0 else None,
        siblings[i + 1] if i + 1 < len(siblings) else None,
    )


def reference_others(page, limit):
    speakers = [link.speaker_id for link in page.session_speakers.all()]
    if not speakers or not limit:
        return []
    queryset = (
        SessionPage.objects.live()
        .filter(session_speakers__speaker__in=speakers)
        .exclude(pk=page.pk)
        .only(*LINK_FIELDS)
        .distinct()
        .order_by(models.F("starts_at").desc(nulls_last=True), "path")
    )
    return list(exclude_restricted(queryset)[:limit])


def pk(page):
    return page.pk if page is not None else None


class CrossLinksTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        library = build_library()
        other_library = build_library(title="Other library", slug="other-library")
        a, b, c = (Speaker.objects.create(name=name) for name in ("Ann", "Bob", "Cy"))
        first = build_conference(library, title="PMO Conference 2021")
        second = build_conference(library, title="PMO Conference 2022")
        members = build_conference(library, title="Members only 2023")
        restrict(members, PageViewRestriction.LOGIN)
        elsewhere = build_conference(other_library, title="Elsewhere 2020")

        def session(conference, title, speakers=(), **fields):
            return build_session(conference, title=title, speakers=speakers, **fields)

        # Same dates (ties go to tree order), undated ones, a draft, own restrictions.
        session(first, "Undated one", [a])
        session(first, "Ten o'clock", [a, b], starts_at=at(2021, 11, 2, 10))
        session(first, "Nine o'clock", [b], starts_at=at(2021, 11, 2, 9))
        session(first, "Also ten", [c], starts_at=at(2021, 11, 2, 10))
        session(first, "A draft", [a], starts_at=at(2021, 11, 2, 11), publish=False)
        restrict(session(first, "Password", [a], starts_at=at(2021, 11, 2, 12)))
        restrict(
            session(first, "Groups", [b], starts_at=at(2021, 11, 2, 13)),
            PageViewRestriction.GROUPS,
        )
        session(first, "Undated two", [a, c])
        session(first, "Last", [b], starts_at=at(2021, 11, 3, 17))
        session(second, "Only one here", [a, b, c], starts_at=at(2022, 11, 2, 9))
        session(members, "Members A", [a], starts_at=at(2023, 11, 2, 9))
        session(members, "Members B", [b], starts_at=at(2023, 11, 2, 10))
        session(elsewhere, "Elsewhere", [a, b], starts_at=at(2020, 11, 2, 9))
        session(elsewhere, "Elsewhere undated", [c])
        cls.sessions = list(SessionPage.objects.order_by("path"))

    def test_the_same_links_as_the_querysets(self):
        self.assertEqual(len(self.sessions), 14)
        for limit in (0, 1, 2, 4, 20):
            for page in self.sessions:
                with self.subTest(page=page.title, limit=limit):
                    found = crosslinks(page, limit=limit)
                    previous, following = reference_neighbours(page)
                    self.assertEqual(pk(found["previous_session"]), pk(previous))
                    self.assertEqual(pk(found["next_session"]), pk(following))
                    self.assertEqual(
                        [s.pk for s in found["other_sessions"]],
                        [s.pk for s in reference_others(page, limit)],
                    )

    def test_the_cases_are_there(self):
        """The tree has what the comparison is about (so it cannot pass vacuously)."""
        by_title = {page.title: page for page in self.sessions}
        found = crosslinks(by_title["Ten o'clock"], limit=20)
        self.assertEqual(found["previous_session"].title, "Nine o'clock")
        self.assertEqual(found["next_session"].title, "Also ten")  # a tie: tree order
        found = crosslinks(by_title["Last"], limit=20)
        self.assertEqual(found["next_session"].title, "Undated one")  # undated last
        self.assertEqual(found["previous_session"].title, "Also ten")  # restricted skipped
        titles = [s.title for s in crosslinks(by_title["Undated one"], limit=20)["other_sessions"]]
        self.assertEqual(titles, ["Only one here", "Ten o'clock", "Elsewhere", "Undated two"])
        self.assertIsNone(crosslinks(by_title["A draft"], limit=1)["previous_session"])

    def test_links_are_pages_with_an_address_and_an_aware_date(self):
        page = next(p for p in self.sessions if p.title == "Ten o'clock")
        found = crosslinks(page, limit=4)
        link = found["previous_session"]
        self.assertIsInstance(link, SessionPage)
        self.assertEqual(link.url, SessionPage.objects.get(pk=link.pk).url)
        self.assertEqual(link.starts_at, at(2021, 11, 2, 9))
        self.assertIsNotNone(link.starts_at.tzinfo)

    def test_one_query(self):
        page = self.sessions[1]
        with CaptureQueriesContext(connection) as queries:
            crosslinks(page, limit=4)
        self.assertEqual(len(queries), 1)
