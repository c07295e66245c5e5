"""Small generated pictures for the demo content: speaker portraits and handout covers.

Drawn with Pillow (already a Wagtail dependency) so the demo needs no image files
and no network. Every picture is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import io

from django.core.files.images import ImageFile
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        return ImageFont.load_default()


def _png(image: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


def portrait_png(name: str, colour: str, size: int = 256) -> bytes:
    """A square in ``colour`` with the person's initials in white."""
    image = PILImage.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    draw.text(
        (size / 2, size / 2), initials(name), fill="white", font=_font(size // 3), anchor="mm"
    )
    return _png(image)


def cover_png(title: str, colour: str, size: tuple[int, int] = (240, 320)) -> bytes:
    """A page-shaped picture: a coloured band with the title, and grey lines of "text"."""
    width, height = size
    image = PILImage.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 3), fill=colour)
    font = _font(18)
    words, lines, line = title.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > width - 32 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    for i, text in enumerate(lines[:3]):
        draw.text((16, 16 + i * 24), text, fill="white", font=font)
    for y in range(height // 3 + 24, height - 24, 18):
        draw.line((16, y, width - (16 if y % 5 else 64), y), fill="#c8c8c8", width=6)
    draw.rectangle((0, 0, width - 1, height - 1), outline="#888888")
    return _png(image)


def get_or_create_image(title: str, make_png):
    """The Wagtail image called ``title``; made from ``make_png()`` only if there is none.

    Returns ``(image, created)``.
    """
    from wagtail.images import get_image_model
    from wagtail.utils.file import hash_filelike

    Image = get_image_model()
    existing = Image.objects.filter(title=title).order_by("pk").first()
    if existing is not None:
        return existing, False
    data = make_png()
    # An ImageFile given to the constructor fills in width and height (a file saved
    # with ``image.file.save(..., save=False)`` leaves them empty); size and hash
    # are set up front so that nothing needs to save the image again later.
    image = Image(
        title=title,
        file=ImageFile(io.BytesIO(data), name=f"{slugify(title) or 'image'}.png"),
        file_size=len(data),
        file_hash=hash_filelike(io.BytesIO(data)),
    )
    image.save()
    return image, True
