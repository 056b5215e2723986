"""Read back the text :func:`~assay.mock_server.vision.draw_text` drew, from an ink map.

The steps: cut the ink into lines (empty rows) and glyphs (empty columns); guess the font size
from the glyphs' shapes (each good shape match implies a size, and the size most glyphs agree on
wins); then, at that size, find each line's baseline and name each glyph by correlating it, in
its line box, with every template. Several sizes and baselines are tried and the best-fitting
reading wins, which is what tells 'o' from 'O' and '.' from ','.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assay.mock_server._glyphs import (
    GAP_EM,
    INK,
    LINE_GAP_EM,
    SPACE_EM,
    Array,
    Templates,
    centroid,
    line_frames,
    shape,
    templates,
)

_REFERENCE_SIZE = 64  # templates whose shapes guess the size the text was drawn at
_ASPECT_WEIGHT = 0.5  # shape score lost per unit of log(aspect ratio) between a glyph and a template
_GAP_WEIGHT = 1.0  # score lost per font size a gap or a line is off the layout draw_text follows
_COARSE_STEP = 0.05  # relative steps of the search for the exact font size about the best guess
_FINE_STEP = 0.015
_CLOSE_FIT = 0.975  # mean correlation from which a guessed size is near enough for the fine search alone
_SMALLEST, _LARGEST = 8, 256  # font sizes read: anything else (a photograph's blobs) is clamped
_MOST_VOTERS = 300  # blobs that vote on the font size
_MOST_VOTERS_PER_LINE = 24  # blobs of a line that vote on its baseline
_Indices = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Blobs:
    """The ink blobs of an image, one per drawn character, in reading order; pixels of the ink map."""

    line: _Indices
    left: Array
    top: Array
    right: Array
    """Exclusive, as is ``bottom``."""
    bottom: Array
    centre_x: Array
    """Centre of ink, sub-pixel; so is ``centre_y``."""
    centre_y: Array

    @property
    def widths(self) -> Array:
        return self.right - self.left

    @property
    def heights(self) -> Array:
        return self.bottom - self.top


def _runs(flags: npt.NDArray[np.bool_] | np.bool_) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of True, end exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _merged(runs: list[tuple[int, int]], gap: float) -> list[tuple[int, int]]:
    """``runs`` with those less than ``gap`` apart joined into one."""
    joined = [list(runs[0])]
    for start, end in runs[1:]:
        if start - joined[-1][1] < gap:
            joined[-1][1] = end
        else:
            joined.append([start, end])
    return [(start, end) for start, end in joined]


def cut(ink: Array, size: float | None = None) -> Blobs | None:
    """Lines by empty rows, glyphs by empty columns; None when there is no ink.

    Once the font ``size`` is known, rows less than 0.6 sizes apart are one line (the gap inside
    a glyph, ``:`` ``?`` ``i``, is under 0.35 sizes; between lines it is over ``LINE_GAP_EM``)
    and columns less than 0.12 sizes apart one glyph (glyphs are ``GAP_EM`` apart; JPEG ringing
    leaves slivers beside a glyph). Before, rows 0.6 of the tallest run apart are one line,
    which only a line of nothing but colons gets wrong, and every run of columns is a glyph.
    """
    mask = ink > INK
    bands = _runs(mask.any(axis=1))
    if not bands:
        return None
    lines = _merged(bands, 0.6 * (size or max(end - start for start, end in bands)))
    found = []
    for number, (start, end) in enumerate(lines):
        strip = mask[start:end]
        for left, right in _merged(_runs(strip.any(axis=0)), 0.12 * (size or 0.0)):
            rows = np.flatnonzero(strip[:, left:right].any(axis=1))
            top, bottom = start + int(rows[0]), start + int(rows[-1]) + 1
            x0, y0 = max(left - 1, 0), max(top - 1, 0)
            patch = ink[y0 : bottom + 1, x0 : right + 1]
            if patch.sum() >= 0.75 and patch.max() >= 0.5:  # a speck of JPEG noise is not a character
                x, y = centroid(patch)
                found.append((number, left, top, right, bottom, x0 + x, y0 + y))
    if not found:
        return None
    table = np.array(found, dtype=np.float32)
    return Blobs(table[:, 0].astype(np.intp), *(table[:, k] for k in range(1, 7)))


def read_text(ink: Array) -> str:
    """The text of an ink map, lines joined by ``"\\n"``; ``""`` when it holds no glyph."""
    blobs = cut(ink)
    if blobs is None:
        return ""
    sizes = _size_guesses(ink, blobs)
    recut = cut(ink, sizes[0])
    if recut is not None and (len(recut.line) != len(blobs.line) or recut.line.max() != blobs.line.max()):
        blobs, sizes = recut, _size_guesses(ink, recut)
    best = max((_name(ink, blobs, size) for size in sizes), key=lambda reading: reading.score)
    if best.score < _CLOSE_FIT * len(blobs.line):
        # A guess can be 10% off (a text of thin bars, 'Il1', all of one shape): look about it.
        coarse = [_name(ink, blobs, best.size * (1 + _COARSE_STEP * k)) for k in (-3, -2, -1, 1, 2, 3)]
        best = max([best, *coarse], key=lambda reading: reading.score)
    # At 12 pixels 2% of the size is what 'l' stands above 'I': look closely too.
    nearby = [best.size * (1 + _FINE_STEP * k) for k in (-2, -1, 1, 2)] + [_fitted_size(blobs, best)]
    fine = [_name(ink, blobs, size, like=best) for size in nearby]
    return _compose(blobs, max([best, *fine], key=lambda reading: reading.score))


def _fitted_size(blobs: Blobs, reading: _Reading) -> float:
    """The font size that best explains every blob's width and height, once the blobs are named.

    A line fitted through (template extent, blob extent) pairs: its slope is the size, and its
    intercept soaks up the pixel or so that blur adds to every blob at small sizes. With too
    few distinct extents for a line, the best ratio through zero.
    """
    chosen = templates(_template_size(reading.size))
    along = np.concatenate([chosen.widths[reading.chars], chosen.heights[reading.chars]]).astype(np.float64)
    measured = np.concatenate([blobs.widths, blobs.heights]).astype(np.float64)
    if np.ptp(along) > 0.2 and len(along) >= 4:
        slope, _ = np.polyfit(along, measured, 1)
        if 0.5 * reading.size < slope < 2 * reading.size:
            return float(slope)
    return float(measured @ along / (along @ along))


def _template_size(size: float) -> int:
    return min(max(_SMALLEST, round(size)), _LARGEST)


def _size_guesses(ink: Array, blobs: Blobs) -> list[float]:
    """Up to three font sizes the blobs could have been drawn at, the likeliest first.

    Each blob is compared with every glyph by shape alone; each good match implies a size (blob
    extent over glyph extent), and sizes that many blobs agree on win. Letters whose two cases
    share a shape ('o', 'O') imply two sizes; the caller tells them apart with the whole text.
    """
    reference = templates(_REFERENCE_SIZE)
    # The biggest blobs say the most, and a few hundred say it all: the vote below is quadratic.
    voters = np.argsort(-(blobs.widths + blobs.heights), kind="stable")[:_MOST_VOTERS]
    left, top, right, bottom = (blobs.left[voters], blobs.top[voters], blobs.right[voters], blobs.bottom[voters])
    shapes = np.stack([shape(ink, *box) for box in zip(*(a.tolist() for a in (left, top, right, bottom)), strict=True)])
    aspects = np.log((right - left) / (bottom - top))
    scores = shapes @ reference.shapes.T - _ASPECT_WEIGHT * np.abs(aspects[:, None] - reference.aspects[None, :])
    # An ink box is whole pixels, half a pixel too big on each side on average: at 12 pixels that
    # is a size 8% too big, so take it off, here and from the reference glyphs.
    extents = np.maximum(right - left + bottom - top - 2.0, 1.0)
    known = reference.widths + reference.heights - 2.0 / _REFERENCE_SIZE
    guesses, weights, owners = [], [], []
    for blob, row in enumerate(scores):
        for char in np.argsort(-row)[:3]:
            if row[char] >= row.max() - 0.15:
                guesses.append(math.log(extents[blob] / known[char]))
                weights.append(max(float(row[char]), 0.05) * math.sqrt(extents[blob]))
                owners.append(blob)
    logs, weight, owner = np.array(guesses), np.array(weights), np.array(owners)
    support = []
    for centre in logs:
        near = np.abs(logs - centre) < 0.1
        per_blob = np.zeros(len(voters))
        np.maximum.at(per_blob, owner[near], weight[near])  # a blob counts once per size
        support.append((float(per_blob.sum()), float(np.average(logs[near], weights=weight[near]))))
    picked: list[float] = []
    ranked = sorted(support, reverse=True)
    for votes, centre in ranked:
        # A size with half the votes of the best is kept: 'xoxo' gives two equally good ones.
        if votes >= 0.5 * ranked[0][0] and all(abs(centre - other) > 0.15 for other in picked):
            picked.append(centre)
    return [min(max(math.exp(centre), _SMALLEST), _LARGEST) for centre in picked[:3]]


@dataclass(frozen=True)
class _Reading:
    """Each blob's character (index into the templates) at one font size, and how well it all fits."""

    size: float
    chars: _Indices
    baselines: Array
    """One per line, in pixels of the ink map."""
    score: float


def _name(ink: Array, blobs: Blobs, size: float, like: _Reading | None = None) -> _Reading:
    """Name every blob assuming the text was drawn at ``size``; score the fit, gaps included.

    A line's baseline is first where the most blobs could sit (a blob's bottom less one of the
    few depths glyphs reach below the baseline), the best-fitting of the likeliest three; then
    it is refined from the named glyphs' centres of ink, which are sub-pixel. Given a reading
    ``like`` this one, its names place the baselines straight away (one fit per line).
    """
    chosen = templates(_template_size(size))
    chars = np.zeros(len(blobs.line), dtype=np.intp)
    baselines = np.zeros(int(blobs.line.max()) + 1, dtype=np.float32)
    total = 0.0
    depths = np.unique(np.round(chosen.bottoms, 2)) * size
    for line in range(len(baselines)):
        members = np.flatnonzero(blobs.line == line)
        if like is None:
            tries = _baselines(blobs.bottom[members], depths, size)
            best = max((_fit_line(ink, blobs, members, chosen, size, b) for b in tries), key=lambda f: f[0])
        else:
            best = _fit_line(
                ink, blobs, members, chosen, size, _baseline(blobs, members, chosen, like.chars[members], size)
            )
        # Once named, the glyphs' centres of ink place the baseline to a fraction of a pixel.
        again = _fit_line(ink, blobs, members, chosen, size, _baseline(blobs, members, chosen, best[1], size))
        fit, named, baseline = max(best, again, key=lambda f: f[0])
        total += fit
        chars[members], baselines[line] = named, baseline
    _, misfit = _spaces(blobs, chosen, chars, size)
    # Lines are a whole number of pitches apart: the cue to the size of a lone 'I' (or 'l') per line.
    pitch = (chosen.ascent + chosen.descent + LINE_GAP_EM) * size
    steps = np.diff(baselines)
    misfit += float(np.abs(steps - np.maximum(np.round(steps / pitch), 1) * pitch).sum()) / size
    return _Reading(size, chars, baselines, total - _GAP_WEIGHT * misfit)


def _baseline(blobs: Blobs, members: _Indices, chosen: Templates, named: _Indices, size: float) -> float:
    """The baseline of a line whose blobs ``members`` are named ``named``, from their centres of ink."""
    return float(np.median(blobs.centre_y[members] - chosen.middles[named] * size))


def _baselines(bottoms: Array, depths: Array, size: float) -> list[float]:
    """Up to three baselines that the most blobs of a line agree on, most votes first.

    Each blob votes for its bottom less each depth a glyph reaches below the baseline; a
    baseline's support is the number of blobs with a vote within 4% of a size of it. Only
    baselines with three quarters of the best support are worth trying.
    """
    # Two dozen blobs spread over the line agree as well as all of them, at a fraction of the cost.
    bottoms = bottoms[np.linspace(0, len(bottoms) - 1, min(len(bottoms), _MOST_VOTERS_PER_LINE)).astype(np.intp)]
    guesses = (bottoms[:, None] - depths[None, :]).ravel()
    owners = np.repeat(np.arange(len(bottoms)), len(depths))
    tolerance = max(0.75, 0.04 * size)
    close = np.abs(guesses[:, None] - guesses[None, :]) <= tolerance
    support = ((close.astype(np.float32) @ (owners[:, None] == np.arange(len(bottoms)))) > 0).sum(axis=1)
    # Among equals, prefer what glyphs sitting on the baseline (depth about 0) vote for.
    order = np.lexsort((np.abs(np.tile(depths, len(bottoms))), -support))
    picked: list[float] = []
    # A lone glyph has no one to agree with: then every depth is worth a try (a 'q' hangs 0.2 below).
    most = 3 if support[order[0]] > 1 else len(depths)
    for index in order:
        if support[index] < 0.75 * support[order[0]] or len(picked) == most:
            break
        if all(abs(guesses[index] - other) > 2 * tolerance for other in picked):
            picked.append(float(np.median(guesses[close[index]])))
    return picked


def _fit_line(
    ink: Array, blobs: Blobs, members: _Indices, chosen: Templates, size: float, baseline: float
) -> tuple[float, _Indices, float]:
    """How well a line's blobs fit their best templates with this baseline; the names; the baseline."""
    top, bottom = baseline - chosen.ascent * size, baseline + chosen.descent * size
    vectors = line_frames(ink, blobs.left[members], blobs.right[members], blobs.centre_x[members], top, bottom, size)
    table = vectors @ chosen.frames.T
    return float(table.max(axis=1).sum()), table.argmax(axis=1), baseline


def _spaces(blobs: Blobs, chosen: Templates, chars: _Indices, size: float) -> tuple[list[int], float]:
    """Spaces before each blob (0 at a line start), and how far gaps are from whole numbers of them."""
    counts, misfit = [0], 0.0
    step = (GAP_EM + SPACE_EM) * size
    for blob in range(1, len(blobs.line)):
        if blobs.line[blob] != blobs.line[blob - 1]:
            counts.append(0)
            continue
        # Centres of ink, not ink boxes: blur moves an edge by a pixel, never a centre.
        reach = chosen.reach[chars[blob - 1], 1] + chosen.reach[chars[blob], 0]
        extra = blobs.centre_x[blob] - blobs.centre_x[blob - 1] - (GAP_EM + reach) * size
        count = max(0, round(float(extra) / step))
        counts.append(count)
        misfit += abs(float(extra) - count * step) / size
    return counts, misfit


def _compose(blobs: Blobs, reading: _Reading) -> str:
    """The characters in reading order, with spaces from wide gaps and blank lines from wide leading."""
    chosen = templates(_template_size(reading.size))
    spaces, _ = _spaces(blobs, chosen, reading.chars, reading.size)
    pitch = (chosen.ascent + chosen.descent + LINE_GAP_EM) * reading.size
    parts: list[str] = []
    for blob, char in enumerate(reading.chars.tolist()):
        line = int(blobs.line[blob])
        if blob and line != blobs.line[blob - 1]:
            skipped = round(float(reading.baselines[line] - reading.baselines[line - 1]) / pitch)
            parts.append("\n" * max(1, skipped))
        parts.append(" " * spaces[blob] + chosen.chars[char])
    return "".join(parts)
