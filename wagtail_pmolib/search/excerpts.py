"""Highlighted excerpts: the passage that matched, the matched words in ``<mark>``.

None of Wagtail's search backends highlights, so the app does it on the few
results a page shows. Everything but the ``<mark>`` tags is escaped.
Matching is by word start, so that "framework" also marks "frameworks" and a
search for "frameworks" marks "framework" (the backends stem words).
"""

from __future__ import annotations

import html
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_SUFFIXES = ("ing", "es", "ed", "ly", "s")


def stem(term: str) -> str:
    """A word without a common English ending, for matching by word start."""
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


def terms_pattern(terms) -> re.Pattern | None:
    """One regular expression matching any of ``terms`` at the start of a word."""
    stems = sorted({stem(t.casefold()) for t in terms if t}, key=len, reverse=True)
    if not stems:
        return None
    alternatives = "|".join(re.escape(stem) for stem in stems)
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def mark(text: str, pattern: re.Pattern | None) -> SafeString:
    """``text`` escaped, with every match of ``pattern`` in ``<mark>``."""
    if not text:
        return mark_safe("")
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


def excerpt(text: str, pattern: re.Pattern | None, *, words: int = 32) -> SafeString | None:
    """About ``words`` words of ``text`` around its best matching passage, or
    ``None`` if nothing in it matches.

    The best passage is the window with the most distinct matched terms (then
    the earliest). Cut ends get an ellipsis.
    """
    if not text or pattern is None:
        return None
    tokens = text.split()
    hits = [i for i, token in enumerate(tokens) if pattern.search(token)]
    if not hits:
        return None
    best_start, best_score = hits[0], -1
    for i in hits[:50]:  # bounded, whatever the length of a PDF's text
        start = max(0, i - words // 4)
        window = tokens[start : start + words]
        score = len({m.group(0).casefold() for t in window for m in pattern.finditer(t)})
        if score > best_score:
            best_start, best_score = start, score
    start = best_start
    end = min(len(tokens), start + words)
    passage = " ".join(tokens[start:end])
    marked = mark(passage, pattern)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(tokens) else ""
    return mark_safe(f"{prefix}{marked}{suffix}")


def lead(text: str, *, words: int = 32) -> str:
    """The first ``words`` words of ``text`` (plain, to be escaped by the template)."""
    tokens = (text or "").split()
    if len(tokens) <= words:
        return " ".join(tokens)
    return " ".join(tokens[:words]) + " …"


_MARKED = re.compile(r"<mark>(.*?)</mark>", re.S)


def unmark(marked: str | None) -> tuple[str, list[tuple[int, int]]]:
    """``(text, matches)`` of HTML made by ``mark`` or ``excerpt``: the plain text
    (unescaped, without the tags) and where each marked word is in it, as
    ``(start, end)`` offsets in characters (Unicode code points), end excluded.
    So a front end can highlight the text its own way instead of inserting HTML."""
    if not marked:
        return "", []
    text, matches, last = [], [], 0
    length = 0
    for found in _MARKED.finditer(marked):
        before = html.unescape(marked[last : found.start()])
        word = html.unescape(found.group(1))
        text += [before, word]
        length += len(before)
        matches.append((length, length + len(word)))
        length += len(word)
        last = found.end()
    text.append(html.unescape(marked[last:]))
    return "".join(text), matches
