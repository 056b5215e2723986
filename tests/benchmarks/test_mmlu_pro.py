"""MMLU-Pro: HF schema fixture, EvalScope's zero- and few-shot prompts, exact accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.fixtures import MMLU_PRO_TEST_ROWS, MMLU_PRO_VALIDATION_ROWS, write_mmlu_pro
from tests.benchmarks.helpers import prompt_of, write_jsonl

LETTERS = "ABCDEFGHIJ"
GOLDS = ["F", "C", "A"]
# EvalScope 1.14.1: USER_PROMPT_TEMPLATE.format(question=..., choices=answer_options(...), letters=...).
EVALSCOPE_ZERO_SHOT = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C. Think step by step before "
    "answering.\n\nQuestion:\nWhich number is prime among these?\nOptions:\nA) 4\nB) 6\nC) 7\n"
)
# EvalScope 1.14.1: SYSTEM_W_EXAMPLES_PROMPT_TEMPLATE(subject, examples) + "\n" + the zero-shot prompt.
EVALSCOPE_ONE_SHOT = (
    "The following are multiple choice questions (with answers) about math. Think step by step and then finish "
    "your answer with 'ANSWER: [LETTER]' (without quotes) where [LETTER] is the correct letter choice.\n\n"
    "Question:\nWhat is 1 + 1?\nOptions:\nA 1\nB 2\nC 3\n"
    "A: Let's think step by step. 1 + 1 = 2. ANSWER: B.\n"
    "\n" + EVALSCOPE_ZERO_SHOT
)


def _args(tmp_path: Path, shots: int) -> dict[str, Any]:
    return {"local_path": str(write_mmlu_pro(tmp_path)), "subset_list": ["math"], "few_shot_num": shots}


@pytest.mark.parametrize(("shots", "expected"), [(0, EVALSCOPE_ZERO_SHOT), (1, EVALSCOPE_ONE_SHOT)])
def test_records_load_with_ten_letter_targets_and_evalscope_prompt(tmp_path: Path, shots: int, expected: str) -> None:
    samples = build_adapter("mmlu_pro", _args(tmp_path, shots)).load()["math"]
    assert [s.target for s in samples] == GOLDS
    assert len(samples[0].choices or []) == 10
    assert prompt_of(samples[1]) == expected


def test_defaults_match_evalscope() -> None:
    meta = build_adapter("mmlu_pro", {}).meta
    assert meta.few_shot_num == 5 and meta.train_split == "validation" and meta.eval_split == "test"
    assert len(meta.subset_list) == 14 and meta.subset_list[0] == "computer science"


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"ANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: J", 0.0),  # a fixed letter no question has as gold
        (["ANSWER: F", "ANSWER: A", "No idea."], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [
        Rule(contains=row["question"], reply=reply) for row, reply in zip(MMLU_PRO_TEST_ROWS, replies, strict=False)
    ]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply=default)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["mmlu_pro"],
            dataset_args={"mmlu_pro": _args(tmp_path, 1)},
            eval_batch_size=64,
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["mmlu_pro"]
    assert report.counts.scored == len(MMLU_PRO_TEST_ROWS)
    assert report.score == pytest.approx(expected, abs=1e-12)
    # Both splits read are recorded: the evaluated one and the one the 1-shot example came from.
    data = tmp_path / "data" / "math"
    assert sorted((d.split, d.location) for d in report.data_sources) == [
        ("test", str(data / "test.jsonl")),
        ("validation", str(data / "validation.jsonl")),
    ]


def test_a_hub_snapshot_with_every_category_in_one_file_is_split_by_its_category_column(tmp_path: Path) -> None:
    physics = {**MMLU_PRO_TEST_ROWS[0], "question_id": 90, "question": "Unit of force?", "category": "physics"}
    write_jsonl(tmp_path / "test.jsonl", [*MMLU_PRO_TEST_ROWS, physics])
    write_jsonl(
        tmp_path / "validation.jsonl",
        [*MMLU_PRO_VALIDATION_ROWS, {**MMLU_PRO_VALIDATION_ROWS[0], "category": "physics"}],
    )
    adapter = build_adapter(
        "mmlu_pro", {"local_path": str(tmp_path), "subset_list": ["math", "physics"], "few_shot_num": 1}
    )
    loaded = adapter.load()
    assert [s.id for s in loaded["math"]] == ["math-70", "math-71", "math-72"]
    assert [s.id for s in loaded["physics"]] == ["physics-90"]
    # One read of each file serves every category (test and validation).
    assert len(adapter.source._containers) == 2
