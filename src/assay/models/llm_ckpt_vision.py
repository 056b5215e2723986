"""Vision-language checkpoints for ``llm_ckpt``: detection, loading, and prompts that hold images.

A checkpoint is image-text-to-text when its config has a ``vision_config`` or its ``model_type`` is
one transformers maps to ``AutoModelForImageTextToText``; :class:`~assay.models.llm_ckpt.LocalCheckpoint`
then loads it with that class and ``AutoProcessor``, and sends its prompts through
:class:`VisionPrompts` instead of the tokenizer. Everything after the inputs (generation settings,
stop strings, usage, timing, batching) is the text path's.

A prompt is built in two steps, so everything heavy (reading and decoding images, the processor)
runs once per batch in the worker thread and never blocks the event loop:

1. :meth:`VisionPrompts.encode` (per request, on the event loop): messages become the processor's
   chat format (``{"type": "image"}`` where each image was) and the chat template renders the
   text; a remote image is refused here (the model runs locally and fetches nothing).
2. :meth:`VisionPrompts.batch_inputs` (per batch, in the worker thread): the images are read and
   decoded to RGB, and one ``processor(text=[...], images=[[...], ...], padding=True)`` call expands
   the image placeholders, tokenises with left padding and makes ``pixel_values``.

PIL, torch and transformers are imported only when a model is loaded or a prompt is built.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.errors import UserError
from assay.types import ChatMessage, ImagePart, TextPart


@dataclass(frozen=True)
class VisionPrompt:
    """One prompt for a vision-language model: the rendered text and its images, in order (not yet read)."""

    text: str
    images: tuple[ImagePart, ...] = ()


def is_image_text_to_text(config: Any) -> bool:
    """Whether a transformers config describes a model that reads images and writes text."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    if getattr(config, "vision_config", None) is not None:
        return True
    return getattr(config, "model_type", None) in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES


def load_image_text_to_text(
    source: str, *, processor_source: str, processor_kwargs: dict[str, Any], **model_kwargs: Any
) -> tuple[Any, Any]:
    """Load ``AutoModelForImageTextToText`` from ``source`` and ``AutoProcessor`` from ``processor_source``.

    The processor's tokenizer is set to pad on the left (generation appends on the right) and, if it
    has no pad token, to pad with its end-of-sequence token.

    Raises:
        OSError: files are missing (transformers' way of saying so).
        ValueError: transformers has no image-text-to-text class for this config.
        UserError: the checkpoint ships no multimodal processor (an image processor with a tokenizer).
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor

    auto_processor: Any = AutoProcessor  # untyped in transformers
    processor = auto_processor.from_pretrained(processor_source, **processor_kwargs)
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None:  # AutoProcessor falls back to a bare tokenizer or image processor
        raise UserError(
            f"{processor_source} holds no multimodal processor (AutoProcessor gave {type(processor).__name__}); "
            "save the checkpoint's processor (processor_config.json) with it"
        )
    model = AutoModelForImageTextToText.from_pretrained(source, **model_kwargs)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, processor


def refuse_images(model_name: str, input: Sequence[ChatMessage] | str) -> None:
    """Raise a UserError if ``input`` holds images: a text-only model cannot see them."""
    count = len(_image_parts(input))
    if count:
        raise UserError(
            f"{model_name} is a text-only model: it has no vision tower to read the {count} image(s) in this "
            "prompt; use an image-text-to-text checkpoint (its config has a vision_config) or a benchmark "
            "without images"
        )


class VisionPrompts:
    """Turns chat messages into a vision-language model's inputs with its processor.

    Args:
        processor: The checkpoint's ``AutoProcessor`` (its tokenizer padding on the left).
        model_name: The name the user gave, for error messages.
        chat_template: A Jinja template replacing the processor's (``--chat-template``).
    """

    def __init__(self, processor: Any, model_name: str, chat_template: str | None = None) -> None:
        self.processor = processor
        self.model_name = model_name
        tokenizer = processor.tokenizer
        self._chat_template = (
            chat_template or getattr(processor, "chat_template", None) or getattr(tokenizer, "chat_template", None)
        )
        # What the tokenizer puts in front of a raw string (BOS for most), written into the text: the
        # batch tokenises with add_special_tokens=False, since chat templates write those themselves.
        plain = tokenizer("a", add_special_tokens=False)["input_ids"]
        full = tokenizer("a", add_special_tokens=True)["input_ids"]
        start = next((i for i in range(len(full)) if full[i : i + len(plain)] == plain), 0)
        self._raw_prefix = "".join(tokenizer.convert_ids_to_tokens(full[:start]))

    def encode(self, input: Sequence[ChatMessage] | str, template_kwargs: dict[str, Any]) -> VisionPrompt:
        """Render ``input``: chat messages through the chat template, a raw string as it is.

        Raises:
            UserError: an image is a remote URL, which a local model does not fetch.
        """
        if isinstance(input, str):
            return VisionPrompt(self._raw_prefix + input)
        images = _image_parts(input)
        for image in images:
            if image.is_remote:
                raise UserError(
                    f"llm_ckpt runs the model locally and does not fetch images: download {image.source} and "
                    "refer to the file instead"
                )
        return VisionPrompt(self._render(input, template_kwargs), tuple(images))

    def token_ids(self, input: Sequence[ChatMessage] | str, template_kwargs: dict[str, Any]) -> list[int]:
        """Token ids of a prompt without images (log-likelihood scoring).

        Raises:
            UserError: the prompt holds images; scoring options after an image is not supported.
        """
        if _image_parts(input):
            raise UserError(
                f"llm_ckpt cannot score options by log-likelihood after an image ({self.model_name}); set "
                "extra_params.choice_scoring to 'generate' for this benchmark"
            )
        text = self._raw_prefix + input if isinstance(input, str) else self._render(input, template_kwargs)
        ids: list[int] = self.processor.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def batch_inputs(self, prompts: Sequence[VisionPrompt]) -> Any:
        """One left-padded batch: ``input_ids``, ``attention_mask`` and, if any prompt has images, ``pixel_values``.

        Returns:
            The processor's ``BatchFeature`` of torch tensors, on the CPU.

        Raises:
            UserError: an image cannot be read or decoded (a missing file, not an image, truncated).
            ValueError: the processor refused the batch, e.g. a chat template that wrote fewer image
                placeholders than the prompt has images.
        """
        texts = [p.text for p in prompts]
        images = [[_rgb(part) for part in p.images] for p in prompts] if any(p.images for p in prompts) else None
        return self.processor(text=texts, images=images, padding=True, add_special_tokens=False, return_tensors="pt")

    def _render(self, messages: Sequence[ChatMessage], template_kwargs: dict[str, Any]) -> str:
        if self._chat_template is None:
            raise UserError(f"{self.model_name} has no chat template; pass one with --chat-template")
        text: str = self.processor.apply_chat_template(
            [_chat_json(m) for m in messages],
            chat_template=self._chat_template,
            add_generation_prompt=True,
            tokenize=False,
            **template_kwargs,
        )
        return text


def _chat_json(message: ChatMessage) -> dict[str, Any]:
    """A message in the processor's chat format: content as a list of typed parts, images as placeholders."""
    if isinstance(message.content, str):
        return {"role": message.role, "content": [{"type": "text", "text": message.content}]}
    parts = [
        {"type": "text", "text": part.text} if isinstance(part, TextPart) else {"type": "image"}
        for part in message.content
    ]
    return {"role": message.role, "content": parts}


def _image_parts(input: Sequence[ChatMessage] | str) -> list[ImagePart]:
    if isinstance(input, str):
        return []
    return [image for message in input for image in message.images]


def _rgb(part: ImagePart) -> Any:
    """The image decoded as RGB; transparency is flattened onto white, as transformers' ``convert_rgb`` does."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(part.load_bytes() or b"")) as image:
            if image.mode == "RGB":
                return image.convert("RGB")  # decodes the pixels into a copy that outlives the file
            rgba = image.convert("RGBA")
    except (OSError, ValueError) as exc:  # a missing file; Pillow's "cannot identify image file", truncation
        raise UserError(f"cannot read the image {part.source} (sha256 {part.sha256[:12]}): {exc}") from None
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")
