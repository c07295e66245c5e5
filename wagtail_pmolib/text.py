"""Plain text out of session content: rich text, handout blocks and PDF text.

Used both when a session is indexed (what search matches) and when a result's
excerpt is made (what the visitor sees), so the two always agree.
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup

_BLOCK_TAGS = re.compile(r"</?(p|h[1-6]|li|ul|ol|blockquote|br|hr|div|tr|td|th)\b[^>]*>", re.I)
_SPACE = re.compile(r"\s+")


def html_to_text(value) -> str:
    """The visible text of a rich text value, with block boundaries kept as spaces."""
    if not value:
        return ""
    source = str(value)
    if "<" not in source:
        return _SPACE.sub(" ", html.unescape(source)).strip()
    # A space where a block ends, so "</p><p>" does not glue two words together.
    text = BeautifulSoup(_BLOCK_TAGS.sub(" ", source), "html.parser").get_text(" ")
    return _SPACE.sub(" ", text).strip()


def _struct_value(item):
    """The value of a ListBlock child, whichever format it was stored in."""
    if isinstance(item, dict) and item.get("type") == "item" and "value" in item:
        return item["value"]
    return item


def handouts_in(raw_body) -> list[dict]:
    """The handouts of a session body's raw stream data, in order:
    ``{"document": id or None, "title": str, "description": str}``.

    Reads the stored JSON only: no document is loaded and no block is built.
    """
    found = []
    for block in raw_body or []:
        if not isinstance(block, dict):
            continue
        value = block.get("value")
        if not isinstance(value, dict):
            continue
        if block.get("type") == "handout":
            items = [value]
        elif block.get("type") == "handouts":
            items = [_struct_value(item) for item in value.get("handouts") or []]
            if value.get("heading") or value.get("description"):
                found.append(
                    {
                        "document": None,
                        "title": str(value.get("heading") or ""),
                        "description": str(value.get("description") or ""),
                    }
                )
        else:
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            document = item.get("document")
            found.append(
                {
                    "document": document if isinstance(document, int) else None,
                    "title": str(item.get("title") or ""),
                    "description": str(item.get("description") or ""),
                }
            )
    return found


def raw_stream_data(stream_value) -> list:
    """A StreamField value's stored JSON, without building its blocks."""
    raw = getattr(stream_value, "raw_data", stream_value)
    try:
        return list(raw or [])
    except TypeError:
        return []
