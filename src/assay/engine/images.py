"""A copy of each image a run sent, kept once under ``<out>/images/`` so the prompt can be shown as sent.

Journals hold images as references (``source`` and ``sha256``, see :class:`assay.types.ImagePart`),
which keeps them small, but a reference is not enough to look at later: the source may be a row
of a parquet file in a hub cache, a temporary file, or bytes a dataset built in memory. So the run
keeps each distinct image once, named by its SHA-256 (``images/<sha256>.<ext>``), and the viewer
(``assay app``) shows it beside the messages.

``keep_images`` picks how much is kept:

* ``thumbnail`` (the default): images longer than :data:`THUMBNAIL_SIDE` pixels on a side are
  scaled down (PNG when they have transparency or few colours, else JPEG at quality 85); smaller
  ones are copied as they are. A document page of several MB becomes a few tens of KB. Without
  Pillow installed, images up to :data:`COPY_LIMIT` bytes are copied and larger ones skipped.
* ``original``: the exact bytes sent.
* ``none``: nothing; the viewer shows the reference.

Remote (``http(s)``) images are never fetched: the server fetched them, and the viewer shows the
URL. Writing happens off the event loop (the runner calls :meth:`ImageKeeper.keep` in a thread), a
file is written to a temporary name and renamed, so a viewer never sees half an image, and an image
that cannot be read or decoded is logged and skipped: keeping a copy must never cost a sample.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from assay.types import ChatMessage, ImagePart

__all__ = ["COPY_LIMIT", "EXTENSIONS", "THUMBNAIL_SIDE", "ImageKeeper", "KeepImages"]

logger = logging.getLogger(__name__)

KeepImages = Literal["thumbnail", "original", "none"]

#: Longest side, in pixels, of a kept thumbnail.
THUMBNAIL_SIDE = 768
#: Largest image copied as it is when Pillow is missing and thumbnails cannot be made.
COPY_LIMIT = 2 * 1024 * 1024
#: File extension of each image type a run keeps; the viewer looks for these.
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}


class ImageKeeper:
    """Writes each distinct image of the prompts it is given, once, into ``directory``.

    Thread-safe: several scoring tasks may hand it prompts at once.

    Example:
        >>> import tempfile
        >>> keeper = ImageKeeper(Path(tempfile.mkdtemp()), "original")
        >>> part = ImagePart(source="dot.gif", data=b"GIF89a...")
        >>> keeper.keep([ChatMessage(role="user", content=[part])])
        >>> sorted(p.suffix for p in keeper.directory.iterdir())
        ['.gif']
    """

    def __init__(self, directory: Path, mode: KeepImages) -> None:
        self.directory = directory
        self.mode = mode
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def wanted(self, prompt: Sequence[ChatMessage] | str) -> list[ImagePart]:
        """The images of ``prompt`` not kept yet (cheap: the runner asks before starting a thread)."""
        if self.mode == "none" or isinstance(prompt, str):
            return []
        with self._lock:
            return [
                part
                for message in prompt
                for part in message.images
                if not part.is_remote and part.sha256 not in self._seen
            ]

    def keep(self, prompt: Sequence[ChatMessage] | str) -> None:
        """Write the images of ``prompt`` that are not kept yet; errors are logged, never raised."""
        for part in self.wanted(prompt):
            with self._lock:
                if part.sha256 in self._seen:
                    continue
                self._seen.add(part.sha256)
            try:
                self._write(part)
            except Exception as exc:  # a missing file, a truncated picture, a full disk: the run goes on
                logger.warning("could not keep a copy of image %s (%s): %s", part.source[:200], part.sha256[:12], exc)

    def _write(self, part: ImagePart) -> None:
        if any((self.directory / f"{part.sha256}{ext}").exists() for ext in EXTENSIONS.values()):
            return  # kept by an earlier run into this folder (a resume)
        raw = part.load_bytes()
        if raw is None:
            return
        data, mime = self._encode(raw, part.mime_type)
        if data is None:
            logger.info("image %s not kept: %d bytes and no Pillow to make a thumbnail", part.sha256[:12], len(raw))
            return
        extension = EXTENSIONS.get(mime or "", "")
        if not extension:
            logger.info("image %s not kept: type %s is not one the viewer shows", part.sha256[:12], mime)
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{part.sha256}{extension}"
        temporary = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, final)

    def _encode(self, raw: bytes, mime: str | None) -> tuple[bytes | None, str | None]:
        """The bytes to keep and their type: the original, or a thumbnail when the image is large."""
        if self.mode == "original":
            return raw, mime
        try:
            from PIL import Image
        except ImportError:
            return (raw, mime) if len(raw) <= COPY_LIMIT else (None, mime)
        with Image.open(io.BytesIO(raw)) as image:
            if max(image.size) <= THUMBNAIL_SIDE and mime in EXTENSIONS:
                return raw, mime
            image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))  # JPEG: decode at a reduced scale, much faster
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            return _compress(image)


def _compress(image: object) -> tuple[bytes, str]:
    """PNG for images with transparency or a palette (drawings, charts), JPEG for photographs."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P", "PA", "1") or "transparency" in image.info:
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue(), "image/png"
    (image if image.mode in ("RGB", "L") else image.convert("RGB")).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue(), "image/jpeg"
