"""``--dataset random_vl``: random text with synthetic images, for vision-language servers.

EvalScope's ``random_vl`` (``evalscope/perf/plugin/datasets/random_vl_dataset.py``) is its ``random``
dataset plus images, and so is this one:

* the text is a ``random`` prompt (:mod:`assay.perf.prompts.random_tokens`): ``--tokenizer-path``,
  ``--min/--max-prompt-length`` and ``--prefix-length`` mean what they mean there; the chat
  template counts towards the length, the images do not (their token cost is the model's);
* each request carries ``--image-num`` images of ``--image-width`` x ``--image-height`` pixels in
  the PIL colour mode ``--image-format`` (EvalScope's meaning: ``RGB``, also ``RGBA`` and ``P``;
  ``L`` for grey is ours), drawn as EvalScope draws them (a flat background and one to five random
  rectangles, ellipses or lines) and always encoded as PNG (``data:image/png;base64,...``), after the
  text in one user message.

Differences from EvalScope, each on purpose:

* the pixels come from a generator seeded by ``--seed``: a seeded run sends the same images every
  time (EvalScope draws them from the unseeded ``random`` module). Every image is new, never
  repeated within a run, so a server's multimodal cache cannot answer from an earlier request;
* ``--prompt`` replaces the random text, not the images (no tokenizer is needed then);
* a text prompt (a ``/completions`` URL) is refused: it has no place for images, and EvalScope sends
  the first character of the text there instead.

Pillow is imported only here, when the source is made: a missing Pillow is one clear error.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from typing import Any, ClassVar

from assay.errors import UserError
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt, register_dataset
from assay.perf.prompts._base import uses_chat_messages
from assay.perf.prompts._images import check_image_requests, data_url
from assay.perf.prompts.random_tokens import RandomTokens

#: Shapes drawn on each image (EvalScope's choice of ``ImageDraw`` calls).
SHAPES = ("rectangle", "ellipse", "line")


@register_dataset("random_vl")
class RandomVL(RandomTokens):
    """Random-token text plus ``--image-num`` synthetic PNG images per request (EvalScope's ``random_vl``)."""

    name = "random_vl"
    fixed_prompt_replaces_dataset: ClassVar[bool] = False

    def __init__(self, args: PerfArguments) -> None:
        check_image_requests(args, self.name, uses_chat_messages(args))
        self._painter = ImagePainter(args)
        super().__init__(args)

    def describe(self) -> str:
        """The images and where the text comes from."""
        a = self.args
        text = "--prompt" if a.prompt is not None else f"tokenizer {a.tokenizer_path}"
        return f"random_vl ({a.image_num} x {a.image_width}x{a.image_height} {a.image_format} PNG, text: {text})"

    def dataset_prompts(self) -> Iterator[Prompt]:
        """Endless prompts, each with new text and new images."""
        while True:
            if self.args.prompt is not None:
                text = self.request_text("")
            else:
                body_length = int(self._rng.integers(self._low, self._high + 1))
                text = _user_text(self.make_prompt(body_length))
            images = [self._painter.png_data_url() for _ in range(self.args.image_num)]
            yield self.image_prompt(text, images)


class ImagePainter:
    """Draws EvalScope's synthetic images from a seeded generator and encodes them as PNG data URLs.

    Example:
        >>> painter = ImagePainter(PerfArguments(model="m", image_width=64, image_height=48, seed=1))
        >>> painter.png_data_url().startswith("data:image/png;base64,")
        True
    """

    def __init__(self, args: PerfArguments) -> None:
        try:
            from PIL import Image, ImageDraw
        except ImportError as exc:
            raise UserError(
                "--dataset random_vl draws its images with Pillow, which is not installed: pip install pillow"
            ) from exc
        self._image: Any = Image
        self._draw: Any = ImageDraw
        self.width = args.image_width
        self.height = args.image_height
        self.mode = args.image_format
        # Its own stream, apart from the text's: the images do not change when the text lengths do.
        self._rng = random.Random(None if args.seed is None else f"random_vl images {args.seed}")

    def png(self) -> bytes:
        """One new image, PNG-encoded: a flat background and one to five random shapes."""
        image = self._image.new(self.mode, (self.width, self.height), self._colour())
        draw = self._draw.Draw(image)
        for _ in range(self._rng.randint(1, 5)):
            shape = self._rng.choice(SHAPES)
            box = self._box()
            if shape == "rectangle":
                draw.rectangle(box, fill=self._colour())
            elif shape == "ellipse":
                draw.ellipse(box, fill=self._colour())
            else:
                draw.line(box, fill=self._colour(), width=self._rng.randint(1, 5))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    def png_data_url(self) -> str:
        """One new image as a ``data:image/png;base64,...`` URL."""
        return data_url(self.png(), "image/png")

    def _colour(self) -> int | tuple[int, ...]:
        """A random colour in the image's mode: a grey level for L, else RGB (opaque for RGBA)."""
        if self.mode == "L":
            return self._rng.randint(0, 255)
        rgb = (self._rng.randint(0, 255), self._rng.randint(0, 255), self._rng.randint(0, 255))
        return (*rgb, 255) if self.mode == "RGBA" else rgb

    def _box(self) -> tuple[int, int, int, int]:
        """Two random corners, ordered, at least one pixel apart where the image allows (EvalScope)."""
        x1, x2 = sorted(self._rng.randint(0, self.width - 1) for _ in range(2))
        y1, y2 = sorted(self._rng.randint(0, self.height - 1) for _ in range(2))
        return x1, y1, max(x2, min(x1 + 1, self.width - 1)), max(y2, min(y1 + 1, self.height - 1))


def _user_text(prompt: Prompt) -> str:
    """The text of a random prompt's user message (the last message; a system prompt may lead)."""
    content = (prompt.messages or [{}])[-1].get("content")
    return content if isinstance(content, str) else prompt.text or ""
