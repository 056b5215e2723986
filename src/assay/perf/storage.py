"""``benchmark_data.db``: the raw request records of one run, in SQLite, losslessly.

Every metric is recomputable from this file (parse each record with the run's API plugin, then
``compute_run_metrics``), so the numbers in ``benchmark_summary.json`` can always be checked.

Layout, chosen so a 100k-request run writes in about a second and stays small:

* ``records``: one row per request. The chunk arrival times are one BLOB of little-endian int64
  deltas (first chunk minus ``start_ns``, then each chunk minus the previous one), the chunk sizes a
  BLOB of little-endian int32, and the chunk bytes one BLOB of them all joined, so a request costs
  three column values however many chunks it had.
* ``prompts``: each distinct prompt once (a dataset is cycled, so most runs repeat prompts), keyed
  by a 16-byte BLAKE2b digest; a record points at its prompt by that digest.
* ``meta``: key/value JSON; ``args`` holds the run's arguments with every secret masked.

Schema 2 added ``records.request_bytes`` and ``records.images`` (the body size and image count of
each request); schema 3 added ``records.body_write_retries`` (a request sent again because its body
could not be written to a connection the server had closed). An older file gains the columns it
lacks, zero for its old rows, when opened.

Example:
    >>> import tempfile, pathlib
    >>> store = RecordStore(pathlib.Path(tempfile.mkdtemp()) / "benchmark_data.db")
    >>> store.write([RequestRecord(1, 0, None, start_ns=10, end_ns=30, chunk_ns=[20, 30], chunks=[b"a", b"bc"])])
    >>> store.read()[0].chunk_ns
    [20, 30]
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assay.perf._records import Outcome, RequestRecord
from assay.secrets import mask_secrets
from assay.secrets import mask_url as mask_url  # re-exported: perf's name for the shared URL rule

SCHEMA_VERSION = 3
_BIG_ENDIAN = sys.byteorder == "big"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prompts (digest BLOB PRIMARY KEY, text TEXT, token_ids BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    request_id INTEGER NOT NULL,
    worker INTEGER NOT NULL,
    intended_ns INTEGER,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    error TEXT,
    stream INTEGER NOT NULL,
    prompt_digest BLOB NOT NULL REFERENCES prompts(digest),
    prompt_tokens_expected INTEGER,
    wall_offset_ns INTEGER NOT NULL,
    warmup INTEGER NOT NULL,
    chunk_deltas_ns BLOB NOT NULL,
    chunk_sizes BLOB NOT NULL,
    chunk_bytes BLOB NOT NULL,
    request_bytes INTEGER NOT NULL DEFAULT 0,
    images INTEGER NOT NULL DEFAULT 0,
    body_write_retries INTEGER NOT NULL DEFAULT 0
);
"""
#: Columns added after schema 1, with their definitions, for files written before them.
_ADDED_COLUMNS = {
    "request_bytes": "INTEGER NOT NULL DEFAULT 0",
    "images": "INTEGER NOT NULL DEFAULT 0",
    "body_write_retries": "INTEGER NOT NULL DEFAULT 0",
}
_COLUMNS = (
    "request_id, worker, intended_ns, start_ns, end_ns, status, outcome, error, stream, prompt_digest,"
    " prompt_tokens_expected, wall_offset_ns, warmup, chunk_deltas_ns, chunk_sizes, chunk_bytes,"
    " request_bytes, images, body_write_retries"
)
_COLUMN_COUNT = _COLUMNS.count(",") + 1


def _pack(typecode: str, values: Iterable[int]) -> bytes:
    """Little-endian packed integers (``q``: int64, ``i``: int32), the same bytes on every machine."""
    packed = array(typecode, values)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, blob: bytes) -> list[int]:
    packed = array(typecode)
    packed.frombytes(blob)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tolist()


def _prompt_digest(prompt: str | list[int]) -> bytes:
    """Content key of a prompt; the leading tag keeps text and token ids apart."""
    if isinstance(prompt, str):
        return hashlib.blake2b(b"t" + prompt.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return hashlib.blake2b(b"i" + _pack("q", prompt), digest_size=16).digest()


def _record_row(record: RequestRecord, digest: bytes) -> tuple[Any, ...]:
    times = record.chunk_ns
    deltas = [times[0] - record.start_ns, *(b - a for a, b in pairwise(times))] if times else []
    return (
        record.request_id,
        record.worker,
        record.intended_ns,
        record.start_ns,
        record.end_ns,
        record.status,
        record.outcome.value,
        record.error,
        int(record.stream),
        digest,
        record.prompt_tokens_expected,
        record.wall_offset_ns,
        int(record.warmup),
        _pack("q", deltas),
        _pack("i", map(len, record.chunks)),
        b"".join(record.chunks),
        record.request_bytes,
        record.images,
        record.body_write_retries,
    )


def _split_chunks(body: bytes, sizes: list[int]) -> list[bytes]:
    offsets = [0, *accumulate(sizes)]
    return [body[start:end] for start, end in pairwise(offsets)]


def _row_record(row: tuple[Any, ...], prompts: Mapping[bytes, str | list[int]]) -> RequestRecord:
    (rid, worker, intended, start, end, status, outcome, error, stream, digest) = row[:10]
    (expected, wall_offset, warmup, deltas, sizes, body, request_bytes, images, retries) = row[10:]
    return RequestRecord(
        request_id=rid,
        worker=worker,
        intended_ns=intended,
        start_ns=start,
        end_ns=end,
        chunk_ns=list(accumulate(_unpack("q", deltas), initial=start))[1:],
        chunks=_split_chunks(body, _unpack("i", sizes)),
        status=status,
        outcome=Outcome(outcome),
        error=error,
        stream=bool(stream),
        prompt=prompts[digest],
        prompt_tokens_expected=expected,
        wall_offset_ns=wall_offset,
        warmup=bool(warmup),
        request_bytes=request_bytes,
        images=images,
        body_write_retries=retries,
    )


def masked_args(args: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """The run's arguments as JSON-able data: API key, secret headers and URL credentials masked."""
    raw = args.model_dump(mode="json") if isinstance(args, BaseModel) else dict(args)
    masked: dict[str, Any] = mask_secrets(raw)  # the rule of assay.secrets, which eval uses too
    return masked


class RecordStore:
    """The SQLite file of one run's raw records and arguments.

    Each ``write`` is one transaction, so a run interrupted between writes leaves every earlier
    batch intact; records read back equal the records written, field for field.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._known_prompts: set[bytes] = set()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)
            present = {row[1] for row in con.execute("PRAGMA table_info(records)")}
            for column, definition in _ADDED_COLUMNS.items():
                if column not in present:
                    con.execute(f"ALTER TABLE records ADD COLUMN {column} {definition}")
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose ``with`` block is one transaction (committed, or rolled back on error)."""
        with closing(sqlite3.connect(self.path)) as con:
            con.execute("PRAGMA synchronous=NORMAL")
            with con:
                yield con

    def write(self, records: Iterable[RequestRecord]) -> None:
        """Append records (warmup ones too, flagged) in one transaction."""
        rows: list[tuple[Any, ...]] = []
        new_prompts: dict[bytes, str | list[int]] = {}
        for record in records:
            digest = _prompt_digest(record.prompt)
            if digest not in self._known_prompts:
                new_prompts[digest] = record.prompt
            rows.append(_record_row(record, digest))
        prompt_rows = [
            (digest, p if isinstance(p, str) else None, None if isinstance(p, str) else _pack("q", p))
            for digest, p in new_prompts.items()
        ]
        with self._connect() as con:
            con.executemany("INSERT OR IGNORE INTO prompts VALUES (?, ?, ?)", prompt_rows)
            con.executemany(f"INSERT INTO records ({_COLUMNS}) VALUES ({', '.join('?' * _COLUMN_COUNT)})", rows)
        self._known_prompts.update(new_prompts)

    def read(self) -> list[RequestRecord]:
        """Every record, in the order written."""
        with self._connect() as con:
            prompts: dict[bytes, str | list[int]] = {
                digest: text if ids is None else _unpack("q", ids)
                for digest, text, ids in con.execute("SELECT digest, text, token_ids FROM prompts")
            }
            rows = con.execute(f"SELECT {_COLUMNS} FROM records ORDER BY rowid").fetchall()
        return [_row_record(row, prompts) for row in rows]

    def count(self) -> int:
        """Number of records stored (warmup included)."""
        with self._connect() as con:
            (n,) = con.execute("SELECT COUNT(*) FROM records").fetchone()
        return int(n)

    def write_meta(self, args: BaseModel | Mapping[str, Any], **extra: Any) -> None:
        """Store the run's arguments (secrets masked) and any extra JSON-able entries, by key."""
        entries = {"args": masked_args(args), **{k: mask_secrets(v) for k, v in extra.items()}}
        with self._connect() as con:
            con.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(key, json.dumps(value, ensure_ascii=False)) for key, value in entries.items()],
            )

    def read_meta(self) -> dict[str, Any]:
        """Every meta entry, JSON-decoded (``schema_version`` included)."""
        with self._connect() as con:
            return {key: json.loads(value) for key, value in con.execute("SELECT key, value FROM meta")}
