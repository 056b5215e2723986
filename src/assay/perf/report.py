"""What a perf run leaves on disk and on screen, with EvalScope's file names and keys.

Per run, in ``<outputs>/<ts>/<model>/parallel_<P>_number_<N>/`` (the engine also writes
``benchmark_data.db`` there with :class:`~assay.perf.storage.RecordStore`):

* ``benchmark_args.json``: the run's arguments, API key, secret headers and URL credentials masked;
* ``benchmark_summary.json``: EvalScope's keys in EvalScope's order, then Assay's, then the engine's
  (e.g. the client self-check verdict);
* ``benchmark_percentile.json``: a list of rows, one per percentile (``min``, ``1%`` ... ``max``).

Per sweep, in ``<outputs>/<ts>/<model>/``: ``performance_summary.txt`` (the console report, as
EvalScope writes it), ``perf_report.html`` (EvalScope's name; ours is self-contained and offline)
and ``sweep_summary.json`` (ours: every run's summary and percentiles in one file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from assay.perf import _keys as K
from assay.perf.metrics import RunMetrics, Scalar
from assay.perf.report_console import RunEntry, print_run, print_sweep
from assay.perf.report_html import render_html
from assay.perf.storage import masked_args

__all__ = ["print_run", "print_sweep", "write_run_outputs", "write_sweep_outputs"]

#: Sweep lists that EvalScope writes as one number in a run's benchmark_args.json.
_PER_RUN_LISTS = ("parallel", "number", "rate", "max_tokens")
#: Arguments newer than the file, left out at their defaults: a local run's file stays as it was,
#: so sweeps written before these existed still resume (``--resume`` compares the files).
_OMITTED_AT_DEFAULT: dict[str, Any] = {"executor": "local", "ray_address": None}


def _finite(data: Any) -> Any:
    """NaN and infinity become null: EvalScope writes bare ``NaN``, which strict JSON readers reject."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return data


def _write_json(path: Path, data: Any) -> None:
    """JSON as EvalScope writes it (4-space indent, UTF-8 kept), via a temp file so no reader sees half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(_finite(data), indent=4, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_args_json(args: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """A run's masked arguments; a one-element sweep list becomes its value, as in EvalScope's file."""
    data = masked_args(args)
    for key in _PER_RUN_LISTS:
        value = data.get(key)
        if isinstance(value, list) and len(value) == 1:
            data[key] = value[0]
    for key, default in _OMITTED_AT_DEFAULT.items():
        if key in data and data[key] == default:
            del data[key]
    return data


def write_run_outputs(
    run_dir: Path,
    args: BaseModel | Mapping[str, Any],
    metrics: RunMetrics,
    extra_summary: Mapping[str, Scalar] | None = None,
) -> None:
    """Write ``benchmark_args.json``, ``benchmark_summary.json`` and ``benchmark_percentile.json``.

    Args:
        run_dir: The run's folder (created if missing).
        args: The run's arguments, ideally ``PerfArguments.for_run(...)`` (single-valued lists).
        metrics: The run's metrics from ``compute_run_metrics``.
        extra_summary: Entries appended to the summary, e.g. ``{"Client self-check": "ok"}``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    summary = {**metrics.full_summary(), **(extra_summary or {})}
    _write_json(run_dir / "benchmark_args.json", run_args_json(args))
    _write_json(run_dir / "benchmark_summary.json", summary)
    _write_json(run_dir / "benchmark_percentile.json", metrics.percentile_rows())


def _sweep_entry(name: str, args: BaseModel | Mapping[str, Any], metrics: RunMetrics) -> dict[str, Any]:
    """One run in ``sweep_summary.json``: the fields of EvalScope's ``RunData.to_dict``, plus the rate."""
    run_args = run_args_json(args)
    return {
        "dir_name": name,
        "parallel": metrics.summary.get(K.CONCURRENCY),
        "number": run_args.get("number", metrics.summary.get(K.TOTAL_REQUESTS)),
        "rate": metrics.summary.get(K.REQUEST_RATE),
        "summary": metrics.full_summary(),
        "percentiles": metrics.percentile_rows(),
        "args": run_args,
    }


def write_sweep_outputs(root: Path, runs: Sequence[RunEntry]) -> None:
    """Write the sweep's ``performance_summary.txt``, ``sweep_summary.json`` and ``perf_report.html``.

    Args:
        root: The folder holding the runs' ``parallel_<P>_number_<N>`` folders.
        runs: ``(run folder name, run arguments, run metrics)`` for each run, in sweep order.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with (root / "performance_summary.txt").open("w", encoding="utf-8") as handle:
        print_sweep(runs, Console(file=handle, width=120, force_terminal=False, color_system=None))
    _write_json(root / "sweep_summary.json", [_sweep_entry(name, args, metrics) for name, args, metrics in runs])
    html = root / "perf_report.html"
    tmp = html.with_name(html.name + ".tmp")
    tmp.write_text(render_html(runs), encoding="utf-8")
    tmp.replace(html)
