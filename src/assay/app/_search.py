"""Full-text search over a benchmark's samples, streaming the journals with bounded memory.

A sample matches when the query, case-insensitively, is part of its prompt (the text of its input
messages, from the predictions journal), its prediction, its extracted answer or its target (from
the reviews journal). Journals are read line by line; a cheap test on the raw JSON line (the query
JSON-escaped, lower-cased) skips most lines, and only lines that pass are parsed and checked field by
field, so a query that appears only in a field name (``content``) does not match. Results are cached
per table version, so paging through a result set reads the journals once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from assay.app._benchmark import BenchmarkSamples, SampleTable
from assay.app._journal_index import as_dict

__all__ = ["prompt_text", "search_mask"]


def search_mask(bench: BenchmarkSamples, table: SampleTable, query: str) -> npt.NDArray[np.bool_]:
    """Which rows of ``table`` match ``query`` (see the module docstring)."""
    needle = query.lower()
    cache_key = (table.version, needle)
    cached = bench.search_cache.get(cache_key)
    if cached is not None:
        return cached
    raw_test = _raw_line_test(needle)
    mask = np.zeros(len(table), dtype=bool)
    for index, path in enumerate(table.paths):
        rows = np.flatnonzero(table.file == index)
        if not len(rows):
            continue
        end = int((table.offset[rows] + table.length[rows]).max())
        hits = [offset for offset, record in _matching_lines(path, end, raw_test) if _review_matches(record, needle)]
        mask[rows] |= np.isin(table.offset[rows], np.array(hits, dtype=np.int64))
    predictions = bench.predictions()
    prompt_hits: list[int] = []
    for index, path in enumerate(predictions.paths):
        rows = np.flatnonzero(predictions.file == index)
        if not len(rows):
            continue
        end = int((predictions.offset[rows] + predictions.length[rows]).max())
        for _, record in _matching_lines(path, end, raw_test):
            if needle in prompt_text(record.get("input")).lower() and isinstance(record.get("key"), str):
                prompt_hits.append(hash(record["key"]))
    mask |= np.isin(table.key_hash, np.array(prompt_hits, dtype=np.int64))
    bench.search_cache.put(cache_key, mask)
    return mask


def _raw_line_test(needle: str) -> Callable[[bytes], bool]:
    """A test on a raw journal line that every line with a matching field passes.

    Fields are JSON-escaped in the line (a newline is ``\\n``), so the needle is escaped the same way.
    ``bytes.lower`` folds ASCII only, which is enough for an ASCII needle; any other needle is
    compared on the decoded, lower-cased line.
    """
    escaped = orjson.dumps(needle)[1:-1].lower()
    if needle.isascii():
        return lambda line: escaped in line.lower()
    text = escaped.decode("utf-8")
    return lambda line: text in line.decode("utf-8", errors="replace").lower()


def _matching_lines(path: Path, end: int, raw_test: Callable[[bytes], bool]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(offset, record)`` of the lines before byte ``end`` that pass ``raw_test`` and parse."""
    try:
        handle = path.open("rb")
    except OSError:
        return
    with handle:
        position = 0
        for line in handle:
            if position >= end:
                break
            if raw_test(line):
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    record = None
                if isinstance(record, dict):
                    yield position, record
            position += len(line)


def _review_matches(record: dict[str, Any], needle: str) -> bool:
    score = as_dict(record.get("score"))
    fields = (record.get("prediction"), score.get("extracted"), record.get("target"))
    return any(needle in _text(field).lower() for field in fields)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return str(value)


def prompt_text(messages: Any) -> str:
    """The text a model was shown: each message's content (text parts of multimodal content) joined.

    Example:
        >>> prompt_text([{"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "image_url"}]}])
        'Hi'
    """
    if isinstance(messages, str):
        return messages
    if not isinstance(messages, list):
        return ""
    parts: list[str] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else message
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text")) for p in content if isinstance(p, dict) and p.get("text") is not None)
    return "\n".join(parts)
