"""HumanEval: OpenAI's release file, EvalScope's prompt, and verdicts from executed tests.

Execution goes through the real bwrap sandbox (or, where bubblewrap or root is missing, the
explicit unsafe engine; only trusted programs are run here).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import BenchmarkAdapter, build_adapter, get_benchmark_meta
from assay.cli.main import main
from assay.sandbox import Sandbox, SandboxConfig, build_sandbox
from assay.sandbox.unsafe import UnsafeLocalRunner
from assay.scoring.context import ScoringContext
from assay.scoring.scorer import score_output
from assay.types import ModelOutput, Sample, Score
from tests.benchmarks.helpers import prompt_of
from tests.conftest import shared_data

# EvalScope 1.14.1: HumanevalAdapter's prompt_template.format(question=...) for HumanEval/0.
EVALSCOPE_PROMPT_HEAD = (
    "Read the following function signature and docstring, and fully implement the function described. "
    "Your response should only contain the code for this function.\nfrom typing import List\n\n\n"
    "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
)


def real_sandbox() -> Sandbox:
    """The real bwrap sandbox where it can run (CI installs bubblewrap and runs as root); else the
    explicit unsafe engine, a real component too, which these tests use only for trusted programs
    (canonical solutions and hand-written bodies)."""
    if shutil.which("bwrap") is not None and os.geteuid() == 0:
        return build_sandbox(SandboxConfig(engine="bwrap"))
    return UnsafeLocalRunner()


@pytest.fixture(scope="module")
def sandbox_context() -> Iterator[ScoringContext]:
    ctx = ScoringContext(workers=1)
    ctx.sandbox = real_sandbox()
    yield ctx
    ctx.close()


def score_reply(adapter: BenchmarkAdapter, sample: Sample, text: str, ctx: ScoringContext, **output: Any) -> Score:
    """Score one reply as the engine does (reasoning removed, filters, the benchmark's scorers)."""
    reply = ModelOutput(text=text, **output)
    return asyncio.run(score_output(adapter.build_scorers(), adapter.filters, sample, reply, ctx))


def _records() -> list[dict[str, Any]]:
    path = shared_data("humaneval") / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def humaneval() -> tuple[BenchmarkAdapter, dict[str, Sample]]:
    adapter = build_adapter("humaneval", {"local_path": str(shared_data("humaneval"))})
    samples = adapter.load()["openai_humaneval"]
    return adapter, {s.id: s for s in samples}


def test_meta_matches_evalscope() -> None:
    meta = get_benchmark_meta("humaneval")
    assert (meta.subset_list, meta.eval_split, meta.few_shot_num) == (["openai_humaneval"], "test", 0)
    assert (meta.dataset_id, meta.aggregation, meta.metric_list) == (
        "openai/openai_humaneval",
        "mean_and_pass_at_k",
        ["acc"],
    )
    assert meta.scorers == {"acc": "code_exec"}


def test_release_file_loads_all_164_problems_with_their_fields(humaneval: Any) -> None:
    _, samples = humaneval
    records = _records()
    assert len(samples) == len(records) == 164
    first = samples["HumanEval/0"]
    assert prompt_of(first).startswith(EVALSCOPE_PROMPT_HEAD)
    assert prompt_of(first).endswith(records[0]["prompt"])
    assert first.target == records[0]["canonical_solution"]
    assert first.metadata == {k: records[0][k] for k in ("task_id", "prompt", "test", "entry_point")}


def test_decompressed_release_file_loads_too(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in _records()[:3]]
    (tmp_path / "HumanEval.jsonl").write_text("\n".join(lines) + "\n")
    samples = build_adapter("humaneval", {"local_path": str(tmp_path)}).load()["openai_humaneval"]
    assert [s.id for s in samples] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]


def test_example_record_is_the_real_record() -> None:
    example = get_benchmark_meta("humaneval").example
    assert example is not None and example.record == _records()[2]


def test_scorer_declares_that_it_needs_the_sandbox(humaneval: Any) -> None:
    adapter, _ = humaneval
    (scorer,) = adapter.build_scorers()
    assert scorer.name == "code_exec" and getattr(scorer, "uses_sandbox", False) is True
    assert scorer.settings() == {"harness": "humaneval", "timeout_s": 4.0, "code_block": "first"}


@pytest.mark.parametrize("task_id", ["HumanEval/0", "HumanEval/2", "HumanEval/32", "HumanEval/38", "HumanEval/163"])
def test_canonical_solution_as_a_continuation_passes(task_id: str, humaneval: Any, sandbox_context: Any) -> None:
    adapter, samples = humaneval
    sample = samples[task_id]
    verdict = score_reply(adapter, sample, str(sample.target), sandbox_context)
    assert verdict.value == {"acc": 1.0}, verdict.details
    assert verdict.explanation == "passed"
    assert verdict.details is not None and verdict.details["reply_mode"] == "completion"
    assert verdict.details["execution"]["outcome"] == "passed"


def test_full_function_in_a_fenced_block_after_thinking_passes(humaneval: Any, sandbox_context: Any) -> None:
    adapter, samples = humaneval
    sample = samples["HumanEval/2"]
    reply = (
        "<think>modulo one gives the fraction</think>Here you go:\n```python\n"
        "def truncate_number(number: float) -> float:\n    return number % 1.0\n```\n"
        "Example:\n```python\nprint(truncate_number(3.5))\n```"
    )
    verdict = score_reply(adapter, sample, reply, sandbox_context)
    assert verdict.value == {"acc": 1.0}
    assert verdict.extracted == "def truncate_number(number: float) -> float:\n    return number % 1.0"
    assert verdict.details is not None and verdict.details["reply_mode"] == "full_function"


def test_wrong_body_fails_with_the_assertion_class(humaneval: Any, sandbox_context: Any) -> None:
    adapter, samples = humaneval
    verdict = score_reply(adapter, samples["HumanEval/2"], "    return 0.0\n", sandbox_context)
    assert verdict.value == {"acc": 0.0}
    assert verdict.explanation == "failed"
    assert verdict.details is not None and verdict.details["execution"]["outcome"] == "failed"


def test_syntax_error_is_its_own_class(humaneval: Any, sandbox_context: Any) -> None:
    adapter, samples = humaneval
    verdict = score_reply(adapter, samples["HumanEval/2"], "```python\ndef truncate_number(:\n```", sandbox_context)
    assert verdict.value == {"acc": 0.0} and verdict.explanation == "syntax_error"


def test_exception_is_named_in_the_explanation(humaneval: Any, sandbox_context: Any) -> None:
    adapter, samples = humaneval
    verdict = score_reply(adapter, samples["HumanEval/2"], "    return 1 / 0\n", sandbox_context)
    assert verdict.value == {"acc": 0.0} and verdict.explanation == "error: ZeroDivisionError"


def test_blank_reply_scores_zero_with_no_extracted_code(humaneval: Any, sandbox_context: Any) -> None:
    adapter, samples = humaneval
    verdict = score_reply(adapter, samples["HumanEval/2"], "<think>hmm</think>  ", sandbox_context)
    assert verdict.value == {"acc": 0.0} and verdict.extracted is None
    assert verdict.explanation == "no code in the reply"


def test_missing_sandbox_is_a_wiring_error_not_a_zero(humaneval: Any) -> None:
    adapter, samples = humaneval
    ctx = ScoringContext(workers=1)
    try:
        with pytest.raises(RuntimeError, match="needs the run's sandbox"):
            score_reply(adapter, samples["HumanEval/2"], "    return 0.0\n", ctx)
    finally:
        ctx.close()


def test_benchmark_info_renders_the_card(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark-info", "humaneval"]) == 0
    out = capsys.readouterr().out
    assert "license: MIT" in out and "samples: 164" in out
    assert "def truncate_number(number: float) -> float:" in out
