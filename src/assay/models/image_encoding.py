"""How an image is sent to an API: as it is, or scaled down and re-encoded first.

Vision-language servers bill and batch by image tokens, which grow with pixels, and many reject
requests over a size limit; a document page scanned at 300 dpi can be 20 MP. The ``openai_api``
backend therefore takes three ``model_args``:

* ``image_max_pixels``: scale an image larger than this many pixels down, keeping its aspect
  ratio, to at most that area (Qwen-VL's ``max_pixels`` idea, applied before sending);
* ``image_format``: ``png`` or ``jpeg`` re-encodes every image in that format (JPEG flattens
  transparency onto white); unset keeps each image's own bytes unless it had to be scaled;
* ``image_quality``: JPEG quality, 1-95 (default 90).

They are model arguments, so they are part of every prediction's fingerprint: changing them makes a
resumed run ask again instead of mixing answers to different pictures. An image that needs no change
is sent byte for byte (no decode). Converting needs Pillow; the few most recent results are cached,
so a sample's repeats convert once.

Example:
    >>> ImageOptions.from_model_args({"image_max_pixels": "1003520", "image_format": "JPEG"})
    ImageOptions(max_pixels=1003520, format='jpeg', quality=90)
"""

from __future__ import annotations

import base64
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

from assay.errors import UserError
from assay.types import ImagePart

__all__ = ["IMAGE_MODEL_ARGS", "ImageOptions", "image_url"]

#: The ``model_args`` keys this module reads (the backend takes them out before warning about the rest).
IMAGE_MODEL_ARGS = ("image_max_pixels", "image_format", "image_quality")
_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg"}
#: Converted images kept: enough for a sample's repeats and a batch in flight, small in memory.
_KEPT = 16


@dataclass(frozen=True)
class ImageOptions:
    """The image settings of one backend (see the module docstring); the defaults change nothing."""

    max_pixels: int | None = None
    format: Literal["png", "jpeg"] | None = None
    quality: int = 90

    @classmethod
    def from_model_args(cls, model_args: dict[str, Any]) -> ImageOptions:
        """Read (and check) the image keys of ``model_args``.

        Raises:
            UserError: a value that is not a positive pixel count, a known format or a quality in 1-95.
        """
        max_pixels = model_args.get("image_max_pixels")
        fmt = model_args.get("image_format")
        quality = model_args.get("image_quality", 90)
        try:
            pixels = None if max_pixels in (None, "") else int(max_pixels)
            quality_value = int(quality)
        except (TypeError, ValueError):
            raise UserError("model_args image_max_pixels and image_quality must be whole numbers") from None
        if pixels is not None and pixels < 1:
            raise UserError(f"model_args image_max_pixels must be at least 1, got {pixels}")
        if not 1 <= quality_value <= 95:
            raise UserError(f"model_args image_quality must be between 1 and 95, got {quality_value}")
        chosen = None
        if fmt not in (None, ""):
            chosen = _FORMATS.get(str(fmt).lower())
            if chosen is None:
                raise UserError(f"model_args image_format must be png or jpeg, got {fmt!r}")
        return cls(max_pixels=pixels, format=chosen, quality=quality_value)  # type: ignore[arg-type]

    @property
    def changes_images(self) -> bool:
        """Whether any image may be altered before sending."""
        return self.max_pixels is not None or self.format is not None


_lock = threading.Lock()
_converted: OrderedDict[tuple[str, ImageOptions], str] = OrderedDict()


def image_url(part: ImagePart, options: ImageOptions) -> str:
    """What the ``image_url`` part carries for ``part``: its URL, or a ``data:`` URL of the bytes to send.

    Raises:
        OSError: the image file cannot be read.
        UserError: a local image must be converted and Pillow is missing, or it does not decode.
    """
    if part.is_remote or not options.changes_images:
        return part.url()
    key = (part.sha256, options)
    with _lock:
        if key in _converted:
            _converted.move_to_end(key)
            return _converted[key]
    raw = part.load_bytes() or b""
    converted = _convert(raw, part, options)
    url = converted if converted is not None else part.url()
    with _lock:
        _converted[key] = url
        while len(_converted) > _KEPT:
            _converted.popitem(last=False)
    return url


def _convert(raw: bytes, part: ImagePart, options: ImageOptions) -> str | None:
    """The re-encoded image as a data: URL, or None when it can go as it is."""
    try:
        from PIL import Image
    except ImportError:
        raise UserError("model_args image_max_pixels / image_format need Pillow: pip install pillow") from None
    try:
        with Image.open(io.BytesIO(raw)) as image:
            width, height = image.size
            scale = 1.0
            if options.max_pixels is not None and width * height > options.max_pixels:
                scale = (options.max_pixels / (width * height)) ** 0.5
            source_format = (image.format or "").lower()
            target = options.format or ("png" if source_format not in ("jpeg", "png") else source_format)
            if scale == 1.0 and (options.format is None or options.format == source_format):
                return None
            image.load()
            out = image
            if scale < 1.0:
                size = (max(1, int(width * scale)), max(1, int(height * scale)))
                out = image.resize(size, Image.Resampling.LANCZOS)
            return _encode(out, target, options.quality)
    except (OSError, ValueError) as exc:  # Pillow's "cannot identify image file", truncated data
        raise UserError(f"cannot convert the image {part.source} (sha256 {part.sha256[:12]}): {exc}") from None


def _encode(image: Any, fmt: str, quality: int) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    if fmt == "jpeg":
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, format="JPEG", quality=quality)
        mime = "image/jpeg"
    else:
        image.save(buffer, format="PNG")
        mime = "image/png"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
