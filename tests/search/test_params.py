"""Search addresses, without a database (``search/params.py``): reading and
writing the filters, sort and page the address holds."""

import pytest
from django.http import QueryDict

from wagtail_pmolib.models import SessionPage
from wagtail_pmolib.search import SearchParams, parse_params, parse_query
from wagtail_pmolib.search.scope import Conference, KnownValues, theme_key


class AddressScope:
    """Stands in for a visitor's ``LibraryScope``: knows conference 3, two themes and
    speakers 7 and 9 (what the database would answer)."""

    session_model = SessionPage

    def known_values(self, conferences=(), themes=(), speakers=(), all_words_of=None):
        known = KnownValues()
        if 3 in conferences:
            known.conferences[3] = Conference(3, "00010001", "PMO Conference 2021")
        for key, name in (("pmo-services", "PMO Services"), ("pmo-people", "PMO People")):
            if key in themes:
                known.themes[key], known.theme_ids[key] = name, [1]
        for pk, name in ((7, "Lindsay Scott"), (9, "Eileen Roden")):
            if pk in speakers:
                known.speakers[pk] = name
        return known


def catalog_for_addresses():
    return AddressScope()


def test_search_addresses_round_trip():
    catalog = catalog_for_addresses()
    params = SearchParams(
        query=parse_query('pmo "value office"'),
        conferences=(3,),
        themes=("pmo-services",),
        speakers=(7, 9),
        formats=("recording",),
        sort="top-rated",
        per_page=24,
    )
    url = params.url()
    assert url == (
        "?q=pmo+%22value+office%22&conference=3&theme=pmo-services&speaker=7&speaker=9"
        "&format=recording&sort=top-rated&per_page=24"
    )
    again = parse_params(QueryDict(url[1:]), catalog)
    assert again.url() == url and not again.notices
    assert (again.conferences, again.themes, again.speakers, again.formats) == (
        (3,),
        ("pmo-services",),
        (7, 9),
        ("recording",),
    )
    assert again.query.text == params.query.text and again.sort == "top-rated"
    assert again.per_page == 24
    assert params.url(page=2).endswith("&page=2")
    assert SearchParams().url() == "?"


def test_toggle_url_adds_and_removes_one_value_and_keeps_the_rest():
    catalog = catalog_for_addresses()
    params = parse_params(QueryDict("q=pmo&speaker=7&theme=pmo-services&page=3"), catalog)
    removed = parse_params(QueryDict(params.toggle_url("speaker", 7)[1:]), catalog)
    assert removed.speakers == () and removed.themes == ("pmo-services",)
    assert removed.query.text == "pmo"
    assert removed.page == 1  # changing a filter goes back to the first page
    added = parse_params(QueryDict(params.toggle_url("speaker", 9)[1:]), catalog)
    assert added.speakers == (7, 9)
    back = parse_params(QueryDict(added.toggle_url("speaker", 9)[1:]), catalog)
    assert back.url() == params.url()
    theme_added = parse_params(QueryDict(params.toggle_url("theme", "pmo-people")[1:]), catalog)
    assert theme_added.themes == ("pmo-services", "pmo-people")


@pytest.mark.parametrize(
    "query_string, notice",
    [
        ("conference=999", "conference"),
        ("conference=abc", "conference"),
        ("conference=-3", "conference"),
        ("speaker=7.0", "speaker"),
        ("theme=nope", "theme"),
        ("format=video", "format"),
        ("sort=oldest", "sort order"),
    ],
)
def test_unknown_filter_values_are_left_out_with_a_notice(query_string, notice):
    params = parse_params(QueryDict(query_string), catalog_for_addresses())
    assert not (params.conferences or params.themes or params.speakers or params.formats)
    assert params.sort == ""
    assert len(params.notices) == 1 and notice in str(params.notices[0])


def test_repeated_filter_values_count_once():
    params = parse_params(
        QueryDict("speaker=7&speaker=7&speaker=9&speaker=7"), catalog_for_addresses()
    )
    assert params.speakers == (7, 9) and not params.notices


def test_theme_keys_are_slugs_of_names():
    assert theme_key("PMO Services") == "pmo-services"
    assert theme_key("Ärger & Öl") == "ärger-öl"
    assert theme_key("!!!") == "-"
