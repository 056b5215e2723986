"""One ``assay eval`` output folder: its reports, config, journals and state.

The layout is EvalScope's (see ``assay.engine.outputs``). Journals are named
``<bench>_<subset>.jsonl``, and both parts may contain underscores (``general_mcq_example``), so a
file belongs to the longest known benchmark name (from the reports and the saved config) that
prefixes it; a file of a benchmark known nowhere else is split using the subset its first record
names.
"""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from assay.app._benchmark import BenchmarkSamples
from assay.app._files import read_json, read_yaml
from assay.app._paths import OutputsRoot
from assay.engine.images import EXTENSIONS as IMAGE_EXTENSIONS

__all__ = ["RUNNING_WINDOW_S", "EvalRun", "created_time"]

#: A run whose journals changed this recently, with benchmarks still unreported, is running.
RUNNING_WINDOW_S = 30.0
_TIMESTAMP = re.compile(r"^(\d{8}_\d{6})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def created_time(root: OutputsRoot, path: Path) -> str | None:
    """When a run started: the ``YYYYMMDD_HHMMSS`` folder in its path, else its folder's mtime."""
    for part in reversed(path.relative_to(root.path).parts):
        if _TIMESTAMP.match(part):
            try:
                return datetime.strptime(part, "%Y%m%d_%H%M%S").isoformat()
            except ValueError:
                continue
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
    except OSError:
        return None


class EvalRun:
    """An eval output folder under the outputs root, read lazily and re-read as it changes."""

    def __init__(self, root: OutputsRoot, path: Path) -> None:
        self.root = root
        self.path = path
        self.id = root.run_id(path)
        self._lock = threading.Lock()
        self._samples: dict[str, BenchmarkSamples] = {}
        self._first_subset: dict[Path, str | None] = {}

    def reports(self) -> dict[str, dict[str, Any]]:
        """``reports/<model>/<bench>.json`` as saved, by benchmark name."""
        found: dict[str, dict[str, Any]] = {}
        for path in self._files("reports", ".json"):
            report = read_json(path)
            if isinstance(report, dict):
                found[path.stem] = report
        return found

    def config(self) -> dict[str, Any] | None:
        """``configs/task_config.yaml`` as JSON (the engine masked its secrets when writing it)."""
        path = self.root.file(self.path / "configs" / "task_config.yaml")
        config = read_yaml(path) if path else None
        return config if isinstance(config, dict) else None

    def model(self) -> str | None:
        """The model's name, from a report, else the config, else the journals' folder."""
        for report in self.reports().values():
            if isinstance(report.get("model_name"), str):
                return str(report["model_name"])
        config = self.config() or {}
        for key in ("model_id", "model"):
            if isinstance(config.get(key), str):
                return str(config[key])
        folders = [p.parent.name for p in self._files("predictions", ".jsonl")]
        return folders[0] if folders else None

    def benchmarks(self) -> list[str]:
        """Every benchmark the run has a report or journal for, or was configured to evaluate."""
        names = set(self._known_benchmarks())
        for kind in ("reviews", "predictions"):
            names.update(self._benchmark_of(path, names) for path in self._files(kind, ".jsonl"))
        return sorted(names)

    def samples(self, benchmark: str) -> BenchmarkSamples | None:
        """The indexed samples of ``benchmark`` (None when the run has no such benchmark)."""
        with self._lock:
            if benchmark not in self._samples:
                if benchmark not in self.benchmarks():
                    return None
                self._samples[benchmark] = BenchmarkSamples(
                    benchmark,
                    lambda kind: self.journals(kind, benchmark),
                    lambda: self._report_metrics(benchmark),
                )
            return self._samples[benchmark]

    def image(self, sha256: str) -> Path | None:
        """The copy of a prompt's image the run kept (``images/<sha256>.<ext>``, see
        ``assay.engine.images``), or None; only a 64-digit hex name is ever looked up."""
        if not _SHA256.match(sha256):
            return None
        for extension in IMAGE_EXTENSIONS.values():
            path = self.root.file(self.path / "images" / f"{sha256}{extension}")
            if path is not None:
                return path
        return None

    def kept_images(self, prediction: dict[str, Any] | None) -> dict[str, Path]:
        """The images of a prediction's prompt that the run kept a copy of, by SHA-256."""
        messages = (prediction or {}).get("input")
        hashes = {
            str(part.get("sha256"))
            for message in (messages if isinstance(messages, list) else [])
            if isinstance(message, dict) and isinstance(message.get("content"), list)
            for part in message["content"]
            if isinstance(part, dict) and part.get("type") == "image"
        }
        found = {sha256: self.image(sha256) for sha256 in sorted(hashes)}
        return {sha256: path for sha256, path in found.items() if path is not None}

    def journals(self, kind: str, benchmark: str) -> list[Path]:
        """The ``kind`` (``reviews`` / ``predictions``) journals of ``benchmark``, in name order."""
        known = set(self._known_benchmarks())
        return [p for p in self._files(kind, ".jsonl") if self._benchmark_of(p, known) == benchmark]

    def summary(self) -> dict[str, Any]:
        """The run's entry in ``/api/runs``."""
        reports = self.reports()
        benchmarks = self.benchmarks()
        counts = dict.fromkeys(("total", "scored", "excluded", "errored"), 0)
        unfinished: list[float] = []  # latest journal change of each benchmark without a fresh report
        for bench in benchmarks:
            journal_mtime = _latest_mtime(self.journals("reviews", bench) + self.journals("predictions", bench))
            report_mtime = _latest_mtime([p for p in self._files("reports", ".json") if p.stem == bench])
            stale = journal_mtime is not None and report_mtime is not None and journal_mtime > report_mtime
            if bench in reports and not stale:
                bench_counts = reports[bench].get("counts") or {}
            else:
                unfinished.append(journal_mtime or 0.0)
                samples = self.samples(bench)
                bench_counts = samples.table().counts() if samples else {}
            for key in counts:
                counts[key] += int(bench_counts.get(key) or 0)
        if not unfinished:
            status = "complete"
        elif max(unfinished) > time.time() - RUNNING_WINDOW_S:
            status = "running"
        else:
            status = "incomplete"
        headline = {b: r["score"] for b, r in reports.items() if isinstance(r.get("score"), (int, float))}
        return {
            "id": self.id,
            "kind": "eval",
            "model": self.model(),
            "benchmarks": benchmarks,
            "created": created_time(self.root, self.path),
            "headline": headline,
            "counts": counts,
            "status": status,
        }

    def _report_metrics(self, benchmark: str) -> list[str]:
        report = self.reports().get(benchmark) or {}
        metrics = report.get("metrics")
        if not isinstance(metrics, list):
            return []
        return [str(m["name"]) for m in metrics if isinstance(m, dict) and "name" in m]

    def _known_benchmarks(self) -> list[str]:
        names = [p.stem for p in self._files("reports", ".json")]
        datasets = (self.config() or {}).get("datasets")
        if isinstance(datasets, list):
            names.extend(str(d) for d in datasets)
        return names

    def _files(self, kind: str, suffix: str) -> list[Path]:
        """``<run>/<kind>/<model>/*<suffix>`` that are files inside the outputs root, sorted."""
        base = self.path / kind
        found: list[Path] = []
        try:
            models = sorted(os.scandir(base), key=lambda e: e.name)
        except OSError:
            return found
        for model in models:
            try:
                entries = sorted(os.scandir(model.path), key=lambda e: e.name)
            except OSError:
                continue  # not a folder
            found.extend(
                real for e in entries if e.name.endswith(suffix) and (real := self.root.file(Path(e.path))) is not None
            )
        return found

    def _benchmark_of(self, journal: Path, known: set[str]) -> str:
        stem = journal.stem
        matches = [name for name in known if stem.startswith(name + "_")]
        if matches:
            return max(matches, key=len)
        subset = self._subset_of_first_record(journal)
        if subset is not None:
            from assay.config import safe_filename

            tail = "_" + safe_filename(subset)
            if stem.endswith(tail) and len(stem) > len(tail):
                return stem[: -len(tail)]
        return stem.rsplit("_", 1)[0] if "_" in stem else stem

    def _subset_of_first_record(self, journal: Path) -> str | None:
        if journal not in self._first_subset:
            subset = None
            try:
                with journal.open("rb") as handle:
                    line = handle.readline()
                record = orjson.loads(line) if line.endswith(b"\n") else None
                if isinstance(record, dict) and record.get("subset") is not None:
                    subset = str(record["subset"])
            except (OSError, orjson.JSONDecodeError):
                return None  # not cached: the first line may still be being written
            self._first_subset[journal] = subset
        return self._first_subset[journal]


def _latest_mtime(paths: list[Path]) -> float | None:
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return max(times) if times else None
