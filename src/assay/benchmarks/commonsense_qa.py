"""CommonsenseQA: five-option questions that need everyday background knowledge.

As in EvalScope (``evalscope/benchmarks/commonsense_qa/commonsense_qa_adapter.py``): the validation
split of ``extraordinarylab/commonsense-qa``, zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER``
with the record's ``question``, ``choices`` and letter ``answer``. The reply's ``ANSWER: X`` letter is
scored by exact match (``acc``).
"""

from __future__ import annotations

from assay.benchmarks._commonsense_mcq_base import ColumnsMCQAdapter, commonsense_meta
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
        local_layout="hub-style <dir>/default/validation.jsonl|parquet (or <dir>/validation.*) with "
        "question, choices (list) and answer (a letter)",
        eval_split="validation",
    )
)
class CommonsenseQAAdapter(ColumnsMCQAdapter):
    """The hub's ``question``, ``choices`` and letter ``answer`` (the base class defaults)."""
