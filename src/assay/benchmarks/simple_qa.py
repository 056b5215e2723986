"""SimpleQA (OpenAI): 4,326 short fact-seeking questions; an LLM judge grades each answer.

* **Data**: simple-evals' ``simple_qa_test_set.csv`` (columns ``metadata``, ``problem``, ``answer``;
  ``metadata`` is a Python-literal dict with ``topic``, ``answer_type`` and source ``urls``), which the
  Hugging Face copy ``basicv8vc/SimpleQA`` holds unchanged as its ``test`` split (EvalScope's
  ``hf_dataset_id``; its ModelScope id ``evalscope/SimpleQA`` is used with ``--dataset-hub
  modelscope``). One subset, ``default``; the record's position is its id.
* **Prompt** (EvalScope 1.x ``simple_qa_adapter.py``): ``Answer the question:\\n\\n{question}``,
  zero-shot, no system message. simple-evals sends the bare question: give ``prompt_template:
  "{question}"`` to reproduce it.
* **Judge**: simple-evals' grading prompt verbatim (``simpleqa_eval.py`` ``GRADER_TEMPLATE``, ending
  'Just return the letters "A", "B", or "C"'), one user turn quoting the bare question, the gold
  answer and the reply (reasoning removed). EvalScope 1.14 drops that last line and asks for a JSON
  object instead; Assay sends what simple-evals sends. The grade is the first standalone letter A
  (CORRECT), B (INCORRECT) or C (NOT_ATTEMPTED). A reply without one excludes the sample as a
  ``judge_parse_error`` (simple-evals counts it NOT_ATTEMPTED), and so does a judge request that still
  fails after its retries (``judge_transport_error``).
* **Metrics**: per sample ``is_correct`` / ``is_incorrect`` / ``is_not_attempted``; over the scored
  samples ``correct`` (the score: EvalScope's primary metric and simple-evals' ``score``),
  ``not_attempted``, ``correct_given_attempted`` = correct / (correct + incorrect) and ``f_score``,
  the harmonic mean of the two, as simple-evals computes them.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._simple_qa import HEADLINE, VALUE_KEYS, ShortFormQAAdapter
from assay.types import Sample

#: The file of the upstream release (openai/simple-evals downloads it; the hub copy has the same name).
UPSTREAM_FILE = "simple_qa_test_set.csv"


def _upstream_files(root: Path, subset: str, split: str) -> Sequence[LocalFile]:
    return [LocalFile(root / UPSTREAM_FILE)]


def _source_metadata(raw: Any) -> dict[str, str]:
    """``topic`` and ``answer_type`` of a record's ``metadata`` (a Python-literal string in the CSV).

    They only label the sample in reviews, so metadata that cannot be read is left out rather than
    stopping the run.

    Example:
        >>> _source_metadata("{'topic': 'Art', 'answer_type': 'Person', 'urls': ['https://x']}")
        {'topic': 'Art', 'answer_type': 'Person'}
    """
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return {}
    if not isinstance(raw, Mapping):
        return {}
    return {key: str(raw[key]) for key in ("topic", "answer_type") if isinstance(raw.get(key), str)}


@register_benchmark(
    BenchmarkMeta(
        name="simple_qa",
        pretty_name="SimpleQA",
        description=(
            "SimpleQA (OpenAI) measures short-form factuality: 4,326 fact-seeking questions with a single, "
            "indisputable short answer. The model answers zero-shot; an LLM judge grades each answer CORRECT, "
            "INCORRECT or NOT_ATTEMPTED with simple-evals' grading prompt. Reported: the share correct (the "
            "score), the share not attempted, correct given attempted, and their F-score."
        ),
        tags=["knowledge", "qa", "llm-judge"],
        paper_url="https://arxiv.org/abs/2411.04368",
        version="1",
        dataset_id="basicv8vc/SimpleQA",
        modelscope_dataset_id="evalscope/SimpleQA",
        homepage="https://github.com/openai/simple-evals",
        license="MIT",  # openai/simple-evals LICENSE; the basicv8vc/SimpleQA card says mit too
        sample_counts={"default": 4326},  # the paper; EvalScope's card of simple_qa (4,326)
        example=BenchmarkExample(
            record={
                "metadata": {"topic": "Science and technology", "answer_type": "Person"},
                "problem": "Who received the IEEE Frank Rosenblatt Award in 2010?",
                "answer": "Michio Sugeno",
            },
            source=(
                "the first record of simple_qa_test_set.csv, its metadata shown parsed and without its four source urls"
            ),
        ),
        local_layout=(
            f"<dir>/{UPSTREAM_FILE} (openai/simple-evals' file, also the basicv8vc/SimpleQA hub copy) with "
            "columns metadata, problem, answer; or hub-style <dir>/test.csv|jsonl|parquet with those columns"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template="Answer the question:\n\n{question}",
        metric_list=list(VALUE_KEYS),
        headline_metric=HEADLINE,
    )
)
class SimpleQAAdapter(ShortFormQAAdapter):
    """simple-evals' CSV rows to samples; graded by ``simpleqa_grade`` with simple-evals' prompt."""

    data: ClassVar[DataSpec] = DataSpec(upstream=_upstream_files)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        question = str(record["problem"])
        return Sample(
            id=f"{subset}-{index}",
            input=question,
            target=str(record["answer"]),
            subset=subset,
            metadata={"question": question, **_source_metadata(record.get("metadata"))},
        )
