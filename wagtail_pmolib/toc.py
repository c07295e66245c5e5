"""Heading anchors and the table of contents.

Everything here runs when a page is cleaned (on save, on preview), never when it
is rendered: anchor ids are written into the stored content and the nested table
of contents is stored as JSON, so a page view only reads them.

The table of contents is a nested list of ``{"id", "text", "level", "children"}``
(the public contract in DESIGN.md).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bs4 import BeautifulSoup
from django.utils.text import slugify
from wagtail import blocks
from wagtail.rich_text import RichText

from .conf import pmolib_settings

# An opening heading tag, its attributes, its content and the closing tag, as
# Wagtail's rich text editors store them (well-formed, never nested).
HEADING_RE = re.compile(r"<h([1-6])(\s[^>]*)?>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
ID_ATTR_RE = re.compile(r"""\s+id\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class TocSection:
    """A heading a page template renders itself (e.g. "Session Notes")."""

    id: str
    text: str
    level: int = 2


def slugify_anchor(text: str, max_length: int | None = None) -> str:
    """A readable anchor id for a heading: lower case, hyphenated, unicode kept."""
    if max_length is None:
        max_length = pmolib_settings.ANCHOR_MAX_LENGTH
    slug = slugify(text, allow_unicode=True)
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


class AnchorRegistry:
    """Hands out unique anchor ids in document order: ``notes``, ``notes-2``, …"""

    def __init__(self, reserved=(), kept=()):
        self.used = set(reserved)
        # (heading text, anchor the editor entered, anchor given) where they differ.
        self.rewritten: list[tuple[str, str, str]] = []
        # Anchors already stored on heading blocks: only those blocks may claim them.
        self.kept = {slugify_anchor(a) for a in kept} - self.used

    def claim(self, wanted: str, *, kept: bool = False) -> str | None:
        base = slugify_anchor(wanted)
        if not base:
            return None
        if kept and base in self.kept:
            self.kept.discard(base)
            self.used.add(base)
            return base
        candidate, n = base, 1
        while candidate in self.used or candidate in self.kept:
            n += 1
            suffix = f"-{n}"
            stem = base[: max(pmolib_settings.ANCHOR_MAX_LENGTH - len(suffix), 1)].rstrip("-")
            candidate = f"{stem}{suffix}"
        self.used.add(candidate)
        return candidate


def heading_text(fragment: str) -> str:
    """The visible text of a heading's inner HTML, whitespace folded."""
    soup = BeautifulSoup(fragment, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with(" ")
    return " ".join(soup.get_text().split())


def in_toc_range(level: int) -> bool:
    """Whether headings of this level get anchors and a place in the table of contents."""
    return pmolib_settings.TOC_MIN_LEVEL <= level <= pmolib_settings.TOC_MAX_LEVEL


def annotate_html(source: str, registry: AnchorRegistry, headings: list) -> str:
    """Give every h2–h4 in ``source`` a unique id; append ``(level, id, text)`` to ``headings``.

    Only the opening tags of headings change; everything else in the stored
    rich text stays byte for byte as the editor wrote it. A heading with no
    text loses any id it had and is left out of the table of contents.
    """

    def replace(match):
        level = int(match.group(1))
        attrs = match.group(2) or ""
        inner = match.group(3)
        if not in_toc_range(level):
            return match.group(0)
        attrs = ID_ATTR_RE.sub("", attrs)
        text = heading_text(inner)
        anchor = registry.claim(text)
        if anchor is None:
            return f"<h{level}{attrs}>{inner}</h{level}>"
        headings.append((level, anchor, text))
        return f'<h{level} id="{html.escape(anchor)}"{attrs}>{inner}</h{level}>'

    return HEADING_RE.sub(replace, source or "")


def _children(block, value):
    """``(child_block, child_value, set_value)`` for each child of a struct, list or stream."""
    if value is None:
        return
    if isinstance(block, blocks.StructBlock):
        if not isinstance(value, Mapping):
            # ImageBlock is a StructBlock whose value is the image: no children to walk.
            return
        for name, child_block in block.child_blocks.items():
            if name in value:
                yield child_block, value[name], lambda v, name=name: value.__setitem__(name, v)
    elif isinstance(block, (blocks.ListBlock, blocks.StreamBlock)):
        children = value.bound_blocks if isinstance(block, blocks.ListBlock) else value
        for child in children:
            yield child.block, child.value, lambda v, child=child: setattr(child, "value", v)


def _block_heading(block, value):
    """``(level, text)`` of a heading-like block inside the TOC levels, else ``None``."""
    toc_heading = getattr(block, "toc_heading", None)
    if toc_heading is None or value is None:
        return None
    found = toc_heading(value)
    if found is None or not in_toc_range(found[0]) or not found[1].strip():
        return None
    return found


def kept_anchors(block, value) -> list[str]:
    """The anchors already stored on heading blocks, in document order."""
    found = []
    if _block_heading(block, value) and value.get("anchor"):
        found.append(value["anchor"])
    for child_block, child_value, _set in _children(block, value):
        found += kept_anchors(child_block, child_value)
    return found


def annotate_block(block, value, registry: AnchorRegistry, headings: list):
    """Walk a block value in document order, giving headings anchors.

    Returns the (possibly new) value. Blocks that carry a heading declare it with
    a ``toc_heading(value)`` method returning ``(level, text)`` or ``None`` and
    keep the anchor in an ``anchor`` child; a stored anchor is kept so links to
    it keep working. Rich text gets ids in its HTML; struct, list and stream
    blocks are walked into, so host sites' own StreamFields work too.
    """
    if getattr(block, "toc_heading", None) is not None and value is not None:
        heading = _block_heading(block, value)
        if heading is None:
            value["anchor"] = ""
        else:
            level, text = heading
            stored = value.get("anchor") or ""
            anchor = (stored and registry.claim(stored, kept=True)) or registry.claim(text)
            value["anchor"] = anchor or ""
            if stored and anchor != stored:
                registry.rewritten.append((" ".join(text.split()), stored, anchor or ""))
            if anchor:
                headings.append((level, anchor, " ".join(text.split())))
    if isinstance(block, blocks.RichTextBlock):
        if value is None:
            return value
        source = value.source if isinstance(value, RichText) else str(value)
        annotated = annotate_html(source, registry, headings)
        return value if annotated == source else RichText(annotated)
    for child_block, child_value, set_value in _children(block, value):
        set_value(annotate_block(child_block, child_value, registry, headings))
    return value


def nest(headings) -> list[dict]:
    """Turn a flat ``[(level, id, text)]`` into the nested table of contents.

    A heading becomes a child of the nearest earlier heading with a smaller
    level, so a skipped level (an h4 straight after an h2) still nests.
    """
    root: list[dict] = []
    stack: list[dict] = []
    for level, anchor, text in headings:
        item = {"id": anchor, "text": text, "level": level, "children": []}
        while stack and stack[-1]["level"] >= level:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(item)
        stack.append(item)
    return root


def flatten(toc) -> list[dict]:
    """Every entry of a nested table of contents, in document order."""
    out = []
    for item in toc:
        out.append(item)
        out.extend(flatten(item.get("children", [])))
    return out
