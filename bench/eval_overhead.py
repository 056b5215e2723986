"""The eval engine's own overhead: Assay vs EvalScope 1.14 against a zero-latency test server.

What it measures (one run, ratios against the baseline measured in that same run):

- ``gsm8k``: all 1319 GSM8K test items, 0-shot, ``--eval-batch-size 64``, a server that answers
  ``\\boxed{42}`` at once, so the whole cost is the tool's: prompts, HTTP, answer extraction, math
  equivalence, journal, report. Goal: EvalScope's wall time ≥ 20× Assay's.
- ``arc``: all 1172 ARC-Challenge test items, server answers ``ANSWER: A``. Goal: ≥ 3×.
- ``latency``: ARC-Challenge against a server that holds every answer for 200 ms. 64 in flight
  can finish at most 64 / 0.2 s = 320 samples/s; goal: the engine's rate ≥ 95% of that.
- ``help``: ``assay --help`` wall time, best of 5. Goal: < 0.2 s.

The server is pinned to core 1 and the tool to core 0. Wall times run from process start to exit;
the engine's rate comes from ``reports/<model>/<bench>.json`` → ``timing.samples_per_s`` (Assay)
and from the last line of EvalScope's ``Evaluating[<bench>]`` progress bar. EvalScope reads the
same upstream files, converted in a temp dir to the Hugging Face layout its adapters expect.

Usage:
    .venv/bin/python bench/eval_overhead.py                      # everything (4-6 minutes)
    .venv/bin/python bench/eval_overhead.py --only arc help --json out.json
    .venv/bin/python bench/eval_overhead.py --skip-evalscope --limit 64 --runs 1  # smoke run

Exit status: 0 when every goal that could be judged passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
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
    REPO_ROOT,
    CommandResult,
    RunningServer,
    drive_server,
    format_table,
    pinned,
    start_test_server,
    time_command,
)

BENCHES = ("gsm8k", "arc", "latency", "help")
MODEL = "mock-model"
BATCH = 64
LATENCY_MS = 200
SERVER_CORE, TOOL_CORE = 1, 0
DEFAULT_EVALSCOPE_PYTHON = "/root/.venvs/evalscope/bin/python"
GSM8K_REPLY = "The answer is \\boxed{42}."
ARC_REPLY = "ANSWER: A"
ARC_SUBSETS = ("ARC-Easy", "ARC-Challenge")
#: Both tools run offline: every dataset comes from local files.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "NO_COLOR": "1",
    "TERM": "dumb",
}


@dataclass
class ToolRun:
    """One tool's best timed run on one bench."""

    command: str
    wall_s: float | None = None
    samples: int = 0
    engine_samples_per_s: float | None = None
    """The tool's own rate: Assay's ``timing.samples_per_s``; EvalScope's progress-bar rate."""
    mean_latency_s: float | None = None
    """Mean request latency the tool itself recorded."""
    requests_served: int | None = None
    """Chat completions the test server answered during the run (a check that the work was real)."""
    problems: list[str] = field(default_factory=list)
    """Why this run cannot be trusted (failed command, errored samples, ...); empty when fine."""

    @property
    def samples_per_s(self) -> float | None:
        return self.samples / self.wall_s if self.wall_s and self.samples else None


@dataclass
class BenchResult:
    bench: str
    items: int
    goal: str
    assay: ToolRun | None = None
    evalscope: ToolRun | None = None
    ratio: float | None = None
    """EvalScope wall time / Assay wall time."""
    status: str = "n/a"
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# EvalScope data: the upstream files in the Hugging Face layout its loader wants
# ---------------------------------------------------------------------------------------------


def prepare_evalscope_data(data_dir: Path, out: Path) -> dict[str, Path]:
    """Write ``out/{gsm8k,arc}`` for EvalScope's ``local_path``; return ``{bench: folder}``.

    EvalScope hands a local folder to ``datasets.load_dataset(folder, name=<subset>, split=<split>)``,
    so each folder needs a README whose YAML names the subset (``main``, ``ARC-Challenge``) and maps
    the ``test`` split to a file. GSM8K's upstream records already have the HF fields (question,
    answer); ARC's upstream ``question.stem`` / ``question.choices[]`` become HF's flat ``question``
    and ``choices: {text, label}``.
    """
    gsm8k = out / "gsm8k"
    (gsm8k / "main").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data_dir / "gsm8k" / "test.jsonl", gsm8k / "main" / "test.jsonl")
    _write_hf_readme(gsm8k, {"main": "main/test.jsonl"})

    arc = out / "arc"
    for subset in ARC_SUBSETS:
        (arc / subset).mkdir(parents=True, exist_ok=True)
        source = data_dir / "arc" / subset / f"{subset}-Test.jsonl"
        with source.open(encoding="utf-8") as src, (arc / subset / "test.jsonl").open("w") as dst:
            for line in src:
                if line.strip():
                    dst.write(json.dumps(_arc_to_hf(json.loads(line))) + "\n")
    _write_hf_readme(arc, {subset: f"{subset}/test.jsonl" for subset in ARC_SUBSETS})
    return {"gsm8k": gsm8k, "arc": arc}


def _arc_to_hf(record: dict[str, Any]) -> dict[str, Any]:
    question = record["question"]
    return {
        "id": record["id"],
        "question": question["stem"],
        "choices": {
            "text": [c["text"] for c in question["choices"]],
            "label": [c["label"] for c in question["choices"]],
        },
        "answerKey": record["answerKey"],
    }


def _write_hf_readme(folder: Path, configs: dict[str, str]) -> None:
    """A dataset card whose YAML maps each config name to its test file (what `datasets` reads)."""
    entries = "".join(
        f"- config_name: {name}\n  data_files:\n  - split: test\n    path: {path}\n" for name, path in configs.items()
    )
    (folder / "README.md").write_text(f"---\nconfigs:\n{entries}---\n")


_WARM_CACHE = """
import sys, datasets
for folder, name in zip(sys.argv[1::2], sys.argv[2::2]):
    print(folder, len(datasets.load_dataset(folder, name=name, split="test")))
"""


def warm_evalscope_cache(python: str, folders: dict[str, Path], env: dict[str, str], log: Path) -> None:
    """Build the ``datasets`` Arrow cache up front, untimed: EvalScope gets its warm, second-run speed."""
    args = [str(folders["gsm8k"]), "main"] + [a for s in ARC_SUBSETS for a in (str(folders["arc"]), s)]
    run = time_command([python, "-c", _WARM_CACHE, *args], log_path=log, env=env, cwd=log.parent, timeout_s=300)
    if not run.ok:
        raise RuntimeError(f"could not load the converted data with EvalScope's `datasets`:\n{run.tail()}")


# ---------------------------------------------------------------------------------------------
# The two tools
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One benchmark as both tools are asked to run it."""

    dataset: str
    assay_args: dict[str, Any]
    evalscope_args: dict[str, Any]
    name: str = ""
    """Key of this workload in :func:`workloads` (sets the expected item count)."""


def workloads(data_dir: Path, evalscope_data: dict[str, Path] | None) -> dict[str, Workload]:
    es = evalscope_data or {}
    loads = {
        "gsm8k": Workload(
            "gsm8k",
            {"local_path": str(data_dir / "gsm8k"), "few_shot_num": 0},
            {"local_path": str(es.get("gsm8k", "")), "few_shot_num": 0},
        ),
        "arc": Workload(
            "arc",
            {"local_path": str(data_dir / "arc"), "subset_list": ["ARC-Challenge"]},
            {"local_path": str(es.get("arc", "")), "subset_list": ["ARC-Challenge"]},
        ),
        # Both ARC subsets (3,548 items = 56 rounds of 64): the latency case needs many rounds, or
        # the last, partly filled round alone keeps any client below 95% of the ideal rate.
        "arc_all": Workload(
            "arc",
            {"local_path": str(data_dir / "arc"), "subset_list": list(ARC_SUBSETS)},
            {"local_path": str(es.get("arc", "")), "subset_list": list(ARC_SUBSETS)},
        ),
    }
    return {key: dataclasses.replace(load, name=key) for key, load in loads.items()}


def assay_argv(cli: str, url: str, load: Workload, work: Path, limit: int | None) -> list[str]:
    argv = [
        cli,
        "eval",
        "--model",
        MODEL,
        "--api-url",
        url,
        "--datasets",
        load.dataset,
        "--dataset-args",
        json.dumps({load.dataset: load.assay_args}),
        "--eval-batch-size",
        str(BATCH),
        "--work-dir",
        str(work),
        "--no-timestamp",
        "--no-progress",
    ]
    return argv + (["--limit", str(limit)] if limit else [])


def evalscope_argv(cli: str, url: str, load: Workload, work: Path, limit: int | None) -> list[str]:
    argv = [
        cli,
        "eval",
        "--model",
        MODEL,
        "--api-url",
        url,
        "--eval-type",
        "openai_api",
        "--datasets",
        load.dataset,
        "--dataset-args",
        json.dumps({load.dataset: load.evalscope_args}),
        "--eval-batch-size",
        str(BATCH),
        "--work-dir",
        str(work),
        "--no-timestamp",
    ]
    return argv + (["--limit", str(limit)] if limit else [])


def read_assay_run(run: CommandResult, work: Path, dataset: str, expected: int) -> ToolRun:
    result = ToolRun(run.command_line, wall_s=run.wall_s)
    if not run.ok:
        result.problems.append(_failure(run))
        return result
    try:
        report = json.loads((work / "reports" / MODEL / f"{dataset}.json").read_text())
    except (OSError, ValueError) as exc:
        result.problems.append(f"no readable report: {exc}")
        return result
    counts, timing = report.get("counts", {}), report.get("timing", {})
    result.samples = int(counts.get("total", 0))
    result.engine_samples_per_s = timing.get("samples_per_s")
    result.mean_latency_s = timing.get("mean_latency_s")
    if counts.get("scored", 0) != expected:
        result.problems.append(f"scored {counts.get('scored')} of {expected} (counts: {counts})")
    if counts.get("extraction_failures"):
        result.problems.append(f"{counts['extraction_failures']} extraction failures on a well-formed reply")
    return result


def read_evalscope_run(run: CommandResult, work: Path, dataset: str, expected: int) -> ToolRun:
    result = ToolRun(run.command_line, wall_s=run.wall_s)
    if not run.ok:
        result.problems.append(_failure(run))
        return result
    try:
        report = json.loads((work / "reports" / MODEL / f"{dataset}.json").read_text())
    except (OSError, ValueError) as exc:
        result.problems.append(f"no readable report: {exc}")
        return result
    summary = report.get("execution_summary") or {}
    result.samples = int(summary.get("succeeded", report.get("num", 0)))
    if result.samples != expected or summary.get("errored"):
        result.problems.append(f"succeeded {result.samples} of {expected} (summary: {summary})")
    result.engine_samples_per_s = progress_bar_rate(run.log_path.read_text(errors="replace"), dataset)
    latency = ((report.get("perf_metrics") or {}).get("summary") or {}).get("latency") or {}
    result.mean_latency_s = latency.get("mean")
    return result


_BAR = r"Evaluating\[{name}\]: 100%[^\r\n]*?\[[^\]]*?,\s*([\d.]+)(it/s|s/it)\]"


def progress_bar_rate(log_text: str, dataset: str) -> float | None:
    """Items/s from the last ``Evaluating[<dataset>]: 100%`` tqdm line EvalScope printed."""
    matches = re.findall(_BAR.format(name=re.escape(dataset)), log_text)
    if not matches:
        return None
    value, unit = float(matches[-1][0]), matches[-1][1]
    return value if unit == "it/s" else (1.0 / value if value else None)


def _failure(run: CommandResult) -> str:
    how = "timed out" if run.returncode is None else f"exited {run.returncode}"
    return f"{how} after {run.wall_s:.1f} s; log {run.log_path}; last output:\n{run.tail(1500)}"


# ---------------------------------------------------------------------------------------------
# Benches
# ---------------------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    tmp: Path
    evalscope_python: str | None
    evalscope_env: dict[str, str]
    loads: dict[str, Workload]

    @property
    def evalscope_cli(self) -> str | None:
        return str(Path(self.evalscope_python).parent / "evalscope") if self.evalscope_python else None


def timed_eval(ctx: Context, tool: str, server: RunningServer, load: Workload, run_id: str) -> ToolRun:
    """Run one tool once on ``load`` against ``server`` with a fresh work dir."""
    work = ctx.tmp / f"{run_id}-{tool}"
    expected = _items(ctx, load.name or load.dataset)
    server.reset()
    if tool == "assay":
        argv = assay_argv(ctx.args.assay_cli, server.url, load, work, ctx.args.limit)
        run = time_command(
            pinned(argv, TOOL_CORE),
            log_path=work.with_suffix(".log"),
            env={**os.environ, **OFFLINE_ENV},
            cwd=ctx.tmp,
            timeout_s=ctx.args.timeout_s,
        )
        result = read_assay_run(run, work, load.dataset, expected)
    else:
        assert ctx.evalscope_cli is not None
        argv = evalscope_argv(ctx.evalscope_cli, server.url, load, work, ctx.args.limit)
        run = time_command(
            pinned(argv, TOOL_CORE),
            log_path=work.with_suffix(".log"),
            env=ctx.evalscope_env,
            cwd=ctx.tmp,
            timeout_s=ctx.args.timeout_s,
        )
        result = read_evalscope_run(run, work, load.dataset, expected)
    result.requests_served = server.stats().get("by_endpoint", {}).get("/v1/chat/completions")
    _progress(
        f"  {tool:9s} {run_id}: {_fmt(result.wall_s, 's')}, {_fmt(result.engine_samples_per_s, '/s')} "
        f"(engine), {result.requests_served} requests" + (" — PROBLEM" if result.problems else "")
    )
    return result


def _items(ctx: Context, dataset: str) -> int:
    """Items each run evaluates: the whole test set (GSM8K 1319, ARC-Challenge 1172) or ``--limit``."""
    full = {"gsm8k": 1319, "arc": 1172, "arc_all": 3548}[dataset]
    return min(ctx.args.limit, full) if ctx.args.limit else full


def _faster(a: ToolRun | None, b: ToolRun) -> ToolRun:
    """Keep the best clean run; a clean run always beats a failed one."""
    if a is None or (a.problems and not b.problems):
        return b
    if b.problems and not a.problems:
        return a
    return b if (b.wall_s or math.inf) < (a.wall_s or math.inf) else a


def _timed_runs(ctx: Context, server: RunningServer, load: Workload, bench: str, result: BenchResult) -> None:
    """Time both tools on ``load``, interleaved so that drift on the machine hits both alike."""
    evalscope_runs = ctx.args.evalscope_runs if ctx.evalscope_python else 0
    for i in range(max(ctx.args.runs, evalscope_runs)):
        if i < ctx.args.runs:
            result.assay = _faster(result.assay, timed_eval(ctx, "assay", server, load, f"{bench}-{i}"))
        if i < evalscope_runs:
            result.evalscope = _faster(result.evalscope, timed_eval(ctx, "evalscope", server, load, f"{bench}-{i}"))


def compare_bench(ctx: Context, name: str, reply: str, min_ratio: float) -> BenchResult:
    result = BenchResult(name, _items(ctx, name), f"EvalScope/Assay ≥ {min_ratio:g}×")
    with start_test_server(
        "--default-reply", reply, log_path=ctx.tmp / f"server-{name}.log", core=SERVER_CORE
    ) as server:
        if name == "gsm8k":
            probe = bare_client(ctx, server, CEILING_REQUESTS)
            result.notes.append(
                f"server ceiling: a bare aiohttp client on core {TOOL_CORE} gets "
                f"{probe['requests_per_s']:.0f} requests/s from the zero-latency server "
                f"({BATCH} in flight, {CEILING_REQUESTS} requests)"
                if probe
                else "server ceiling: probe failed (see probe log)"
            )
        _timed_runs(ctx, server, ctx.loads[name], name, result)
    _judge_ratio(ctx, result, min_ratio)
    return result


def _judge_ratio(ctx: Context, result: BenchResult, min_ratio: float) -> None:
    a, e = result.assay, result.evalscope
    if a is None or a.problems:
        result.status = "ERROR (Assay)"
        return
    if e is None:
        result.status = "n/a (no EvalScope)"
        return
    if e.problems:
        result.status = "ERROR (EvalScope)"
        return
    assert a.wall_s and e.wall_s
    result.ratio = e.wall_s / a.wall_s
    if ctx.args.limit:
        result.status = "n/a (--limit)"
    else:
        result.status = "PASS" if result.ratio >= min_ratio else "FAIL"


def latency_bench(ctx: Context) -> BenchResult:
    items = _items(ctx, "arc_all")
    ideal = BATCH / (LATENCY_MS / 1000)
    result = BenchResult("latency", items, f"engine ≥ 95% of {ideal:.0f}/s")
    # 64 workers finish at best in ceil(n / 64) rounds of 200 ms: the last round is not full.
    rounds = math.ceil(items / BATCH)
    bound = items / (rounds * LATENCY_MS / 1000)
    result.notes.append(
        f"latency: ideal {ideal:.0f} samples/s; {items} items take at least {rounds} round(s) of "
        f"{LATENCY_MS} ms, so even a perfect client gets at most {bound:.1f}/s = {bound / ideal:.1%} of ideal"
    )
    with start_test_server(
        "--default-reply",
        ARC_REPLY,
        "--latency-ms",
        str(LATENCY_MS),
        log_path=ctx.tmp / "server-latency.log",
        core=SERVER_CORE,
    ) as server:
        probe = bare_client(ctx, server, items)
        _timed_runs(ctx, server, ctx.loads["arc_all"], "latency", result)
    a, e = result.assay, result.evalscope
    if e is not None and not e.problems and a is not None and a.wall_s and e.wall_s:
        result.ratio = e.wall_s / a.wall_s
    if probe:
        result.notes.append(
            f"latency: a bare aiohttp client ({items} requests, {BATCH} in flight) gets "
            f"{probe['requests_per_s']:.1f}/s = {probe['requests_per_s'] / ideal:.1%} of ideal, "
            f"mean latency {probe['mean_latency_s'] * 1000:.1f} ms"
        )
    if a is None or a.problems or not a.engine_samples_per_s:
        result.status = "ERROR (Assay)"
        return result
    share = a.engine_samples_per_s / ideal
    versus_bare = f", {a.engine_samples_per_s / probe['requests_per_s']:.1%} of the bare client" if probe else ""
    result.notes.append(
        f"latency: Assay engine {a.engine_samples_per_s:.1f}/s = {share:.1%} of ideal{versus_bare}, "
        f"mean latency {(a.mean_latency_s or 0) * 1000:.1f} ms; end to end {a.samples_per_s or 0:.1f}/s "
        f"= {(a.samples_per_s or 0) / ideal:.1%} of ideal"
    )
    verdict = "n/a (--limit)" if ctx.args.limit else ("PASS" if share >= 0.95 else "FAIL")
    result.status = f"{verdict} ({share:.1%})"
    return result


def help_bench(ctx: Context) -> BenchResult:
    result = BenchResult("help", 0, "assay --help < 0.2 s")
    result.assay = _best_help(ctx, [ctx.args.assay_cli, "--help"], "assay", {**os.environ, **OFFLINE_ENV})
    if ctx.evalscope_cli:
        result.evalscope = _best_help(ctx, [ctx.evalscope_cli, "--help"], "evalscope", ctx.evalscope_env)
    a, e = result.assay, result.evalscope
    if a.problems or a.wall_s is None:
        result.status = "ERROR (Assay)"
        return result
    if e is not None and not e.problems and e.wall_s:
        result.ratio = e.wall_s / a.wall_s
    result.status = "PASS" if a.wall_s < 0.2 else "FAIL"
    return result


def _best_help(ctx: Context, argv: list[str], tool: str, env: dict[str, str]) -> ToolRun:
    command = pinned(argv, TOOL_CORE)
    best = ToolRun(" ".join(command))
    for i in range(ctx.args.help_runs):
        run = time_command(command, log_path=ctx.tmp / f"help-{tool}-{i}.log", env=env, cwd=ctx.tmp, timeout_s=120)
        if not run.ok:
            best.problems.append(_failure(run))
            return best
        best.wall_s = min(best.wall_s or math.inf, run.wall_s)
    _progress(f"  {tool:9s} --help: best of {ctx.args.help_runs} {best.wall_s:.3f} s")
    return best


# ---------------------------------------------------------------------------------------------
# Baseline: a bare aiohttp client on the tools' core (what the server and the machine allow)
# ---------------------------------------------------------------------------------------------

CEILING_REQUESTS = 3000


def bare_client(ctx: Context, server: RunningServer, requests: int) -> dict[str, float] | None:
    """Time ``requests`` bare chat completions, 64 in flight, pinned like the tools; None if it failed."""
    log = ctx.tmp / f"probe-{len(list(ctx.tmp.glob('probe-*.log')))}.log"
    try:
        result = drive_server(server.url, requests, concurrency=BATCH, core=TOOL_CORE, log_path=log, model=MODEL)
    except RuntimeError as exc:
        _progress(f"  bare client failed: {exc}")
        return None
    finally:
        server.reset()
    _progress(
        f"  bare client: {result['requests_per_s']:.0f} requests/s, mean latency "
        f"{result['mean_latency_s'] * 1000:.1f} ms ({requests} requests, {BATCH} in flight)"
    )
    return result


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3f} s" if value < 1 else f"{value:.1f} s"
    return f"{value:.0f}{unit}" if value >= 100 else f"{value:.1f}{unit}"


def _rate(run: ToolRun | None) -> str:
    if run is None or run.problems:
        return "-"
    if run.samples_per_s is None:
        return "-"
    return f"{_fmt(run.samples_per_s, '')} ({_fmt(run.engine_samples_per_s, '')})"


def _seconds(run: ToolRun | None) -> str:
    if run is None:
        return "skipped"
    return "failed" if run.problems else _fmt(run.wall_s, "s")


def render(results: list[BenchResult]) -> str:
    headers = [
        "bench",
        "items",
        "Assay s",
        "Assay samples/s",
        "EvalScope s",
        "EvalScope samples/s",
        "ratio",
        "goal",
        "result",
    ]
    rows = [
        [
            r.bench,
            str(r.items or "-"),
            _seconds(r.assay),
            _rate(r.assay),
            _seconds(r.evalscope),
            _rate(r.evalscope),
            f"{r.ratio:.1f}×" if r.ratio else "-",
            r.goal,
            r.status,
        ]
        for r in results
    ]
    notes = [
        "samples/s: end to end (process start to exit), and in brackets the engine's own rate "
        "(Assay: report timing.samples_per_s; EvalScope: its progress bar). ratio: EvalScope s / Assay s.",
        *(note for r in results for note in r.notes),
    ]
    problems = [
        f"{r.bench} {tool}: {problem}"
        for r in results
        for tool, run in (("Assay", r.assay), ("EvalScope", r.evalscope))
        if run
        for problem in run.problems
    ]
    text = format_table(headers, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)
    return text + ("\n\nProblems:\n" + "\n".join(problems) if problems else "")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES), help="benches to run")
    p.add_argument("--skip-evalscope", action="store_true", help="measure Assay only")
    p.add_argument(
        "--evalscope-python",
        default=os.environ.get("EVALSCOPE_PYTHON", DEFAULT_EVALSCOPE_PYTHON),
        help="python of EvalScope's own venv; its `evalscope` CLI sits next to it "
        "(default: $EVALSCOPE_PYTHON or %(default)s)",
    )
    p.add_argument("--assay-cli", default=str(ASSAY_CLI), help="the `assay` to measure (default: .venv's)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("ASSAY_BENCH_DATA", REPO_ROOT.parent / "shared" / "data")),
        help="upstream dataset copies: <dir>/gsm8k/test.jsonl, <dir>/arc/ARC-Challenge/ "
        "(default: $ASSAY_BENCH_DATA or ../shared/data)",
    )
    p.add_argument("--runs", type=int, default=3, help="timed Assay runs per bench; the fastest counts")
    p.add_argument(
        "--evalscope-runs", type=int, default=1, help="timed EvalScope runs per bench (slow); the fastest counts"
    )
    p.add_argument("--help-runs", type=int, default=5, help="--help timings; the fastest counts")
    p.add_argument("--limit", type=int, help="items per bench, for a smoke run (goals are then not judged)")
    p.add_argument("--timeout-s", type=float, default=900.0, help="limit for each eval command, s")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (outputs and logs) and print it")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="assay-bench-eval-"))
    try:
        results = run_benches(args, tmp)
    finally:
        if args.keep:
            _progress(f"outputs and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(render(results))
    if not args.keep and any(run.problems for r in results for run in (r.assay, r.evalscope) if run):
        print("(the logs named above are deleted; rerun with --keep to inspect them)")
    if args.json:
        args.json.write_text(json.dumps(_json_payload(args, results), indent=2) + "\n")
    failed = [r for r in results if r.status.startswith(("FAIL", "ERROR"))]
    return 1 if failed else 0


def run_benches(args: argparse.Namespace, tmp: Path) -> list[BenchResult]:
    evalscope_python = _find_evalscope(args)
    evalscope_env = {**os.environ, **OFFLINE_ENV, "HF_DATASETS_CACHE": str(tmp / "hf-datasets-cache")}
    needs_data = {"gsm8k", "arc", "latency"} & set(args.only)
    evalscope_data = None
    if evalscope_python and needs_data:
        evalscope_data = prepare_evalscope_data(args.data_dir, tmp / "evalscope-data")
        warm_evalscope_cache(evalscope_python, evalscope_data, evalscope_env, tmp / "warm-cache.log")
    ctx = Context(args, tmp, evalscope_python, evalscope_env, workloads(args.data_dir, evalscope_data))
    results = []
    for bench in BENCHES:
        if bench not in args.only:
            continue
        _progress(f"{bench}:")
        if bench == "gsm8k":
            results.append(compare_bench(ctx, "gsm8k", GSM8K_REPLY, 20))
        elif bench == "arc":
            results.append(compare_bench(ctx, "arc", ARC_REPLY, 3))
        elif bench == "latency":
            results.append(latency_bench(ctx))
        else:
            results.append(help_bench(ctx))
    return results


def _find_evalscope(args: argparse.Namespace) -> str | None:
    if args.skip_evalscope:
        return None
    python = Path(args.evalscope_python)
    if not (python.exists() and (python.parent / "evalscope").exists()):
        print("EvalScope not installed: skipped", flush=True)
        return None
    return str(python)


def _json_payload(args: argparse.Namespace, results: list[BenchResult]) -> dict[str, Any]:
    return {
        "script": "bench/eval_overhead.py",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "settings": {
            "eval_batch_size": BATCH,
            "latency_ms": LATENCY_MS,
            "runs": args.runs,
            "evalscope_runs": args.evalscope_runs,
            "limit": args.limit,
            "server_core": SERVER_CORE,
            "tool_core": TOOL_CORE,
        },
        "results": [{**asdict(r), "assay": _run_json(r.assay), "evalscope": _run_json(r.evalscope)} for r in results],
    }


def _run_json(run: ToolRun | None) -> dict[str, Any] | None:
    return None if run is None else {**asdict(run), "samples_per_s": run.samples_per_s}


if __name__ == "__main__":
    raise SystemExit(main())
