"""Cover images drawn locally with Pillow: a coloured gradient and a caption.

Nothing is downloaded: the demo works offline and its images are the same on every run.
"""

import functools
import hashlib
import io

from anyascii import anyascii
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model

# Background pairs per kind of offer: (top-left colour, bottom-right colour).
PALETTES = {
    "stay": [((31, 94, 77), (164, 209, 140)), ((24, 78, 119), (133, 196, 214))],
    "activity": [((171, 71, 30), (250, 190, 88)), ((92, 42, 130), (228, 143, 176))],
    "product": [((120, 62, 24), (238, 196, 120)), ((70, 96, 28), (214, 222, 120))],
    "provider": [((44, 62, 80), (149, 165, 166)), ((60, 40, 32), (205, 160, 110))],
}
WIDTH, HEIGHT = 1200, 800


def _palette(kind: str, key: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    choices = PALETTES.get(kind, PALETTES["provider"])
    digest = hashlib.sha256(key.encode()).digest()
    first, second = choices[digest[0] % len(choices)]
    # A small deterministic shift so that neighbouring offers do not look identical.
    shift = digest[1] % 40 - 20
    return (
        tuple(max(0, min(255, c + shift)) for c in first),
        tuple(max(0, min(255, c - shift)) for c in second),
    )


# System fonts with French accents, when the machine has one; Pillow's own font otherwise.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def _font(size: int):
    """A font and whether it has accented letters (Pillow's built-in one lacks some)."""
    for path in FONT_FILES:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size), False
    except (TypeError, OSError):  # Pillow built without FreeType
        return ImageFont.load_default(), False


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines[:3]


@functools.cache
def _diagonal_ramp() -> PILImage.Image:
    """The mask of every cover's gradient (the same for all: drawn once per process)."""
    return PILImage.linear_gradient("L").rotate(45, expand=True).resize((WIDTH, HEIGHT))


def _blend_table(start, end) -> list[int]:
    """The colour of each mask level in ``composite(flat end, flat start, mask)``, per band.

    Between two flat colours a composite's pixel depends on the mask's level alone, so the
    composite of the 256 levels, used as a lookup table (``Image.point``), gives the same
    pixels as compositing the whole cover, without drawing two full-size flat images."""
    levels = PILImage.frombytes("L", (256, 1), bytes(range(256)))
    blended = PILImage.composite(
        PILImage.new("RGB", (256, 1), end), PILImage.new("RGB", (256, 1), start), levels
    ).tobytes()
    return [*blended[0::3], *blended[1::3], *blended[2::3]]


# Drawing and compressing a cover is most of an image's cost; the same cover (same
# arguments, same bytes) is drawn again whenever the demo is seeded again in the same
# process (the tests seed it in several modules). A few megabytes at most.
@functools.lru_cache(maxsize=256)
def cover_jpeg(*, title: str, subtitle: str, kind: str, key: str) -> bytes:
    """A 1200×800 JPEG: diagonal gradient, title and subtitle in white."""
    start, end = _palette(kind, key)
    # Diagonal gradient: a linear ramp, rotated, used as the mask between two flat colours.
    image = _diagonal_ramp().convert("RGB").point(_blend_table(start, end))
    draw = ImageDraw.Draw(image, "RGBA")
    # Soft circles give some depth.
    digest = hashlib.sha256((key + "circles").encode()).digest()
    for i in range(3):
        x, y, r = digest[i * 3] * 5, digest[i * 3 + 1] * 3, 80 + digest[i * 3 + 2]
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(255, 255, 255), width=6)
    (title_font, accents), (subtitle_font, _) = _font(64), _font(36)
    if not accents:
        title, subtitle = anyascii(title), anyascii(subtitle)
    lines = _wrap(draw, title, title_font, WIDTH - 160)
    top = HEIGHT - 130 - 80 * len(lines)
    # A dark band under the text keeps it readable on the light end of the gradient.
    draw.rectangle((0, top - 40, WIDTH, HEIGHT), fill=(0, 0, 0, 110))
    y = top
    for line in lines:
        draw.text((80, y), line, font=title_font, fill=(255, 255, 255))
        y += 80
    draw.text((80, HEIGHT - 100), subtitle, font=subtitle_font, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def image_ensure(*, title: str, subtitle: str, kind: str, key: str, collection):
    """The Wagtail image of that title in that collection, drawn and saved if missing."""
    Image = get_image_model()
    existing = Image.objects.filter(title=title, collection=collection).first()
    if existing is not None:
        return existing
    data = cover_jpeg(title=title, subtitle=subtitle, kind=kind, key=key)
    image = Image(title=title, collection=collection)
    image.file = ImageFile(io.BytesIO(data), name=f"{key[:80]}.jpg")
    image.file_size = len(data)
    image.file_hash = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    image.save()
    return image
