"""Image prompts: OpenAI ``image_url`` content parts that carry the image bytes as a data URL.

The image sources (``flickr8k``, ``random_vl``) encode every image into its data URL when they make
the prompt, and the API plugin serialises the whole body before the run, so no image work is left
for the moment a request is sent (the clock of a request starts at its first socket write).

The message has EvalScope's shape (``DatasetPluginBase.create_message``): one user message whose
content is a text part followed by one ``image_url`` part per image.

Example:
    >>> data_url(b"\\x89PNG", "image/png")
    'data:image/png;base64,iVBORw=='
    >>> [part["type"] for part in image_content("What is this?", ["data:image/png;base64,iVBORw=="])]
    ['text', 'image_url']
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from assay.errors import UserError
from assay.perf.arguments import PerfArguments


def data_url(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<data>``: the image as OpenAI-compatible servers accept it inline."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def image_content(text: str, urls: Sequence[str]) -> list[dict[str, Any]]:
    """A message content: the text part first, then one ``image_url`` part per URL (EvalScope's order)."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts.extend({"type": "image_url", "image_url": {"url": url}} for url in urls)
    return parts


def count_images(messages: Sequence[dict[str, Any]] | None) -> int:
    """The ``image_url`` parts in ``messages`` (0 for text prompts)."""
    total = 0
    for message in messages or ():
        content = message.get("content")
        if isinstance(content, list):
            total += sum(1 for part in content if isinstance(part, dict) and part.get("type") == "image_url")
    return total


def check_image_requests(args: PerfArguments, dataset: str, chat: bool) -> None:
    """Images travel only in chat messages: refuse the modes that have no place for them.

    EvalScope refuses ``--tokenize-prompt`` for ``random_vl`` the same way; a text prompt (a
    ``/completions`` URL or ``--no-apply-chat-template``) would silently drop the images there.

    Raises:
        UserError: ``--tokenize-prompt``, or prompts that are not chat messages.
    """
    if args.tokenize_prompt:
        raise UserError(
            f"--dataset {dataset} sends images, which a list of token ids (--tokenize-prompt) cannot carry; "
            "remove --tokenize-prompt"
        )
    if not chat:
        raise UserError(
            f"--dataset {dataset} sends images, which only chat messages carry: use a .../chat/completions "
            "--url with --api openai, and no --no-apply-chat-template"
        )
