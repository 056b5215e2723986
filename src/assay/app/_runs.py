"""Finding runs under the outputs folder, and keeping each run's indexes between requests.

A folder is an eval run when it has ``reports/`` or ``predictions/``, an eval sweep (several models,
one run folder each, listed as one entry) when it has ``sweep.json``, a perf sweep when it has
``sweep_summary.json`` and a perf run when it has ``benchmark_summary.json``. The walk goes at most
:data:`MAX_DEPTH` folders down (``<outputs>/<ts>/<name>/parallel_1_number_10`` is 3), does not enter
a run, hidden folders or symlinked folders, and lists only what it found: there is no way to ask for
the listing of an arbitrary folder.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from assay.app._eval_run import EvalRun
from assay.app._eval_sweep import EVAL_SWEEP_FILE, EvalSweep
from assay.app._paths import NotInsideRoot, OutputsRoot
from assay.app._perf_run import SUMMARY_FILE, SWEEP_FILE, PerfRun

__all__ = ["MAX_DEPTH", "SORT_KEYS", "RunStore"]

MAX_DEPTH = 4
SORT_KEYS = ("created", "model", "score")
#: Runs whose objects (and sample indexes) stay in memory; the least recently used go first.
_RUNS_KEPT = 64


Run = EvalRun | PerfRun | EvalSweep


def run_kind(path: Path) -> str | None:
    """``eval``, ``eval-sweep``, ``sweep`` (perf), ``perf`` or None for a folder that is not a run."""
    if (path / "reports").is_dir() or (path / "predictions").is_dir():
        return "eval"
    if (path / EVAL_SWEEP_FILE).is_file():
        return "eval-sweep"
    if (path / SWEEP_FILE).is_file():
        return "sweep"
    if (path / SUMMARY_FILE).is_file():
        return "perf"
    return None


class RunStore:
    """The runs under one outputs root, each kept as one object so its indexes are built once."""

    def __init__(self, root: OutputsRoot) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._runs: OrderedDict[Path, Run] = OrderedDict()

    def discover(self) -> list[Run]:
        """Every run under the root (see the module docstring), in path order."""
        found: list[Run] = []
        pending = [(self.root.path, 0)]
        while pending:
            folder, depth = pending.pop()
            kind = run_kind(folder) if depth else None  # the root itself is never a run
            if kind is not None:
                found.append(self._get(folder, kind))
                continue
            if depth >= MAX_DEPTH:
                continue
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            pending.extend(
                (Path(e.path), depth + 1)
                for e in entries
                if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
            )
        return sorted(found, key=lambda run: run.id)

    def eval_run(self, run_id: str) -> EvalRun:
        """The eval run ``run_id`` names; raises :class:`NotInsideRoot` for anything else."""
        run = self._resolve(run_id)
        if not isinstance(run, EvalRun):
            raise NotInsideRoot(f"not an eval run: {run_id}")
        return run

    def eval_sweep(self, run_id: str) -> EvalSweep:
        """The eval sweep ``run_id`` names; raises :class:`NotInsideRoot` for anything else."""
        run = self._resolve(run_id)
        if not isinstance(run, EvalSweep):
            raise NotInsideRoot(f"not an eval sweep: {run_id}")
        return run

    def perf_run(self, run_id: str) -> PerfRun:
        """The perf run or sweep ``run_id`` names; raises :class:`NotInsideRoot` for anything else."""
        run = self._resolve(run_id)
        if not isinstance(run, PerfRun):
            raise NotInsideRoot(f"not a perf run: {run_id}")
        return run

    def listing(self, query: str = "", sort: str = "created", descending: bool = True) -> list[dict[str, Any]]:
        """``/api/runs``: summaries filtered by a substring of id, model or benchmark, then sorted.

        Runs without the sort value (no timestamp, no model, no score) come last in either order.
        """
        needle = query.lower()
        summaries = [run.summary() for run in self.discover()]
        if needle:
            summaries = [s for s in summaries if needle in _haystack(s)]

        def value(summary: dict[str, Any]) -> Any:
            if sort == "model":
                return (summary["model"] or "").lower() or None
            if sort == "score":
                scores = list(summary["headline"].values())
                return sum(scores) / len(scores) if scores else None
            return summary["created"]

        present = [s for s in summaries if value(s) is not None]
        missing = [s for s in summaries if value(s) is None]
        present.sort(key=lambda s: (value(s), s["id"]), reverse=descending)
        return present + missing

    def _resolve(self, run_id: str) -> Run:
        path = self.root.resolve(run_id)
        kind = run_kind(path) if path.is_dir() and path != self.root.path else None
        if kind is None:
            raise NotInsideRoot(f"no run: {run_id}")
        return self._get(path, kind)

    def _get(self, path: Path, kind: str) -> Run:
        with self._lock:
            run = self._runs.get(path)
            if run is None or _kind_of(run) != kind:
                run = self._new(path, kind)
                self._runs[path] = run
            self._runs.move_to_end(path)
            while len(self._runs) > _RUNS_KEPT:
                self._runs.popitem(last=False)
            return run

    def _new(self, path: Path, kind: str) -> Run:
        if kind == "eval":
            return EvalRun(self.root, path)
        if kind == "eval-sweep":
            return EvalSweep(self.root, path, self._member_run)
        return PerfRun(self.root, path)

    def _member_run(self, path: Path) -> EvalRun | None:
        """A sweep member's run, shared with the store (its indexes are built once)."""
        if run_kind(path) != "eval":
            return None
        run = self._get(path, "eval")
        return run if isinstance(run, EvalRun) else None


def _kind_of(run: Run) -> str:
    """The kind ``run`` was made for (perf runs and perf sweeps are one class)."""
    if isinstance(run, EvalRun):
        return "eval"
    if isinstance(run, EvalSweep):
        return "eval-sweep"
    return "sweep" if run.is_sweep else "perf"


def _haystack(summary: dict[str, Any]) -> str:
    return "\n".join([summary["id"], summary["model"] or "", *summary["benchmarks"]]).lower()
