"""One benchmark of one run as the viewer sees it: its journals indexed, filtered, paged and joined.

A benchmark's reviews are spread over one journal per subset; :class:`BenchmarkSamples` indexes each
(see :mod:`assay.app._journal_index`) and presents them as one table, a :class:`SampleTable`, in
file order then line order (the order samples finished), with only the last record of each key kept
(a resumed run appends a sample again when it retried it). Tables are immutable snapshots, rebuilt
only when a journal changed, so concurrent requests never see a half-updated index.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.app._journal_index import (
    ERRORED,
    EXCLUDED,
    EXTRACTION_FAILED,
    SCORED,
    STATUS_NAMES,
    TRUNCATED,
    PredictionFileIndex,
    ReviewFileIndex,
    as_dict,
    read_record_at,
)

__all__ = ["STATUS_FILTERS", "BenchmarkSamples", "PredictionTable", "SampleTable", "item_of"]

#: The ``status=`` values of the samples endpoint.
STATUS_FILTERS = ("all", "correct", "wrong", "excluded", "errored", "extraction_failed", "truncated")
#: Characters of the prediction shown in a list item (the detail endpoint has all of it).
PREVIEW_CHARS = 300
#: Search result sets kept per benchmark (each is one byte per sample).
SEARCHES_KEPT = 16

Rows = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SampleTable:
    """The live reviews of a benchmark: one entry per (sample, repeat), as numpy columns."""

    version: int
    paths: list[Path]
    subsets: list[str]
    file: npt.NDArray[np.int64] = field(repr=False)
    offset: npt.NDArray[np.int64] = field(repr=False)
    length: npt.NDArray[np.int64] = field(repr=False)
    status: npt.NDArray[np.int8] = field(repr=False)
    value: npt.NDArray[np.float32] = field(repr=False)
    flags: npt.NDArray[np.uint8] = field(repr=False)
    subset: npt.NDArray[np.uint16] = field(repr=False)
    key_hash: npt.NDArray[np.int64] = field(repr=False)
    match_hash: npt.NDArray[np.int64] = field(repr=False)

    def __len__(self) -> int:
        return len(self.offset)

    def correct(self) -> npt.NDArray[np.bool_]:
        """Scored with a headline value > 0.5: a 1 on a 0/1 metric, a majority on a graded one."""
        with np.errstate(invalid="ignore"):
            mask: npt.NDArray[np.bool_] = (self.status == SCORED) & (self.value > 0.5)
        return mask

    def wrong(self) -> npt.NDArray[np.bool_]:
        """Scored with a headline value <= 0.5 (scored rows without that metric are neither)."""
        with np.errstate(invalid="ignore"):
            mask: npt.NDArray[np.bool_] = (self.status == SCORED) & (self.value <= 0.5)
        return mask

    def status_mask(self, status: str) -> npt.NDArray[np.bool_]:
        """Rows in one of :data:`STATUS_FILTERS`."""
        masks: dict[str, Callable[[], npt.NDArray[np.bool_]]] = {
            "all": lambda: np.ones(len(self), dtype=bool),
            "correct": self.correct,
            "wrong": self.wrong,
            "excluded": lambda: self.status == EXCLUDED,
            "errored": lambda: self.status == ERRORED,
            "extraction_failed": lambda: (self.flags & EXTRACTION_FAILED) != 0,
            "truncated": lambda: (self.flags & TRUNCATED) != 0,
        }
        return masks[status]()

    def counts(self) -> dict[str, int]:
        """How many live rows ended scored, excluded, errored (and in all)."""
        found = np.bincount(self.status, minlength=3)
        return {"total": len(self), "scored": int(found[SCORED]), "excluded": int(found[EXCLUDED]),
                "errored": int(found[ERRORED])}  # fmt: skip

    def records(self, rows: Iterable[int]) -> list[dict[str, Any] | None]:
        """The review records of ``rows``, read by offset (one open file per journal)."""
        handles: dict[int, Any] = {}
        try:
            found = []
            for row in rows:
                index = int(self.file[row])
                if index not in handles:
                    handles[index] = self.paths[index].open("rb")
                found.append(read_record_at(handles[index], int(self.offset[row]), int(self.length[row])))
            return found
        finally:
            for handle in handles.values():
                handle.close()


def item_of(record: dict[str, Any], value: float, status: int) -> dict[str, Any]:
    """A list entry of the samples endpoint, from a review record and its indexed headline value."""
    score = as_dict(record.get("score"))
    prediction = record.get("prediction")
    text = prediction if isinstance(prediction, str) else ("" if prediction is None else str(prediction))
    return {
        "key": record.get("key"),
        "sample_id": record.get("sample_id"),
        "repeat": record.get("repeat"),
        "subset": record.get("subset"),
        "status": STATUS_NAMES[status],
        "correct": None if status != SCORED or math.isnan(value) else bool(value > 0.5),
        "value": score.get("value") or {},
        "extracted": score.get("extracted"),
        "target": record.get("target"),
        "prediction": text[:PREVIEW_CHARS],
        "truncated": bool(score.get("truncated")),
    }


class ResultCache:
    """A small thread-safe cache that forgets its oldest entry when full."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, str], npt.NDArray[np.bool_]] = {}

    def get(self, key: tuple[int, str]) -> npt.NDArray[np.bool_] | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple[int, str], mask: npt.NDArray[np.bool_]) -> None:
        with self._lock:
            while len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = mask

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class PredictionTable:
    """Every prediction line of a benchmark (all records, not only the last per key) by position."""

    paths: list[Path]
    file: npt.NDArray[np.int64] = field(repr=False)
    offset: npt.NDArray[np.int64] = field(repr=False)
    length: npt.NDArray[np.int64] = field(repr=False)
    key_hash: npt.NDArray[np.int64] = field(repr=False)


class BenchmarkSamples:
    """The reviews and predictions of one benchmark of one run, indexed on first use.

    Args:
        name: The benchmark name (``gsm8k``).
        journals: Returns the benchmark's journal files, ``"reviews"`` or ``"predictions"``, now
            (called on every refresh, so a subset started later in a running run shows up).
        preferred_metrics: The report's metric names, headline first (``mean_acc``); empty while
            the run has no report, in which case the first metric of the first scored record rules.
    """

    def __init__(
        self, name: str, journals: Callable[[str], list[Path]], preferred_metrics: Callable[[], list[str]]
    ) -> None:
        self.name = name
        self._journals = journals
        self._preferred = preferred_metrics
        self._lock = threading.Lock()
        self._reviews: dict[Path, ReviewFileIndex] = {}
        self._predictions: dict[Path, PredictionFileIndex] = {}
        self._subsets: dict[str, int] = {}
        self._metric: str | None = None
        self._version = 0
        self._table: SampleTable | None = None
        self._prediction_table: PredictionTable | None = None
        #: Search results by (table version, lower-cased query); see ``assay.app._search``.
        self.search_cache = ResultCache(SEARCHES_KEPT)

    def table(self) -> SampleTable:
        """The current table, after indexing whatever the journals gained since the last call."""
        with self._lock:
            paths = self._journals("reviews")
            changed = set(paths) != set(self._reviews)
            self._reviews = {p: self._reviews.get(p) or ReviewFileIndex(p, self._subset_code, self._headline)
                             for p in paths}  # fmt: skip
            for index in self._reviews.values():
                changed |= index.refresh()
            if changed or self._table is None:
                self._version += 1
                self._table = self._build(list(self._reviews.values()))
                self.search_cache.clear()
            return self._table

    def predictions(self) -> PredictionTable:
        """Where each prediction record is, indexed up to now (only search and the detail view need them)."""
        with self._lock:
            paths = self._journals("predictions")
            changed = set(paths) != set(self._predictions)
            self._predictions = {p: self._predictions.get(p) or PredictionFileIndex(p) for p in paths}
            for index in self._predictions.values():
                changed |= index.refresh()
            if changed or self._prediction_table is None:
                indexes = list(self._predictions.values())
                self._prediction_table = PredictionTable(
                    paths=[index.path for index in indexes],
                    file=_concat([np.full(len(index), i, dtype=np.int64) for i, index in enumerate(indexes)]),
                    offset=_concat([np.array(index.offset, dtype=np.int64) for index in indexes]),
                    length=_concat([np.array(index.length, dtype=np.int64) for index in indexes]),
                    key_hash=_concat([np.array(index.key_hash, dtype=np.int64) for index in indexes]),
                )
            return self._prediction_table

    def prediction(self, key: str) -> dict[str, Any] | None:
        """The last prediction record written for ``key``, or None."""
        table = self.predictions()
        for row in np.flatnonzero(table.key_hash == hash(key))[::-1]:
            with table.paths[int(table.file[row])].open("rb") as handle:
                record = read_record_at(handle, int(table.offset[row]), int(table.length[row]))
            if record is not None and record.get("key") == key:
                return record
        return None

    def review(self, key: str) -> dict[str, Any] | None:
        """The live review record of ``key``, or None."""
        table = self.table()
        for row in np.flatnonzero(table.key_hash == hash(key))[::-1]:
            record = table.records([int(row)])[0]
            if record is not None and record.get("key") == key:
                return record
        return None

    def _subset_code(self, subset: str) -> int:
        return self._subsets.setdefault(subset, len(self._subsets))

    def _headline(self, value: dict[str, Any]) -> float:
        """The value of the metric that decides correct / wrong; NaN when the record lacks it."""
        if self._metric is None and value:
            self._metric = pick_metric(value, self._preferred())
        raw = value.get(self._metric) if self._metric else None
        return float(raw) if isinstance(raw, (int, float)) else math.nan

    def _build(self, indexes: list[ReviewFileIndex]) -> SampleTable:
        def column(name: str, dtype: Any) -> Any:
            return _concat([np.array(getattr(index, name), dtype=dtype) for index in indexes], dtype)

        key_hash = column("key_hash", np.int64)
        # The last record of a key wins (as in Journal.load): unique over the reversed hashes gives
        # each key's last position; sorting restores file order.
        _, first_from_end = np.unique(key_hash[::-1], return_index=True)
        live = np.sort(len(key_hash) - 1 - first_from_end)
        files = [np.full(len(index), i, dtype=np.int64) for i, index in enumerate(indexes)]
        return SampleTable(
            version=self._version,
            paths=[index.path for index in indexes],
            subsets=sorted(self._subsets, key=self._subsets.__getitem__),
            file=_concat(files)[live],
            offset=column("offset", np.int64)[live],
            length=column("length", np.int64)[live],
            status=column("status", np.int8)[live],
            value=column("value", np.float32)[live],
            flags=column("flags", np.uint8)[live],
            subset=column("subset", np.uint16)[live],
            key_hash=key_hash[live],
            match_hash=column("match_hash", np.int64)[live],
        )


def _concat(parts: list[Any], dtype: Any = np.int64) -> Any:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def pick_metric(value: dict[str, Any], preferred: list[str]) -> str | None:
    """The per-sample metric behind a report's headline metric name.

    Report metrics are aggregates named after the per-sample value (``mean_acc`` of ``acc``,
    ``pass@4`` of ``pass``); a name that matches none falls back to the record's first metric.

    Example:
        >>> pick_metric({"acc": 1.0}, ["mean_acc"]), pick_metric({"f1": 0.5, "em": 0.0}, [])
        ('acc', 'f1')
    """
    for name in preferred:
        for candidate in (name, name.removeprefix("mean_"), name.split("_", 1)[-1], name.split("@", 1)[0]):
            if candidate in value:
                return candidate
    return next(iter(value), None)
