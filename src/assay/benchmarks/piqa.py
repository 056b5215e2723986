"""PIQA: physical commonsense, the more plausible of two solutions to a goal.

As in EvalScope (``evalscope/benchmarks/piqa/piqa_adapter.py``): the validation split of
``extraordinarylab/piqa``, zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER`` with the
record's ``question``, ``choices`` and letter ``answer``. The reply's ``ANSWER: X`` letter is scored
by exact match (``acc``).
"""

from __future__ import annotations

from assay.benchmarks._commonsense_mcq_base import ColumnsMCQAdapter, commonsense_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    commonsense_meta(
        name="piqa",
        pretty_name="PIQA",
        description=(
            "PIQA (Physical Interaction QA) tests intuitive physics: for an everyday goal the model picks "
            "the more physically plausible of two solutions. The validation split is asked zero-shot; the "
            "model answers 'ANSWER: <letter>' and is scored by exact match of the extracted letter."
        ),
        tags=["reasoning", "commonsense", "multiple-choice"],
        paper_url="https://arxiv.org/abs/1911.11641",
        dataset_id="extraordinarylab/piqa",
        homepage="https://yonatanbisk.com/piqa/",
        license=None,  # not confirmed for the extraordinarylab/piqa copy
        sample_counts={"default": 1838},  # PIQA validation (dev) set, PIQA paper arXiv 1911.11641
        example=BenchmarkExample(
            record={
                "question": "How do you keep a door from slamming shut in the wind?",
                "choices": ["Wedge a rubber stopper under it.", "Paint the hinges blue."],
                "answer": "A",
            },
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout="hub-style <dir>/default/validation.jsonl|parquet (or <dir>/validation.*) with "
        "question, choices (list) and answer (a letter)",
        train_split="train",
        eval_split="validation",
    )
)
class PIQAAdapter(ColumnsMCQAdapter):
    """The hub's ``question``, ``choices`` and letter ``answer`` (the base class defaults)."""
