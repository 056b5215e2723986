"""Capacity of ``assay perf``: the most requests/s one client core drives, vs EvalScope 1.14; open-loop pacing.

**Closed loop.** A zero-delay test server (pinned to core 1) answers every request at once with a
16-token stream (16 SSE chunks in one write). Each client runs ``--parallel 64 --stream
--max-tokens 16`` with the same prompts (``line_by_line`` over ``sonnet.txt``), sized for about
``--seconds`` (7 s; a probe run of 5000 requests gives the first size, each timed run the next):

- ``bare aiohttp``: a plain aiohttp + uvloop streaming client on core 0, for reference (not a
  ceiling: a tuned client beats it; the server's capacity is at least the best rate any client got);
- ``assay w1``: ``assay perf --num-workers 1`` on core 0, and ``evalscope`` (``evalscope perf``) on
  core 0: the comparison. Goal: Assay's rate ≥ 2.5× EvalScope's;
- ``assay w2 (0-1)`` / ``assay w1 (0-1)``: ``--num-workers 2`` and ``1`` allowed on cores 0 and 1
  (``--scaling-cores``). With two cores the client then shares core 1 with the server (still
  pinned there): the ratio of these two rows is the scaling under that sharing, not with a free
  second core. On a bigger machine use e.g. ``--scaling-cores 2,3``.

``--runs`` (2) timed runs per client, interleaved; the fastest counts and every run's rate is shown.
Rates are the tools' own ``Req Throughput (req/s)`` (successes / first start to last end), checked
against the server's request counter; the client's CPU time (user + system) is measured too, and
Assay's self-check (``Client Verdict``...) is printed.

**Open loop.** ``--rate 200 --open-loop --number 2000`` against the 50 ms + 15 × 10 ms server
(recording its arrivals), the client on core 0. Goal: the rate at which requests *arrive at the
server* ((n - 1) / first-to-last arrival) within 1% of 200/s. Also printed: the rate of Assay's own
schedule (its ``intended_ns``: how far a random Poisson schedule is from 200/s by itself), the
schedule lag Assay reports, and the lag recomputed from its records (start - intended).

Usage:
    .venv/bin/python bench/perf_capacity.py                       # everything (about 2-3 minutes)
    .venv/bin/python bench/perf_capacity.py --skip-evalscope --json out.json
    .venv/bin/python bench/perf_capacity.py --quick               # small runs; goals not judged

Exit status: 0 when every judged goal passed and every run worked, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # bench scripts run as files, not as a package
    ASSAY_CLI,
    DEFAULT_EVALSCOPE_PYTHON,
    REPO_ROOT,
    SIXTEEN_TOKEN_REPLY,
    ClientRequest,
    CommandResult,
    RunningServer,
    drive_stream,
    find_evalscope,
    format_table,
    load_prompts,
    percentile_value,
    pinned,
    read_assay_db,
    read_evalscope_db,
    read_run_files,
    read_server_traces,
    run_folder,
    start_test_server,
    summarize_ms,
    time_command,
)

MODEL = "mock-model"
TOKENS = 16
PARALLEL = 64
GOAL_RATIO = 2.5
OPEN_RATE, OPEN_NUMBER, OPEN_TOLERANCE = 200.0, 2000, 0.01
OPEN_TTFT_MS, OPEN_ITL_MS = 50, 10
MAX_REQUESTS = 200_000
TOOL_ENV = {"NO_COLOR": "1", "TERM": "dumb", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@dataclass(frozen=True)
class Config:
    """One closed-loop client setup."""

    name: str
    tool: str
    cores: tuple[int, ...]
    workers: int | None = None
    """``--num-workers`` (Assay only)."""


def client_configs(args: argparse.Namespace, tools: Sequence[str]) -> list[Config]:
    """Assay and EvalScope on the client core; then Assay with 1 and 2 workers on the scaling cores."""
    scaling = tuple(args.scaling_cores)
    label = "-".join(map(str, scaling))
    configs = [
        Config("assay w1", "assay", (args.client_core,), 1),
        Config("evalscope", "evalscope", (args.client_core,)),
        Config(f"assay w2 ({label})", "assay", scaling, 2),
        Config(f"assay w1 ({label})", "assay", scaling, 1),
    ]
    return [c for c in configs if c.tool in tools]


@dataclass
class CapacityRun:
    """One closed-loop client run at full speed."""

    name: str
    cores: str
    command: str = ""
    requests: int = 0
    """Requests of the timed run (sized from the probe)."""
    requests_per_s: float | None = None
    """The tool's own ``Req Throughput (req/s)``."""
    duration_s: float | None = None
    """The tool's ``Test Duration (s)``: first request start to last end."""
    succeeded: int | None = None
    served: int | None = None
    """Generation requests the server counted during the timed run (includes a connection test)."""
    wall_s: float | None = None
    cpu_s: float | None = None
    """Client CPU seconds (user + system), process start to exit."""
    self_check: dict[str, Any] = field(default_factory=dict)
    """Whatever the tool's summary says about its own trustworthiness (Assay's self-check keys)."""
    all_requests_per_s: list[float] = field(default_factory=list)
    """The rate of every timed run of this config; the fastest one is the row."""
    problems: list[str] = field(default_factory=list)


@dataclass
class OpenLoopRun:
    """One open-loop run."""

    tool: str
    command: str = ""
    requests: int = 0
    schedule_rate: float | None = None
    """(n - 1) / first-to-last intended send time (Assay's records): the random schedule's own rate."""
    client_send_rate: float | None = None
    """(n - 1) / first-to-last request start, from the tool's records."""
    server_arrival_rate: float | None = None
    """(n - 1) / first-to-last arrival at the server: the achieved rate that is judged."""
    reported: dict[str, Any] = field(default_factory=dict)
    """The tool's own numbers: request throughput, achieved send rate, schedule lag."""
    lag_ms: dict[str, float] = field(default_factory=dict)
    """start - intended, recomputed from Assay's records."""
    arrival_lag_ms: dict[str, float] = field(default_factory=dict)
    """server arrival - intended (Assay): the lag as the server saw it."""
    status: str = "-"
    problems: list[str] = field(default_factory=list)


@dataclass
class Context:
    args: argparse.Namespace
    tmp: Path
    prompts: list[str]
    dataset_flags: list[str]
    evalscope_cli: str | None


# ---------------------------------------------------------------------------------------------
# Closed loop
# ---------------------------------------------------------------------------------------------


def perf_argv(ctx: Context, cli: str, url: str, outputs: Path, load: list[str]) -> list[str]:
    return [
        cli,
        "perf",
        "--url",
        f"{url}/chat/completions",
        "--model",
        MODEL,
        *load,
        "--stream",
        "--max-tokens",
        str(TOKENS),
        *ctx.dataset_flags,
        "--outputs-dir",
        str(outputs),
        "--no-timestamp",
    ]


def _tool_cli(ctx: Context, tool: str) -> str:
    cli = ctx.args.assay_cli if tool == "assay" else ctx.evalscope_cli
    if cli is None:
        raise RuntimeError(f"{tool} is not available")
    return str(cli)


def _run_perf(ctx: Context, config: Config, server: RunningServer, number: int, work: Path) -> CommandResult:
    load = ["--parallel", str(PARALLEL), "--number", str(number)]
    if config.workers is not None:
        load += ["--num-workers", str(config.workers)]
    argv = pinned(perf_argv(ctx, _tool_cli(ctx, config.tool), server.url, work / "outputs", load), config.cores)
    server.reset()
    return time_command(argv, log_path=work / "perf.log", env={**os.environ, **TOOL_ENV}, timeout_s=ctx.args.timeout_s)


def _summary(run: CommandResult, work: Path) -> dict[str, Any]:
    folder = run_folder(work / "outputs")
    if not run.ok or folder is None:
        why = "timed out" if run.returncode is None else f"exited {run.returncode}"
        raise RuntimeError(f"{why}; {'no run folder; ' if folder is None else ''}{run.tail(1500)}")
    summary, _ = read_run_files(folder)
    return summary


def _work_dir(ctx: Context, config: Config, label: str) -> Path:
    return ctx.tmp / config.name.replace(" ", "_").replace("(", "").replace(")", "") / label


def probe_rate(ctx: Context, config: Config, server: RunningServer) -> float:
    """The rate of a probe run of ``--probe`` requests, to size the timed runs."""
    work = _work_dir(ctx, config, "probe")
    probe = _summary(_run_perf(ctx, config, server, ctx.args.probe, work), work)
    return float(probe["Req Throughput (req/s)"])


def run_size(ctx: Context, rate: float) -> int:
    """Requests for about ``--seconds`` at ``rate``: whole rounds of ``--parallel``, at least ``--probe``."""
    rounds = max(1, round(rate * ctx.args.seconds / PARALLEL))
    return int(min(MAX_REQUESTS, max(ctx.args.probe, rounds * PARALLEL)))


def capacity(ctx: Context, config: Config, server: RunningServer, requests: int, run_id: int) -> CapacityRun:
    """One timed closed-loop run of ``requests`` requests."""
    result = CapacityRun(config.name, ",".join(map(str, config.cores)), requests=requests)
    work = _work_dir(ctx, config, f"timed-{run_id}")
    try:
        run = _run_perf(ctx, config, server, requests, work)
        result.command = run.command_line
        result.wall_s, result.cpu_s = round(run.wall_s, 2), None if run.cpu_s is None else round(run.cpu_s, 2)
        summary = _summary(run, work)
        result.served = int(server.stats()["requests_total"])
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        result.problems.append(str(exc)[-1500:])
        return result
    result.requests_per_s = float(summary["Req Throughput (req/s)"])
    result.duration_s = float(summary["Test Duration (s)"])
    result.succeeded = int(summary["Success Requests"])
    result.self_check = {k: v for k, v in summary.items() if _is_self_check(k)}
    if result.succeeded != result.requests:
        result.problems.append(f"{result.succeeded} of {result.requests} requests succeeded")
    if result.served < result.requests:
        result.problems.append(f"the server counted only {result.served} requests")
    if not ctx.args.quick and result.duration_s < 5:
        result.problems.append(f"the timed run lasted {result.duration_s:.1f} s (< 5 s)")
    return result


def closed_loop(ctx: Context, configs: Sequence[Config], server: RunningServer) -> list[CapacityRun]:
    """Probe each config, then ``--runs`` timed rounds, interleaved; the fastest run of each counts.

    Each timed run is sized from the best rate seen so far for its config (the probe's, then the
    timed runs'), so a probe that ran slow (start-up, a noisy neighbour) only lengthens the first run.
    """
    best_rate: dict[str, float] = {}
    done: dict[str, list[CapacityRun]] = {config.name: [] for config in configs}
    for config in configs:
        _progress(f"{config.name}: probe ...")
        try:
            best_rate[config.name] = probe_rate(ctx, config, server)
        except (RuntimeError, OSError, ValueError, KeyError) as exc:
            failed = CapacityRun(config.name, ",".join(map(str, config.cores)))
            failed.problems.append(f"probe: {str(exc)[-1500:]}")
            done[config.name].append(failed)
    for run_id in range(ctx.args.runs):
        for config in configs:
            if config.name not in best_rate:
                continue
            requests = run_size(ctx, best_rate[config.name])
            _progress(f"{config.name}: timed run {run_id + 1}/{ctx.args.runs}, {requests} requests ...")
            run = capacity(ctx, config, server, requests, run_id)
            done[config.name].append(run)
            best_rate[config.name] = max(best_rate[config.name], run.requests_per_s or 0.0)
    return [_fastest(done[config.name]) for config in configs]


def _fastest(runs: Sequence[CapacityRun]) -> CapacityRun:
    """The fastest clean run, its row listing every run's rate; a failed run wins, to be seen."""
    broken = [r for r in runs if r.problems]
    best = broken[0] if broken else max(runs, key=lambda r: r.requests_per_s or 0.0)
    best.all_requests_per_s = [r.requests_per_s or 0.0 for r in runs]
    return best


def _is_self_check(key: str) -> bool:
    words = ("client", "trust", "lag", "cpu", "worker")
    return any(word in key.lower() for word in words)


def bare_rate(ctx: Context, server: RunningServer) -> float | None:
    """Requests/s of the bare streaming client on the client core against the same server.

    A reference, not a ceiling: it is plain aiohttp (``iter_any``, a list per request), and a tuned
    client can beat it. The server's capacity is at least the best rate any client reached.
    """
    try:
        out = drive_stream(
            f"{server.url}/chat/completions",
            ctx.prompts,
            ctx.args.bare_requests,
            concurrency=PARALLEL,
            core=ctx.args.client_core,
            log_path=ctx.tmp / "bare.log",
            max_tokens=TOKENS,
        )
    except RuntimeError as exc:
        _progress(f"bare client failed: {exc}")
        return None
    return round(out["requests_per_s"], 1)


# ---------------------------------------------------------------------------------------------
# Open loop
# ---------------------------------------------------------------------------------------------


def open_loop(ctx: Context, tool: str) -> OpenLoopRun:
    a = ctx.args
    result = OpenLoopRun(tool)
    work = ctx.tmp / f"open-{tool}"
    record = work / "server-record.jsonl"
    server_args = ["--ttft-ms", str(OPEN_TTFT_MS), "--itl-ms", str(OPEN_ITL_MS)]
    server_args += ["--default-reply", SIXTEEN_TOKEN_REPLY, "--record", str(record)]
    load = ["--rate", f"{a.open_rate:g}", "--open-loop", "--number", str(a.open_number)]
    try:
        with start_test_server(*server_args, log_path=work / "server.log", core=a.server_core) as server:
            argv = pinned(perf_argv(ctx, _tool_cli(ctx, tool), server.url, work / "outputs", load), a.client_core)
            result.command = " ".join(argv)
            run = time_command(argv, log_path=work / "perf.log", env={**os.environ, **TOOL_ENV}, timeout_s=a.timeout_s)
            summary = _summary(run, work)
        folder = run_folder(work / "outputs")
        assert folder is not None  # _summary found it
        _, rows = read_run_files(folder)
        db = folder / "benchmark_data.db"
        requests = read_assay_db(db) if tool == "assay" else read_evalscope_db(db)
    except (RuntimeError, OSError, ValueError, KeyError, sqlite3.Error) as exc:
        result.problems.append(str(exc)[-1500:])
        result.status = "ERROR"
        return result
    _fill_open_loop(result, summary, rows, requests, record)
    _judge_open_loop(result, a)
    return result


def _rate(times_ns: Sequence[int]) -> float | None:
    """(n - 1) / (last - first): the rate of n events, None when undefined."""
    if len(times_ns) < 2 or max(times_ns) == min(times_ns):
        return None
    return round((len(times_ns) - 1) / ((max(times_ns) - min(times_ns)) / 1e9), 3)


def _fill_open_loop(
    result: OpenLoopRun,
    summary: dict[str, Any],
    rows: list[dict[str, Any]],
    requests: Sequence[ClientRequest],
    record: Path,
) -> None:
    result.requests = len(requests)
    result.reported = {k: v for k, v in summary.items() if k == "Req Throughput (req/s)" or _is_self_check(k)}
    result.reported.update({k: v for k, v in summary.items() if "send rate" in k.lower()})
    for label in ("50%", "99%"):
        value = percentile_value(rows, "Schedule lag (ms)", label)
        if value is not None:
            result.reported[f"Schedule lag (ms) {label}"] = value
    traces = read_server_traces(record)
    arrivals = [traces[r.reply_id].arrival_ns for r in requests if r.reply_id in traces]
    if len(arrivals) < len(requests):
        result.problems.append(f"{len(requests) - len(arrivals)} requests matched no server record")
    result.server_arrival_rate = _rate(arrivals)
    result.client_send_rate = _rate([r.start_ns for r in requests])
    scheduled = [r for r in requests if r.intended_ns is not None]
    if scheduled:
        result.schedule_rate = _rate([r.intended_ns for r in scheduled if r.intended_ns is not None])
        result.lag_ms = summarize_ms([r.start_ns - r.intended_ns for r in scheduled if r.intended_ns is not None])
        result.arrival_lag_ms = summarize_ms(
            [
                traces[r.reply_id].arrival_ns - r.intended_ns
                for r in scheduled
                if r.intended_ns is not None and r.reply_id in traces
            ]
        )


def _judge_open_loop(result: OpenLoopRun, args: argparse.Namespace) -> None:
    if result.server_arrival_rate is None:
        result.status = "ERROR"
        return
    if args.quick or result.tool != "assay":
        return
    off = result.server_arrival_rate / args.open_rate - 1
    result.status = "PASS" if abs(off) <= OPEN_TOLERANCE else f"FAIL ({off:+.1%})"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _num(value: float | None, fmt: str = ".1f") -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def _rates(run: CapacityRun) -> str:
    """The kept rate, then every run's in brackets when there were several."""
    if len(run.all_requests_per_s) < 2:
        return _num(run.requests_per_s)
    return f"{_num(run.requests_per_s)} ({' '.join(f'{rate:.0f}' for rate in run.all_requests_per_s)})"


def capacity_verdict(runs: Sequence[CapacityRun], args: argparse.Namespace) -> tuple[float | None, str]:
    by_name = {r.name: r for r in runs}
    assay, evalscope = by_name.get("assay w1"), by_name.get("evalscope")
    if not (assay and evalscope and assay.requests_per_s and evalscope.requests_per_s):
        return None, "-"
    ratio = assay.requests_per_s / evalscope.requests_per_s
    if args.quick:
        return ratio, "n/a (quick)"
    return ratio, "PASS" if ratio >= GOAL_RATIO else "FAIL"


def render(
    runs: Sequence[CapacityRun], bare: float | None, opens: Sequence[OpenLoopRun], args: argparse.Namespace
) -> str:
    lines = [
        f"Closed loop: zero-delay server, {TOKENS}-token streams (core {args.server_core}), "
        f"--parallel {PARALLEL} --stream; req/s as each tool reports it",
    ]
    rows = [["bare aiohttp", str(args.client_core), str(args.bare_requests), "-", _num(bare), "100%", "-", "-"]]
    for r in runs:
        cpu = "-" if r.cpu_s is None or not r.wall_s else f"{r.cpu_s:.1f} s ({r.cpu_s / r.wall_s:.0%} of wall)"
        of_bare = "-" if not (r.requests_per_s and bare) else f"{r.requests_per_s / bare:.0%}"
        rows.append(
            [
                r.name,
                r.cores,
                str(r.requests),
                _num(r.duration_s, ".2f"),
                _rates(r),
                of_bare,
                cpu,
                "ok" if not r.problems else "PROBLEM",
            ]
        )
    headers = ["client", "cores", "requests", "duration s", "req/s (each run)", "of bare", "client CPU", "run"]
    lines.append(format_table(headers, rows))
    ratio, verdict = capacity_verdict(runs, args)
    if ratio is not None:
        lines.append(f"assay w1 / evalscope: {ratio:.2f}x (goal >= {GOAL_RATIO}x): {verdict}")
    by_name = {r.name: r for r in runs}
    label = "-".join(map(str, args.scaling_cores))
    w1, w2 = by_name.get(f"assay w1 ({label})"), by_name.get(f"assay w2 ({label})")
    if w1 and w2 and w1.requests_per_s and w2.requests_per_s:
        shared = args.server_core in args.scaling_cores
        lines.append(
            f"--num-workers 2 vs 1, both on cores {label}"
            f"{f' (sharing core {args.server_core} with the server)' if shared else ''}: "
            f"{w2.requests_per_s / w1.requests_per_s:.2f}x"
        )
    for r in runs:
        if r.self_check:
            lines.append(f"{r.name}: its self-check: {json.dumps(r.self_check)}")
        lines.extend(f"{r.name}: problem: {p}" for p in r.problems)
    if opens:
        lines.append("")
        lines.append(
            f"Open loop: --rate {args.open_rate:g} --open-loop --number {args.open_number}, server "
            f"{OPEN_TTFT_MS} ms + 15 x {OPEN_ITL_MS} ms (core {args.server_core}), client core {args.client_core}; "
            "rates req/s, lag ms"
        )
        headers = ["client", "requests", "schedule", "client sent", "server arrivals", "off target", "lag p50/p99/max"]
        headers.append("result")
        rows = []
        for o in opens:
            off = "-" if o.server_arrival_rate is None else f"{o.server_arrival_rate / args.open_rate - 1:+.2%}"
            lags = "-" if not o.lag_ms else f"{o.lag_ms['p50']:.2f}/{o.lag_ms['p99']:.2f}/{o.lag_ms['max']:.2f}"
            row = [o.tool, str(o.requests), _num(o.schedule_rate, ".2f"), _num(o.client_send_rate, ".2f")]
            rows.append([*row, _num(o.server_arrival_rate, ".2f"), off, lags, o.status])
        lines.append(format_table(headers, rows))
        lines.append(f"goal (assay): server arrival rate within {OPEN_TOLERANCE:.0%} of {args.open_rate:g}/s")
        for o in opens:
            if o.reported:
                lines.append(f"{o.tool}: reports {json.dumps(o.reported)}")
            if o.arrival_lag_ms:
                lag = o.arrival_lag_ms
                lines.append(f"{o.tool}: server arrival - intended send: p50 {lag['p50']:.2f}, p99 {lag['p99']:.2f} ms")
            lines.extend(f"{o.tool}: problem: {p}" for p in o.problems)
    return "\n".join(lines)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--skip-evalscope", action="store_true", help="measure Assay (and the bare client) only")
    p.add_argument("--skip-assay", action="store_true", help="measure EvalScope (and the bare client) only")
    p.add_argument("--skip-open-loop", action="store_true", help="closed-loop capacity only")
    p.add_argument("--skip-closed-loop", action="store_true", help="open-loop check only")
    p.add_argument(
        "--evalscope-python",
        default=os.environ.get("EVALSCOPE_PYTHON", DEFAULT_EVALSCOPE_PYTHON),
        help="python of EvalScope's own venv; its `evalscope` CLI sits next to it (default: %(default)s)",
    )
    p.add_argument("--assay-cli", default=str(ASSAY_CLI), help="the `assay` to measure (default: .venv's)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("ASSAY_BENCH_DATA", REPO_ROOT.parent / "shared" / "data")),
        help="holds sonnet/sonnet.txt, the prompts (default: $ASSAY_BENCH_DATA or ../shared/data)",
    )
    p.add_argument("--server-core", type=int, default=1, help="core the test server is pinned to (default 1)")
    p.add_argument("--client-core", type=int, default=0, help="core of the one-core client runs (default 0)")
    p.add_argument(
        "--scaling-cores",
        type=lambda text: [int(core) for core in text.split(",")],
        default=[0, 1],
        help="cores of the --num-workers 1 vs 2 runs, e.g. 2,3 on a bigger machine (default 0,1)",
    )
    p.add_argument("--seconds", type=float, default=7.0, help="target length of each timed closed-loop run, s")
    p.add_argument("--runs", type=int, default=2, help="timed runs per config, interleaved; the fastest counts")
    p.add_argument("--probe", type=int, default=5000, help="requests of the probe run that sizes the timed run")
    p.add_argument("--bare-requests", type=int, default=20000, help="requests of the bare-client reference run")
    p.add_argument("--open-rate", type=float, default=OPEN_RATE)
    p.add_argument("--open-number", type=int, default=OPEN_NUMBER)
    p.add_argument("--quick", action="store_true", help="small runs (about 1 s each); goals not judged")
    p.add_argument("--timeout-s", type=float, default=300.0, help="limit for each tool run, s")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (outputs, records, logs) and print it")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.probe, args.bare_requests = 1.0, min(args.probe, 500), min(args.bare_requests, 2000)
        args.runs = 1
        args.open_number = min(args.open_number, 200)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    evalscope_cli = find_evalscope(args.evalscope_python, skip=args.skip_evalscope, perf=True)
    tmp = Path(tempfile.mkdtemp(prefix="assay-bench-capacity-"))
    runs: list[CapacityRun] = []
    opens: list[OpenLoopRun] = []
    bare: float | None = None
    try:
        text = args.data_dir / "sonnet" / "sonnet.txt"
        flags = ["--dataset", "line_by_line", "--dataset-path", str(text)]
        ctx = Context(args, tmp, load_prompts(text), flags, evalscope_cli)
        tools = [*([] if args.skip_assay else ["assay"]), *(["evalscope"] if evalscope_cli else [])]
        if not args.skip_closed_loop:
            server_args = ["--ttft-ms", "0", "--itl-ms", "0", "--default-reply", SIXTEEN_TOKEN_REPLY]
            with start_test_server(*server_args, log_path=tmp / "server.log", core=args.server_core) as server:
                _progress("bare client ...")
                bare = bare_rate(ctx, server)
                runs = closed_loop(ctx, client_configs(args, tools), server)
        if not args.skip_open_loop:
            for tool in tools:
                _progress(f"open loop: {tool} ...")
                opens.append(open_loop(ctx, tool))
    finally:
        if args.keep:
            _progress(f"outputs and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(render(runs, bare, opens, args))
    _, verdict = capacity_verdict(runs, args)
    if args.json:
        payload = _json_payload(args, runs, bare, opens, verdict)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    failed = verdict == "FAIL" or any(r.problems for r in runs)
    failed = failed or any(o.status.startswith(("FAIL", "ERROR")) for o in opens)
    return 1 if failed else 0


def _json_payload(
    args: argparse.Namespace,
    runs: Sequence[CapacityRun],
    bare: float | None,
    opens: Sequence[OpenLoopRun],
    verdict: str,
) -> dict[str, Any]:
    ratio, _ = capacity_verdict(runs, args)
    return {
        "script": "bench/perf_capacity.py",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "settings": {
            "parallel": PARALLEL,
            "tokens": TOKENS,
            "seconds": args.seconds,
            "probe": args.probe,
            "open_rate": args.open_rate,
            "open_number": args.open_number,
            "quick": args.quick,
            "server_core": args.server_core,
            "client_core": args.client_core,
            "scaling_cores": args.scaling_cores,
            "runs": args.runs,
        },
        "bare_requests_per_s": bare,
        "closed_loop": [asdict(r) for r in runs],
        "assay_over_evalscope": ratio,
        "capacity_result": verdict,
        "open_loop": [asdict(o) for o in opens],
    }


if __name__ == "__main__":
    raise SystemExit(main())
