"""Reading what a visitor typed (``search/query.py``)."""

import pytest
from django.test import override_settings
from wagtail.search.query import And, Or, Phrase, PlainText

from wagtail_pmolib.search import parse_query
from wagtail_pmolib.search.query import MAX_TERMS


def test_parse_query_keeps_words_and_phrases_and_drops_operators():
    query = parse_query('Benefits AND "Portfolio  Dashboards" -agile NEAR(x y) title:pmo* ^z')
    assert query.phrases == [["portfolio", "dashboards"]]
    assert query.words == ["benefits", "and", "agile", "near", "x", "y", "title", "pmo", "z"]
    assert query.text == 'Benefits AND "Portfolio Dashboards" -agile NEAR(x y) title:pmo* ^z'
    assert query.normalised == '"portfolio dashboards" benefits and agile near x y title pmo z'
    assert query.terms[:3] == ["benefits", "and", "agile"]
    assert "portfolio" in query.terms and "dashboards" in query.terms


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "!!!", '""', '"', "* ^ - : ( )", "😀🎉", "\x00\x01\x1f", "\u200b", None],
)
def test_parse_query_without_words_is_empty(raw):
    query = parse_query(raw)
    assert not query
    assert query.backend_query() is None and query.backend_query("or") is None
    assert "\x00" not in query.text


def test_parse_query_drops_control_characters_and_nul():
    query = parse_query("risk\x00 regi\x07ster\ttemplate\n")
    assert "\x00" not in query.text and "\x07" not in query.text
    assert query.text == "risk register template"
    assert query.words == ["risk", "register", "template"]


def test_parse_query_keeps_unicode_words_lower_cased():
    query = parse_query("Café GRÖSSE 日本語 Ελληνικά 😀")
    assert query.words == ["café", "grösse", "日本語", "ελληνικά"]
    assert "😀" in query.text


def test_parse_query_is_cut_to_the_limit():
    query = parse_query("word " * 2000)  # 10,000 characters
    assert len(query.text) <= 200 and query.truncated
    assert query.words == ["word"]
    assert not parse_query("x" * 200).truncated
    assert parse_query("x" * 201).truncated
    with override_settings(WAGTAIL_PMOLIB={"SEARCH_MAX_QUERY_LENGTH": 10}):
        query = parse_query("abcdefghij klmnop")
        assert query.text == "abcdefghij" and query.truncated


def test_parse_query_counts_a_word_once_and_caps_the_terms():
    assert parse_query("pmo PMO Pmo value").words == ["pmo", "value"]
    many = parse_query(" ".join(f"w{n}" for n in range(MAX_TERMS + 10)))
    assert len(many.terms) == MAX_TERMS


def test_a_quoted_single_word_is_a_word():
    query = parse_query('"benefits" pmo')
    assert query.phrases == [] and query.words == ["benefits", "pmo"]


def test_backend_query_objects():
    assert isinstance(parse_query("pmo").backend_query(), PlainText)
    assert isinstance(parse_query('"pmo value"').backend_query(), Phrase)
    assert isinstance(parse_query('"pmo value" agile').backend_query(), And)
    assert isinstance(parse_query("pmo agile").backend_query("or"), Or)
