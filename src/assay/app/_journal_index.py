"""A compact index of one JSONL journal, built by one streaming pass and extended as the file grows.

A 100k-sample run has journals of hundreds of MB; the viewer never holds one in memory. One pass
keeps, per line, its byte offset and length plus the few small fields that filters need (status,
headline value, truncated, extraction failed, subset, hashes of the key and of
``(subset, sample_id, repeat)``), in ``array`` columns: about 40 bytes a line. A page then reads
its 50 lines by offset.

Journals are append-only while a run writes them (see ``assay.engine.journal``), so a file that
grew is indexed from where the last pass stopped; a last line without its newline is still being
written and is left for the next pass. A file that shrank (the engine cuts a torn last line on
resume) or was replaced (another inode, or other first bytes: a new run unlinks and rewrites its
journals, and the new file may get the old inode number) is indexed again from the start.

Hashes are Python's ``hash`` of the strings: 64 bits, compared in memory only (the index is never
written to disk), and every lookup by key checks the record's real key.
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "ERRORED",
    "EXCLUDED",
    "SCORED",
    "PredictionFileIndex",
    "ReviewFileIndex",
    "as_dict",
    "match_hash",
    "read_record_at",
]

SCORED, EXCLUDED, ERRORED = 0, 1, 2
STATUS_NAMES = ("scored", "excluded", "errored")
_STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES)}

TRUNCATED = 1
EXTRACTION_FAILED = 2

_KEY_PREFIX = b'{"key":"'
#: How much of a journal's first line identifies the file between two refreshes.
_HEAD_BYTES = 256


def match_hash(subset: object, sample_id: object, repeat: object) -> int:
    """The identity under which two runs' samples are compared: ``(subset, sample_id, repeat)``."""
    return hash((str(subset), str(sample_id), str(repeat)))


class _FileIndex:
    """Offsets and lengths of a journal's complete lines, and how far the file has been read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reset()

    def _reset(self) -> None:
        self.scanned = 0
        self.inode = -1
        self.head = b""
        self.offset = array("q")
        self.length = array("q")
        self.key_hash = array("q")
        self._clear_columns()

    def _clear_columns(self) -> None:
        """Subclasses empty their own columns here."""

    def __len__(self) -> int:
        return len(self.offset)

    def refresh(self) -> bool:
        """Index what was appended since the last call; True when the rows changed."""
        try:
            stat = os.stat(self.path)
        except OSError:
            changed = len(self) > 0
            self._reset()
            return changed
        rebuilt = stat.st_ino != self.inode or stat.st_size < self.scanned or not self._same_head()
        if rebuilt:
            had_rows = len(self) > 0
            self._reset()
            self.inode = stat.st_ino
            if stat.st_size == 0:
                return had_rows
        if stat.st_size == self.scanned:
            return rebuilt
        before = len(self)
        for offset, line in self._complete_lines():
            if offset == 0:
                self.head = line[:_HEAD_BYTES]
            self._add_line(offset, line)
        return rebuilt or len(self) != before

    def _same_head(self) -> bool:
        """Whether the file still starts with the bytes indexed first (cheap: one small read)."""
        if not self.head:
            return True
        try:
            with self.path.open("rb") as handle:
                return handle.read(len(self.head)) == self.head
        except OSError:
            return False

    def _complete_lines(self) -> Iterator[tuple[int, bytes]]:
        """``(offset, line)`` of each newline-terminated line after ``scanned``; advances ``scanned``."""
        with self.path.open("rb") as handle:
            handle.seek(self.scanned)
            position = self.scanned
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # being written right now: read it on the next refresh
                yield position, line
                position += len(line)
                self.scanned = position

    def _add_line(self, offset: int, line: bytes) -> None:
        raise NotImplementedError

    def read(self, row: int) -> dict[str, Any] | None:
        """The record on line ``row`` (None if it no longer parses, e.g. the file was replaced)."""
        with self.path.open("rb") as handle:
            return read_record_at(handle, self.offset[row], self.length[row])


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a record written by another tool may lack fields)."""
    return value if isinstance(value, dict) else {}


def read_record_at(handle: Any, offset: int, length: int) -> dict[str, Any] | None:
    """The JSON object at ``offset`` of an open journal; None when the bytes there do not parse."""
    handle.seek(offset)
    try:
        record = orjson.loads(handle.read(length))
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


class PredictionFileIndex(_FileIndex):
    """Where each prediction record is, by key: predictions are only read for search and detail."""

    def _add_line(self, offset: int, line: bytes) -> None:
        key = _fast_key(line)
        if key is None:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                return  # a broken line in the middle: the engine would stop there; the viewer skips it
            key = record.get("key") if isinstance(record, dict) else None
            if not isinstance(key, str):
                return
        self.offset.append(offset)
        self.length.append(len(line))
        self.key_hash.append(hash(key))


def _fast_key(line: bytes) -> str | None:
    """The key of a line the engine wrote (orjson puts ``key`` first), without parsing the whole line.

    Prediction lines hold whole prompts; reading only the key makes indexing them about 3x faster.
    Anything unusual (another writer, an escaped character in the key) returns None: parse it fully.
    """
    if not line.startswith(_KEY_PREFIX):
        return None
    end = line.find(b'"', len(_KEY_PREFIX))
    raw = line[len(_KEY_PREFIX) : end]
    if end < 0 or b"\\" in raw:
        return None
    return raw.decode("utf-8", errors="strict")


class ReviewFileIndex(_FileIndex):
    """Reviews, with the fields every filter needs; see the module docstring.

    Args:
        path: The ``reviews/<model>/<bench>_<subset>.jsonl`` file.
        subset_code: Maps a subset name to a small number shared by the benchmark's files.
        headline: Picks, from a record's ``score.value``, the metric that decides correct / wrong;
            the benchmark fixes its choice on the first scored record it sees.
    """

    def __init__(
        self, path: Path, subset_code: Callable[[str], int], headline: Callable[[dict[str, Any]], float]
    ) -> None:
        self._subset_code = subset_code
        self._headline = headline
        super().__init__(path)

    def _clear_columns(self) -> None:
        self.status = array("b")
        self.value = array("f")
        self.flags = array("B")
        self.subset = array("H")
        self.match_hash = array("q")

    def _add_line(self, offset: int, line: bytes) -> None:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            return
        score = as_dict(record.get("score"))
        status = _STATUS_CODES.get(str(score.get("status", "scored")), SCORED)
        value = score.get("value")
        flags = TRUNCATED if score.get("truncated") else 0
        if status == SCORED and score.get("extracted") in (None, ""):
            flags |= EXTRACTION_FAILED
        subset = str(record.get("subset", ""))
        self.offset.append(offset)
        self.length.append(len(line))
        self.key_hash.append(hash(record["key"]))
        self.status.append(status)
        self.value.append(self._headline(value) if status == SCORED and isinstance(value, dict) else math.nan)
        self.flags.append(flags)
        self.subset.append(self._subset_code(subset))
        self.match_hash.append(match_hash(subset, record.get("sample_id", record["key"]), record.get("repeat", 0)))
