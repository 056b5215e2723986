"""Verdict parity: Assay's LiveCodeBench runner vs EvalScope 1.14.1's lcb_runner ``run_test``, same pairs.

Every (problem, code) pair of ``lcb_parity_cases.py`` (stdin and LeetCode-style, built around the
subtle cases) is judged by both tools with the same per-test limit (EvalScope's 6 s by default):

* **EvalScope**: its own interpreter (``--evalscope-python``) runs a small driver that calls
  ``evalscope.benchmarks.live_code_bench.evaluate_utils.codegen_metrics``, exactly what
  ``LiveCodeBenchAdapter.match_score`` calls without a sandbox: a spawned worker per program runs
  ``testing_util.run_test`` under the global timeout, and the verdict is ``pass@1 > 0``. Assay never
  imports EvalScope; the driver starts with stdin at /dev/null, as Assay's sandbox does.
* **Assay**: the ``lcb_exec`` scorer with the run's sandbox (bwrap where it can run, else the unsafe
  engine, with a warning).

Prints the pass/fail agreement (goal 100%), the agreement of the failure class (passed, wrong
answer, timeout, error, crash), every difference, and whether both runners use the same import
prelude.

Usage:
    .venv/bin/python bench/lcb_parity.py                 # about 2 minutes on 2 cores
    .venv/bin/python bench/lcb_parity.py --only "open(0)" --timeout-s 2

Exit status: 0 at 100% pass/fail agreement with every expectation met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lcb_parity_cases import PAIRS, Pair  # bench scripts run as files, not as a package

from assay.sandbox import SandboxConfig, build_sandbox
from assay.sandbox.unsafe import UnsafeLocalRunner
from assay.scoring.context import ScoringContext
from assay.scoring.lcb_runner import IMPORT_PRELUDE
from assay.scoring.scorers.lcb import LiveCodeBenchExecution
from assay.types import ModelOutput, Sample

DEFAULT_EVALSCOPE_PYTHON = os.environ.get("EVALSCOPE_PYTHON", "/root/.venvs/evalscope/bin/python")

#: Runs inside EvalScope's venv: argv = pairs.json out.json timeout_s.
DRIVER = """
import json, sys
from evalscope.benchmarks.live_code_bench import testing_util
from evalscope.benchmarks.live_code_bench.evaluate_utils import codegen_metrics

if __name__ == "__main__":
    pairs = json.load(open(sys.argv[1]))
    out = {"import_string": testing_util.import_string, "verdicts": []}
    for pair in pairs:
        reference = {"input_output": pair["evaluation_sample"]}
        metrics, results, _ = codegen_metrics([reference], [[pair["code"]]], k_list=[1],
                                              num_process_evaluate=1, timeout=float(sys.argv[3]))
        out["verdicts"].append({"passed": bool(metrics["pass@1"] > 0), "results": [int(r) for r in results[0][0]]})
    json.dump(out, open(sys.argv[2], "w"))
"""


def evaluation_sample(pair: Pair) -> str:
    """EvalScope's ``evaluation_sample`` JSON for a pair (what ``load_utils.transform`` builds)."""
    return json.dumps({"inputs": [i for i, _ in pair.tests], "outputs": [o for _, o in pair.tests],
                       "fn_name": pair.fn_name})  # fmt: skip


def reference_class(results: list[int]) -> str:
    """lcb_runner's result list as a class, by its last entry.

    ``False`` (call-based) and ``-2`` (stdin) are wrong answers; ``-3`` a test's timeout; ``-4`` an
    exception, in a test or while compiling. A worker that died without a result is ``-1`` in
    lcb_runner, but EvalScope's ``evaluate_generations_by_problem`` then fails on the missing
    metadata and keeps its initial ``[-2]``, so it reads as a wrong answer here.
    """
    if all(r > 0 for r in results):
        return "passed"
    return {0: "wrong answer", -2: "wrong answer", -3: "timeout", -4: "error", -1: "crash"}.get(results[-1], "?")


def assay_class(outcome: str) -> str:
    return {"passed": "passed", "failed": "wrong answer", "timeout": "timeout", "killed": "crash"}.get(outcome, "error")


def run_evalscope(python: str, pairs: list[Pair], timeout_s: float, workers: int, tmp: Path) -> dict[str, Any]:
    """EvalScope's verdicts, ``workers`` driver processes each taking every ``workers``-th pair."""
    driver = tmp / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")

    def chunk(k: int) -> dict[str, Any]:
        mine = pairs[k::workers]
        (tmp / f"pairs{k}.json").write_text(json.dumps(
            [{"code": p.code, "evaluation_sample": evaluation_sample(p)} for p in mine]), encoding="utf-8")  # fmt: skip
        command = [python, str(driver), str(tmp / f"pairs{k}.json"), str(tmp / f"out{k}.json"), str(timeout_s)]
        log = tmp / f"driver{k}.log"
        with log.open("w") as stderr:
            done = subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, cwd=tmp, timeout=3600
            )
        if done.returncode != 0:
            raise RuntimeError(f"EvalScope driver failed:\n{log.read_text()[-3000:]}")
        return dict(json.loads((tmp / f"out{k}.json").read_text(encoding="utf-8")))

    with ThreadPoolExecutor(workers) as pool:
        outs = list(pool.map(chunk, range(workers)))
    verdicts: list[Any] = [None] * len(pairs)
    for k, out in enumerate(outs):
        for j, verdict in enumerate(out["verdicts"]):
            verdicts[k + j * workers] = verdict
    return {"import_string": outs[0]["import_string"], "verdicts": verdicts}


async def run_assay(pairs: list[Pair], timeout_s: float, workers: int) -> list[dict[str, Any]]:
    if shutil.which("bwrap") is not None and os.geteuid() == 0:
        sandbox = build_sandbox(SandboxConfig(engine="bwrap", workers=workers))
    else:
        print("warning: bubblewrap or root missing; Assay runs the pairs with the unsafe engine", file=sys.stderr)
        sandbox = UnsafeLocalRunner(workers=workers)
    scorer = LiveCodeBenchExecution(timeout_s=timeout_s)
    async with ScoringContext(workers=1) as ctx:
        ctx.sandbox = sandbox

        async def judge(pair: Pair) -> dict[str, Any]:
            metadata = {"tests": evaluation_sample(pair), "test_count": len(pair.tests)}
            sample = Sample(id=pair.name, input="q", target="", metadata=metadata)
            score = await scorer.score(sample, ModelOutput(text=f"```python\n{pair.code}\n```"), ctx)
            execution = (score.details or {}).get("execution", {"outcome": "no code"})
            return {"passed": score.value["acc"] == 1.0, "execution": execution}

        return list(await asyncio.gather(*(judge(pair) for pair in pairs)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--evalscope-python", default=DEFAULT_EVALSCOPE_PYTHON, help="python of EvalScope's venv")
    p.add_argument("--timeout-s", type=float, default=6.0, help="per-test limit for both (default 6, EvalScope's)")
    p.add_argument("--workers", type=int, default=max(1, len(os.sched_getaffinity(0))))
    p.add_argument("--only", nargs="*", help="pair names to run (default: all)")
    p.add_argument("--json", type=Path, help="also write every verdict here")
    args = p.parse_args(argv)
    if not Path(args.evalscope_python).exists():
        print(f"EvalScope not installed ({args.evalscope_python}): skipped")
        return 1
    pairs = [pair for pair in PAIRS if not args.only or pair.name in args.only]
    with tempfile.TemporaryDirectory(prefix="assay-bench-lcb-") as tmp:
        theirs = run_evalscope(args.evalscope_python, pairs, args.timeout_s, args.workers, Path(tmp))
    ours = asyncio.run(run_assay(pairs, args.timeout_s, args.workers))
    agree = same_class = expected = 0
    rows = []
    for pair, their, our in zip(pairs, theirs["verdicts"], ours, strict=True):
        classes = (reference_class(their["results"]), assay_class(our["execution"]["outcome"]))
        agree += their["passed"] == our["passed"]
        same_class += classes[0] == classes[1]
        expected += their["passed"] == pair.passes
        rows.append({"name": pair.name, "evalscope": their, "assay": our, "classes": classes})
        if their["passed"] != our["passed"] or classes[0] != classes[1] or their["passed"] != pair.passes:
            print(
                f"  {pair.name!r}: EvalScope passed={their['passed']} {their['results']} ({classes[0]}), "
                f"Assay passed={our['passed']} {our['execution']} ({classes[1]}), expected passed={pair.passes}"
            )
    n = len(pairs)
    print(
        f"{n} (problem, code) pairs, {sum(p.fn_name is None for p in pairs)} stdin, per-test limit {args.timeout_s} s"
    )
    print(f"  pass/fail agreement: {agree}/{n} = {agree / n:.1%} (goal 100%)")
    print(f"  failure-class agreement: {same_class}/{n} = {same_class / n:.1%}")
    print(f"  EvalScope verdicts as the cases expect: {expected}/{n}")
    print(f"  import prelude identical: {theirs['import_string'] == IMPORT_PRELUDE}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0 if agree == expected == n and theirs["import_string"] == IMPORT_PRELUDE else 1


if __name__ == "__main__":
    sys.exit(main())
