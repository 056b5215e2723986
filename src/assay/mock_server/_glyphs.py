"""The one font :mod:`assay.mock_server.vision` draws with and reads: glyphs, layout and templates.

Drawing and reading share this module so that a template is exactly what
:func:`~assay.mock_server.vision.draw_text` put on the canvas: the same rendering of the same
character at the same size, on the same baseline. A template is compared in a *frame*: the
glyph's line box (so height and place on the line count: 'o' is not 'O', '.' is not ','), a
fixed width about its centre of ink (so width counts), resampled to a small grid and blurred a
little (so sub-pixel placement, resampling and JPEG matter less than shape). Everything is
cached per font size; Pillow is imported inside the functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from PIL import Image

CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,-+%$:/()? "
"""What :func:`~assay.mock_server.vision.draw_text` draws and ``read_image`` reads (plus ``\\n``)."""

GAP_EM = 0.3
"""Ink-to-ink gap between two characters, in font sizes: wide enough to survive a 2x downscale."""
SPACE_EM = 0.6
"""Width a space adds (with one more gap), in font sizes: one space is a gap of 1.2 sizes."""
LINE_GAP_EM = 1.0
"""Empty band between two line boxes, in font sizes; far wider than any gap inside a glyph (``:``)."""

INK = 0.35
"""An ink value (0 background, 1 text colour) above this counts as ink when cutting glyphs apart."""
SHAPE_GRID = (12, 16)
"""(width, height) a glyph's ink box is stretched to, to compare shapes before the size is known."""
SHAPE_MARGIN = 0.2
"""Blank added about an ink box before stretching, as a share of its width and height: without it
a filled box ('I', '.', '-') would be all ink, with no shape to correlate."""
FRAME_GRID = (24, 24)
"""(width, height) of a glyph's frame (its line box, ``FRAME_EM`` wide about its centre of ink)."""
SUPERSAMPLE = 4
"""Glyphs are drawn this many times larger and averaged down (see :func:`font`)."""
BLUR_PX = 0.75
"""Blur applied to every frame, in pixels of the image: where a glyph fell on the pixel grid, and
how a client's resampling or JPEG smeared it, then matter less than its shape."""
FRAME_EM = 1.1
"""Width of a glyph's frame in font sizes: holds the widest glyph ('W', 0.93) with room to spare."""

Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Glyph:
    """One character rendered at one size: its coverage mask, and where it sits on the baseline."""

    mask: Image.Image
    top: int
    """First ink row, from the baseline (negative: above it)."""


@dataclass(frozen=True)
class Font:
    """Pillow's bundled default font at one size: every glyph, and the line box that holds them all."""

    size: int
    glyphs: dict[str, Glyph]
    ascent: int
    """Rows of the line box above the baseline."""
    descent: int
    """Rows of the line box below the baseline."""


@lru_cache(maxsize=64)
def font(size: int) -> Font:
    """Every glyph of :data:`CHARACTERS` at ``size`` pixels, cropped to its ink.

    Each glyph is drawn at ``SUPERSAMPLE`` times the size and averaged down. Drawn directly,
    the font's hinting would snap heights to whole pixels differently at every size ('l' and
    'I' are both 9 pixels tall at 12, 21 and 20 at 30), so a downscaled 30 would match no
    size's glyphs; averaged down, every size is the same shapes scaled, downscaled or not.
    """
    from PIL import Image, ImageDraw, ImageFont

    k = SUPERSAMPLE
    face = ImageFont.load_default(size=k * size)
    glyphs: dict[str, Glyph] = {}
    for char in CHARACTERS.strip():
        # A canvas just big enough, the pen and the baseline on whole cells of k x k pixels.
        x0, y0, x1, y1 = (math.floor(edge) for edge in face.getbbox(char, anchor="ls"))
        pen = (k * (1 - x0 // k), k * (1 - y0 // k))
        canvas = Image.new("L", (pen[0] + x1 + 2 * k, pen[1] + y1 + 2 * k), 0)
        ImageDraw.Draw(canvas).text(pen, char, font=face, fill=255, anchor="ls")
        box = canvas.getbbox()
        assert box is not None, f"the default font draws nothing for {char!r}"
        left, top = box[0] - box[0] % k, box[1] - box[1] % k
        right, bottom = box[2] + -box[2] % k, box[3] + -box[3] % k
        fine = np.asarray(canvas.crop((left, top, right, bottom)), dtype=np.float32)
        cells = fine.reshape((bottom - top) // k, k, (right - left) // k, k).mean(axis=(1, 3))
        mask = Image.fromarray(np.round(cells).astype(np.uint8))
        glyphs[char] = Glyph(mask, (top - pen[1]) // k)
    ascent = max(-g.top for g in glyphs.values())
    descent = max(g.top + g.mask.height for g in glyphs.values())
    return Font(size, glyphs, ascent, descent)


def coverage(mask: Image.Image) -> Array:
    """A glyph mask's coverage, 0 to 1."""
    return np.asarray(np.asarray(mask) / 255, dtype=np.float32)


def unit(vector: Array) -> Array:
    """``vector`` less its mean, scaled to length 1 (a dot product of two is their correlation)."""
    centred = vector - vector.mean()
    norm = float(np.linalg.norm(centred))
    return np.asarray(centred / norm if norm > 0 else centred, dtype=np.float32)


def _area_weights(start: float, end: float, cells: int, first: int, count: int) -> Array:
    """(cells, count): how much of pixel ``first + i`` falls in cell ``k`` of ``[start, end)`` cut in ``cells``.

    Averaging by area keeps a downscaled glyph's ink where it was; a cell outside the pixels
    simply gets nothing, as if the image went on blank.
    """
    edges = start + (end - start) * np.arange(cells + 1, dtype=np.float32) / cells
    pixels = np.arange(first, first + count, dtype=np.float32)[None, :]
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    return np.asarray(np.clip(overlap, 0.0, None), dtype=np.float32)


def resample(
    ink: Array, box: tuple[float, float, float, float], grid: tuple[int, int], columns: tuple[int, int] | None = None
) -> Array:
    """``box`` (left, top, right, bottom; sub-pixel) of ``ink`` averaged down to ``grid``, as a unit vector.

    Only ink within ``columns`` (default: the box's) is taken: the rest of the box counts as blank.
    """
    left, top, right, bottom = box
    first, last = columns if columns is not None else (math.floor(left), math.ceil(right))
    x0, x1 = max(first, math.floor(left), 0), min(last, math.ceil(right), ink.shape[1])
    y0, y1 = max(math.floor(top), 0), min(math.ceil(bottom), ink.shape[0])
    rows = _area_weights(top, bottom, grid[1], y0, max(y1 - y0, 0))
    cols = _area_weights(left, right, grid[0], x0, max(x1 - x0, 0))
    return unit((rows @ ink[y0:y1, x0:x1] @ cols.T).ravel())


def shape(ink: Array, left: float, top: float, right: float, bottom: float) -> Array:
    """The glyph in an ink box, with a margin of blank, stretched to :data:`SHAPE_GRID`: its size gone."""
    dx, dy = SHAPE_MARGIN * (right - left), SHAPE_MARGIN * (bottom - top)
    box = (left - dx, top - dy, right + dx, bottom + dy)
    return resample(ink, box, SHAPE_GRID, (int(left) - 1, int(right) + 1))


def ink_box(alpha: Array) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the pixels above :data:`INK` (right and bottom exclusive)."""
    ink = alpha > INK
    if not ink.any():
        ink = alpha > 0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def centroid(alpha: Array) -> tuple[float, float]:
    """Centre of ink ``(x, y)`` in pixels of ``alpha``, sub-pixel: what a resampling keeps in place."""
    total = float(alpha.sum())
    x = float(alpha.sum(axis=0) @ np.arange(alpha.shape[1], dtype=np.float32)) / total
    y = float(alpha.sum(axis=1) @ np.arange(alpha.shape[0], dtype=np.float32)) / total
    return x + 0.5, y + 0.5


def line_frames(ink: Array, left: Array, right: Array, centre: Array, top: float, bottom: float, size: float) -> Array:
    """Glyphs of one line in their frames, one unit vector per glyph (``FRAME_GRID``, row-major).

    A frame is the line box (rows ``top`` to ``bottom``) by ``FRAME_EM * size`` about the glyph's
    ``centre`` of ink; only ink from ``left`` to ``right`` (its own columns, and a pixel of blur
    either side) is taken, so a neighbour cannot leak in. Coordinates are pixels of ``ink``,
    sub-pixel; the whole line is resampled in a few array operations.
    """
    half = FRAME_EM * size / 2
    y0, y1 = max(math.floor(top), 0), min(math.ceil(bottom), ink.shape[0])
    strip = _area_weights(top, bottom, FRAME_GRID[1], y0, max(y1 - y0, 0)) @ ink[y0:y1]
    pixels = np.floor(centre - half)[:, None] + np.arange(math.ceil(2 * half) + 2, dtype=np.float32)[None, :]
    own = (pixels >= np.maximum(left - 1, 0)[:, None]) & (pixels < np.minimum(right + 1, ink.shape[1])[:, None])
    edges = (centre - half)[:, None] + 2 * half * np.arange(FRAME_GRID[0] + 1, dtype=np.float32) / FRAME_GRID[0]
    overlap = np.minimum(edges[:, 1:, None], pixels[:, None, :] + 1) - np.maximum(
        edges[:, :-1, None], pixels[:, None, :]
    )
    weights = np.clip(overlap, 0.0, None) * own[:, None, :]
    taken = strip.T[np.clip(pixels, 0, ink.shape[1] - 1).astype(np.intp)]  # (glyphs, pixels, rows)
    cells = np.matmul(weights, taken).transpose(0, 2, 1)  # (glyphs, rows, columns)
    blur = _blur(FRAME_GRID[1] / ((FRAME_EM) * size) * BLUR_PX)
    vectors = np.matmul(np.matmul(blur, cells), blur.T).reshape(len(centre), -1)
    vectors -= vectors.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


@lru_cache(maxsize=256)
def _blur(sigma: float) -> Array:
    """A Gaussian blur of ``sigma`` frame cells as a matrix on the frame's rows (and columns)."""
    cells = np.arange(FRAME_GRID[0], dtype=np.float32)
    kernel = np.exp(-0.5 * ((cells[:, None] - cells[None, :]) / max(sigma, 1e-3)) ** 2)
    return np.asarray(kernel / kernel.sum(axis=1, keepdims=True), dtype=np.float32)


@dataclass(frozen=True)
class Templates:
    """Every glyph of one font size as vectors to correlate with, and its measurements in sizes."""

    size: int
    chars: tuple[str, ...]
    shapes: Array
    """(glyphs, SHAPE_GRID): each glyph's :func:`shape`; compares shapes only."""
    aspects: Array
    """log(width / height) of each ink box."""
    frames: Array
    """(glyphs, FRAME_GRID): each glyph in its frame; height, width and place on the line count."""
    widths: Array
    heights: Array
    bottoms: Array
    """Ink box bottom below the baseline, in sizes (0 for most, 0.22 for 'g', -0.25 for '-')."""
    middles: Array
    """Centre of ink below the baseline, in sizes (negative: above it)."""
    reach: Array
    """(glyphs, 2): from the centre of ink to the drawn left and right edges, in sizes; with the
    gap, how far apart two glyphs' centres are, whatever blur did to their edges."""
    ascent: float
    descent: float


def _frame_of(alpha: Array, baseline: float, ascent: float, descent: float, size: float) -> tuple[Array, float, float]:
    """A lone glyph's frame (its line box from ``baseline``), and its centre of ink: across, and below the baseline."""
    x, y = centroid(alpha)
    edges = np.array([0.0, alpha.shape[1]], dtype=np.float32)
    centre = np.array([x], dtype=np.float32)
    vector = line_frames(alpha, edges[:1], edges[1:], centre, baseline - ascent, baseline + descent, size)[0]
    return vector, x, y - baseline


@lru_cache(maxsize=128)
def templates(size: int) -> Templates:
    """The templates of every glyph drawn at ``size`` pixels."""
    face = font(size)
    shapes, frames, measures = [], [], []
    for glyph in face.glyphs.values():
        alpha = coverage(glyph.mask)
        left, top, right, bottom = ink_box(alpha)
        shapes.append(shape(alpha, left, top, right, bottom))
        vector, across, middle = _frame_of(alpha, -glyph.top, face.ascent, face.descent, size)
        frames.append(vector)
        measures.append((right - left, bottom - top, glyph.top + bottom, middle, across, alpha.shape[1] - across))
    m = np.array(measures, dtype=np.float32) / np.float32(size)
    return Templates(
        size=size,
        chars=tuple(face.glyphs),
        shapes=np.stack(shapes),
        aspects=np.log(m[:, 0] / m[:, 1]),
        frames=np.stack(frames),
        widths=m[:, 0],
        heights=m[:, 1],
        bottoms=m[:, 2],
        middles=m[:, 3],
        reach=m[:, 4:6],
        ascent=face.ascent / size,
        descent=face.descent / size,
    )
