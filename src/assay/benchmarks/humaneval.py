"""HumanEval: 164 hand-written Python functions to complete, scored by running their unit tests.

* **Prompt**: EvalScope 1.14.1's (``evalscope/benchmarks/humaneval/humaneval_adapter.py``,
  ``prompt_template``): an instruction to implement the function, then the record's ``prompt``
  (signature and docstring). No few-shot.
* **Scoring**: the ``code_exec`` scorer with the ``humaneval`` harness. The code is the first
  fenced block of the reply, else the whole reply (:mod:`assay.scoring.code_extract`); the test
  program is ``prompt + code + test + check(entry_point)``, as human-eval's ``check_correctness``
  and EvalScope build it, so a full function and a bare body (a base model's continuation) both
  work. It runs in the run's sandbox with EvalScope's 4 s limit (``review_timeout=4``; human-eval's
  own default is 3 s). A sample scores 1 when the program exits cleanly.
* **Metrics**: ``acc`` aggregated with ``mean_and_pass_at_k`` (EvalScope's default): ``mean_acc``
  and, with ``repeats=k``, ``mean_acc_pass@1..k`` by the unbiased estimator.
* **Data**: ``openai/openai_humaneval`` on the hub (split ``test``), or OpenAI's release file
  ``HumanEval.jsonl.gz`` (or it decompressed) given as ``local_path``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, read_local_file
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import Sample

PROMPT_TEMPLATE = (
    "Read the following function signature and docstring, and fully implement the function described. "
    "Your response should only contain the code for this function.\n{question}"
)
#: EvalScope's ``review_timeout`` for HumanEval, in seconds.
TIMEOUT_S = 4.0
_FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")


def read_humaneval_file(found: LocalFile) -> list[dict[str, Any]]:
    """OpenAI's ``HumanEval.jsonl.gz`` (gzipped JSON Lines) or any file the shared readers know."""
    if found.path.suffix != ".gz":
        return read_local_file(found)
    try:
        with gzip.open(found.path, "rt", encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read {found.path}: {exc}") from exc


@register_benchmark(
    BenchmarkMeta(
        name="humaneval",
        pretty_name="HumanEval",
        description=(
            "HumanEval measures Python code generation with 164 hand-written programming problems, each a "
            "function signature with a docstring and a hidden unit-test suite. The model is asked to implement "
            "the function; the first fenced code block of its reply (or the whole reply) is appended to the "
            "problem's prompt and run against the tests in an isolated sandbox, with a 4 s limit. A problem "
            "counts as solved when every test passes; with repeats, pass@k is the unbiased estimate."
        ),
        tags=["coding"],
        paper_url="https://arxiv.org/abs/2107.03374",
        version="1",
        dataset_id="openai/openai_humaneval",
        modelscope_dataset_id="opencompass/humaneval",
        homepage="https://github.com/openai/human-eval",
        license="MIT",  # LICENSE of openai/human-eval (shared/data/humaneval/SOURCE.md)
        sample_counts={"openai_humaneval": 164},  # HumanEval.jsonl.gz (SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "task_id": "HumanEval/2",
                "prompt": '\n\ndef truncate_number(number: float) -> float:\n    """ Given a positive floating point '
                "number, it can be decomposed into\n    and integer part (largest integer smaller than given number) "
                "and decimals\n    (leftover part always smaller than 1).\n\n    Return the decimal part of the "
                'number.\n    >>> truncate_number(3.5)\n    0.5\n    """\n',
                "entry_point": "truncate_number",
                "canonical_solution": "    return number % 1.0\n",
                "test": "\n\nMETADATA = {\n    'author': 'jt',\n    'dataset': 'test'\n}\n\n\ndef check(candidate):\n"
                "    assert candidate(3.5) == 0.5\n    assert abs(candidate(1.33) - 0.33) < 1e-6\n"
                "    assert abs(candidate(123.456) - 0.456) < 1e-6\n",
            },
            subset="openai_humaneval",
            source="HumanEval/2 of HumanEval.jsonl.gz (openai/human-eval)",
        ),
        local_layout=(
            "OpenAI's release file <dir>/HumanEval.jsonl.gz (or HumanEval.jsonl), or hub-style "
            "<dir>/openai_humaneval/test.jsonl|parquet; records have task_id, prompt, canonical_solution, "
            "test and entry_point"
        ),
        available_subsets=["openai_humaneval"],
        subset_list=["openai_humaneval"],
        eval_split="test",
        prompt_template=PROMPT_TEMPLATE,
        scorers={"acc": "code_exec"},
        metric_list=["acc"],
        aggregation="mean_and_pass_at_k",
    )
)
class HumanEvalAdapter(QuestionAnswerAdapter):
    """HumanEval records to samples whose metadata carries the prompt, tests and entry point."""

    data: ClassVar[DataSpec] = DataSpec(
        upstream=lambda root, subset, split: [
            LocalFile(root / "HumanEval.jsonl.gz"),
            LocalFile(root / "HumanEval.jsonl"),
        ],
        reader=read_humaneval_file,
    )

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        fields = {name: str(record[name]) for name in _FIELDS}
        return Sample(
            id=fields["task_id"],
            input=fields["prompt"],
            target=fields["canonical_solution"],
            subset=subset,
            metadata={name: fields[name] for name in ("task_id", "prompt", "test", "entry_point")},
        )

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {"code_exec": {"harness": "humaneval", "timeout_s": TIMEOUT_S}}
