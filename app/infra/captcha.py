"""The picture of an arithmetic challenge, drawn locally with Pillow (no outside service)."""
from __future__ import annotations

import io
import secrets

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 160, 54


def _random(low: int, high: int) -> int:
    return low + secrets.randbelow(high - low + 1)


def render(question: str) -> bytes:
    """A PNG of ``question`` with each character shifted and tilted, over lines and dots."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (246, 248, 250))
    draw = ImageDraw.Draw(image)
    for _i in range(5):
        draw.line([(_random(0, WIDTH), _random(0, HEIGHT)), (_random(0, WIDTH), _random(0, HEIGHT))],
                  fill=(_random(120, 200), _random(120, 200), _random(120, 200)), width=1)
    font = ImageFont.load_default(size=30)
    x = 8
    for char in question:
        if char == " ":
            x += 6
            continue
        glyph = Image.new("RGBA", (34, 44), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((4, 2), char, font=font,
                                   fill=(_random(10, 90), _random(10, 90), _random(60, 140), 255))
        glyph = glyph.rotate(_random(-25, 25), resample=Image.Resampling.BICUBIC, expand=False)
        image.paste(glyph, (x, _random(0, 10)), glyph)
        x += 20
    for _i in range(120):
        draw.point((_random(0, WIDTH - 1), _random(0, HEIGHT - 1)),
                   fill=(_random(100, 220), _random(100, 220), _random(100, 220)))
    image = image.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
