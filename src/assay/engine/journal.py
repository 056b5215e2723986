"""Append-only JSONL journals: the run's output files and its resume cache at once.

Each finished prediction or review is appended as one line and handed to the OS immediately, so a
run killed at any moment (even SIGKILL) loses at most the line being written. On reading, a torn last
line (no newline, or not valid JSON) is dropped *and cut off the file*, so appending after it cannot
glue a new record onto a broken one.

A write the file system refuses (disk full, quota, read-only, file too large) or cuts short leaves
no half line either: the file is truncated back to where the record began and the run stops with a
:class:`~assay.errors.UserError` naming the file, the reason and the resume. One writer per file is
what makes "where the record began" exact: the output folder's lock (:mod:`assay.engine.worklock`)
guarantees it.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from assay.errors import STORAGE_ERRNOS, UserError


class Journal:
    """One JSONL file of records keyed by ``record["key"]``.

    Example:
        >>> import tempfile, pathlib
        >>> j = Journal(pathlib.Path(tempfile.mkdtemp()) / "p.jsonl")
        >>> j.append({"key": "s1#0", "text": "hi"})
        >>> Journal(j.path).load()["s1#0"]["text"]
        'hi'
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def load(self) -> dict[str, dict[str, Any]]:
        """Read every complete record; the last record for a key wins (a retried sample)."""
        records: dict[str, dict[str, Any]] = {}
        for record in self._read_and_repair():
            key = record.get("key")
            if isinstance(key, str):
                records[key] = record
        return records

    def _read_and_repair(self) -> Iterator[dict[str, Any]]:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        good_end = 0
        pos = 0
        while pos < len(data):
            newline = data.find(b"\n", pos)
            if newline == -1:
                break  # torn last line: no newline
            line = data[pos:newline]
            try:
                record = orjson.loads(line) if line.strip() else None
            except orjson.JSONDecodeError:
                break  # a torn write can only be the last line; stop trusting the file here
            if isinstance(record, dict):
                yield record
            pos = good_end = newline + 1
        if good_end < len(data):
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and hand it to the OS (one ``write`` call, so lines never interleave)."""
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        data = orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        start = os.fstat(self._fd).st_size
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a short write: the file system is full, or nearly
                more = os.write(self._fd, data[written:])
                if more == 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += more
        except OSError as error:
            if error.errno not in STORAGE_ERRNOS:
                raise
            self._cut_back(start)
            raise UserError(
                f"cannot write {self.path}: {error.strerror or error}; no partial record was kept. "
                "Free space (or make the folder writable) and resume with --use-cache on this run's output folder"
            ) from None

    def _cut_back(self, size: int) -> None:
        """Truncate the file to ``size`` bytes (best effort: a failed write of a line is never kept)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)

    def close(self) -> None:
        """Close the file; later appends reopen it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
