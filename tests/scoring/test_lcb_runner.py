"""LiveCodeBench's runner in the real sandbox: lcb_runner's verdicts on the cases where they are subtle.

Every case runs the shipped runner through the ``lcb_exec`` scorer in the bwrap sandbox (or, where
bubblewrap or root is missing, the explicit unsafe engine; these programs are hand-written). The
pass/fail cases are those of ``bench/lcb_parity_cases.py``, whose expected verdicts
``bench/lcb_parity.py`` checks against EvalScope's own ``run_test``; the tests here add what the
review says about each failure.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from bench.lcb_parity_cases import PAIRS, READ_SUM, SUM, TWO_SUM, Pair, two_sum

from assay.scoring.context import ScoringContext
from assay.scoring.scorers.lcb import LiveCodeBenchExecution
from assay.types import ModelOutput, Sample
from tests.benchmarks.test_humaneval import real_sandbox


@pytest.fixture(scope="module")
def ctx() -> Iterator[ScoringContext]:
    context = ScoringContext(workers=1)
    context.sandbox = real_sandbox()
    yield context
    context.close()


def judge(ctx: ScoringContext, code: str, tests: list[tuple[str, str]], fn_name: str | None = None,
          timeout_s: float = 6.0) -> dict[str, Any]:  # fmt: skip
    """The review's execution details of ``code`` on ``tests``, with the acc beside them."""
    payload = {"inputs": [i for i, _ in tests], "outputs": [o for _, o in tests], "fn_name": fn_name}
    sample = Sample(id="p", input="q", target="", metadata={"tests": json.dumps(payload), "test_count": len(tests)})
    scorer = LiveCodeBenchExecution(timeout_s=timeout_s)
    score = asyncio.run(scorer.score(sample, ModelOutput(text=f"Solution:\n```python\n{code}\n```\n"), ctx))
    assert score.details is not None
    return {**score.details["execution"], "acc": score.value["acc"]}


# ---------------------------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("pair", PAIRS, ids=[pair.name for pair in PAIRS])
def test_every_parity_case_gets_the_verdict_evalscope_gives_it(pair: Pair, ctx: ScoringContext) -> None:
    # 1 s per test: only the looping programs come near it, and they fail either way.
    result = judge(ctx, pair.code, pair.tests, fn_name=pair.fn_name, timeout_s=1.0)
    assert (result["acc"] == 1.0) is pair.passes, result


# ---------------------------------------------------------------------------------------------- details
def test_a_line_count_mismatch_is_a_wrong_answer_with_the_reference_message(ctx: ScoringContext) -> None:
    result = judge(ctx, 'print(6)\nprint("extra")', SUM)
    assert result["outcome"] == "failed" and result["message"] == "Wrong answer: mismatched output length"
    assert (result["failed_test"], result["passed_tests"], result["total_tests"]) == (0, 0, 2)


@pytest.mark.parametrize(
    ("code", "exception"),
    [
        ("input()\n1 / 0", "ZeroDivisionError"),
        ("quit()", "TypeError"),  # reliability_guard sets quit to None
        ("import os\nos.getcwd()", "TypeError"),
        ("import sys\nsys.stdout.close()", "TypeError"),  # the capture's close() takes one argument
        ("class Solution:\n    pass\nprint(6)", "AttributeError"),  # 'class Solution' in stdin code
    ],
)
def test_runtime_errors_name_their_exception(code: str, exception: str, ctx: ScoringContext) -> None:
    result = judge(ctx, code, SUM)
    assert (result["outcome"], result["exception"]) == ("error", exception), result


def test_a_syntax_error_is_its_own_outcome(ctx: ScoringContext) -> None:
    result = judge(ctx, "def f(:\n    pass", SUM)
    assert (result["outcome"], result["exception"], result["acc"]) == ("syntax_error", "SyntaxError", 0.0)


def test_a_test_past_its_time_limit_is_a_timeout_at_that_test(ctx: ScoringContext) -> None:
    code = "n = int(input())\nwhile n == 2:\n    pass\nprint(sum(map(int, input().split())))"
    result = judge(ctx, code, [*SUM, ("1\n4\n", "4\n")], timeout_s=0.5)
    assert (result["outcome"], result["exception"]) == ("timeout", "TimeoutException")
    assert (result["failed_test"], result["passed_tests"], result["total_tests"]) == (1, 1, 3)
    assert result["wall_s"] < 3.0


def test_the_first_failing_test_stops_the_run(ctx: ScoringContext) -> None:
    tests = [("1\n1\n", "1\n"), ("1\n2\n", "3\n"), ("1\n3\n", "3\n")]
    result = judge(ctx, READ_SUM, tests)
    assert (result["outcome"], result["failed_test"], result["passed_tests"]) == ("failed", 1, 1)
    assert (result["got"], result["expected"]) == ("2\n", "3\n")


def test_printing_on_the_real_stdout_or_a_forged_verdict_fails(ctx: ScoringContext) -> None:
    forged = '{"outcome": "passed", "failed_test": null, "passed_tests": 2, "total_tests": 2}'
    for code in (
        f"import os\nos.write(1, b'@@assay-lcb-verdict-0@@{forged}\\n')",
        f"import sys\nsys.__stdout__.write('@@assay-lcb-verdict-0@@{forged}\\n')",
        "from sys import stdout\ninput()\nstdout.write(str(sum(map(int, input().split()))) + '\\n')",
        f"import sys\nprint('{forged}', file=sys.stderr)",
    ):
        assert judge(ctx, code, SUM)["outcome"] == "failed", code


def test_leaving_without_a_verdict_is_an_error_never_a_pass(ctx: ScoringContext) -> None:
    result = judge(ctx, "import os\nos._exit(0)", SUM)
    assert (result["outcome"], result["message"], result["acc"]) == ("error", "the program ended without a verdict", 0)


def test_memory_error_is_the_memory_outcome(ctx: ScoringContext) -> None:
    assert judge(ctx, "x = [0] * (10 ** 10)", SUM)["outcome"] == "memory_limit"


def test_long_values_are_cut_in_the_middle(ctx: ScoringContext) -> None:
    result = judge(ctx, "print('x' * 100000)", SUM)
    assert result["outcome"] == "failed"
    assert len(result["got"]) < 400 and "...(truncated) ..." in result["got"]
    assert len(result["message"]) < 800


# ---------------------------------------------------------------------------------------------- call-based
def test_call_based_wrong_answer_shows_both_values(ctx: ScoringContext) -> None:
    result = judge(ctx, two_sum("[i, seen[target - x]]"), TWO_SUM, fn_name="twoSum")
    assert (result["got"], result["expected"], result["failed_test"]) == ("[1, 0]", "[0, 1]", 0)


def test_call_based_exit_and_module_level_loops_fail(ctx: ScoringContext) -> None:
    exits = judge(ctx, two_sum("exit()"), TWO_SUM, fn_name="twoSum")
    assert (exits["outcome"], exits["exception"]) == ("error", "SystemExit")
    loops = judge(ctx, "while True:\n    pass\n" + two_sum(), TWO_SUM, fn_name="twoSum", timeout_s=0.5)
    assert (loops["outcome"], loops.get("failed_test")) == ("timeout", None)
    raises = judge(ctx, two_sum("1 / 0"), TWO_SUM, fn_name="twoSum")
    assert (raises["outcome"], raises["exception"]) == ("error", "ZeroDivisionError")
