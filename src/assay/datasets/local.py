"""Read dataset records from local files: JSONL, JSON, CSV, TSV and Parquet.

Benchmarks read both their upstream release layout (``mmlu/test/anatomy_test.csv`` without a
header, ``ARC-Challenge/ARC-Challenge-Test.jsonl``) and the layouts people get from the Hugging
Face hub or write by hand (``<subset>/<split>.jsonl``, ``<subset>_<split>.csv``). This module only
knows files; which file holds which subset and split is decided by :func:`hf_style_candidates` and
by each benchmark.

Every problem a user can fix (missing file, malformed line, unknown format) raises
:class:`~assay.errors.UserError` with the path in the message.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.datasets.spool import spool_cells
from assay.errors import UserError

#: File formats we read, in the order a directory is searched when several exist.
SUPPORTED_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".csv", ".tsv", ".parquet")

Record = dict[str, Any]


def read_records(path: Path, *, fieldnames: Sequence[str] | None = None) -> list[Record]:
    """Read every record of one file, in file order.

    Args:
        path: A ``.jsonl``, ``.json``, ``.csv``, ``.tsv`` or ``.parquet`` file.
        fieldnames: Column names for a CSV/TSV file *without* a header row (upstream MMLU); when
            None the first row is the header. Ignored for the other formats.

    Returns:
        One dict per record. CSV values are strings, as in the file.

    Raises:
        UserError: The file is missing, has an unsupported suffix or cannot be parsed.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = p.write_text("1+1?,2\\n")
        >>> read_records(p, fieldnames=["question", "answer"])
        [{'question': '1+1?', 'answer': '2'}]
    """
    if not path.is_file():
        raise UserError(f"dataset file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix in (".csv", ".tsv"):
        return _read_delimited(path, delimiter="," if suffix == ".csv" else "\t", fieldnames=fieldnames)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise UserError(f"unsupported dataset file format {suffix!r}: {path} (supported: {', '.join(SUPPORTED_SUFFIXES)})")


def hf_style_candidates(root: Path, subset: str, split: str, *, allow_split_only: bool) -> list[Path]:
    """Files that may hold ``subset``/``split`` under ``root``, most specific first.

    The patterns are the ones a Hugging Face snapshot or a hand-made folder uses:
    ``<root>/<subset>/<split>.<ext>``, ``<root>/<subset>/<split>-00000-of-00001.parquet`` (hub
    shards), ``<root>/<subset>_<split>.<ext>`` (EvalScope's local format) and, when
    ``allow_split_only``, ``<root>/<split>.<ext>``. The last one would give every subset the same
    file, so callers allow it only for a benchmark with a single subset.

    Sharded hub files are returned as their first shard; :func:`read_split_files` reads the rest.
    """
    candidates: list[Path] = []
    for suffix in SUPPORTED_SUFFIXES:
        candidates.append(root / subset / f"{split}{suffix}")
    shards = sorted((root / subset).glob(f"{split}-*.parquet")) if (root / subset).is_dir() else []
    candidates.extend(shards[:1])
    for suffix in SUPPORTED_SUFFIXES:
        candidates.append(root / f"{subset}_{split}{suffix}")
    if allow_split_only:
        for suffix in SUPPORTED_SUFFIXES:
            candidates.append(root / f"{split}{suffix}")
        shards = sorted(root.glob(f"{split}-*.parquet")) if root.is_dir() else []
        candidates.extend(shards[:1])
    return candidates


def read_split_files(path: Path, *, fieldnames: Sequence[str] | None = None) -> list[Record]:
    """Read ``path``, or all shards of it when it is one of ``<split>-NNNNN-of-MMMMM.parquet``."""
    if path.suffix == ".parquet" and "-of-" in path.stem:
        prefix = path.stem.split("-", 1)[0]
        shards = sorted(path.parent.glob(f"{prefix}-*-of-*.parquet"))
        return [record for shard in shards for record in read_records(shard)]
    return read_records(path, fieldnames=fieldnames)


def _read_jsonl(path: Path) -> list[Record]:
    records: list[Record] = []
    # utf-8-sig: files saved by Windows tools start with a BOM that would break the first line.
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if not stripped:
                continue
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}:{line_number} is not valid JSON ({exc.msg})") from exc
            if not isinstance(value, dict):
                raise UserError(f"{path}:{line_number} must be a JSON object per line, got {type(value).__name__}")
            records.append(value)
    return records


def _read_json(path: Path) -> list[Record]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        # The hub's JSON loader accepts JSON Lines saved as .json; so do we.
        return _read_jsonl(path)
    if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), list):
        value = next(iter(value.values()))  # {"data": [...]}, a common wrapper
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UserError(f"{path} must hold a JSON list of objects (one per record)")
    return list(value)


def _read_delimited(path: Path, *, delimiter: str, fieldnames: Sequence[str] | None) -> list[Record]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, fieldnames=list(fieldnames) if fieldnames else None, delimiter=delimiter)
            return [dict(row) for row in reader]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc


def _read_parquet(path: Path) -> list[Record]:
    """Rows a row group at a time, image cells spooled to disk as they come (see
    :mod:`assay.datasets.spool`), so a split of thousands of images never sits in memory.

    Row groups rather than ``iter_batches``: measured on 500 and 1,500 images of 70 KB, reading
    row groups kept the reader's memory at +12 MB for both, ``iter_batches`` grew it by 85 and
    156 MB (its read-ahead buffers are not given back).
    """
    import pyarrow.parquet as pq  # heavy; only when a parquet file is actually read

    rows: list[Record] = []
    try:
        parquet = pq.ParquetFile(path)
        for group in range(parquet.metadata.num_row_groups):
            rows.extend(spool_cells(row) for row in parquet.read_row_group(group).to_pylist())
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise UserError(f"cannot read parquet file {path}: {exc}") from exc
    return rows
