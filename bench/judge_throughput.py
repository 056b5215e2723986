"""Judge throughput: 805 AlpacaEval judgments against a 200 ms judge test server, Assay vs EvalScope 1.14.

What it measures (one run; the ideal rate and a bare-client baseline come from that same run):

- **the judging phase alone.** Each tool first answers all 805 ``alpaca_eval`` instructions (the
  local AlpacaEval 1.0 records, ``../shared/data/alpaca_eval/alpaca_eval.jsonl``) from a
  zero-latency model test server (judged by a zero-latency judge server: untimed). Then it runs again
  with ``--use-cache <that folder> --rerun-review`` (Assay: after deleting ``<folder>/judge/cache.jsonl``,
  so every verdict is asked again) against a fresh judge test server that holds every reply for
  ``--latency-ms`` (200 ms), ``--concurrency`` (64) judge requests in flight. That second process
  is timed: it only loads the cache and judges (the model server checks that it is not asked again).
- **the ideal rate** = concurrency / latency = 64 / 0.2 s = 320 judgments/s. 805 judgments need at
  least ceil(805 / 64) = 13 rounds of 200 ms, so even a perfect client gets at most 309.6/s (96.8%);
  a bare aiohttp client (805 requests, 64 in flight, same kind of server) shows what this machine allows.
- **Assay's rate** = ``report.judge.requests / report.judge.wall_s`` (first judge request sent to
  last reply received, the tool's own clock). **Goal: ≥ 95% of the ideal rate.** Also shown: the
  rate over the whole process (start to exit: imports, cache, judging, reports).
- **EvalScope's rate** on the same job: ``evalscope eval`` with judge concurrency ``--eval-batch-size``
  (1.14 rejects ``judge_worker_num``), same data (converted offline to the layout its loader reads),
  judged by a server whose reply satisfies its JSON contract (``{"verdict": "M"}``). EvalScope has
  no judging-time field and its log stamps whole seconds, so its judging time is the judge server's
  ``--record``: first request's arrival to last reply written (shorter than a client's view by the
  loopback and the client's own delays, so the comparison leans, if at all, towards EvalScope). Its
  progress-bar rate is shown too.
- Both servers' records count the judge requests they answered (a check that the work was done).
  Assay's judging time is not taken from its server's record: Assay first asks the judge server
  ``GET /v1/models``, and the test server stamps the next chat request on that keep-alive connection
  with the GET's arrival (and answers it early), which would add Assay's start-up to the span.

The test servers are pinned to core 1 and the tools (and the bare client) to core 0.

Usage:
    .venv/bin/python bench/judge_throughput.py                     # everything (about 1-2 minutes)
    .venv/bin/python bench/judge_throughput.py --skip-evalscope --json out.json
    .venv/bin/python bench/judge_throughput.py --limit 100 --runs 1   # smoke run; the goal is not judged

Exit status: 0 when the goal passed (or was not judged: ``--limit``) and every run worked, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # bench scripts run as files, not as a package
    ASSAY_CLI,
    DEFAULT_EVALSCOPE_PYTHON,
    REPO_ROOT,
    CommandResult,
    RunningServer,
    drive_server,
    find_evalscope,
    format_table,
    pinned,
    read_server_traces,
    start_test_server,
    time_command,
)

MODEL = "mock-model"
JUDGE_MODEL = "mock-judge"
DATASET = "alpaca_eval"
ITEMS = 805
SERVER_CORE, TOOL_CORE = 1, 0
GOAL_SHARE = 0.95
#: What the evaluated model answers to every instruction (the judge never reads it: its verdict is fixed).
MODEL_REPLY = "Here is a short and helpful answer to your instruction."
#: Assay's AlpacaEval judge reads the official verdict: the identifier of the better output, alone.
ASSAY_VERDICT = "M"
#: EvalScope 1.14's judges must answer with one JSON object (``api/judge/contracts.py``); its
#: AlpacaEval contract is ``{"verdict": "m" | "M"}``.
EVALSCOPE_VERDICT = '{"verdict": "M"}'
#: The local file is the hub's configuration ``alpaca_eval`` (AlpacaEval 1.0: text-davinci-003's
#: reference answers). Assay finds it in the folder by that name; EvalScope is told this subset,
#: since its default, ``alpaca_eval_gpt4_baseline``, names GPT-4 Turbo's reference answers.
SUBSET, SPLIT = "alpaca_eval", "eval"
JUDGE_GENERATION = {"temperature": 0.0}
#: Both tools run offline: the data comes from local files.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "NO_COLOR": "1", "TERM": "dumb"}


@dataclass
class JudgingRun:
    """One timed judging-only run of one tool (or of the bare baseline client)."""

    tool: str
    command: str = ""
    judgments: int = 0
    """Judge requests: Assay's ``report.judge.requests``; EvalScope's answered by the judge server."""
    judging_wall_s: float | None = None
    """The tool's own judging time (Assay: ``report.judge.wall_s``); None where the tool has none."""
    server_span_s: float | None = None
    """Judge server's record: first request's arrival to the last reply written (EvalScope only)."""
    server_requests: int = 0
    process_wall_s: float | None = None
    """The timed process, start to exit."""
    tool_rate_note: str = ""
    """The tool's own rate where it is not a judging time (EvalScope's progress bar)."""
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """Judgments/s by the tool's own clock, else by the server's."""
        wall = self.judging_wall_s or self.server_span_s
        return self.judgments / wall if wall and self.judgments else None

    @property
    def process_rate(self) -> float | None:
        return self.judgments / self.process_wall_s if self.process_wall_s and self.judgments else None


@dataclass
class Context:
    args: argparse.Namespace
    tmp: Path
    evalscope_cli: str | None
    evalscope_data: Path | None = None

    @property
    def items(self) -> int:
        return min(self.args.limit, ITEMS) if self.args.limit else ITEMS

    @property
    def ideal(self) -> float:
        """Judgments/s a client with ``concurrency`` in flight gets from a server that takes ``latency_ms``."""
        concurrency: int = self.args.concurrency
        latency_ms: int = self.args.latency_ms
        return concurrency / (latency_ms / 1000)

    def judge_server_args(self, verdict: str, latency_ms: int, record: Path | None = None) -> list[str]:
        args = ["--default-reply", verdict, "--latency-ms", str(latency_ms)]
        return args + (["--record", str(record)] if record else [])


# ---------------------------------------------------------------------------------------------
# EvalScope's data: the local file in the Hugging Face layout its loader asks `datasets` for
# ---------------------------------------------------------------------------------------------


def prepare_evalscope_data(source: Path, out: Path) -> Path:
    """Write ``out/alpaca_eval`` for EvalScope's ``local_path``; return that folder.

    EvalScope hands a local folder to ``datasets.load_dataset(folder, name=<subset>, split=<split>)``,
    so the folder needs a README whose YAML maps config ``alpaca_eval``, split ``eval`` to a file. The
    records already have the fields its adapter reads (``instruction``, ``output``, ``generator``,
    ``dataset``). Its ``subset_list`` takes a subset it does not list itself (it only knows
    ``alpaca_eval_gpt4_baseline``) when the local folder has that configuration.
    """
    folder = out / DATASET
    (folder / SUBSET).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / SUBSET / f"{SPLIT}.jsonl")
    (folder / "README.md").write_text(
        f"---\nconfigs:\n- config_name: {SUBSET}\n  data_files:\n"
        f"  - split: {SPLIT}\n    path: {SUBSET}/{SPLIT}.jsonl\n---\n"
    )
    return folder


# ---------------------------------------------------------------------------------------------
# The two tools: command lines and how their runs are read
# ---------------------------------------------------------------------------------------------


def tool_argv(ctx: Context, tool: str, model_url: str, judge_url: str, work: Path, rerun: bool) -> list[str]:
    """``assay eval`` / ``evalscope eval`` on alpaca_eval; with ``rerun``, judging only from ``work``'s cache."""
    args = ctx.args
    judge_model: dict[str, Any] = {"model_id": JUDGE_MODEL, "api_url": judge_url, "generation_config": JUDGE_GENERATION}
    common = ["eval", "--model", MODEL, "--api-url", model_url, "--datasets", DATASET]
    common += ["--eval-batch-size", str(args.concurrency), "--work-dir", str(work), "--no-timestamp"]
    dataset_args: dict[str, dict[str, Any]]
    if tool == "assay":
        judge = {"models": [judge_model], "concurrency": args.concurrency}
        dataset_args = {DATASET: {"local_path": str(args.data_dir)}}
        argv = [args.assay_cli, *common, "--no-progress"]
    else:
        assert ctx.evalscope_cli and ctx.evalscope_data
        # EvalScope 1.14's judge concurrency is --eval-batch-size (it rejects judge_worker_num).
        judge = {"models": [{**judge_model, "api_key": "EMPTY"}]}
        dataset_args = {DATASET: {"local_path": str(ctx.evalscope_data), "subset_list": [SUBSET]}}
        argv = [ctx.evalscope_cli, *common, "--eval-type", "openai_api"]
    argv += ["--dataset-args", json.dumps(dataset_args), "--judge", json.dumps(judge)]
    if rerun:
        argv += ["--use-cache", str(work), "--rerun-review"]
    return argv + (["--limit", str(args.limit)] if args.limit else [])


def tool_env(ctx: Context, tool: str) -> dict[str, str]:
    env = {**os.environ, **OFFLINE_ENV}
    if tool == "evalscope":
        env["HF_DATASETS_CACHE"] = str(ctx.tmp / "hf-datasets-cache")
    return env


def read_report(work: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((work / "reports" / MODEL / f"{DATASET}.json").read_text())
    return report


def check_assay(run: JudgingRun, report: dict[str, Any], items: int) -> None:
    """Fill ``run`` from Assay's report; every item judged once, no failed or cached verdict."""
    judge, counts = report.get("judge") or {}, report.get("counts") or {}
    if not judge:
        run.problems.append("the report has no judge section")
        return
    run.judgments = int(judge.get("requests", 0))
    run.judging_wall_s = judge.get("wall_s") or None
    if counts.get("scored") != items:
        run.problems.append(f"scored {counts.get('scored')} of {items} (counts: {counts})")
    failed = {key: judge.get(key) for key in ("cached", "transport_errors", "parse_errors") if judge.get(key)}
    if failed:
        run.problems.append(f"judge: {failed} (every verdict must be asked again and read)")


def check_evalscope(run: JudgingRun, report: dict[str, Any], log_text: str, items: int) -> None:
    """Fill ``run`` from EvalScope's report and log; every item judged and read."""
    summary, judged = report.get("execution_summary") or {}, report.get("judge_summary") or {}
    run.judgments = run.server_requests
    if summary.get("succeeded") != items or summary.get("errored"):
        run.problems.append(f"succeeded {summary.get('succeeded')} of {items} (summary: {summary})")
    if judged.get("scored") != items or judged.get("failures"):
        run.problems.append(f"judge scored {judged.get('scored')} of {items}, failures {judged.get('failures')}")
    rate = progress_bar_rate(log_text)
    run.tool_rate_note = f"{rate:.1f}/s" if rate else ""


_BAR = re.compile(rf"Evaluating\[{DATASET}\]: 100%[^\r\n]*?\[[^\]]*?,\s*([\d.]+)(it/s|s/it)\]")


def progress_bar_rate(log_text: str) -> float | None:
    """Items/s on the last ``Evaluating[alpaca_eval]: 100%`` tqdm line EvalScope printed."""
    matches = _BAR.findall(log_text)
    if not matches:
        return None
    value, unit = float(matches[-1][0]), matches[-1][1]
    return value if unit == "it/s" else (1.0 / value if value else None)


def _failure(run: CommandResult) -> str:
    how = "timed out" if run.returncode is None else f"exited {run.returncode}"
    return f"{how} after {run.wall_s:.1f} s; log {run.log_path}; last output:\n{run.tail(1500)}"


# ---------------------------------------------------------------------------------------------
# Phases: predictions (untimed), then judging only (timed)
# ---------------------------------------------------------------------------------------------


def predict(ctx: Context, tool: str, model: RunningServer) -> Path | None:
    """Answer every item and judge it once against a zero-latency judge; return the output folder."""
    work = ctx.tmp / f"{tool}-out"
    verdict = ASSAY_VERDICT if tool == "assay" else EVALSCOPE_VERDICT
    log = ctx.tmp / f"{tool}-predict.log"
    with start_test_server(
        *ctx.judge_server_args(verdict, 0), log_path=ctx.tmp / f"judge-fast-{tool}.log", core=SERVER_CORE
    ) as judge:
        argv = tool_argv(ctx, tool, model.url, judge.url, work, rerun=False)
        run = time_command(
            pinned(argv, TOOL_CORE), log_path=log, env=tool_env(ctx, tool), cwd=ctx.tmp, timeout_s=ctx.args.timeout_s
        )
    if not run.ok:
        _progress(f"  {tool} predictions failed: {_failure(run)}")
        return None
    _progress(f"  {tool:9s} predictions: {run.wall_s:.1f} s")
    return work


def timed_judging(ctx: Context, tool: str, model: RunningServer, work: Path, index: int) -> JudgingRun:
    """Judge ``work``'s cached predictions again against a fresh judge server with the latency."""
    record = ctx.tmp / f"judge-{tool}-{index}.record.jsonl"
    verdict = ASSAY_VERDICT if tool == "assay" else EVALSCOPE_VERDICT
    if tool == "assay":
        (work / "judge" / "cache.jsonl").unlink(missing_ok=True)  # or the verdicts come from the cache
    model.reset()
    with start_test_server(
        *ctx.judge_server_args(verdict, ctx.args.latency_ms, record),
        log_path=ctx.tmp / f"judge-{tool}-{index}.log",
        core=SERVER_CORE,
    ) as judge:
        argv = pinned(tool_argv(ctx, tool, model.url, judge.url, work, rerun=True), TOOL_CORE)
        proc = time_command(
            argv,
            log_path=ctx.tmp / f"{tool}-judge-{index}.log",
            env=tool_env(ctx, tool),
            cwd=ctx.tmp,
            timeout_s=ctx.args.timeout_s,
        )
    result = JudgingRun(tool, proc.command_line, process_wall_s=proc.wall_s)
    _read_server_record(result, record, span=tool == "evalscope")
    model_asked = model.stats().get("by_endpoint", {}).get("/v1/chat/completions", 0)
    if model_asked:
        result.problems.append(f"the model was asked {model_asked} times: predictions did not come from the cache")
    if not proc.ok:
        result.problems.append(_failure(proc))
        return result
    try:
        report = read_report(work)
    except (OSError, ValueError) as exc:
        result.problems.append(f"no readable report: {exc}")
        return result
    if tool == "assay":
        check_assay(result, report, ctx.items)
        if result.judgments != result.server_requests:
            counted = f"Assay counted {result.judgments} judge requests, the server {result.server_requests}"
            result.problems.append(counted)
    else:
        check_evalscope(result, report, proc.log_path.read_text(errors="replace"), ctx.items)
    _progress(f"  {tool:9s} judging {index}: " + _summary(result, ctx.ideal))
    return result


def _read_server_record(run: JudgingRun, record: Path, *, span: bool) -> None:
    """Requests the judge server answered; with ``span``, first arrival to last reply written."""
    traces = list(read_server_traces(record).values())
    run.server_requests = len(traces)
    if traces and span:
        run.server_span_s = (max(t.last_byte_ns for t in traces) - min(t.arrival_ns for t in traces)) / 1e9


def bare_baseline(ctx: Context) -> JudgingRun:
    """The same number of requests from a bare aiohttp client on the tools' core: what the machine allows."""
    result = JudgingRun("bare aiohttp client")
    with start_test_server(
        *ctx.judge_server_args(ASSAY_VERDICT, ctx.args.latency_ms),
        log_path=ctx.tmp / "judge-bare.log",
        core=SERVER_CORE,
    ) as judge:
        try:
            probe = drive_server(
                judge.url,
                ctx.items,
                concurrency=ctx.args.concurrency,
                core=TOOL_CORE,
                log_path=ctx.tmp / "bare-client.log",
                model=JUDGE_MODEL,
            )
        except RuntimeError as exc:
            result.problems.append(str(exc))
            return result
    result.judgments = ctx.items
    result.judging_wall_s = ctx.items / probe["requests_per_s"]
    _progress(f"  bare client: {_summary(result, ctx.ideal)}, mean latency {probe['mean_latency_s'] * 1000:.1f} ms")
    return result


def _best(a: JudgingRun | None, b: JudgingRun) -> JudgingRun:
    """Keep the fastest clean run; a clean run always beats a failed one."""
    if a is None or (a.problems and not b.problems):
        return b
    if b.problems and not a.problems:
        return a
    return b if (b.rate or 0) > (a.rate or 0) else a


def run_all(ctx: Context) -> dict[str, JudgingRun | None]:
    """Baseline, predictions of each tool, then the timed judging runs, interleaved."""
    results: dict[str, JudgingRun | None] = {"bare": None, "assay": None, "evalscope": None}
    _progress("bare client baseline ...")
    results["bare"] = bare_baseline(ctx)
    tools = ["assay", *(["evalscope"] if ctx.evalscope_cli else [])]
    with start_test_server(
        "--default-reply", MODEL_REPLY, log_path=ctx.tmp / "model-server.log", core=SERVER_CORE
    ) as model:
        _progress("predictions (untimed) ...")
        works = {tool: predict(ctx, tool, model) for tool in tools}
        _progress("judging (timed) ...")
        runs = {"assay": ctx.args.runs, "evalscope": ctx.args.evalscope_runs}
        for i in range(max(runs.values())):
            for tool in tools:
                work = works[tool]
                if i >= runs[tool]:
                    continue
                if work is None:
                    results[tool] = JudgingRun(tool, problems=["the predictions run failed (see above)"])
                    continue
                results[tool] = _best(results[tool], timed_judging(ctx, tool, model, work, i))
    return results


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _summary(run: JudgingRun, ideal: float) -> str:
    if run.rate is None:
        return "no rate" + (" — PROBLEM" if run.problems else "")
    text = f"{run.judgments} judgments, {run.rate:.1f}/s = {run.rate / ideal:.1%} of ideal"
    return text + (" — PROBLEM" if run.problems else "")


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def verdict(ctx: Context, assay: JudgingRun | None) -> str:
    if assay is None or assay.problems or assay.rate is None:
        return "ERROR (Assay)"
    share = assay.rate / ctx.ideal
    if ctx.args.limit:
        return f"n/a (--limit; {share:.1%})"
    return f"{'PASS' if share >= GOAL_SHARE else 'FAIL'} ({share:.1%})"


#: The table's rows: (result key, name, which clock times the judging).
ROWS = (
    ("bare", "bare aiohttp client", "client"),
    ("assay", "Assay", "report judge.wall_s"),
    ("evalscope", "EvalScope 1.14.1", "judge server record"),
)
HEADERS = ["tool", "judgments", "judging wall s", "rate/s", "% of ideal", "timed by", "whole-process wall s"]


def render(ctx: Context, results: dict[str, JudgingRun | None]) -> str:
    rows = [row for key, name, clock in ROWS if (row := _row(ctx, results.get(key), key, name, clock))]
    table = format_table([*HEADERS, "rate/s (process)"], rows)
    return table + "\n\n" + "\n".join(f"- {note}" for note in notes(ctx, results))


def _row(ctx: Context, run: JudgingRun | None, key: str, name: str, clock: str) -> list[str] | None:
    if run is None:
        return [name, "-", "skipped", "-", "-", "-", "-", "-"] if key == "evalscope" else None
    if run.problems:
        return [name, str(run.judgments or "-"), "failed", "-", "-", clock, _f(run.process_wall_s, 2), "-"]
    wall, rate = run.judging_wall_s or run.server_span_s, run.rate
    share = f"{rate / ctx.ideal:.1%}" if rate else "-"
    return [
        name,
        str(run.judgments),
        _f(wall, 3),
        _f(rate),
        share,
        clock,
        _f(run.process_wall_s, 2),
        _f(run.process_rate),
    ]


def notes(ctx: Context, results: dict[str, JudgingRun | None]) -> list[str]:
    args, items = ctx.args, ctx.items
    rounds = math.ceil(items / args.concurrency)
    bound = items / (rounds * args.latency_ms / 1000)
    lines = [
        f"ideal: {args.concurrency} in flight / {args.latency_ms} ms = {ctx.ideal:.0f} judgments/s; {items} judgments "
        f"take at least {rounds} round{'s' * (rounds != 1)} of {args.latency_ms} ms, "
        f"so a perfect client gets at most {bound:.1f}/s = {bound / ctx.ideal:.1%}",
        f"goal: Assay's judging rate (report judge.requests / judge.wall_s) ≥ {GOAL_SHARE:.0%} of ideal: "
        + verdict(ctx, results.get("assay")),
    ]
    assay, bare, evalscope = results.get("assay"), results.get("bare"), results.get("evalscope")
    if assay and bare and assay.rate and bare.rate and not (assay.problems or bare.problems):
        lines.append(f"Assay's judging rate is {assay.rate / bare.rate:.1%} of the bare client's")
    if evalscope and not evalscope.problems and evalscope.tool_rate_note:
        lines.append(f"EvalScope's own progress bar (Evaluating[{DATASET}]) ended at {evalscope.tool_rate_note}")
    both = assay and evalscope and not (assay.problems or evalscope.problems)
    if both and assay and evalscope and assay.rate and evalscope.rate:
        lines.append(
            f"judging rate: Assay {assay.rate / evalscope.rate:.2f}× EvalScope's; "
            f"whole process: EvalScope {evalscope.process_wall_s or 0:.2f} s / Assay {assay.process_wall_s or 0:.2f} s"
        )
    lines.append(
        "whole-process wall: the timed rerun (--use-cache --rerun-review), start to exit: "
        "imports, cache, judging, reports"
    )
    problems = [f"{run.tool}: {p}" for run in results.values() if run for p in run.problems]
    return lines + (["PROBLEMS:", *problems] if problems else [])


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _json_payload(ctx: Context, results: dict[str, JudgingRun | None]) -> dict[str, Any]:
    return {
        "script": "bench/judge_throughput.py",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "settings": {
            "items": ctx.items,
            "concurrency": ctx.args.concurrency,
            "latency_ms": ctx.args.latency_ms,
            "ideal_per_s": ctx.ideal,
            "runs": ctx.args.runs,
            "evalscope_runs": ctx.args.evalscope_runs,
            "limit": ctx.args.limit,
            "server_core": SERVER_CORE,
            "tool_core": TOOL_CORE,
        },
        "goal": verdict(ctx, results.get("assay")),
        "results": {
            key: None if run is None else {**asdict(run), "rate": run.rate, "process_rate": run.process_rate}
            for key, run in results.items()
        },
    }


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--skip-evalscope", action="store_true", help="measure Assay (and the bare client) only")
    p.add_argument(
        "--evalscope-python",
        default=os.environ.get("EVALSCOPE_PYTHON", DEFAULT_EVALSCOPE_PYTHON),
        help="python of EvalScope's own venv; its `evalscope` CLI sits next to it (default: %(default)s)",
    )
    p.add_argument("--assay-cli", default=str(ASSAY_CLI), help="the `assay` to measure (default: .venv's)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("ASSAY_BENCH_DATA", REPO_ROOT.parent / "shared" / "data")) / DATASET,
        help="folder with alpaca_eval.jsonl, the 805 AlpacaEval 1.0 records "
        "(default: $ASSAY_BENCH_DATA/alpaca_eval or ../shared/data/alpaca_eval)",
    )
    p.add_argument("--concurrency", type=int, default=64, help="judge requests in flight (default 64)")
    p.add_argument("--latency-ms", type=int, default=200, help="the judge server's delay per reply, ms (default 200)")
    p.add_argument("--runs", type=int, default=3, help="timed Assay judging runs; the fastest counts (default 3)")
    p.add_argument("--evalscope-runs", type=int, default=1, help="timed EvalScope judging runs (default 1)")
    p.add_argument("--limit", type=int, help="items, for a smoke run (the goal is then not judged)")
    p.add_argument("--timeout-s", type=float, default=600.0, help="limit for each eval command, s")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (outputs, logs, server records)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="assay-bench-judge-"))
    ctx = Context(args, tmp, find_evalscope(args.evalscope_python, skip=args.skip_evalscope))
    try:
        if ctx.evalscope_cli:
            ctx.evalscope_data = prepare_evalscope_data(args.data_dir / f"{SUBSET}.jsonl", tmp / "evalscope-data")
        results = run_all(ctx)
    finally:
        if args.keep:
            _progress(f"outputs and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(render(ctx, results))
    if args.json:
        args.json.write_text(json.dumps(_json_payload(ctx, results), indent=2) + "\n")
    failed = verdict(ctx, results["assay"]).startswith(("FAIL", "ERROR"))
    return 1 if failed or any(run.problems for run in results.values() if run) else 0


if __name__ == "__main__":
    raise SystemExit(main())
