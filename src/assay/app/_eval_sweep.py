"""One benchmarks × models sweep (``assay eval --model A B ...``): its members and their scores.

A sweep root holds ``sweep.json`` (see :mod:`assay.engine.sweep`) and one ordinary eval run folder
per model. The viewer lists the sweep as one entry of kind ``eval-sweep`` (perf sweeps, with their
``sweep_summary.json``, are kind ``sweep``) and shows it as one page: the models × benchmarks grid.
Scores come from each member's own reports, read fresh, so a member still running or resumed after
the summary was written shows what is on disk; ``sweep.json`` gives the members, their order and
why one failed. Member folders stay ordinary runs: each opens (and compares) on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assay.app._eval_run import RUNNING_WINDOW_S, EvalRun, created_time
from assay.app._files import read_json
from assay.app._paths import NotInsideRoot, OutputsRoot

__all__ = ["EVAL_SWEEP_FILE", "EvalSweep"]

#: The summary at a sweep's root (``assay.engine.sweep.SWEEP_FILE``; not imported: the viewer stays light).
EVAL_SWEEP_FILE = "sweep.json"


class EvalSweep:
    """A sweep root under the outputs root; ``member_run`` gives the (shared, cached) run of a member folder."""

    def __init__(self, root: OutputsRoot, path: Path, member_run: Callable[[Path], EvalRun | None]) -> None:
        self.root = root
        self.path = path
        self.id = root.run_id(path)
        self._member_run = member_run

    def summary_file(self) -> dict[str, Any]:
        """``sweep.json`` as saved ({} when unreadable)."""
        path = self.root.file(self.path / EVAL_SWEEP_FILE)
        data = read_json(path) if path else None
        return data if isinstance(data, dict) else {}

    def members(self) -> list[dict[str, Any]]:
        """Each member: its ``sweep.json`` entry joined with its run's id, status and scores."""
        out = []
        for entry in self.summary_file().get("members") or []:
            if not isinstance(entry, dict):
                continue
            run = self._run_of(entry)
            summary = run.summary() if run is not None else None
            reports = run.reports() if run is not None else {}
            out.append(
                {
                    "model_id": entry.get("model_id"),
                    "model": entry.get("model"),
                    "status": entry.get("status"),
                    "reason": entry.get("reason"),
                    "run_id": run.id if run is not None else None,
                    "run_status": summary["status"] if summary else None,
                    "counts": summary["counts"] if summary else None,
                    "headline": summary["headline"] if summary else {},
                    "metrics": {
                        bench: {
                            str(m.get("name")): m.get("score")
                            for m in report.get("metrics") or []
                            if isinstance(m, dict)
                        }
                        for bench, report in reports.items()
                    },
                }
            )
        return out

    def _run_of(self, entry: dict[str, Any]) -> EvalRun | None:
        folder = entry.get("work_dir")
        if not isinstance(folder, str) or not folder or "/" in folder or "\\" in folder or folder in (".", ".."):
            return None  # one folder below the root, as the sweep writes it; never a path elsewhere
        try:
            path = self.root.inside(self.path / folder)
        except NotInsideRoot:
            return None
        return self._member_run(path)

    def benchmarks(self, members: list[dict[str, Any]]) -> list[str]:
        """The sweep's benchmarks in the order given, then any other a member reported."""
        names = [str(n) for n in self.summary_file().get("datasets") or []]
        for member in members:
            names += [b for b in member["metrics"] if b not in names]
        return names

    def summary(self) -> dict[str, Any]:
        """The sweep's entry in ``/api/runs``: one row for all its models."""
        members = self.members()
        counts = dict.fromkeys(("total", "scored", "excluded", "errored"), 0)
        for member in members:
            for key in counts:
                counts[key] += int((member["counts"] or {}).get(key) or 0)
        return {
            "id": self.id,
            "kind": "eval-sweep",
            "model": ", ".join(str(m["model_id"]) for m in members) or None,
            "models": [m["model_id"] for m in members],
            "benchmarks": self.benchmarks(members),
            "created": created_time(self.root, self.path),
            "headline": {},
            "counts": counts,
            "status": self._status(members),
        }

    def payload(self) -> dict[str, Any]:
        """``GET /api/sweeps/{id}``: the members × benchmarks grid."""
        members = self.members()
        return {
            "id": self.id,
            "kind": "eval-sweep",
            "created": created_time(self.root, self.path),
            "benchmarks": self.benchmarks(members),
            "members": members,
            "status": self._status(members),
        }

    def _status(self, members: list[dict[str, Any]]) -> str:
        """``running`` while a member runs (or the unfinished summary changed lately), ``failed`` when
        a member failed, ``complete`` when every member finished, else ``incomplete`` (a sweep stopped
        midway: ``--use-cache`` resumes it)."""
        if any(m["run_status"] == "running" for m in members):
            return "running"
        if not self.summary_file().get("finished"):
            try:
                recent = (self.path / EVAL_SWEEP_FILE).stat().st_mtime > time.time() - RUNNING_WINDOW_S
            except OSError:
                recent = False
            if recent:
                return "running"
        if any(m["status"] == "failed" for m in members):
            return "failed"
        if members and all(m["status"] == "ok" and m["run_status"] == "complete" for m in members):
            return "complete"
        return "incomplete"
