"""``run_perf``: a whole ``assay perf`` invocation, a sweep of runs or an SLA search.

Order of events (EvalScope's ``perf/main.py``, with the differences noted):

1. the output folder ``<outputs_dir>/<YYYYMMDD_HHMMSS>/<name or model>/`` (no timestamp level with
   ``--no-timestamp``); each run writes into ``parallel_<P>_number_<N>/`` (open loop:
   ``rate_<R>_number_<N>/``), SLA probes into ``sla_tuning/sla_<var>_<value>_run_<i>/``;
2. one test request, unless ``--no-test-connection``: an unreachable or refusing server is a
   one-line error before anything runs (EvalScope retries for hours instead);
3. each run: warmup and measured requests, then records parsed, stored, measured and printed;
   ``--sleep-interval`` seconds between runs;
4. the sweep summary (console and ``performance_summary.txt``), ``sweep_summary.json`` and the
   offline HTML report, also after an interrupted sweep, over the runs that finished.

Ctrl-C stops sending, lets requests in flight finish (bounded), records the unfinished ones as
``CANCELLED``, writes everything measured and ends the sweep; the CLI then exits with 130.

Example:
    >>> result = run_perf(PerfArguments(model="qwen", url="http://127.0.0.1:8000/v1"))  # doctest: +SKIP
    >>> result.runs[0].metrics.summary["Req Throughput (req/s)"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from assay.config import safe_filename
from assay.errors import UserError
from assay.perf._run import ConnectionProbe, PromptFeed, RunResult, adapt_to_dataset, check_connection, run_one
from assay.perf.arguments import PerfArguments, RunSpec
from assay.perf.resume import load_finished_run
from assay.perf.sla import Selection, SlaTuner, average_results, parse_sla_params
from assay.perf.visualizer import Visualizer, open_visualizer

__all__ = ["ConnectionProbe", "RunResult", "SweepResult", "output_root", "run_perf"]


@dataclass
class SweepResult:
    """Every run of the invocation, in order, and where they were written."""

    root: Path
    runs: list[RunResult] = field(default_factory=list)
    interrupted: bool = False
    #: ``--sla-auto-tune``: one answer per criterion group.
    sla: list[Selection] | None = None

    @property
    def trustworthy(self) -> bool:
        """False when any run's client self-check failed."""
        return all(r.selfcheck.trustworthy for r in self.runs)


class _Interrupted(Exception):
    """A run was stopped by Ctrl-C: end the sweep after writing what was measured."""


def output_root(args: PerfArguments, now: datetime | None = None) -> Path:
    """EvalScope's result folder (``perf/utils/db_util.py:get_output_path``)."""
    # One safe path component; "./" (transformers serve's model name) becomes "model", not the root.
    name = safe_filename(args.name or args.model_id)
    if args.no_timestamp:
        return Path(args.outputs_dir) / name
    return Path(args.outputs_dir) / (now or datetime.now()).strftime("%Y%m%d_%H%M%S") / name


def run_perf(args: PerfArguments, *, console: Console | None = None, show_progress: bool = False) -> SweepResult:
    """Run the sweep (or SLA search) that ``args`` describes; see the module docstring.

    Raises:
        UserError: unreachable server, wrong API, bad prompt file, missing visualizer package.
    """
    from assay.perf.tokenizer import load_token_counter

    console = console or Console()
    args = adapt_to_dataset(args)
    now = datetime.now()
    root = output_root(args, now) if not args.resume else Path(args.resume).expanduser()
    if args.resume and not root.is_dir():
        raise UserError(f"--resume folder not found: {root} (pass the 'outputs:' folder an earlier sweep printed)")
    if args.sla_auto_tune:
        parse_sla_params(args.sla_params)  # a bad --sla-params fails before anything runs
    token_counter = load_token_counter(args.tokenizer_path)
    probe = None if args.no_test_connection else check_connection(args.for_run(args.runs()[0]))
    root.mkdir(parents=True, exist_ok=True)
    sweep = SweepResult(root)
    visualizer = open_visualizer(args, root, args.name or f"{args.model_id}_{now:%Y%m%d_%H%M%S}")
    feed = PromptFeed(args.for_run(args.runs()[0]))

    def one(spec: RunSpec, run_dir: Path) -> RunResult:
        # A folder this sweep already wrote (two runs of one name) is not an earlier sweep's run.
        earlier = args.resume and run_dir not in {r.run_dir for r in sweep.runs}
        kept = load_finished_run(args, spec, run_dir, token_counter) if earlier else None
        if kept is not None:
            feed.take(spec.number + args.warmup_count(spec.number))  # later runs get the prompts they had
            console.print(f"[bold]{spec.name}[/bold]  kept: finished by the earlier sweep  →  {run_dir}")
            result = kept
        else:
            result = run_one(
                args,
                spec,
                run_dir,
                probe=probe,
                console=console,
                show_progress=show_progress,
                token_counter=token_counter,
                feed=feed,
            )
        sweep.runs.append(result)
        if visualizer is not None:
            visualizer.log(result.metrics.full_summary())
        if result.interrupted:
            raise _Interrupted
        return result

    try:
        if args.sla_auto_tune:
            sweep.sla = _sla(args, root, one, console)
        else:
            runs = args.runs()
            for spec in runs:
                one(spec, root / spec.name)
                if spec is not runs[-1]:
                    time.sleep(args.sleep_interval)
    except (_Interrupted, KeyboardInterrupt):
        sweep.interrupted = True
    finally:
        _finish(sweep, console, visualizer)
    return sweep


def _finish(sweep: SweepResult, console: Console, visualizer: Visualizer | None) -> None:
    from assay.perf.report import print_sweep, write_sweep_outputs

    if visualizer is not None:
        visualizer.finish()
    if not sweep.runs:
        return
    entries = [(r.run_dir.name, r.args, r.metrics) for r in sweep.runs]  # SLA probes: sla_<var>_<v>_run_<i>
    write_sweep_outputs(sweep.root, entries)
    print_sweep(entries, console)
    console.print(f"outputs: {sweep.root}")


def _sla(args: PerfArguments, root: Path, one: Any, console: Console) -> list[Selection]:
    """EvalScope's SLA search (``perf/sla/sla_run.py``); probes are written under ``sla_tuning/``."""
    variable = args.sla_variable
    count = 0

    def probe_runs(value: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        nonlocal count
        multiplier = args.sla_number_multiplier if args.sla_number_multiplier is not None else 2
        number = max(1, round(value * multiplier))
        if variable == "parallel":
            spec = RunSpec(count, value, number, -1.0, False)
        else:
            cap = args.sla_fixed_parallel or args.sla_upper_bound
            spec = RunSpec(count, -1 if args.open_loop else cap, number, float(value), args.open_loop)
        out = []
        for i in range(args.sla_num_runs):
            if count:
                time.sleep(args.sleep_interval)
            count += 1
            result: RunResult = one(spec, root / "sla_tuning" / f"sla_{variable}_{value}_run_{i}")
            out.append((result.metrics.full_summary(), dict(result.metrics.percentiles)))
        return out

    start = args.parallel[0] if variable == "parallel" else round(args.rate[0])
    tuner = SlaTuner(
        parse_sla_params(args.sla_params),
        probe_runs,
        start=start,
        lower=args.sla_lower_bound,
        upper=args.sla_upper_bound,
    )
    try:
        selections = tuner.tune()
    finally:
        summary = {f"{variable}_{v}": average_results(p) for v, p in sorted(tuner.trials.items())}
        (root / "sla_summary.json").write_text(json.dumps(summary, indent=4, ensure_ascii=False), encoding="utf-8")
    for s in selections:
        criteria = " AND ".join(f"{k} {v}" for k, v in s.criteria.items())
        console.print(f"[bold]SLA[/bold] {criteria}: best {variable} = {s.selected} ({s.note})")
    return selections
