"""SuperGPQA: one file grouped by field, EvalScope's CoT prompt, SuperGPQA's own answer patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter, get_benchmark_meta
from assay.benchmarks.super_gpqa import extract_super_gpqa_answer
from assay.testing.server import Rule, ServerConfig, run_server_in_thread
from assay.types import SampleStatus
from tests.benchmarks.helpers import prompt_of, score, write_jsonl

TEN = [f"{n} kg" for n in range(10, 20)]
ROWS = [
    {"uuid": "u1", "question": "What mass balances the lever?", "options": TEN, "answer_letter": "C",
     "field": "Mechanics", "discipline": "Engineering"},
    {"uuid": "u2", "question": "Which dynasty followed the Sui?", "options": ["Han", "Tang", "Song", "Ming"],
     "answer_letter": "B", "field": "History", "discipline": "History"},
    {"uuid": "u3", "question": "Which force keeps a satellite in orbit?", "options": ["gravity", "drag", "lift"],
     "answer_letter": "A", "field": "Mechanics", "discipline": "Engineering"},
    {"uuid": "u4", "question": "Which gas is inert?", "options": ["argon", "oxygen"], "answer_letter": "A",
     "field": "Chemistry", "discipline": "Science"},
]  # fmt: skip
SUBSETS = ["Mechanics", "History"]

# EvalScope 1.14.1: prompt(question, options, MultipleChoiceTemplate.SINGLE_ANSWER_COT), ten options A-J.
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D,E,F,G,H,I,J. Think step by "
    "step before answering.\n\nWhat mass balances the lever?\n\n"
    + "\n".join(f"{letter}) {text}" for letter, text in zip("ABCDEFGHIJ", TEN, strict=True))
)


def _data(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "data" / "SuperGPQA-all.jsonl", ROWS)
    return tmp_path / "data"


def _args(tmp_path: Path) -> dict[str, Any]:
    return {"local_path": str(_data(tmp_path)), "subset_list": SUBSETS}


def test_one_file_is_split_by_field_with_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("super_gpqa", _args(tmp_path)).load()
    assert {k: [s.id for s in v] for k, v in samples.items()} == {"Mechanics": ["u1", "u3"], "History": ["u2"]}
    assert prompt_of(samples["Mechanics"][0]) == EVALSCOPE_FIRST
    meta = get_benchmark_meta("super_gpqa")
    assert len(meta.subset_list) == 72 and meta.category_map["Mechanics"] == "Engineering"
    assert (meta.eval_split, meta.few_shot_num) == ("train", 0)


# Each expected value is what EvalScope 1.14.1's extract_option_labels / extract_option_content give.
@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        ("The answer is (C).", ["a", "b", "c", "d"], "C"),
        ("Answer: $\\boxed{B}$", ["a", "b"], "B"),
        ("**Answer:** D\nmore", ["a", "b", "c", "d"], "D"),  # last line has none: whole text
        ("We get Paris.\nThe answer is Paris", ["London", "Paris"], "B"),  # option text
        ("the option is 1.5.", ["1.5", "2"], "A"),
        ("I think the final answer is 42 kg", ["41 kg", "42 kg"], "I"),  # upstream's case-insensitive bare letter
        ("Answer: 2", ["x", "2"], None),  # the text patterns want no colon after 'Answer'
        ("nothing here", ["p", "q"], None),
    ],
)
def test_extraction_matches_super_gpqa_patterns(reply: str, options: list[str], expected: str | None) -> None:
    assert extract_super_gpqa_answer(reply, options) == expected


def test_no_answer_scores_zero_with_a_reason(tmp_path: Path) -> None:
    adapter = build_adapter("super_gpqa", _args(tmp_path))
    result = score(adapter, adapter.load()["History"][0], "nothing here")
    assert (result.status, result.value, result.extracted) == (SampleStatus.SCORED, {"acc": 0.0}, None)


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        (["ANSWER: C", "The answer is Tang", "ANSWER: A"], "", 1.0),  # gold, by letter or option text
        ([], "ANSWER: A", 1 / 3),  # a fixed letter scores its share
        (["ANSWER: C", "ANSWER: A", "no idea"], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    questions = [row["question"] for row in ROWS[:3]]
    rules = [Rule(contains=q, reply=r) for q, r in zip(questions, replies, strict=False)]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply=default)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["super_gpqa"],
            dataset_args={"super_gpqa": _args(tmp_path)},
            eval_batch_size=64,
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["super_gpqa"]
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
