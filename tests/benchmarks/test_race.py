"""RACE: hub schema per subset, 3-shot EvalScope CoT prompt from train, exact accuracy per subset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig
from tests.benchmarks.fixtures import RACE_TEST, write_race
from tests.benchmarks.helpers import oracle_report, prompt_of

# EvalScope 1.14.1, 1-shot: FEW_SHOT_TEMPLATE + SINGLE_ANSWER_COT, example as question, options, 'ANSWER: X'.
EVALSCOPE_ONE_SHOT = (
    "Here are some examples of how to answer similar questions:\n\n"
    "Article:\nTrain article 0.\nQuestion:\nTrain question 0?\n"
    "A) Train question 0? option 1\nB) Train question 0? option 2\n"
    "C) Train question 0? option 3\nD) Train question 0? option 4\nANSWER: D\n\n"
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D. Think step by step before "
    "answering.\n\n"
    "Article:\nTom moved to Paris in 1990.\nQuestion:\nWhere did Tom move?\n\n"
    "A) Where did Tom move? option 1\nB) Where did Tom move? option 2\n"
    "C) Where did Tom move? option 3\nD) Where did Tom move? option 4"
)


def test_subsets_load_with_record_ids_and_the_evalscope_few_shot_prompt(tmp_path: Path) -> None:
    root = write_race(tmp_path)
    samples = build_adapter("race", {"local_path": str(root), "few_shot_num": 1}).load()
    assert {k: [s.id for s in v] for k, v in samples.items()} == {
        "high": ["high1.txt", "high2.txt"],
        "middle": ["middle1.txt"],
    }
    assert prompt_of(samples["high"][0]) == EVALSCOPE_ONE_SHOT
    default = build_adapter("race", {"local_path": str(root)}).load()["middle"][0]
    assert prompt_of(default).count("\nANSWER: D") == 3  # three examples by default


def test_more_than_three_examples_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="at most 3"):
        build_adapter("race", {"local_path": str(write_race(tmp_path)), "few_shot_num": 4})


def _report(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out",
        "race",
        {"race": {"local_path": str(write_race(tmp_path))}},
        ServerConfig(rules=rules, default_reply=default),
    )


@pytest.mark.parametrize(
    ("replies", "default", "expected", "per_subset"),
    [
        (["Reasoning.\nANSWER: C", "ANSWER: A", "ANSWER: B"], "", 1.0, {"high": 1.0, "middle": 1.0}),
        ([], "ANSWER: A", 1 / 3, {"high": 0.5, "middle": 0.0}),  # a fixed letter scores its share
        (["ANSWER: C", "ANSWER: B", "No idea."], "", 1 / 3, {"high": 0.5, "middle": 0.0}),
    ],
)
def test_server_replies_give_exact_accuracy(
    tmp_path: Path, replies: list[str], default: str, expected: float, per_subset: dict[str, float]
) -> None:
    # Rules match the evaluated article, which appears once per prompt (train articles differ).
    articles = [row["article"] for rows in RACE_TEST.values() for row in rows]
    report = _report(tmp_path, [Rule(contains=a, reply=r) for a, r in zip(articles, replies, strict=False)], default)
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
    subsets = {s.name: s.score for c in report.metrics[0].categories for s in c.subsets}
    assert subsets == pytest.approx(per_subset)
