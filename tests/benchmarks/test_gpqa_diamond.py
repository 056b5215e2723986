"""GPQA-Diamond: answer columns shuffled per question as EvalScope does, CoT prompt, exact accuracy."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks._base import bundled_text
from assay.benchmarks.gpqa_diamond import FIVE_SHOT_FILE
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.fixtures import GPQA_DIAMOND_ROWS, write_gpqa_diamond
from tests.benchmarks.helpers import prompt_of

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


def test_options_follow_evalscopes_per_question_shuffle_and_prompt(tmp_path: Path) -> None:
    samples = build_adapter("gpqa_diamond", {"local_path": str(write_gpqa_diamond(tmp_path))}).load()["default"]
    assert [s.choices for s in samples] == ORDERS
    assert [s.target for s in samples] == GOLDS
    assert [s.id for s in samples] == ["rec1", "rec2", "rec3"]
    assert prompt_of(samples[0]) == EVALSCOPE_FIRST


def test_upstream_csv_is_read(tmp_path: Path) -> None:
    with (tmp_path / "gpqa_diamond.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(GPQA_DIAMOND_ROWS[0]))
        writer.writeheader()
        writer.writerows(GPQA_DIAMOND_ROWS[:2])
    samples = build_adapter("gpqa_diamond", {"local_path": str(tmp_path)}).load()["default"]
    assert [s.choices for s in samples] == ORDERS[:2]


def test_five_shot_puts_evalscopes_fixed_examples_before_the_zero_shot_prompt(tmp_path: Path) -> None:
    root = write_gpqa_diamond(tmp_path)
    zero = build_adapter("gpqa_diamond", {"local_path": str(root)}).load()["default"]
    five = build_adapter("gpqa_diamond", {"local_path": str(root), "few_shot_num": 5}).load()["default"]
    examples = bundled_text(FIVE_SHOT_FILE)
    # EvalScope 1.14.1's FEW_SHOT_SAMPLES, byte for byte (checked against its source when shipped).
    assert hashlib.sha256(examples.encode()).hexdigest() == (
        "a4d38347f3509c4713c058d0ff0cc1661f033312283ee684c586d234f1bde593"
    )
    assert examples.count("\nQuestion: ") == 5
    header = "Here are some examples of how to answer similar questions:\n\n"
    for z, f in zip(zero, five, strict=True):
        assert prompt_of(f) == header + examples + "\n\n" + prompt_of(z)
        assert (f.choices, f.target) == (z.choices, z.target)


def test_few_shot_other_than_0_or_5_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="few_shot_num 0 or 5"):
        build_adapter("gpqa_diamond", {"local_path": str(write_gpqa_diamond(tmp_path)), "few_shot_num": 3})


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"Reasoning.\nANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: A", 1 / 3),  # a fixed letter scores its share
        (["ANSWER: A", "ANSWER: C", "Hard to say."], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [
        Rule(contains=row["Question"].strip(), reply=r) for row, r in zip(GPQA_DIAMOND_ROWS, replies, strict=False)
    ]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply=default)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["gpqa_diamond"],
            dataset_args={"gpqa_diamond": {"local_path": str(write_gpqa_diamond(tmp_path))}},
            eval_batch_size=64,
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["gpqa_diamond"]
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
