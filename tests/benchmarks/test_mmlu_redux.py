"""MMLU-Redux: HF schema fixture with every error type, EvalScope's prompt, inclusion accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.fixtures import MMLU_REDUX_ROWS, write_mmlu_redux
from tests.benchmarks.helpers import prompt_of

GOLDS = [["C"], ["B"], ["A", "C"], ["D"], ["A", "C"]]

# EvalScope 1.14.1: prompt(question, choices, MultipleChoiceTemplate.SINGLE_ANSWER_COT), with the
# corrected option D of the no_correct_answer record.
EVALSCOPE_FOURTH = (
    "Answer the following multiple choice question. The last line of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D. Think step "
    "by step before answering.\n\nWhat is the square root of 16?\n\nA) 2\nB) 3\nC) 5\nD) 4"
)


def _args(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"local_path": str(write_mmlu_redux(tmp_path)), "subset_list": ["abstract_algebra"], **extra}


def test_records_apply_corrections_and_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("mmlu_redux", _args(tmp_path)).load()["abstract_algebra"]
    assert [s.target for s in samples] == GOLDS
    assert prompt_of(samples[3]) == EVALSCOPE_FOURTH


def test_defaults_match_evalscope(tmp_path: Path) -> None:
    meta = build_adapter("mmlu_redux", {}).meta
    assert meta.few_shot_num == 0 and meta.train_split is None and meta.eval_split == "test"
    assert len(meta.subset_list) == 57 and meta.category_map["virology"] == "Other"
    assert build_adapter("mmlu_redux", _args(tmp_path, few_shot_num=3)).meta.few_shot_num == 0


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        (["ANSWER: C", "ANSWER: B", "ANSWER: C", "ANSWER: D", "ANSWER: A"], "", 1.0),  # gold answers
        ([], "ANSWER: C", 3 / 5),  # a fixed letter is right where it is one of the golds
        (["ANSWER: C", "ANSWER: A", "ANSWER: A", "Unsure.", "ANSWER: B"], "", 2 / 5),  # mix
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [Rule(contains=row["question"], reply=reply) for row, reply in zip(MMLU_REDUX_ROWS, replies, strict=False)]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply=default)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["mmlu_redux"],
            dataset_args={"mmlu_redux": _args(tmp_path)},
            eval_batch_size=64,
            work_dir=str(tmp_path / "out"),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["mmlu_redux"]
    assert report.counts.scored == len(MMLU_REDUX_ROWS)
    assert report.score == pytest.approx(expected, abs=1e-12)
