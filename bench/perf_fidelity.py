"""Timing fidelity of ``assay perf``: its TTFT against the test server's own record, vs EvalScope 1.14.

The test server (pinned to core 1) streams 16 tokens per request, the first 50 ms after the request
arrives and one every 10 ms after that, and records when it really wrote each chunk
(``--record``, ``time.perf_counter_ns()``). Each client (pinned to core 0) runs
``--parallel 64 --number 2000 --stream --max-tokens 16`` with the same prompts:

- a bare aiohttp + uvloop streaming client (the calibration: what the loopback and the smallest
  possible client cost),
- ``assay perf``,
- ``evalscope perf`` (its own venv, run as a program).

**Truth.** The server's clock and the clients' are the same CLOCK_MONOTONIC, so every request a
client stored is matched, by the reply ``id`` in its chunks, to the server's record of it:

- *server TTFT* = first token written − request arrival (the server's own record): the truth;
- *error* = the TTFT the tool reports for that request − server TTFT, split into
  *send* = server arrival − the tool's request start (request building, connection, loopback, the
  server's accept) and *receive* = the tool's first-token time − server first write (loopback,
  the client's read and event-loop delays). ``receive`` alone is "measured − (server first write −
  client start)": it counts whatever the client did before the request reached the server as
  real TTFT; ``error`` does not.

The table shows p50 and p99 over the matched requests of each tool, and the p99 without the first
``--parallel`` requests (sent while every connection was still being opened: about 10 ms of
connection set-up, client and server side, that every aiohttp client pays). The bare client also
stamps the moment aiohttp handed its body to the socket, which splits its send time into its own
part and the part of the loopback and the server's accept, the floor of any client's error here.

Goals (Assay): error within
±0.5 ms at p50 and ±2 ms at p99; the request rate the tool reports ≥ 99% of the ideal closed-loop
rate. Ideal: 64 / (0.05 + 15 × 0.010) s = 320 req/s; 2000 requests are 31.25 rounds of 64, so any
closed-loop client needs at least 32 request times (6.4 s): at most 312.5 req/s, 97.7% of 320. The
rate goal is judged against that ceiling; both percentages are printed, and the rate as a share of
the bare client's in the same run.

Usage:
    .venv/bin/python bench/perf_fidelity.py                       # all three clients (about 1 minute)
    .venv/bin/python bench/perf_fidelity.py --skip-evalscope --json out.json
    .venv/bin/python bench/perf_fidelity.py --quick               # 256 requests; goals not judged

Exit status: 0 when every judged goal passed and every client ran, 1 otherwise.
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
from collections import Counter
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
    ServerTrace,
    drive_stream,
    find_evalscope,
    format_table,
    load_prompts,
    nearest_rank,
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
TTFT_MS, ITL_MS, TOKENS = 50.0, 10.0, 16
REQUEST_S = (TTFT_MS + (TOKENS - 1) * ITL_MS) / 1000
SERVER_CORE, TOOL_CORE = 1, 0
GOAL_P50_MS, GOAL_P99_MS, GOAL_RATE = 0.5, 2.0, 0.99
QUICK_NUMBER = 256
TOOL_ENV = {"NO_COLOR": "1", "TERM": "dumb", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
NS_PER_MS = 1e6

TRUTH = (
    "server TTFT = server's first-token write - server's request arrival (its --record, perf_counter_ns); "
    "error = the tool's TTFT for the same request (matched by reply id) - server TTFT = send + receive; "
    "send = server arrival - tool's request start; receive = tool's first-token time - server first write"
)


@dataclass
class Fidelity:
    """One client's run, compared with the server's record."""

    tool: str
    command: str
    number: int
    run: int = 0
    wall_s: float | None = None
    requests: int = 0
    """Successful requests the client stored."""
    matched: int = 0
    """Of those, matched to a server record by reply id."""
    measured_ttft_ms: dict[str, float] = field(default_factory=dict)
    server_ttft_ms: dict[str, float] = field(default_factory=dict)
    error_ms: dict[str, float] = field(default_factory=dict)
    send_ms: dict[str, float] = field(default_factory=dict)
    receive_ms: dict[str, float] = field(default_factory=dict)
    error_after_first_round_ms: dict[str, float] = field(default_factory=dict)
    """The error without the first ``parallel`` requests (sent while connections were being opened)."""
    socket_to_server_ms: dict[str, float] = field(default_factory=dict)
    """Bare client only: body handed to the socket -> server arrival (loopback + the server's accept)."""
    reported_ttft_ms: dict[str, float] = field(default_factory=dict)
    """p50/p99 TTFT in the tool's own percentile file (None for the bare client)."""
    requests_per_s: float | None = None
    """The rate the tool reports (EvalScope's ``Req Throughput (req/s)``)."""
    server_requests_per_s: float | None = None
    """Matched requests / (last write - first arrival) as the server saw them."""
    same_prompts: bool | None = None
    status: str = "n/a"
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Prompts: the same for every client
# ---------------------------------------------------------------------------------------------


def dataset_flags(dataset: str, text_path: Path, tmp: Path) -> list[str]:
    """``--dataset ... --dataset-path ...`` for both tools; openqa gets a jsonl of the same lines."""
    if dataset == "line_by_line":
        return ["--dataset", "line_by_line", "--dataset-path", str(text_path)]
    jsonl = tmp / "openqa.jsonl"
    jsonl.write_text("".join(json.dumps({"question": p}) + "\n" for p in load_prompts(text_path)))
    return ["--dataset", "openqa", "--dataset-path", str(jsonl)]


# ---------------------------------------------------------------------------------------------
# Reading each client's per-request records
# ---------------------------------------------------------------------------------------------


def read_bare(path: Path, prompts: Sequence[str]) -> list[ClientRequest]:
    """The bare client's JSON lines (its prompts are ``prompts`` cycled, in send order)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        ClientRequest(
            row["id"], row["start_ns"], row["first_ns"] - row["start_ns"], prompts[i % len(prompts)], row["sent_ns"]
        )
        for i, row in enumerate(rows)
        if row["first_ns"] is not None
    ]


def read_reported(folder: Path) -> tuple[float | None, dict[str, float]]:
    """``Req Throughput (req/s)`` and the p50/p99 ``TTFT (ms)`` the tool wrote."""
    summary, rows = read_run_files(folder)
    ttft = {}
    for key, label in (("p50", "50%"), ("p99", "99%")):
        value = percentile_value(rows, "TTFT (ms)", label)
        if value is not None:
            ttft[key] = value
    rate = summary.get("Req Throughput (req/s)")
    return (float(rate) if rate is not None else None), ttft


# ---------------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------------


def compare(
    result: Fidelity, requests: Sequence[ClientRequest], traces: dict[str, ServerTrace], *, parallel: int
) -> None:
    """Fill ``result`` with the per-request comparison of ``requests`` against the server's record."""
    result.requests = len(requests)
    pairs = [(r, traces[r.reply_id]) for r in requests if r.reply_id in traces]
    result.matched = len(pairs)
    if not pairs:
        result.problems.append("no request matched a server record")
        return
    result.measured_ttft_ms = summarize_ms([r.ttft_ns for r, _ in pairs])
    result.server_ttft_ms = summarize_ms([t.ttft_ns for _, t in pairs])
    result.error_ms = summarize_ms([r.ttft_ns - t.ttft_ns for r, t in pairs])
    result.send_ms = summarize_ms([t.arrival_ns - r.start_ns for r, t in pairs])
    receive = [r.start_ns + r.ttft_ns - t.first_byte_ns for r, t in pairs]
    result.receive_ms = summarize_ms(receive)
    later = sorted(pairs, key=lambda pair: pair[0].start_ns)[parallel:]
    result.error_after_first_round_ms = summarize_ms([r.ttft_ns - t.ttft_ns for r, t in later])
    wire = [t.arrival_ns - r.sent_ns for r, t in pairs if r.sent_ns is not None]
    if wire:
        result.socket_to_server_ms = summarize_ms(wire)
    span_ns = max(t.last_byte_ns for _, t in pairs) - min(t.arrival_ns for _, t in pairs)
    result.server_requests_per_s = round(len(pairs) / (span_ns / 1e9), 2) if span_ns > 0 else None
    if min(receive) < -50_000:  # 50 µs: the first token cannot arrive before the server wrote it
        result.problems.append(f"first token before the server wrote it ({min(receive) / NS_PER_MS:.3f} ms): clocks?")
    if result.matched < result.requests:
        result.problems.append(f"{result.requests - result.matched} stored requests matched no server record")
    if result.requests < result.number:
        result.problems.append(f"only {result.requests} of {result.number} requests succeeded with output")


def check_prompts(result: Fidelity, requests: Sequence[ClientRequest], prompts: Sequence[str]) -> None:
    """Did the client send the dataset's prompts, cycled, ``number`` of them (as a multiset)?"""
    expected = Counter(prompts[i % len(prompts)] for i in range(result.number))
    result.same_prompts = Counter(r.prompt for r in requests) == expected
    if not result.same_prompts:
        result.problems.append("its prompts differ from the dataset's first prompts, cycled")


def ceiling_rate(parallel: int, number: int) -> float:
    """The best closed-loop rate: ``number`` requests need ceil(number / parallel) request times."""
    return number / (math.ceil(number / parallel) * REQUEST_S)


def judge(result: Fidelity, args: argparse.Namespace) -> None:
    if result.problems and not result.matched:
        result.status = "ERROR"
        return
    if args.quick or result.tool != "assay":
        result.status = "n/a (quick)" if args.quick and result.tool == "assay" else "-"
        return
    misses = []
    p50, p99 = result.error_ms.get("p50", math.nan), result.error_ms.get("p99", math.nan)
    if not abs(p50) <= GOAL_P50_MS:
        misses.append(f"p50 {p50:+.2f} ms")
    if not abs(p99) <= GOAL_P99_MS:
        misses.append(f"p99 {p99:+.2f} ms")
    rate = result.requests_per_s or 0.0
    if rate < GOAL_RATE * ceiling_rate(args.parallel, args.number):
        misses.append(f"rate {rate:.1f}/s")
    result.status = "FAIL: " + ", ".join(misses) if misses else "PASS"


# ---------------------------------------------------------------------------------------------
# Running each client against a fresh recording server
# ---------------------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    tmp: Path
    prompts: list[str]
    dataset_flags: list[str]
    evalscope_cli: str | None


def _server_args(record: Path) -> list[str]:
    return [
        "--ttft-ms",
        f"{TTFT_MS:g}",
        "--itl-ms",
        f"{ITL_MS:g}",
        "--default-reply",
        SIXTEEN_TOKEN_REPLY,
        "--record",
        str(record),
    ]


def perf_argv(cli: str, url: str, ctx: Context, outputs: Path) -> list[str]:
    """The same ``perf`` command line for ``assay`` and ``evalscope``."""
    a = ctx.args
    return [
        cli,
        "perf",
        "--url",
        f"{url}/chat/completions",
        "--model",
        MODEL,
        "--parallel",
        str(a.parallel),
        "--number",
        str(a.number),
        "--stream",
        "--max-tokens",
        str(TOKENS),
        *ctx.dataset_flags,
        "--outputs-dir",
        str(outputs),
        "--no-timestamp",
    ]


def measure(ctx: Context, tool: str, run_id: int) -> Fidelity:
    """One client's run against its own recording server, compared with that server's record."""
    work = ctx.tmp / f"{tool}-{run_id}"
    work.mkdir()
    record = work / "server-record.jsonl"
    with start_test_server(*_server_args(record), log_path=work / "server.log", core=SERVER_CORE) as server:
        if tool == "bare":
            result = _run_bare(ctx, server.url, work)
        else:
            cli = ctx.args.assay_cli if tool == "assay" else ctx.evalscope_cli
            assert cli is not None
            argv = pinned(perf_argv(cli, server.url, ctx, work / "outputs"), TOOL_CORE)
            run = time_command(
                argv, log_path=work / "perf.log", env={**os.environ, **TOOL_ENV}, timeout_s=ctx.args.timeout_s
            )
            result = _read_tool_run(ctx, tool, run, work / "outputs")
    result.run = run_id
    return result


def _run_bare(ctx: Context, url: str, work: Path) -> Fidelity:
    a = ctx.args
    result = Fidelity("bare", f"bare aiohttp+uvloop client, {a.parallel} in flight, core {TOOL_CORE}", a.number)
    started = time.perf_counter()
    try:
        out = drive_stream(
            f"{url}/chat/completions",
            ctx.prompts,
            a.number,
            concurrency=a.parallel,
            core=TOOL_CORE,
            log_path=work / "bare.log",
            max_tokens=TOKENS,
            records_path=work / "bare.jsonl",
            timeout_s=a.timeout_s,
        )
    except RuntimeError as exc:
        result.problems.append(str(exc)[-500:])
        return result
    result.wall_s = round(time.perf_counter() - started, 3)
    result.requests_per_s = round(out["requests_per_s"], 2)
    requests = read_bare(work / "bare.jsonl", ctx.prompts)
    compare(result, requests, read_server_traces(work / "server-record.jsonl"), parallel=a.parallel)
    return result


def _read_tool_run(ctx: Context, tool: str, run: CommandResult, outputs: Path) -> Fidelity:
    a = ctx.args
    result = Fidelity(tool, run.command_line, a.number, wall_s=round(run.wall_s, 3))
    try:
        folder = run_folder(outputs)
    except RuntimeError as exc:
        result.problems.append(str(exc))
        return result
    if not run.ok or folder is None:
        why = "timed out" if run.returncode is None else f"exited {run.returncode}"
        result.problems.append(f"{tool} perf {why}; no run folder" if folder is None else f"{tool} perf {why}")
        result.problems.append(run.tail(1500))
        if folder is None:
            return result
    try:
        result.requests_per_s, result.reported_ttft_ms = read_reported(folder)
        db = folder / "benchmark_data.db"
        requests = read_assay_db(db) if tool == "assay" else read_evalscope_db(db)
    except (OSError, ValueError, KeyError, RuntimeError, sqlite3.Error) as exc:
        result.problems.append(f"cannot read {folder}: {exc!r}")
        return result
    compare(result, requests, read_server_traces(outputs.parent / "server-record.jsonl"), parallel=a.parallel)
    check_prompts(result, requests, ctx.prompts)
    _check_reported(result, requests)
    return result


def _check_reported(result: Fidelity, requests: Sequence[ClientRequest]) -> None:
    """The tool's own percentile file should say what its per-request records say (both nearest rank)."""
    ttft_ms = [r.ttft_ns / NS_PER_MS for r in requests]
    for key, q in (("p50", 50), ("p99", 99)):
        reported, recomputed = result.reported_ttft_ms.get(key), nearest_rank(ttft_ms, q)
        if reported is not None and not abs(reported - recomputed) <= 0.01:
            result.problems.append(f"its {key} TTFT file says {reported:.3f} ms, its records {recomputed:.3f} ms")


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _ms(stats: dict[str, float], key: str) -> str:
    value = stats.get(key)
    return "-" if value is None or math.isnan(value) else f"{value:+.2f}"


def _plain(stats: dict[str, float], key: str) -> str:
    value = stats.get(key)
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


def render(results: Sequence[Fidelity], args: argparse.Namespace) -> str:
    ideal = args.parallel / REQUEST_S
    ceiling = ceiling_rate(args.parallel, args.number)
    headers = [
        "client",
        "matched",
        "TTFT p50",
        "server p50",
        "err p50",
        "err p99",
        "p99 w/o r1",
        "send p50/p99",
        "recv p50/p99",
        "req/s",
        f"of {ideal:.0f}",
        f"of {ceiling:.1f}",
        "of bare",
        "result",
    ]
    bare_rates = {r.run: r.requests_per_s for r in results if r.tool == "bare"}
    rows = []
    for r in results:
        rate, bare = r.requests_per_s, bare_rates.get(r.run)
        rows.append(
            [
                r.tool,
                f"{r.matched}/{r.number}",
                _plain(r.measured_ttft_ms, "p50"),
                _plain(r.server_ttft_ms, "p50"),
                _ms(r.error_ms, "p50"),
                _ms(r.error_ms, "p99"),
                _ms(r.error_after_first_round_ms, "p99"),
                f"{_ms(r.send_ms, 'p50')}/{_ms(r.send_ms, 'p99')}",
                f"{_ms(r.receive_ms, 'p50')}/{_ms(r.receive_ms, 'p99')}",
                "-" if rate is None else f"{rate:.1f}",
                "-" if rate is None else f"{rate / ideal:.1%}",
                "-" if rate is None else f"{rate / ceiling:.2%}",
                "-" if rate is None or not bare else f"{rate / bare:.1%}",
                r.status,
            ]
        )
    lines = [
        f"TTFT fidelity: server {TTFT_MS:g} ms + {TOKENS - 1} x {ITL_MS:g} ms (core {SERVER_CORE}), "
        f"--parallel {args.parallel} --number {args.number} --stream (core {TOOL_CORE}); all times ms",
        format_table(headers, rows),
        f"goals (assay): |err p50| <= {GOAL_P50_MS} ms, |err p99| <= {GOAL_P99_MS} ms, "
        f"req/s >= {GOAL_RATE:.0%} of {ceiling:.1f} (the {args.number}-request closed-loop ceiling)",
        f"truth: {TRUTH}",
        f"p99 w/o r1: err p99 without the first {args.parallel} requests (sent while every connection was opening); "
        "recv = measured - (server first write - client start)",
    ]
    for r in results:
        if r.reported_ttft_ms:
            own = ", ".join(f"{k} {v:.2f}" for k, v in r.reported_ttft_ms.items())
            lines.append(f"{r.tool}: its own percentile file says TTFT {own} ms")
        if r.socket_to_server_ms:
            wire = r.socket_to_server_ms
            lines.append(
                f"{r.tool}: socket write -> server arrival (loopback + server accept, in every client's send): "
                f"p50 {wire['p50']:.2f}, p99 {wire['p99']:.2f} ms"
            )
        if r.server_requests_per_s:
            lines.append(f"{r.tool}: the server's view of its rate: {r.server_requests_per_s:.1f} req/s")
        lines.extend(f"{r.tool}: problem: {p}" for p in r.problems)
    return "\n".join(lines)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--skip-evalscope", action="store_true", help="measure the bare client and Assay only")
    p.add_argument("--skip-assay", action="store_true", help="measure the bare client and EvalScope only")
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
    p.add_argument("--dataset", choices=("line_by_line", "openqa"), default="line_by_line")
    p.add_argument("--parallel", type=int, default=64)
    p.add_argument("--number", type=int, default=2000)
    p.add_argument("--runs", type=int, default=1, help="repeat every client this many times (each row reported)")
    p.add_argument("--quick", action="store_true", help=f"{QUICK_NUMBER} requests; goals not judged")
    p.add_argument("--timeout-s", type=float, default=300.0, help="limit for each client run, s")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (outputs, records, logs) and print it")
    args = p.parse_args(argv)
    if args.quick:
        args.number = min(args.number, QUICK_NUMBER)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    evalscope_cli = find_evalscope(args.evalscope_python, skip=args.skip_evalscope, perf=True)
    tmp = Path(tempfile.mkdtemp(prefix="assay-bench-fidelity-"))
    results: list[Fidelity] = []
    try:
        text = args.data_dir / "sonnet" / "sonnet.txt"
        ctx = Context(args, tmp, load_prompts(text), dataset_flags(args.dataset, text, tmp), evalscope_cli)
        tools = ["bare", *([] if args.skip_assay else ["assay"]), *(["evalscope"] if evalscope_cli else [])]
        for run_id in range(args.runs):
            for tool in tools:
                _progress(f"run {run_id + 1}/{args.runs}: {tool} ...")
                result = measure(ctx, tool, run_id)
                judge(result, args)
                results.append(result)
    finally:
        if args.keep:
            _progress(f"outputs, server records and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(render(results, args))
    if args.json:
        args.json.write_text(json.dumps(_json_payload(args, results), indent=2) + "\n")
    failed = [r for r in results if r.status.startswith(("FAIL", "ERROR"))]
    return 1 if failed else 0


def _json_payload(args: argparse.Namespace, results: Sequence[Fidelity]) -> dict[str, Any]:
    return {
        "script": "bench/perf_fidelity.py",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "settings": {
            "ttft_ms": TTFT_MS,
            "itl_ms": ITL_MS,
            "tokens": TOKENS,
            "parallel": args.parallel,
            "number": args.number,
            "dataset": args.dataset,
            "quick": args.quick,
            "server_core": SERVER_CORE,
            "tool_core": TOOL_CORE,
            "ideal_requests_per_s": args.parallel / REQUEST_S,
            "ceiling_requests_per_s": ceiling_rate(args.parallel, args.number),
        },
        "truth": TRUTH,
        "results": [asdict(r) for r in results],
    }


if __name__ == "__main__":
    raise SystemExit(main())
