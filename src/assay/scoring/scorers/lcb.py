"""``lcb_exec``: LiveCodeBench's verdict on a reply, its tests run by lcb_runner's rules in the run's sandbox.

One sandbox execution per reply runs :mod:`assay.scoring.lcb_runner` (read as text, standard library
only) with two files beside it: ``solution.py`` (the code) and ``tests.json``, the sample's tests as
EvalScope stores them (``{"inputs", "outputs", "fn_name"}``, from ``Sample.metadata["tests"]``); the
per-test limit and a random marker come on stdin. The runner grades every test as lcb_runner's
``testing_util.run_test`` does (see its docstring) and prints one verdict line after the marker.

* **acc** is 1 when every test passes, else 0: EvalScope's ``pass_rate > 0`` of pass@1 over one
  generation, which lcb_runner computes as "all results > 0".
* **Timeouts**: ``timeout_s`` per test (EvalScope's ``review_timeout`` 6 s) by the runner's alarm;
  around the whole execution lcb_runner's global limit ``(timeout_s + 1) * tests`` plus
  :func:`startup_allowance_s`, after which the sandbox kills everything.
* **Outcomes** (``details["execution"]``, counted in the report): the runner's verdict (``passed``,
  ``failed`` = wrong answer, ``error`` with the exception type, ``timeout`` = a test's alarm,
  ``syntax_error``, ``memory_limit``) with the failing test (0-based), tests passed, total and
  short tails of the message, the output and the expected output; never the inputs. Without a
  verdict (killed by the wall limit, a signal, ``os._exit``) the sandbox's own classification, and
  an exit status 0 without a verdict is an ``error``, never a pass.
* **Code**: :func:`~assay.scoring.code_extract.extract_last_fenced_code`; a reply without two fence
  lines is scored 0 as "no code in the reply" and not executed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from assay.sandbox.types import ExecResult, Outcome
from assay.scoring.code_extract import extract_last_fenced_code
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.scoring.scorers.code import required_sandbox
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: EvalScope's ``review_timeout`` for live_code_bench: seconds per test.
DEFAULT_TIMEOUT_S = 6.0
#: Seconds for the sandbox, the interpreter and the runner's imports before the first test (about
#: 0.06 s on the 2-core development machine), with ample room for a loaded one. lcb_runner's global
#: limit has no such term; EvalScope's spawned worker spends about 2 s of it importing.
STARTUP_S = 1.0
#: Bytes of test data per extra second: reading them (``json.load`` runs at about 400 MB/s on the
#: 2-core development machine) counts against the execution's time, so a problem with tens of MB
#: of tests is not cut short. Eight times slower than measured, for a loaded machine.
TEST_BYTES_PER_S = 50_000_000
#: Characters of stderr kept in the review when the runner left no verdict.
STDERR_TAIL_CHARS = 300
_RUNNER = Path(__file__).resolve().parents[1] / "lcb_runner.py"
_VERDICT_OUTCOMES = frozenset(
    {Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SYNTAX_ERROR, Outcome.TIMEOUT, Outcome.MEMORY}
)


@functools.cache
def runner_source() -> str:
    """The runner program, as shipped in the package (read once)."""
    return _RUNNER.read_text(encoding="utf-8")


def startup_allowance_s(test_bytes: int) -> float:
    """Seconds added to lcb_runner's global limit for starting up and reading ``test_bytes`` of tests."""
    return STARTUP_S + test_bytes / TEST_BYTES_PER_S


def wall_timeout_s(timeout_s: float, test_count: int, test_bytes: int) -> float:
    """The whole execution's limit: lcb_runner's ``(timeout + 1) * tests``, plus the startup allowance.

    Example:
        >>> wall_timeout_s(6.0, 10, 0)
        71.0
    """
    return (timeout_s + 1.0) * test_count + startup_allowance_s(test_bytes)


def parse_verdict(stdout: str, marker: str) -> dict[str, Any] | None:
    """The runner's verdict: the JSON after the last ``marker`` in ``stdout``; None when there is none.

    Example:
        >>> parse_verdict('noise\\n@@m@@{"outcome": "passed", "total_tests": 3}\\n', "@@m@@")
        {'outcome': 'passed', 'total_tests': 3}
    """
    at = stdout.rfind(marker)
    if at < 0:
        return None
    try:
        verdict = json.loads(stdout[at + len(marker) :].split("\n", 1)[0])
    except ValueError:
        return None
    if not isinstance(verdict, dict) or verdict.get("outcome") not in {o.value for o in _VERDICT_OUTCOMES}:
        return None
    return verdict


def execution_details(verdict: dict[str, Any] | None, result: ExecResult) -> dict[str, Any]:
    """What the review keeps of one execution: the outcome and small facts, no test data."""
    if verdict is not None:
        details = {key: value for key, value in verdict.items() if value is not None}
        return {**details, "wall_s": round(result.wall_s, 3)}
    outcome, exception = result.outcome, result.exception
    message = None
    if outcome is Outcome.PASSED:  # exited 0 but never reached the end of the runner (os._exit in the code)
        outcome, message = Outcome.ERROR, "the program ended without a verdict"
    details = {
        "outcome": outcome.value,
        "exception": exception,
        "message": message,
        "exit_code": result.exit_code,
        "wall_s": round(result.wall_s, 3),
        "stderr": result.stderr[-STDERR_TAIL_CHARS:] or None,
    }
    return {key: value for key, value in details.items() if value is not None}


def explain(execution: dict[str, Any]) -> str:
    """A one-line reason: the outcome, its exception, and where in the tests it happened.

    Example:
        >>> explain({"outcome": "failed", "failed_test": 2, "total_tests": 9})
        'failed on test 3 of 9'
    """
    text = str(execution["outcome"])
    if execution.get("exception") and execution["outcome"] == Outcome.ERROR.value:
        text += f": {execution['exception']}"
    if execution.get("failed_test") is not None and execution.get("total_tests"):
        text += f" on test {int(execution['failed_test']) + 1} of {execution['total_tests']}"
    return text


@register_scorer("lcb_exec")
class LiveCodeBenchExecution(BaseScorer):
    """1 when the reply's code passes all of the sample's tests under lcb_runner's rules, else 0.

    The sample's metadata holds ``tests`` (EvalScope's ``evaluation_sample`` JSON string) and
    ``test_count``. Without a sandbox in the context the scorer raises: a wiring bug, never a 0.

    Args:
        metrics: ``("acc",)``.
        timeout_s: Seconds per test (and for the solution's own module code).
    """

    version = "1"
    supported_metrics = ("acc",)
    #: The engine opens the run's sandbox for any plan whose scorers say so.
    uses_sandbox: ClassVar[bool] = True
    #: CPU-heavy: with ``--executor ray`` the actors score it, beside the model, instead of the driver.
    cpu_heavy: ClassVar[bool] = True

    def __init__(self, metrics: tuple[str, ...] | list[str] | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S):
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        super().__init__(metrics, timeout_s=timeout_s)
        self.timeout_s = float(timeout_s)

    def settings(self) -> dict[str, Any]:
        """The per-test limit and the runner's digest: editing the runner re-scores cached replies."""
        digest = hashlib.sha256(runner_source().encode("utf-8")).hexdigest()[:16]
        return {"timeout_s": self.timeout_s, "runner_sha256": digest}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        sandbox = required_sandbox(ctx, self.name)
        code = extract_last_fenced_code(output.text)
        if code is None:
            return self.zero(explanation="no code in the reply")
        tests = str(sample.metadata["tests"]).encode("utf-8")
        marker = f"@@assay-lcb-verdict-{secrets.token_hex(16)}@@"
        files = {"solution.py": code.encode("utf-8", "replace"), "tests.json": tests}
        settings = json.dumps({"timeout_s": self.timeout_s, "marker": marker})  # on stdin: no file holds the marker
        limit_s = wall_timeout_s(self.timeout_s, int(sample.metadata["test_count"]), len(tests))
        result = await sandbox.run(runner_source(), timeout_s=limit_s, stdin=settings, files=files)
        execution = execution_details(parse_verdict(result.stdout, marker), result)
        passed = execution["outcome"] == Outcome.PASSED.value
        verdict = self.scored(1.0 if passed else 0.0, extracted=code, explanation=explain(execution))
        return verdict.model_copy(update={"details": {"execution": execution}})
