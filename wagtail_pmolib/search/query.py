"""What a visitor typed, made safe for any search backend.

Visitors type anything: quotes, full-text operators (``AND OR NOT NEAR * ^ - :
( )``), emoji, ten thousand characters, NUL bytes. None of it may reach a
backend's query syntax. The text is cut to ``SEARCH_MAX_QUERY_LENGTH``, control
characters are dropped, and only words (Unicode letters and digits) and quoted
phrases of words are kept, lower-cased so that no backend reads one as an
operator. Everything else is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from wagtail.search.query import And, Or, Phrase, PlainText

from ..conf import pmolib_settings

_WORD = re.compile(r"\w+", re.UNICODE)
_PHRASE = re.compile(r'"([^"]*)"')
# A query of more words than this is cut (the rest cannot narrow it usefully).
MAX_TERMS = 32


@dataclass
class ParsedQuery:
    text: str = ""  # what the visitor typed, cleaned and cut, for the search box
    words: list[str] = field(default_factory=list)  # lower-cased, outside quotes
    phrases: list[list[str]] = field(default_factory=list)  # quoted, 2+ words each
    truncated: bool = False  # the text was longer than the limit

    def __bool__(self):
        return bool(self.words or self.phrases)

    @property
    def terms(self) -> list[str]:
        """Every word looked for, once each, in the order typed."""
        seen = dict.fromkeys(self.words)
        for phrase in self.phrases:
            seen.update(dict.fromkeys(phrase))
        return list(seen)

    @property
    def normalised(self) -> str:
        """One spelling for logs and reports: the words, lower-case, one space apart."""
        parts = [f'"{" ".join(p)}"' for p in self.phrases] + self.words
        return " ".join(parts)[:255]

    def backend_query(self, operator="and"):
        """A Wagtail search query object, or ``None`` when there is nothing to look for."""
        parts = [Phrase(" ".join(phrase)) for phrase in self.phrases]
        if self.words:
            if operator == "and":
                parts.append(PlainText(" ".join(self.words), operator="and"))
            else:
                parts.extend(PlainText(word) for word in self.words)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return And(parts) if operator == "and" else Or(parts)


def _clean(raw: str) -> str:
    # Control characters (NUL included) and unassigned code points go; spaces stay.
    return "".join(
        " " if ch.isspace() else ch
        for ch in raw
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )


def parse_query(raw) -> ParsedQuery:
    if raw is None:
        return ParsedQuery()
    raw = str(raw)
    limit = pmolib_settings.SEARCH_MAX_QUERY_LENGTH
    truncated = len(raw) > limit
    text = " ".join(_clean(raw[:limit]).split())
    phrases, words, count = [], [], 0
    for match in _PHRASE.finditer(text):
        phrase = [w.lower() for w in _WORD.findall(match.group(1))]
        if len(phrase) > 1:
            phrases.append(phrase)
        else:
            words.extend(phrase)
    rest = _PHRASE.sub(" ", text)
    words.extend(w.lower() for w in _WORD.findall(rest))
    # Words typed twice count once.
    words = list(dict.fromkeys(words))
    kept_words, kept_phrases = [], []
    for phrase in phrases:
        if count + len(phrase) <= MAX_TERMS:
            kept_phrases.append(phrase)
            count += len(phrase)
    for word in words:
        if count < MAX_TERMS:
            kept_words.append(word)
            count += 1
    return ParsedQuery(text=text, words=kept_words, phrases=kept_phrases, truncated=truncated)
