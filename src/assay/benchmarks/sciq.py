"""SciQ: crowdsourced four-option science exam questions.

As in EvalScope (``evalscope/benchmarks/sciq/sciq_adapter.py``): the test split of
``extraordinarylab/sciq``, zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER`` with the
record's ``question``, ``choices`` and letter ``answer`` (the support paragraph is not shown). The
reply's ``ANSWER: X`` letter is scored by exact match (``acc``).
"""

from __future__ import annotations

from assay.benchmarks._commonsense_mcq_base import ColumnsMCQAdapter, commonsense_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    commonsense_meta(
        name="sciq",
        pretty_name="SciQ",
        description=(
            "SciQ holds crowdsourced four-option science exam questions in physics, chemistry, biology and "
            "earth science. The test split is asked zero-shot without the support paragraph; the model "
            "answers 'ANSWER: <letter>' and is scored by exact match of the extracted letter."
        ),
        tags=["reading-comprehension", "knowledge", "multiple-choice"],
        paper_url="https://arxiv.org/abs/1707.06209",
        dataset_id="extraordinarylab/sciq",
        homepage="https://allenai.org/data/sciq",
        license="CC-BY-NC-3.0",  # hub card of allenai/sciq, the original of extraordinarylab/sciq
        sample_counts={"default": 1000},  # test split (allenai/sciq: 11,679 / 1,000 / 1,000)
        example=BenchmarkExample(
            record={
                "question": "What gas do plants take in for photosynthesis?",
                "choices": ["oxygen", "carbon dioxide", "helium", "neon"],
                "answer": "B",
            },
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout="hub-style <dir>/default/test.jsonl|parquet (or <dir>/test.*) with question, "
        "choices (list) and answer (a letter)",
        eval_split="test",
    )
)
class SciQAdapter(ColumnsMCQAdapter):
    """The hub's ``question``, ``choices`` and letter ``answer`` (the base class defaults)."""
