"""``assay perf`` output folders: one run (``benchmark_summary.json``) or a sweep of them.

Layout (see ``assay.perf.report``): a sweep root ``<outputs>/<ts>/<name>/`` holds
``sweep_summary.json`` and one folder per run, ``parallel_<P>_number_<N>/`` (open loop:
``rate_<R>_number_<N>/``; SLA probes: ``sla_tuning/...``), each with ``benchmark_summary.json``,
``benchmark_percentile.json`` and ``benchmark_args.json``. The client's self-check verdict is the
summary's ``Client Verdict`` key (``assay.perf.selfcheck``): anything but ``ok`` is a warning.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assay.app._eval_run import created_time
from assay.app._files import read_json
from assay.app._paths import OutputsRoot

__all__ = ["SUMMARY_FILE", "SWEEP_FILE", "PerfRun"]

SUMMARY_FILE = "benchmark_summary.json"
SWEEP_FILE = "sweep_summary.json"
_VERDICT_KEY = "Client Verdict"
_RUN_NAME = re.compile(r"^(?:parallel_(?P<parallel>\d+)|rate_[^_]+)_number_(?P<number>\d+)$")


class PerfRun:
    """A perf run or sweep folder under the outputs root."""

    def __init__(self, root: OutputsRoot, path: Path) -> None:
        self.root = root
        self.path = path
        self.id = root.run_id(path)

    @property
    def is_sweep(self) -> bool:
        """Whether the folder is a sweep root (its ``sweep_summary.json`` appears when the sweep ends)."""
        return (self.path / SWEEP_FILE).is_file()

    def run_folders(self) -> list[Path]:
        """The folders holding a ``benchmark_summary.json``: the run itself, or a sweep's runs.

        A sweep's runs come in ``sweep_summary.json`` order, then any others (SLA probes, or runs of
        a sweep still going) by name.
        """
        if not self.is_sweep:
            return [self.path]
        found = sorted({p.parent for p in self.path.glob(f"*/{SUMMARY_FILE}")} |
                       {p.parent for p in self.path.glob(f"*/*/{SUMMARY_FILE}")})  # fmt: skip
        found = [p for p in found if self.root.file(p / SUMMARY_FILE)]
        order = [str(e.get("dir_name")) for e in self.sweep() or [] if isinstance(e, dict)]
        return sorted(found, key=lambda p: (order.index(p.name) if p.name in order else len(order), str(p)))

    def sweep(self) -> list[Any] | None:
        """``sweep_summary.json`` as saved (None for a single run)."""
        path = self.root.file(self.path / SWEEP_FILE) if self.is_sweep else None
        data = read_json(path) if path else None
        return data if isinstance(data, list) else None

    def runs(self) -> list[dict[str, Any]]:
        """Each run's summary, percentiles and arguments, as ``/api/perf`` returns them."""
        entries = []
        for folder in self.run_folders():
            summary = self._json(folder, SUMMARY_FILE)
            args = self._json(folder, "benchmark_args.json")
            named = _RUN_NAME.match(folder.name)
            entries.append(
                {
                    "name": folder.relative_to(self.path).as_posix() if folder != self.path else folder.name,
                    "parallel": _first(
                        (args or {}).get("parallel"), (summary or {}).get("Concurrency"), named and named["parallel"]
                    ),
                    "number": _first((args or {}).get("number"), named and named["number"]),
                    "summary": summary,
                    "percentiles": self._json(folder, "benchmark_percentile.json"),
                    "args": args,
                }
            )
        return entries

    def payload(self) -> dict[str, Any]:
        """The ``/api/perf/{id}`` answer."""
        runs = self.runs()
        warnings = [
            f"{run['name']}: {run['summary'][_VERDICT_KEY]}"
            for run in runs
            if isinstance(run["summary"], dict) and run["summary"].get(_VERDICT_KEY) not in (None, "ok")
        ]
        return {
            "id": self.id,
            "kind": "sweep" if self.is_sweep else "run",
            "runs": runs,
            "sweep": self.sweep(),
            "warnings": warnings,
        }

    def summary(self) -> dict[str, Any]:
        """The entry in ``/api/runs``: counts are requests (scored = succeeded, errored = failed)."""
        runs = self.runs()
        counts = dict.fromkeys(("total", "scored", "excluded", "errored"), 0)
        model = None
        for run in runs:
            summary, args = run["summary"] or {}, run["args"] or {}
            counts["total"] += int(summary.get("Total Requests") or 0)
            counts["scored"] += int(summary.get("Success Requests") or 0)
            counts["errored"] += int(summary.get("Failed Requests") or 0)
            model = model or args.get("model")
        return {
            "id": self.id,
            "kind": "perf",
            "model": model if isinstance(model, str) else None,
            "benchmarks": [],
            "created": created_time(self.root, self.path),
            "headline": {},
            "counts": counts,
            "status": "complete" if runs and all(r["summary"] is not None for r in runs) else "incomplete",
        }

    def _json(self, folder: Path, name: str) -> Any:
        path = self.root.file(folder / name)
        return read_json(path) if path else None


def _first(*values: Any) -> int | None:
    """The first value that reads as an integer."""
    for value in values:
        try:
            if value is not None and value is not False and value != "":
                return int(value)
        except (TypeError, ValueError):
            continue
    return None
