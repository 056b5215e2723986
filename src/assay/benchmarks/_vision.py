"""Images of vision-language benchmarks: from whatever a dataset holds to an :class:`ImagePart`.

Datasets carry images in many shapes: Hugging Face ``Image`` columns read undecoded (``{"bytes",
"path"}`` dicts, which is what parquet files and ``datasets`` give), raw bytes, file paths relative
to the data file, ``http(s)`` URLs, ``data:`` URLs and bare base64 (EvalScope's custom formats
allow all of them). :func:`image_part` turns each into an :class:`ImagePart` whose journal form is
small: the dataset location and the SHA-256, never the bytes.

Bytes that live only inside a record (parquet cells, base64 text) are written once to the
content-addressed spool of :mod:`assay.datasets.spool` (the dataset readers already spool parquet
image cells as they read them), and the part points at that file. A benchmark of thousands of
images then holds none of them in memory: each is read back when its request is built.

Prompts place images with EvalScope's (and MMMU's) placeholders ``<image 1>`` ... ``<image n>``
(``<image_1>`` too): :func:`interleave` cuts the prompt text at each placeholder and puts the image
there; a prompt without placeholders gets its images before the text.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from assay.datasets.spool import SpooledBytes, spool
from assay.errors import UserError
from assay.types import ContentPart, ImagePart, Sample, TextPart

__all__ = [
    "IMAGE_PLACEHOLDER",
    "MAX_IMAGES",
    "ImagesInPrompt",
    "collect_images",
    "image_part",
    "interleave",
]

logger = logging.getLogger(__name__)

#: ``<image 3>`` or ``<image_3>`` in a prompt: where image 3 goes.
IMAGE_PLACEHOLDER = re.compile(r"<image[_ ](\d+)>")
#: Most indexed image columns read (``image_1`` ... ``image_100``), as EvalScope.
MAX_IMAGES = 100

Detail = Literal["auto", "low", "high"]
_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}$")
_warned: set[str] = set()


def image_part(value: Any, *, location: str, base_dir: Path | None = None, detail: Detail | None = None) -> ImagePart:
    """An :class:`ImagePart` for one image cell of a dataset record.

    Args:
        value: A ``{"bytes", "path"}`` dict (Hugging Face ``Image`` column, undecoded), bytes, a
            ``data:`` URL, bare base64 text, an ``http(s)`` URL, or a file path.
        location: Where the cell is, for the journal and messages: ``<file>#<row>/<column>``.
        base_dir: The folder relative paths are resolved against (the data file's folder).
        detail: OpenAI's ``detail`` hint for the image.

    Raises:
        UserError: The cell holds no image (None, an empty dict), a path that does not exist, or
            text that is neither a path, a URL nor base64.

    Example:
        >>> part = image_part({"path": "https://example.com/cat.jpg"}, location="x.parquet#0/image")
        >>> part.source, part.mime_type, part.is_remote
        ('https://example.com/cat.jpg', 'image/jpeg', True)
    """
    if isinstance(value, Mapping):
        raw = value.get("bytes")
        if isinstance(raw, SpooledBytes) or (isinstance(raw, (bytes, bytearray)) and raw):
            return _spooled(raw if isinstance(raw, SpooledBytes) else bytes(raw), location, detail)
        path = value.get("path")
        if isinstance(path, str) and path:
            return _from_text(path, location, base_dir, detail)
        url = value.get("url") or value.get("image_url")
        if isinstance(url, Mapping):
            url = url.get("url")
        if isinstance(url, str) and url:
            return _from_text(url, location, base_dir, detail)
        raise UserError(f"{location}: no image in this cell (expected bytes, a path or a URL, got {_shape(value)})")
    if isinstance(value, SpooledBytes):
        return _spooled(value, location, detail)
    if isinstance(value, (bytes, bytearray)):
        if not value:
            raise UserError(f"{location}: the image cell is empty")
        return _spooled(bytes(value), location, detail)
    if isinstance(value, str) and value.strip():
        return _from_text(value.strip(), location, base_dir, detail)
    if hasattr(value, "save") and hasattr(value, "size"):  # a PIL image, from a dataset read with decoding on
        return _spooled(_png_bytes(value), location, detail)
    raise UserError(f"{location}: no image in this cell (got {_shape(value)})")


def collect_images(
    record: Mapping[str, Any], *, location: str, base_dir: Path | None = None, detail: Detail | None = None
) -> dict[int, ImagePart]:
    """Every image of a record by its 1-based number: ``image_1`` ... ``image_100``, else an ``images`` list.

    Cells that are None or empty are skipped, so their placeholders stay unresolved (and are
    dropped with a warning by :func:`interleave`), as EvalScope does for sparse columns. A lone
    ``image`` column counts as image 1.
    """
    found: dict[int, ImagePart] = {}
    for number in range(1, MAX_IMAGES + 1):
        value = record.get(f"image_{number}")
        if value is not None and value != "":
            found[number] = image_part(value, location=f"{location}/image_{number}", base_dir=base_dir, detail=detail)
    if found:
        return found
    listed = record.get("images")
    if isinstance(listed, (list, tuple)):
        for i, value in enumerate(listed):
            if value is not None and value != "":
                found[i + 1] = image_part(value, location=f"{location}/images[{i}]", base_dir=base_dir, detail=detail)
    elif record.get("image") not in (None, ""):
        found[1] = image_part(record["image"], location=f"{location}/image", base_dir=base_dir, detail=detail)
    return found


def interleave(text: str, images: Mapping[int, ImagePart]) -> list[ContentPart]:
    """The content parts of ``text`` with each ``<image n>`` replaced by image ``n``.

    Text around placeholders is kept as it is (a blank-only segment is dropped). A placeholder
    without its image is dropped with one warning per number. Without any placeholder the images
    come first, in number order, then the text: the layout vision-language chat templates expect.

    Example:
        >>> a = ImagePart(source="a.png", sha256="a" * 64)
        >>> [p.type for p in interleave("Compare <image 1> with <image 2>", {1: a})]
        ['text', 'image', 'text']
    """
    parts: list[ContentPart] = []
    last = 0
    matched = False
    for match in IMAGE_PLACEHOLDER.finditer(text):
        matched = True
        before = text[last : match.start()]
        if before.strip():
            parts.append(TextPart(text=before))
        number = int(match.group(1))
        if number in images:
            parts.append(images[number])
        else:
            _warn_once(f"<image {number}>", f"no image supplied for <image {number}>; the placeholder is dropped")
        last = match.end()
    if not matched:
        return [*(images[n] for n in sorted(images)), TextPart(text=text)]
    rest = text[last:]
    if rest.strip():
        parts.append(TextPart(text=rest))
    return parts


def _from_text(text: str, location: str, base_dir: Path | None, detail: Detail | None) -> ImagePart:
    if text.startswith(("http://", "https://")):
        return ImagePart(source=text, detail=detail)
    if text.startswith("data:"):
        header, _, payload = text.partition(",")
        if ";base64" not in header:
            raise UserError(f"{location}: a data: URL image must be base64 ({header[:40]}...)")
        return _spooled(_decode(payload, location), location, detail)
    given = Path(text).expanduser()
    # Relative paths: the data file's folder first, then the working directory (EvalScope's examples
    # name images relative to where the run starts).
    candidates = [given] if given.is_absolute() else [*([base_dir / given] if base_dir else []), given]
    for path in candidates:
        if path.is_file():
            return ImagePart(source=str(path.resolve()), detail=detail)
    if len(text) > 256 and _BASE64.match(text[:4096]):  # bare base64, as EvalScope's custom formats allow
        return _spooled(_decode(text, location), location, detail)
    tried = " or ".join(str(path) for path in candidates)
    raise UserError(f"{location}: image file not found: {tried} (relative paths start at the data file's folder)")


def _decode(payload: str, location: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise UserError(f"{location}: the image is not valid base64: {exc}") from None


def _spooled(raw: bytes | SpooledBytes, location: str, detail: Detail | None) -> ImagePart:
    """A part whose bytes are read back from the spool file named by their hash."""
    handle = raw if isinstance(raw, SpooledBytes) else spool(raw)
    return ImagePart(source=location, sha256=handle.sha256, cache_path=handle.path, detail=detail)


def _png_bytes(image: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _shape(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(map(str, value))}"
    return type(value).__name__


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message)


class ImagesInPrompt:
    """Adapter mixin: a sample's images (``metadata["images"]``, number -> part) go into its user message.

    Put it before the adapter base (``class MMMU(ImagesInPrompt, MultipleChoiceAdapter)``); the
    filled-in prompt is cut at its ``<image n>`` placeholders by :func:`interleave`.
    """

    def user_content(self, sample: Sample, prompt: str) -> str | list[ContentPart]:
        images: Mapping[int, ImagePart] = sample.metadata.get("images") or {}
        return interleave(prompt, images) if images else prompt
