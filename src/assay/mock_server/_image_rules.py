"""What a ``read`` rule sees: a request's images, each read at most once, and only when a rule asks.

Decoding pixels costs milliseconds, and text traffic and serving benchmarks must not pay for it.
So the server keeps a request's images as bytes and reads them here, lazily: only once a ``read``
rule's text matchers have passed, and each image once however many rules look at it. Pillow, and
with it :mod:`assay.mock_server.vision`, is imported by the first read.

Example:
    >>> option_letter("Which is prime?\\nA) 4\\n(B) 7\\nC. 9", " 7 ")
    'B'
    >>> option_letter("A) 4\\nB) 6", "7") is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.mock_server._rules import Rule
    from assay.mock_server.vision import ImageReading

OPTION_LINE = re.compile(r"^[ \t]*\(?([A-Z])[).:][ \t]*(.*?)[ \t]*$", re.MULTILINE)
"""A multiple-choice option on a line of its own: ``A) 7``, ``A. 7``, ``(A) 7`` or ``A: 7``."""


def option_letter(question: str, text: str) -> str | None:
    """The letter of the first option line of ``question`` whose text is ``text``, or None.

    Texts are compared stripped and case-insensitively, so an image reading ``paris`` picks
    ``C) Paris``.
    """
    wanted = text.strip().casefold()
    for match in OPTION_LINE.finditer(question):
        if match.group(2).strip().casefold() == wanted:
            return match.group(1)
    return None


class RequestImages:
    """The images of one request, each decoded and read at most once, on demand.

    ``data`` holds each image part's bytes in order, None for a remote URL (never fetched, so
    never read). An image Pillow cannot decode is not readable; it is not an error, since the
    request was valid and only a rule looking for pixels is disappointed.
    """

    __slots__ = ("_data", "_readings")

    def __init__(self, data: Sequence[bytes | None]) -> None:
        self._data = data
        self._readings: dict[int, ImageReading | None] = {}

    def _reading(self, index: int) -> ImageReading | None:
        if index not in self._readings:
            raw = self._data[index] if index < len(self._data) else None
            self._readings[index] = None if raw is None else _read(raw)
        return self._readings[index]

    def readable(self, image: int | None) -> bool:
        """Whether image ``image`` (0-based) decodes, or with None whether at least one does."""
        if image is not None:
            return self._reading(image) is not None
        return any(self._reading(index) is not None for index in range(len(self._data)))

    def read(self, rule: Rule, question: str) -> str:
        """What ``{read}`` becomes in the reply of ``rule`` (which has ``read``) to ``question``.

        The readings of the rule's image, or of every readable image joined by a space; for
        ``"option"`` the letter of the option whose text is the text read, else that text.
        """
        indices = range(len(self._data)) if rule.image is None else (rule.image,)
        readings = [reading for index in indices if (reading := self._reading(index)) is not None]
        if rule.read == "colour":
            return " ".join(reading.colour for reading in readings)
        text = " ".join(reading.text for reading in readings)
        if rule.read == "option":
            return option_letter(question, text) or text
        return text


def _read(data: bytes) -> ImageReading | None:
    from assay.mock_server.vision import read_image

    try:
        return read_image(data)
    except ValueError:  # bytes Pillow cannot decode: valid base64, but no image
        return None
