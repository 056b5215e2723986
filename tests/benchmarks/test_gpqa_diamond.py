"""GPQA-Diamond: answer columns shuffled per question as EvalScope does, CoT prompt, exact accuracy."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.testing.server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of, write_jsonl


def _row(record_id: str, question: str, correct: str, *incorrect: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"Record ID": record_id, "Question": question, "Correct Answer": correct}
    row.update({f"Incorrect Answer {n}": text for n, text in enumerate(incorrect, start=1)})
    return row


ROWS = [
    _row("rec1", "Which particle mediates the electromagnetic force?", "photon", "gluon", "W boson", "graviton"),
    _row("rec2", "What is the oxidation state of oxygen in H2O2?", "-1", "-2", "0", "+1"),
    _row("rec3", "  Which organelle produces most ATP in eukaryotic cells?  ", "mitochondrion", "ribosome",
         "Golgi apparatus", None),
]  # fmt: skip
# Order from EvalScope's _process_input: Random(sha256(stripped question)[:8]).shuffle(incorrect 1-3 + correct).
ORDERS = [
    ["photon", "W boson", "gluon", "graviton"],
    ["0", "-1", "-2", "+1"],
    ["ribosome", " ", "Golgi apparatus", "mitochondrion"],
]
GOLDS = ["A", "B", "D"]

# EvalScope 1.14.1: prompt(Question, shuffled options, MultipleChoiceTemplate.SINGLE_ANSWER_COT).
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D. Think step by step before "
    "answering.\n\nWhich particle mediates the electromagnetic force?\n\n"
    "A) photon\nB) W boson\nC) gluon\nD) graviton"
)


def _data(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "data" / "train.jsonl", ROWS)
    return tmp_path / "data"


def test_options_follow_evalscopes_per_question_shuffle_and_prompt(tmp_path: Path) -> None:
    samples = build_adapter("gpqa_diamond", {"local_path": str(_data(tmp_path))}).load()["default"]
    assert [s.choices for s in samples] == ORDERS
    assert [s.target for s in samples] == GOLDS
    assert [s.id for s in samples] == ["rec1", "rec2", "rec3"]
    assert prompt_of(samples[0]) == EVALSCOPE_FIRST


def test_upstream_csv_is_read(tmp_path: Path) -> None:
    with (tmp_path / "gpqa_diamond.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS[:2])
    samples = build_adapter("gpqa_diamond", {"local_path": str(tmp_path)}).load()["default"]
    assert [s.choices for s in samples] == ORDERS[:2]


def test_few_shot_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="zero-shot only"):
        build_adapter("gpqa_diamond", {"local_path": str(_data(tmp_path)), "few_shot_num": 5})


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"Reasoning.\nANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: A", 1 / 3),  # a fixed letter scores its share
        (["ANSWER: A", "ANSWER: C", "Hard to say."], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [Rule(contains=row["Question"].strip(), reply=r) for row, r in zip(ROWS, replies, strict=False)]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply=default)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["gpqa_diamond"],
            dataset_args={"gpqa_diamond": {"local_path": str(_data(tmp_path))}},
            eval_batch_size=64,
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["gpqa_diamond"]
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
