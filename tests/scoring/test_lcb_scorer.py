"""The ``lcb_exec`` scorer around the runner: verdict parsing, limits, and what a review keeps."""

from __future__ import annotations

import asyncio
import json

import pytest

from assay.sandbox.types import ExecResult, Outcome
from assay.scoring.lcb_runner import MAX_VERDICT_CHARS, verdict_line
from assay.scoring.scorer import build_scorers
from assay.scoring.scorers.lcb import (
    LiveCodeBenchExecution,
    execution_details,
    parse_verdict,
    startup_allowance_s,
    wall_timeout_s,
)
from assay.types import ModelOutput, Sample

MARKER = "@@assay-lcb-verdict-abc@@"


def test_the_verdict_is_the_json_after_the_last_marker_and_nothing_else_counts() -> None:
    stdout = (
        f'{{"outcome": "passed"}}\n@@assay-lcb-verdict-x@@{{"outcome": "passed"}}\n{MARKER}{{"outcome": "failed"}}\n'
    )
    assert parse_verdict(stdout, MARKER) == {"outcome": "failed"}
    assert parse_verdict('{"outcome": "passed"}\n', MARKER) is None
    assert parse_verdict(f"{MARKER}not json\n", MARKER) is None
    assert parse_verdict(f'{MARKER}{{"outcome": "killed"}}\n', MARKER) is None  # not a runner outcome


def test_a_verdict_line_is_shortened_until_it_fits_the_sandbox_tail() -> None:
    result = {"outcome": "failed", "failed_test": 0, "message": "\x01" * 300, "got": "\x02" * 300, "expected": "e"}
    line = verdict_line(MARKER, result)
    assert len(line) <= MAX_VERDICT_CHARS and line.isascii()
    assert parse_verdict(line, MARKER) is not None
    short = {"outcome": "passed", "failed_test": None}
    assert verdict_line(MARKER, short) == MARKER + json.dumps(short) + "\n"


def test_the_wall_limit_is_lcb_runner_s_global_timeout_plus_a_startup_allowance() -> None:
    assert wall_timeout_s(6.0, 3, 0) == 21.0 + startup_allowance_s(0)
    assert startup_allowance_s(0) == 1.0
    assert startup_allowance_s(100_000_000) == 3.0  # reading 100 MB of tests gets two more seconds


def _exec(outcome: Outcome, **fields: object) -> ExecResult:
    return ExecResult(outcome=outcome, exit_code=fields.pop("exit_code", 0), wall_s=0.1234, **fields)  # type: ignore[arg-type]


def test_without_a_verdict_the_sandbox_decides_and_a_clean_exit_is_an_error() -> None:
    assert execution_details(None, _exec(Outcome.TIMEOUT, exit_code=None)) == {"outcome": "timeout", "wall_s": 0.123}
    clean = execution_details(None, _exec(Outcome.PASSED))
    assert clean["outcome"] == "error" and clean["message"] == "the program ended without a verdict"
    killed = execution_details(None, _exec(Outcome.KILLED, exit_code=-11, stderr="x" * 5000))
    assert killed["outcome"] == "killed" and len(killed["stderr"]) == 300


def test_a_verdict_keeps_its_fields_without_the_empty_ones() -> None:
    verdict = {"outcome": "passed", "failed_test": None, "passed_tests": 3, "total_tests": 3}
    assert execution_details(verdict, _exec(Outcome.PASSED)) == {
        "outcome": "passed",
        "passed_tests": 3,
        "total_tests": 3,
        "wall_s": 0.123,
    }


class _Context:
    """A scoring context whose sandbox must not be used (or is absent)."""

    def __init__(self, sandbox: object = None) -> None:
        self.sandbox = sandbox


class _RefusingSandbox:
    async def run(self, program: str, **kwargs: object) -> ExecResult:
        raise AssertionError("nothing should run")


def _sample() -> Sample:
    tests = {"inputs": ["1\n"], "outputs": ["1\n"], "fn_name": None}
    return Sample(id="p", input="q", target="", metadata={"tests": json.dumps(tests), "test_count": 1})


def test_a_reply_without_two_fence_lines_is_no_code_and_is_not_run() -> None:
    scorer = LiveCodeBenchExecution()
    context = _Context(_RefusingSandbox())
    score = asyncio.run(scorer.score(_sample(), ModelOutput(text="print(input())"), context))  # type: ignore[arg-type]
    assert (score.value, score.explanation, score.details) == ({"acc": 0.0}, "no code in the reply", None)


def test_without_the_run_s_sandbox_the_scorer_raises_instead_of_scoring_zero() -> None:
    reply = ModelOutput(text="```python\nprint(input())\n```")
    with pytest.raises(RuntimeError, match="needs the run's sandbox"):
        asyncio.run(LiveCodeBenchExecution().score(_sample(), reply, _Context()))  # type: ignore[arg-type]


def test_settings_name_the_limit_and_the_runner_so_a_runner_change_rescores() -> None:
    (scorer,) = build_scorers({"acc": "lcb_exec"}, ["acc"], {"lcb_exec": {"timeout_s": 6}})
    settings = scorer.settings()
    assert settings["timeout_s"] == 6.0 and len(settings["runner_sha256"]) == 16
    assert getattr(scorer, "uses_sandbox", False) is True
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        LiveCodeBenchExecution(timeout_s=0)
