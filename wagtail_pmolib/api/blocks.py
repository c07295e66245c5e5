"""A session's StreamFields in the API: its recording and its body blocks.

Each block's own ``get_api_representation`` (what Wagtail's API v2 gives too)
says what it holds; here its addresses become absolute and its images get the
renditions ``API_RENDITIONS`` allows, the one thing v2's representation leaves
out. What the page does not show is left out here too: a handout whose document
was deleted, a paragraph left empty.
"""

from __future__ import annotations

import logging

from ..recordings import provider_of
from ..richtext import is_blank

logger = logging.getLogger(__name__)


def recording(presenter, child, early=False) -> dict:
    """A ``RecordingBlock`` child of a session's ``recording`` StreamField;
    ``early``: an embargo with a date does not hold for the caller."""
    value = child.value
    found = child.block.get_api_representation(value, {"pmolib_early_recordings": early})
    chapters = [
        {**chapter, "url": presenter.absolute(chapter["url"]) or ""}
        for chapter in found["chapters"]
    ]
    return {
        "provider": provider_of(found["kind"], value.get("url") or ""),
        "kind": found["kind"],
        "status": found["status"],
        "status_display": found["status_display"],
        "notice": found["notice"],
        "playable": found["playable"],
        "url": found["url"],
        "file_url": presenter.absolute(found["file_url"]) or "",
        "captions_url": presenter.absolute(found["captions_url"]) or "",
        "available_from": found["available_from"],
        # Decorative: the player's title and the page's heading say what it is.
        "poster": presenter.image(value.get("poster"), "poster"),
        "chapters": chapters,
    }


def handout(presenter, block, value) -> dict | None:
    """A ``HandoutBlock`` value, or ``None`` when its document was deleted (the
    page shows nothing then)."""
    found = block.get_api_representation(value)
    if found is None:
        return None
    document = found["document"]
    return {
        "title": found["title"],
        "description": found["description"],
        "document": {**document, "url": presenter.absolute(document["url"])},
        # Decorative: the handout's title is beside it.
        "cover": presenter.image(value.get("cover"), "cover"),
    }


def _handout_group(presenter, block, value):
    found = block.get_api_representation(value)
    item_block = block.child_blocks["handouts"].child_block
    items = (handout(presenter, item_block, item) for item in value.get("handouts") or [])
    return {**found, "handouts": [item for item in items if item is not None]}


def _figure(presenter, block, value):
    image = value.get("image")
    if image is None:
        return None
    alt = "" if getattr(image, "decorative", False) else getattr(image, "contextual_alt_text", "")
    return {
        "image": presenter.image(image, "figure", alt=alt or ""),
        "caption": value.get("caption") or "",
    }


def _paragraph(presenter, block, value):
    # An editor left empty renders nothing on the page (ParagraphBlock.render).
    return None if is_blank(value.source) else presenter.html(value.source)


def _heading(presenter, block, value):
    found = block.get_api_representation(value)
    return {**found, "text": found["text"] or ""}


def _quote(presenter, block, value):
    return {"quote": value.get("quote") or "", "attribution": value.get("attribution") or ""}


BODY_BLOCKS = {
    "heading": _heading,
    "paragraph": _paragraph,
    "handout": handout,
    "handouts": _handout_group,
    "figure": _figure,
    "quote": _quote,
}


def body(presenter, stream) -> list[dict]:
    """The body's blocks that the page shows, each ``{type, id, value}``."""
    blocks = []
    for child in stream:
        present = BODY_BLOCKS.get(child.block_type)
        if present is None:
            # A block type of a host's own (a subclass's StreamField): not in the schema.
            logger.warning("The API has no schema for %r blocks; left out", child.block_type)
            continue
        value = present(presenter, child.block, child.value)
        if value is not None:
            blocks.append({"type": child.block_type, "id": child.id, "value": value})
    return blocks
