"""ARC: upstream and hub layouts, EvalScope's MCQ prompt, digit labels shown as letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.benchmarks import build_adapter
from assay.types import SampleStatus
from tests.benchmarks.helpers import prompt_of, score, write_jsonl
from tests.conftest import shared_data

# EvalScope 1.14.1: prompt(question, choices, MultipleChoiceTemplate.SINGLE_ANSWER) for Mercury_7175875.
EVALSCOPE_FIRST_CHALLENGE = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D.\n\n"
    "An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely "
    "effect of this increase in rotation?\n\n"
    "A) Planetary density will decrease.\nB) Planetary years will become longer.\n"
    "C) Planetary days will become shorter.\nD) Planetary gravity will become stronger."
)

# Same for NYSEDREGENTS_2008_8_34, whose options are labelled 1-4 upstream (answerKey "2").
EVALSCOPE_DIGIT_LABELS = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D.\n\n"
    "Which statement best describes the energy changes that occur while a child is riding on a sled down a "
    "steep, snow-covered hill?\n\n"
    "A) Kinetic energy decreases and potential energy increases.\n"
    "B) Kinetic energy increases and potential energy decreases.\n"
    "C) Both potential energy and kinetic energy decrease.\n"
    "D) Both potential energy and kinetic energy increase."
)


def test_upstream_release_loads_both_subsets_with_record_ids_and_evalscope_prompt() -> None:
    root = shared_data("arc")
    samples = build_adapter("arc", dataset_dir=root.parent).load()
    assert {k: len(v) for k, v in samples.items()} == {"ARC-Easy": 2376, "ARC-Challenge": 1172}
    first = samples["ARC-Challenge"][0]
    assert (first.id, first.target, first.subset) == ("Mercury_7175875", "C", "ARC-Challenge")
    assert prompt_of(first) == EVALSCOPE_FIRST_CHALLENGE
    digit = next(s for s in samples["ARC-Challenge"] if s.id == "NYSEDREGENTS_2008_8_34")
    assert prompt_of(digit) == EVALSCOPE_DIGIT_LABELS
    assert digit.target == "B"


def test_limit_takes_the_first_n_and_a_fraction_rounds_down() -> None:
    root = shared_data("arc")
    adapter = build_adapter("arc", {"subset_list": ["ARC-Challenge"]}, dataset_dir=root.parent)
    assert [s.id for s in adapter.load(limit=2)["ARC-Challenge"]] == ["Mercury_7175875", "Mercury_SC_409171"]
    assert len(adapter.load(limit=0.1)["ARC-Challenge"]) == 117


def test_hub_style_parquet_with_hub_schema(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "id": "q1",
            "question": "Which is a mammal?",
            "choices": {"text": ["shark", "whale", "trout"], "label": ["1", "2", "3"]},
            "answerKey": "2",
        }
    ]
    (tmp_path / "ARC-Easy").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "ARC-Easy" / "test-00000-of-00001.parquet")
    sample = build_adapter("arc", {"local_path": str(tmp_path), "subset_list": ["ARC-Easy"]}).load()["ARC-Easy"][0]
    assert (sample.id, sample.choices, sample.target) == ("q1", ["shark", "whale", "trout"], "B")
    assert "where [LETTER] is one of A,B,C.\n\nWhich is a mammal?\n\nA) shark\nB) whale\nC) trout" in prompt_of(sample)


@pytest.mark.parametrize(
    ("reply", "value", "extracted"),
    [("ANSWER: B", 1.0, "B"), ("ANSWER: A", 0.0, "A"), ("I am not sure.", 0.0, None)],
)
def test_score_by_extracted_letter(tmp_path: Path, reply: str, value: float, extracted: str | None) -> None:
    row = {"id": "q1", "question": "Q?", "choices": {"text": ["a", "b"], "label": ["A", "B"]}, "answerKey": "B"}
    write_jsonl(tmp_path / "ARC-Easy" / "test.jsonl", [row])
    adapter = build_adapter("arc", {"local_path": str(tmp_path), "subset_list": ["ARC-Easy"]})
    result = score(adapter, adapter.load()["ARC-Easy"][0], reply)
    assert (result.status, result.value, result.extracted) == (SampleStatus.SCORED, {"acc": value}, extracted)
