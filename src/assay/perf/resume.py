"""``assay perf --resume DIR``: continue a killed sweep, keeping the runs it finished.

A run counts as finished when its folder holds all it writes, in order: ``benchmark_data.db`` (the
records), then ``benchmark_args.json``, ``benchmark_summary.json`` and ``benchmark_percentile.json``
(each written whole through a temporary file). A kept run is not trusted on the files' word: its
metrics are recomputed from the stored records, exactly as the run computed them, and must equal
the stored summary; a run whose files disagree, that was interrupted, or that is missing any file
is run again. A run measured with other arguments than this sweep gives it (another model, URL,
concurrency ...) is an error: mixing them would make one sweep of two different experiments.

The sweep's prompt feed is advanced past a kept run's prompts, so the runs measured after it get
the prompts they would have had in an uninterrupted sweep.

Example:
    >>> _differences({"model": "a", "outputs_dir": "x"}, {"model": "b", "outputs_dir": "y"})
    [('model', 'b', 'a')]
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assay.errors import UserError
from assay.perf._run import RunResult, parse_records
from assay.perf.arguments import PerfArguments, RunSpec
from assay.perf.metrics import compute_run_metrics
from assay.perf.plugins import get_api_plugin
from assay.perf.report import _finite, run_args_json
from assay.perf.selfcheck import TRUSTWORTHY, SelfCheck
from assay.perf.storage import RecordStore

__all__ = ["load_finished_run"]

logger = logging.getLogger(__name__)

#: The files a finished run leaves, the last one written last.
_FILES = ("benchmark_data.db", "benchmark_args.json", "benchmark_summary.json", "benchmark_percentile.json")
#: Arguments that say where and how a sweep is written or paced, not what a run measures.
_NOT_MEASURED = frozenset(
    {"outputs_dir", "resume", "no_timestamp", "name", "sleep_interval", "visualizer", "wandb_api_key",
     "swanlab_api_key", "enable_progress_tracker", "log_every_n_query", "debug"}
)  # fmt: skip


def _differences(now: Mapping[str, Any], saved: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, saved value, value now)`` for each measured argument that changed."""
    keys = sorted((set(now) | set(saved)) - _NOT_MEASURED)
    return [(key, saved.get(key), now.get(key)) for key in keys if saved.get(key) != now.get(key)]


def load_finished_run(
    args: PerfArguments, spec: RunSpec, run_dir: Path, token_counter: Callable[[str], int] | None
) -> RunResult | None:
    """The run ``spec`` as an earlier sweep finished it in ``run_dir``, or None to run it (again).

    Raises:
        UserError: the run was measured with other arguments than this sweep gives it.
    """
    if not all((run_dir / name).is_file() for name in _FILES):
        return None
    run_args = args.for_run(spec)
    saved_args = json.loads((run_dir / "benchmark_args.json").read_text(encoding="utf-8"))
    changed = _differences(json.loads(json.dumps(run_args_json(run_args))), saved_args)
    if changed:
        key, saved, now = changed[0]
        raise UserError(
            f"--resume: {spec.name} in {run_dir.parent} was measured with {key}={saved!r}, this sweep gives "
            f"{now!r}; resume with the arguments of the first sweep, or start a new one without --resume"
        )
    stored = json.loads((run_dir / "benchmark_summary.json").read_text(encoding="utf-8"))
    if "Interrupted" in stored:
        return None
    records = RecordStore(run_dir / "benchmark_data.db").read()
    parsed = parse_records(get_api_plugin(run_args), records)
    metrics = compute_run_metrics(
        records, parsed, parallel=spec.parallel, rate=spec.rate, open_loop=spec.open_loop, token_counter=token_counter
    )
    recomputed = json.loads(json.dumps(_finite(metrics.full_summary())))
    disagree = [key for key, value in recomputed.items() if stored.get(key) != value]
    if disagree:
        logger.warning(
            "%s: its stored summary disagrees with its records (%s); measuring it again", spec.name, disagree[0]
        )
        return None
    metrics = metrics.with_extra({key: value for key, value in stored.items() if key not in recomputed})
    verdict = str(stored.get("Client Verdict", TRUSTWORTHY))
    check = SelfCheck(workers=[], open_loop=spec.open_loop, reasons=[] if verdict == TRUSTWORTHY else [verdict])
    return RunResult(spec, run_dir, run_args, metrics, check, interrupted=False)
