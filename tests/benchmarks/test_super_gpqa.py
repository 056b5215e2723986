"""SuperGPQA: one file grouped by field, EvalScope's CoT prompt, SuperGPQA's own answer patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter, get_benchmark_meta
from assay.benchmarks.super_gpqa import extract_super_gpqa_answer
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.types import SampleStatus
from tests.benchmarks.fixtures import SUPER_GPQA_ROWS, SUPER_GPQA_TEN_OPTIONS, write_super_gpqa
from tests.benchmarks.helpers import prompt_of, score

SUBSETS = ["Mechanics", "History"]

# EvalScope 1.14.1: prompt(question, options, MultipleChoiceTemplate.SINGLE_ANSWER_COT), ten options A-J.
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D,E,F,G,H,I,J. Think step by "
    "step before answering.\n\nWhat mass balances the lever?\n\n"
    + "\n".join(f"{letter}) {text}" for letter, text in zip("ABCDEFGHIJ", SUPER_GPQA_TEN_OPTIONS, strict=True))
)


def _args(tmp_path: Path) -> dict[str, Any]:
    return {"local_path": str(write_super_gpqa(tmp_path)), "subset_list": SUBSETS}


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
    questions = [row["question"] for row in SUPER_GPQA_ROWS[:3]]
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


def test_five_shot_prompt_and_extraction_follow_evalscope(tmp_path: Path) -> None:
    import hashlib

    from assay.benchmarks._base import bundled_text
    from assay.benchmarks.super_gpqa import FIVE_SHOT_FILE

    root = write_super_gpqa(tmp_path)
    args = {"local_path": str(root), "subset_list": ["Mechanics"]}
    zero = build_adapter("super_gpqa", args).load()["Mechanics"]
    adapter = build_adapter("super_gpqa", {**args, "few_shot_num": 5})
    five = adapter.load()["Mechanics"]
    examples = bundled_text(FIVE_SHOT_FILE)
    # EvalScope 1.14.1's FEW_SHOT_SAMPLES, byte for byte (checked against its source when shipped).
    assert hashlib.sha256(examples.encode()).hexdigest() == (
        "c1275fe1252528f101a1065f21107af3957a4ab611d76387fcf7ce01a409e593"
    )
    header = "Here are some examples of how to answer similar questions:\n\n"
    for z, f in zip(zero, five, strict=True):
        assert prompt_of(f) == header + examples + "\n\n" + prompt_of(z)
    # A few-shot reply that goes on to write the next question: its own answer is the one before it.
    sample = five[0]
    wrong = next(label for label in "ABCDEFGHIJ"[: len(sample.choices or [])] if label != sample.target)
    reply = f"ANSWER: {sample.target}.\n\nQuestion:\nWhat next?\nANSWER: {wrong}."
    assert score(adapter, sample, reply).value == {"acc": 1.0}
    zero_adapter = build_adapter("super_gpqa", args)
    assert score(zero_adapter, zero[0], reply).value == {"acc": 0.0}


def test_few_shot_other_than_0_or_5_is_refused() -> None:
    from assay.errors import UserError

    with pytest.raises(UserError, match="few_shot_num 0 or 5"):
        build_adapter("super_gpqa", {"few_shot_num": 3})
