"""Shared by the library search's tests: helpers reading the library page, and
the library most of them search (``LibraryTestCase``)."""

import re

from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.test import TestCase
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction
from wagtail.test.utils import WagtailPageTestCase

from tests.builders import (
    at,
    build_conference,
    build_library,
    build_session,
    recording_stream,
    restrict,
    soup_of,
    text_of,
)
from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import Speaker

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
TAG = re.compile(r"<[^>]*>")


def make_pdf_document(title, lines, filename="handout.pdf", pdf_title=None):
    """A document whose file is a real PDF with ``lines`` of text, uploaded in a
    request that commits (its text is read after the commit)."""
    document = get_document_model()(title=title)
    pdf = build_pdf(title if pdf_title is None else pdf_title, lines)
    document.file.save(filename, ContentFile(pdf), save=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        document.save()
    return document


def handout(document, title="", description=""):
    return ("handout", {"document": document, "title": title, "description": description})


def titles(response):
    # The title's own text: a <mark> inside it adds no space.
    return [
        " ".join(a.get_text().split()) for a in soup_of(response).select(".pmolib-result__title a")
    ]


def heading(response):
    return text_of(soup_of(response).select_one("#pmolib-sessions-heading"))


def notices(response):
    return [text_of(p) for p in soup_of(response).select(".pmolib-search__notices p")]


def facet_counts(response):
    """``{facet heading: {option label: count}}`` as the page shows them."""
    found = {}
    for section in soup_of(response).select(".pmolib-facet"):
        name = text_of(section.select_one(".pmolib-facet__heading"))
        options = {}
        for option in section.select(".pmolib-facet__option"):
            label = text_of(option.select_one(".pmolib-facet__label"))
            count = text_of(option.select_one(".pmolib-facet__count")).split()[0]
            options[label] = int(count)
        found[name] = options
    return found


def facet_link(response, facet, label):
    for section in soup_of(response).select(".pmolib-facet"):
        if text_of(section.select_one(".pmolib-facet__heading")) != facet:
            continue
        for option in section.select(".pmolib-facet__option"):
            if text_of(option.select_one(".pmolib-facet__label")) == label:
                return option
    raise AssertionError(f"no {facet} option {label!r}")


def chips(response):
    """The selected filters: ``{text: remove url}``."""
    return {
        text_of(a).replace(" × (remove this filter)", ""): a["href"]
        for a in soup_of(response).select(".pmolib-search__selected a.pmolib-chip")
        if not a.has_attr("data-clear")
    }


def inner_html(response, css_class):
    """The raw HTML inside each ``<p class="css_class">`` (as the server wrote it)."""
    return re.findall(rf'<p class="{css_class}">(.*?)</p>', response.content.decode(), re.S)


def strings_containing(response, text):
    """Where ``text`` shows on the page: each element holding it, with its text."""
    soup = soup_of(response)
    return [
        f"<{found.parent.name} class={found.parent.get('class')}>: {' '.join(found.split())}"
        for found in soup.find_all(string=re.compile(re.escape(text)))
    ]


def only_mark_tags(fragment):
    return set(TAG.findall(fragment)) <= {"<mark>", "</mark>"}


class SearchTestCase(WagtailPageTestCase):
    """Requests to the library page, with helpers."""

    def get(self, data=None, **extra):
        response = self.client.get(self.library.url, data or {}, **extra)
        self.assertEqual(response.status_code, 200)
        return response

    def search(self, q, headers=None, **params):
        return self.get({"q": q, **params}, **(headers or {}))

    def found(self, q, **params):
        return titles(self.search(q, **params))


class LibraryTestCase(SearchTestCase):
    """Four published sessions in two editions, a draft, and sessions behind a
    login, a password and a group, by four speakers."""

    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conf_2021 = build_conference(
            cls.library, "PMO Conference 2021", themes=["PMO Services", "PMO People"]
        )
        cls.conf_2022 = build_conference(
            cls.library, "PMO Conference 2022", themes=["PMO Services", "PMO in Practice"]
        )
        cls.members = build_conference(cls.library, "Members Day")
        cls.members_restriction = restrict(cls.members, PageViewRestriction.LOGIN)
        cls.lindsay = Speaker.objects.create(name="Lindsay Scott", organisation="PMO Learning")
        cls.eileen = Speaker.objects.create(name="Eileen Roden", organisation="PMO Flashmob")
        cls.john = Speaker.objects.create(name="John Smith", organisation="Acme Widgets")
        cls.harriet = Speaker.objects.create(name="Harriet Private", organisation="Hushco")
        document = make_pdf_document("Barrier map", ["Barriers and how to cross them"])
        themes_2021 = {t.name: t for t in cls.conf_2021.themes.all()}
        themes_2022 = {t.name: t for t in cls.conf_2022.themes.all()}
        cls.s1 = build_session(
            cls.conf_2021,
            "Benefits realisation that sticks",
            speakers=[cls.lindsay],
            theme=themes_2021["PMO Services"],
            starts_at=at(2021, 11, 2, 9),
            abstract="<p>How a PMO proves its value with benefits tracking.</p>",
            recording=recording_stream(),
        )
        cls.s2 = build_session(
            cls.conf_2021,
            "Hierarchy is not destiny",
            speakers=[cls.eileen],
            theme=themes_2021["PMO People"],
            starts_at=at(2021, 11, 2, 14),
            abstract="<p>Overcoming barriers in the PMO.</p>",
            body=[handout(document, "Barrier map")],
        )
        cls.s3 = build_session(
            cls.conf_2022,
            "Portfolio dashboards people read",
            speakers=[cls.lindsay, cls.john],
            theme=themes_2022["PMO Services"],
            starts_at=at(2022, 11, 1, 9),
            abstract="<p>Dashboards that show benefits to the board.</p>",
            recording=recording_stream(),
            body=[handout(document, "Dashboard template")],
        )
        cls.s4 = build_session(
            cls.conf_2022,
            "Agile governance for the PMO",
            speakers=[cls.john],
            theme=themes_2022["PMO in Practice"],
            starts_at=at(2022, 11, 1, 14),
            abstract="<p>Governance that keeps pace.</p>",
        )
        cls.draft = build_session(
            cls.conf_2022,
            "Draft benefits session",
            speakers=[cls.lindsay],
            starts_at=at(2023, 1, 1, 9),
            abstract="<p>Benefits, unpublished. Draftonlyword.</p>",
            publish=False,
        )
        cls.members_session = build_session(
            cls.members,
            "Members benefits clinic",
            speakers=[cls.harriet],
            starts_at=at(2023, 2, 1, 9),
            abstract="<p>Benefits for members. Clinicword.</p>",
        )
        cls.password_session = build_session(
            cls.conf_2022,
            "Password benefits workshop",
            speakers=[cls.eileen],
            starts_at=at(2022, 11, 2, 9),
            abstract="<p>Benefits behind a password. Workshopword.</p>",
        )
        cls.password_restriction = restrict(cls.password_session)
        cls.group = Group.objects.create(name="Sponsors")
        cls.group_session = build_session(
            cls.conf_2021,
            "Sponsors benefits briefing",
            starts_at=at(2021, 11, 3, 9),
            abstract="<p>Benefits for sponsors. Briefingword.</p>",
        )
        group_restriction = PageViewRestriction.objects.create(
            page=cls.group_session, restriction_type=PageViewRestriction.GROUPS
        )
        group_restriction.groups.add(cls.group)
        cls.user = User.objects.create_user("visitor", password="pw")
        cls.sponsor = User.objects.create_user("sponsor", password="pw")
        cls.sponsor.groups.add(cls.group)

    NEWEST = [
        "Agile governance for the PMO",
        "Portfolio dashboards people read",
        "Hierarchy is not destiny",
        "Benefits realisation that sticks",
    ]
