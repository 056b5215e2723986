"""Draw text into an image and read it back: the mock server's eyes for vision-language tests.

A vision benchmark's test must prove that the image itself reached the model, not only a hash or
a caption. :func:`draw_text` renders a short answer ("42", "B) 17", "3.5 kg") as pixels, and
:func:`read_image` recovers that text and the background colour from the bytes a client sent,
after whatever the client did on the way: PNG or JPEG re-encoding, colour mode changes,
downscaling to a ``max_pixels`` budget. A mock-server rule can then answer from what the image
shows (``Rule(read="text", reply="The answer is {read}.")``), so a test passes only if the pixels
travelled.

Limits, on purpose: this is a test instrument, not OCR. It reads only text drawn by
:func:`draw_text` (Pillow's bundled default font, characters a known gap apart, lines a known
distance apart), in the characters of :data:`CHARACTERS`, on a uniform background: no
photographs, other fonts, touching or rotated letters, gradients. As tested, it reads exactly
any text colour on any other :data:`PALETTE` background at sizes 24 to 96, as drawn or
downscaled up to 2x, as PNG in RGB, RGBA, P or L mode, on a canvas up to 2000x2000; and as JPEG
(quality 75 and up) too, except where the text ends up at about 24 pixels or less with text and
background next to each other in brightness (red on green, gray on orange, blue on black): there
'l' can come back as 'I', or 'B' as '8'. A palette image that Pillow dithered (its default
``convert("P")``) is averaged before reading, which text downscaled to 12 pixels does not
survive. A grey (L) image cannot tell colours of equal brightness apart. A lone letter whose
other case has its shape ('o', 's', 'c'), or a line of nothing but such letters once
downscaled, can come back in the other case. Leading and trailing spaces of a line, and blank
lines before the first or after the last, are not kept.

Pillow, a development dependency, is imported inside the functions.

Example:
    >>> import io
    >>> png = io.BytesIO()
    >>> draw_text("42", colour="blue", background="yellow").save(png, format="PNG")
    >>> read_image(png.getvalue())
    ImageReading(colour='yellow', text='42')
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assay.mock_server._glyphs import CHARACTERS, GAP_EM, LINE_GAP_EM, SPACE_EM, Array, font
from assay.mock_server._text_reader import read_text

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["CHARACTERS", "GAP_EM", "LINE_GAP_EM", "PALETTE", "SPACE_EM", "ImageReading", "draw_text", "read_image"]

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (255, 50, 50),
    "green": (50, 205, 60),
    "blue": (0, 10, 190),
    "yellow": (255, 245, 60),
    "orange": (255, 160, 0),
    "purple": (100, 15, 155),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (195, 195, 195),
    "brown": (135, 75, 20),
}
"""Named colours :func:`draw_text` paints with and :func:`read_image` names.

Over 100 apart in RGB, and spread evenly over brightness (luma 0, 28, 56, 87, 111, 142, 170,
195, 227, 255: gray is a light gray to make room), because JPEG keeps brightness sharp and
blurs colour: the glyph a reader sees is the brightness difference.
"""

MARGIN_EM = 1.0
"""Margin around the text when no ``canvas`` is given, in font sizes."""

_TEXT_DISTANCE = 24.0  # RGB distance from the background beyond which a pixel may be text
_COLOUR_WEIGHT = 0.35  # weight of the colour (chroma) axes against brightness when finding ink
_WEIGHTED_YCBCR = np.array(  # RGB to brightness and colour (ITU-R 601), colour weighed down
    [
        [0.299, 0.587, 0.114],
        [-0.1687 * _COLOUR_WEIGHT, -0.3313 * _COLOUR_WEIGHT, 0.5 * _COLOUR_WEIGHT],
        [0.5 * _COLOUR_WEIGHT, -0.4187 * _COLOUR_WEIGHT, -0.0813 * _COLOUR_WEIGHT],
    ],
    dtype=np.float32,
)


@dataclass(frozen=True)
class ImageReading:
    """What :func:`read_image` saw: the background colour's :data:`PALETTE` name and the text."""

    colour: str
    text: str


def _colour(name: str) -> tuple[int, int, int]:
    try:
        return PALETTE[name]
    except KeyError:
        raise ValueError(f"unknown colour {name!r}; use one of {sorted(PALETTE)}") from None


def draw_text(
    text: str,
    *,
    size: int = 48,
    colour: str = "black",
    background: str = "white",
    canvas: tuple[int, int] | None = None,
) -> Image.Image:
    """Render ``text`` so that :func:`read_image` can read it back, even after JPEG or a 2x downscale.

    Each character is drawn on its own, ``GAP_EM * size`` pixels from the next (a space adds
    ``SPACE_EM * size``), and lines (split on ``"\\n"``) sit ``LINE_GAP_EM * size`` apart, so a
    reader can cut them apart by empty columns and rows. Glyphs come from
    ``ImageFont.load_default`` drawn at four times ``size`` and averaged down (see
    :func:`assay.mock_server._glyphs.font`): the font's hinting would otherwise give every size
    its own pixel heights, and a downscaled image would match no size's glyphs.

    Args:
        text: Characters of :data:`CHARACTERS`, lines split on ``"\\n"``.
        size: Font size in pixels, at least 8; 24 and up survives a 2x downscale.
        colour: :data:`PALETTE` name of the text.
        background: :data:`PALETTE` name of everything else.
        canvas: ``(width, height)`` of the image, the text at its centre; default: the text plus a
            margin of ``MARGIN_EM * size`` on every side.

    Returns:
        An RGB image.

    Raises:
        ValueError: an unknown colour or character, a size under 8, or a canvas the text does not fit.

    Example:
        >>> draw_text("A) 7", size=24).size
        (116, 72)
    """
    from PIL import Image

    ink, paper = _colour(colour), _colour(background)
    unknown = sorted(set(text) - set(CHARACTERS) - {"\n"})
    if unknown:
        raise ValueError(f"draw_text cannot draw {unknown}; it draws {CHARACTERS!r}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, not {size}")
    face = font(size)
    gap, space = round(GAP_EM * size), round(SPACE_EM * size)
    lines: list[list[tuple[int, str]]] = []
    width = 0
    for line in text.split("\n"):
        placed, x = [], 0
        for char in line:
            if char != " ":
                placed.append((x, char))
            x += (space if char == " " else face.glyphs[char].mask.width) + gap
        lines.append(placed)
        width = max(width, x - gap)
    pitch = face.ascent + face.descent + round(LINE_GAP_EM * size)
    height = len(lines) * pitch - round(LINE_GAP_EM * size)
    margin = round(MARGIN_EM * size)
    image_size = canvas or (width + 2 * margin, height + 2 * margin)
    if image_size[0] < width or image_size[1] < height:
        raise ValueError(f"a canvas of {image_size} is too small for text of {(width, height)} pixels")
    image = Image.new("RGB", image_size, paper)
    left, top = (image_size[0] - width) // 2, (image_size[1] - height) // 2
    for row, placed in enumerate(lines):
        baseline = top + row * pitch + face.ascent
        for x, char in placed:
            glyph = face.glyphs[char]
            image.paste(ink, (left + x, baseline + glyph.top), glyph.mask)
    return image


def read_image(data: bytes) -> ImageReading:
    """Read the background colour and the text :func:`draw_text` drew, from encoded image bytes.

    ``colour`` is the :data:`PALETTE` name nearest to the most frequent colour (every pixel
    quantized to its nearest palette colour), i.e. the background; in a grey (L) image, the name
    nearest to its grey. ``text`` is what the characters spell, lines joined by ``"\\n"``, spaces
    from wide gaps; ``""`` when there is nothing but background. Templates are built once per
    font size the text turns out to have (tens of milliseconds), then cached: a 1000x1000 image
    then reads in a few tens of milliseconds.

    Raises:
        ValueError: Pillow cannot decode ``data`` as an image.

    Example:
        >>> png = io.BytesIO()
        >>> draw_text("Hello\\nA) 7", colour="white", background="green").save(png, format="PNG")
        >>> read_image(png.getvalue()).text
        'Hello\\nA) 7'
    """
    image = _decode(data)
    name, background = _background(image)
    ink = _ink_map(image, background)
    return ImageReading(colour=name, text="" if ink is None else read_text(ink))


def _decode(data: bytes) -> Image.Image:
    """The image as RGB; a dithered palette image averaged over 3x3 pixels first.

    Pillow's ``convert("P")`` dithers colours its palette lacks: the background becomes a
    speckle of nearby colours whose average is the colour. Averaging gives the colour back, at
    the price of a blur that text from about 16 pixels survives.
    """
    from PIL import Image, ImageFilter

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgb: Image.Image = image if image.mode == "RGB" else image.convert("RGB")
            return rgb.filter(ImageFilter.BoxBlur(1)) if image.mode == "P" and _dithered(image) else rgb
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not an image Pillow can decode: {exc}") from None


def _dithered(image: Image.Image) -> bool:
    """Whether a palette image has few rows of plain background: its background is a speckle.

    Undithered, the margins and the gaps between lines, half the rows or more, are one colour
    from end to end; dithered, few rows escape the speckle.
    """
    indices = np.asarray(image)
    top = np.bincount(indices.ravel()).argmax()
    return bool(np.count_nonzero((indices == top).all(axis=1)) < 0.2 * indices.shape[0])


def _background(image: Image.Image) -> tuple[str, Array]:
    """The palette name of the most frequent colour, and that colour as the image has it.

    Counted on about 16,000 pixels picked on a grid, each distinct colour once: a drawn image
    has a handful of colours, so this stays cheap on a 2000x2000 canvas.
    """
    from PIL import Image

    step = max(1, math.isqrt(image.width * image.height // 16384))
    grid = image.resize((max(1, image.width // step), max(1, image.height // step)), Image.Resampling.NEAREST)
    sample = np.asarray(grid).reshape(-1, 3)
    codes = (sample[:, 0].astype(np.int32) << 16) | (sample[:, 1].astype(np.int32) << 8) | sample[:, 2]
    distinct, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    colours = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1).astype(np.float32)
    palette = np.array(list(PALETTE.values()), dtype=np.float32)
    nearest = ((colours[:, None, :] - palette[None]) ** 2).sum(axis=2).argmin(axis=1)
    winner = int(np.bincount(nearest, weights=counts, minlength=len(palette)).argmax())
    # The median of the winner's pixels, not the palette value: JPEG or a grey conversion shifts it.
    mine = sample[nearest[inverse.ravel()] == winner]
    return list(PALETTE)[winner], np.median(mine, axis=0).astype(np.float32)


def _ink_map(image: Image.Image, background: Array) -> Array | None:
    """How much of each pixel is text colour, 0 (background) to 1; None when no pixel is text.

    Only the rectangle around pixels off the background is converted to floats (Pillow finds
    it, fast). The text colour is the median of the pixels farthest from the background, so any
    colour pair works, and projecting each pixel on the background-to-text axis turns
    anti-aliased edges into the coverage values the templates have.
    """
    from PIL import Image, ImageChops

    paper = Image.new("RGB", image.size, tuple(round(float(c)) for c in background))
    # A compressed background is still exact away from the text: flat blocks decode to one value.
    box = ImageChops.difference(image, paper).getbbox()
    if box is None:
        return None
    left, top = max(box[0] - 2, 0), max(box[1] - 2, 0)
    crop = np.asarray(image.crop((left, top, min(box[2] + 2, image.width), min(box[3] + 2, image.height))))
    offset = crop.astype(np.float32) - background
    distance = np.sqrt((offset**2).sum(axis=2))
    candidates = distance > _TEXT_DISTANCE
    if np.count_nonzero(candidates) < 3:
        return None
    far = np.percentile(distance[candidates], 99)
    axis = np.median(offset[distance >= 0.75 * far], axis=0)
    # Weigh brightness over colour: JPEG keeps brightness at full resolution but halves colour's,
    # so a glyph is sharp in brightness and blurred in colour; colour still carries a pair of
    # equal brightness (red on gray).
    offset, axis = offset @ _WEIGHTED_YCBCR.T, axis @ _WEIGHTED_YCBCR.T
    ink = np.clip((offset @ axis) / float(axis @ axis), 0.0, 1.0)
    ink[ink < 0.1] = 0.0  # compression noise on the background would pull centres of ink about
    return np.asarray(ink, dtype=np.float32)
