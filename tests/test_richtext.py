"""Rich text that shows nothing (wagtail_pmolib/richtext.py)."""

import pytest
from wagtail.rich_text import RichText

from wagtail_pmolib.blocks import ParagraphBlock
from wagtail_pmolib.richtext import is_blank


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        '<p data-block-key="a1b2c"></p>',
        '<p data-block-key="a"> </p><h3 data-block-key="b"></h3>',
        "<p>&nbsp;</p><p><br/></p>",
        "<p>\u00a0\t\n</p>",
    ],
)
def test_blank(value):
    assert is_blank(value)


@pytest.mark.parametrize(
    "value",
    [
        "<p>.</p>",
        "plain words",
        "<p>&amp;</p>",
        '<p></p><embed embedtype="image" id="3" format="left" alt=""/>',
        '<embed embedtype="media" url="https://www.youtube.com/watch?v=x"/>',
        "<hr/>",
    ],
)
def test_not_blank(value):
    assert not is_blank(value)


def test_a_blank_paragraph_block_renders_nothing():
    block = ParagraphBlock()
    assert block.render(RichText('<p data-block-key="k"></p>')) == ""
    assert "Words" in block.render(RichText("<p>Words</p>"))
