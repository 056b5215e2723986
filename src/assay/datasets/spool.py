"""Large binary cells of a dataset (images in parquet files) moved to disk as records are read.

A vision-language split holds its images inside the records: Hugging Face ``Image`` columns are
``{"bytes", "path"}`` structs, a DocVQA split is gigabytes of them. Read naively, every image of a
split sits in memory for the whole run. Instead, readers pass each record through
:func:`spool_cells` as it is read, a batch at a time: every such ``bytes`` value is written once to a
content-addressed file, ``$ASSAY_CACHE_DIR/spool/<sha256>`` (default ``~/.cache/assay``), and
replaced by a :class:`SpooledBytes` handle (path, hash, size). Peak memory is then one batch of
records, whatever the split's size; benchmark code reads a handle's bytes when a request needs them
(``assay.benchmarks._vision.image_part`` accepts handles where it accepts bytes).

The spool is shared by runs and processes: a file is written under a temporary name and renamed,
and an existing file is never written again, so the same image is stored once.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SPOOL_MIN_BYTES", "SpooledBytes", "spool", "spool_cells", "spool_dir"]

#: Bare ``bytes`` cells at least this large are spooled too (binary image columns without a struct).
SPOOL_MIN_BYTES = 1024

_lock = threading.Lock()


@dataclass(frozen=True)
class SpooledBytes:
    """Bytes that live in a spool file: where, their SHA-256 and their length."""

    path: str
    sha256: str
    size: int

    def read(self) -> bytes:
        """The bytes (from disk)."""
        return Path(self.path).read_bytes()


def spool_dir() -> Path:
    """``$ASSAY_CACHE_DIR/spool``, default ``~/.cache/assay/spool``."""
    configured = os.environ.get("ASSAY_CACHE_DIR")
    return (Path(configured) if configured else Path.home() / ".cache" / "assay") / "spool"


def spool(raw: bytes) -> SpooledBytes:
    """Write ``raw`` to the spool (once per distinct content) and return its handle."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = spool_dir()
    path = folder / digest
    if not path.exists():
        with _lock:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / f".{digest}.{os.getpid()}.{threading.get_ident()}.tmp"
            temporary.write_bytes(raw)
            os.replace(temporary, path)
    return SpooledBytes(str(path), digest, len(raw))


def spool_cells(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its media bytes spooled: ``{"bytes": ...}`` structs (alone or in a list) and
    bare ``bytes`` values of :data:`SPOOL_MIN_BYTES` or more. Other values are left as they are.

    Example:
        >>> spool_cells({"question": "Hi", "answer": "A"})
        {'question': 'Hi', 'answer': 'A'}
    """
    return {key: _spooled_value(value) for key, value in record.items()}


def _spooled_value(value: Any) -> Any:
    if isinstance(value, dict):
        raw = value.get("bytes")
        if isinstance(raw, (bytes, bytearray)) and raw:
            return {**value, "bytes": spool(bytes(raw))}
        return value
    if isinstance(value, (bytes, bytearray)) and len(value) >= SPOOL_MIN_BYTES:
        return spool(bytes(value))
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_spooled_value(item) for item in value]
    return value
