"""The library search's Access facet (issue 11): "Free Articles" is one link."""

from django.test import TestCase, override_settings

from tests.builders import _media_root as _media_root  # one MEDIA_ROOT for the module
from tests.builders import build_conference, build_library, build_session, soup_of, text_of

MEMBERS = {"MEMBER_GROUPS": ["Members"]}


@override_settings(WAGTAIL_PMOLIB=MEMBERS)
class AccessFacetTests(TestCase):
    """ "Free Articles" is one link: the Access facet (Free / Members)."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        open_conference = build_conference(cls.library, "Open 2021")
        members = build_conference(cls.library, "Members 2022", access_level="members")
        build_session(open_conference, "Free clinic", abstract="<p>Clinic words.</p>")
        build_session(open_conference, "Free workshop", abstract="<p>Clinic words.</p>")
        build_session(members, "Gated clinic", abstract="<p>Clinic words.</p>")

    def facet(self, **params):
        response = self.client.get(self.library.url, params)
        search = response.context["search"]
        found = {f.name: f for f in search.facets}.get("access")
        options = {o.value: o for o in found.options} if found else {}
        return search, options

    def titles(self, url):
        response = self.client.get(self.library.url + url)
        return sorted(text_of(a) for a in soup_of(response).select(".pmolib-result__title a"))

    def test_counts_and_links(self):
        search, options = self.facet()
        self.assertEqual({k: o.count for k, o in options.items()}, {"free": 2, "members": 1})
        self.assertEqual(self.titles(options["free"].url), ["Free clinic", "Free workshop"])
        self.assertEqual(self.titles(options["members"].url), ["Gated clinic"])
        search, options = self.facet(q="clinic", access="free")
        self.assertEqual(search.total, 2)
        self.assertTrue(options["free"].selected)
        self.assertEqual(options["members"].count, 1)  # what choosing it too adds
        self.assertEqual(self.titles("?q=gated&access=free"), [])

    def test_an_unknown_value_is_left_out_with_a_notice(self):
        search, _options = self.facet(access="vip")
        self.assertEqual(search.total, 3)
        self.assertTrue(any("access" in str(n) for n in search.notices))
