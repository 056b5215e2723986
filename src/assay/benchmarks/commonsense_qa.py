"""CommonsenseQA: five-option questions that need everyday background knowledge.

As in EvalScope (``evalscope/benchmarks/commonsense_qa/commonsense_qa_adapter.py``): the validation
split of ``extraordinarylab/commonsense-qa``, zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER``
with the record's ``question``, ``choices`` and letter ``answer``. The reply's ``ANSWER: X`` letter is
scored by exact match (``acc``).
"""

from __future__ import annotations

from assay.benchmarks._commonsense_mcq_base import ColumnsMCQAdapter, commonsense_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    commonsense_meta(
        name="commonsense_qa",
        pretty_name="CommonsenseQA",
        description=(
            "CommonsenseQA asks five-option questions built from ConceptNet relations, whose answers need "
            "background knowledge the question does not state. The validation split is asked zero-shot; the "
            "model answers 'ANSWER: <letter>' and is scored by exact match of the extracted letter."
        ),
        tags=["reasoning", "commonsense", "multiple-choice"],
        paper_url="https://arxiv.org/abs/1811.00937",
        dataset_id="extraordinarylab/commonsense-qa",
        homepage="https://www.tau-nlp.org/commonsenseqa",
        license="MIT",  # hub card of tau/commonsense_qa (the original release)
        sample_counts={"default": 1221},  # validation split (tau/commonsense_qa dataset_info)
        example=BenchmarkExample(
            record={
                "question": "Where would you put a plate after washing it?",
                "choices": ["cupboard", "oven", "garden", "car", "bathtub"],
                "answer": "A",
            },
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout="hub-style <dir>/default/validation.jsonl|parquet (or <dir>/validation.*) with "
        "question, choices (list) and answer (a letter)",
        eval_split="validation",
    )
)
class CommonsenseQAAdapter(ColumnsMCQAdapter):
    """The hub's ``question``, ``choices`` and letter ``answer`` (the base class defaults)."""
