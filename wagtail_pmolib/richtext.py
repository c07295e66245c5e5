"""Rich text that shows nothing (L1: pure, no ORM).

Draftail stores an editor it was never typed into as ``<p data-block-key="…"></p>``
(and a heading left empty as ``<h2 …></h2>``). Such a value is truthy, so a
template's ``{% if page.notes %}`` showed an empty "Session Notes" section and a
table-of-contents entry for it. :func:`is_blank` tells that value from content.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")
# Elements that show something without holding text: Wagtail's image and media
# embeds (``<embed embedtype=…/>``), a horizontal rule, raw images.
_CONTENT_TAG = re.compile(r"<(?:embed|img|hr|iframe|video|audio|object)\b", re.IGNORECASE)


def is_blank(value: str | None) -> bool:
    """Whether rich text ``value`` would show nothing: no text but white space,
    and no image, embed or rule."""
    if not value:
        return True
    if _CONTENT_TAG.search(value):
        return False
    return not html.unescape(_TAG.sub("", value)).strip()
