"""RealWorldQA: EvalScope's open prompt, the photograph after it, the last ``ANSWER:`` line matched exactly.

Also the ``answer_line_exact`` scorer against hand-computed values and against EvalScope's own
formula (``re.findall(r'ANSWER:\\s*(.*)', reply)[-1].strip().lower()`` compared with
``answer.lower()`` after ``strip().lower()``), quirks included.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.benchmarks.real_world_qa import OPEN_PROMPT
from assay.errors import UserError
from assay.mock_server import Rule
from assay.scoring.scorers.answer_line import answer_matches, last_answer_line
from assay.types import ImagePart, Sample, TextPart
from tests.benchmarks.helpers import score
from tests.benchmarks.test_ai2d import (
    assert_journal_has_references_only,
    image_cell,
    image_spool,  # noqa: F401  (autouse fixture: spool images under tmp_path)
    received_images,
    run_on_server,
    sha256_of,
    user_parts,
    write_parquet,
)

LETTER = "Please answer directly with only the letter of the correct option and nothing else."
WORD = "Please answer directly with a single word or number."


def _mcq(question: str, options: list[str]) -> str:
    lines = "\n".join(f"{letter}. {text}" for letter, text in zip("ABC", options, strict=False))
    return f"{question}\n\n{lines}\n\n{LETTER}"


def _row(i: int, question: str, answer: str, drawn: str, background: str = "white") -> dict[str, Any]:
    return {
        "image": image_cell(drawn, fmt="WEBP", background=background, name=str(i)),
        "question": question,
        "answer": answer,
        "image_path": f"{i}.webp",
    }


ROWS = [
    _row(0, _mcq("Which way does the arrow sign point?", ["Left", "Straight", "Right"]), "C", "Right"),  # right
    _row(1, _mcq("Which way does the road turn?", ["Left", "Straight", "Right"]), "B", "Left"),  # wrong on purpose
    _row(2, _mcq("Is the light green?", ["Yes", "No"]), "B", "No"),  # right
    _row(3, f"How many cars are in the picture?\n{WORD}", "3", "3"),  # right
    _row(4, f"Is there a pedestrian crossing?\n{WORD}", "yes", "YES"),  # right: case is ignored
    _row(5, f"What is written on the sign?\n{WORD}", "Stop", "STOP"),  # right
    _row(6, f"What colour is the car?\n{WORD}", "red", "CAR", background="red"),  # right: read from the colour
    _row(7, f"How far is the truck, in meters?\n{WORD}", "15", "12"),  # wrong on purpose
]


def server_rules() -> list[Rule]:
    """The test server's reading rules (the first that matches a request answers it)."""
    return [
        Rule(read="colour", contains="What colour", reply="ANSWER: {read}"),
        Rule(read="option", contains="letter of the correct option", reply="ANSWER: {read}"),
        Rule(read="text", reply="ANSWER: {read}"),
    ]


def write_real_world_qa(root: Path) -> list[str]:
    """The hub snapshot layout ``data/test-00000-of-00001.parquet``; returns each row's image SHA-256."""
    write_parquet(root / "data" / "test-00000-of-00001.parquet", ROWS)
    return [sha256_of(row["image"]) for row in ROWS]


def evalscope_acc(reply: str, answer: str) -> float:
    """EvalScope's RealWorldQA scoring, transcribed: ``extract_answer`` then ``acc`` (``normalize_text``)."""
    matches = re.findall(r"ANSWER:\s*(.*)", reply)
    extracted = matches[-1].strip().lower() if matches else ""
    return float(extracted.strip().lower() == answer.lower().strip().lower())


# ---------------------------------------------------------------------------------------------- the scorer
SAMPLE = Sample(id="x", input="How many cars?", target="2")

#: (reply, hand-computed acc, extracted answer or None when the reply has no answer line)
CASES: list[tuple[str, float, str | None]] = [
    ("There are two.\nANSWER: 2", 1.0, "2"),
    ("ANSWER:  2  ", 1.0, "2"),  # outer spaces are stripped
    ("ANSWER:\n2", 1.0, "2"),  # \s* crosses the newline
    ("ANSWER: 3\nwait, recounting.\nANSWER: 2", 1.0, "2"),  # the last marker wins
    ("ANSWER: 2\nOn reflection, ANSWER: 3", 0.0, "3"),
    ("ANSWER: 2.", 0.0, "2."),  # EvalScope quirk kept: the period makes it wrong
    ("ANSWER: **2**", 0.0, "**2**"),  # likewise bold
    ("ANSWER: 2 cars", 0.0, "2 cars"),  # the rest of the line is the answer
    ("answer: 2", 0.0, None),  # the marker is case-sensitive
    ("The answer is 2", 0.0, None),  # no marker
    ("ANSWER:", 0.0, None),  # nothing after it
    ("", 0.0, None),
]


@pytest.mark.parametrize(("reply", "expected", "extracted"), CASES)
def test_scorer_matches_hand_computed_values(reply: str, expected: float, extracted: str | None) -> None:
    verdict = score(build_adapter("real_world_qa"), SAMPLE, reply)
    assert verdict.value == {"acc": expected}
    assert verdict.extracted == extracted


@pytest.mark.parametrize(("reply", "expected", "extracted"), CASES)
def test_scorer_agrees_with_evalscopes_formula(reply: str, expected: float, extracted: str | None) -> None:
    assert score(build_adapter("real_world_qa"), SAMPLE, reply).value["acc"] == evalscope_acc(reply, "2")


def test_case_is_ignored_on_both_sides_and_letters_are_answers_too() -> None:
    adapter = build_adapter("real_world_qa")
    assert score(adapter, Sample(id="y", input="?", target="Yes"), "ANSWER: YES").value == {"acc": 1.0}
    assert score(adapter, Sample(id="z", input="?", target="C"), "ANSWER: c").value == {"acc": 1.0}
    assert score(adapter, Sample(id="z", input="?", target=["C", "right"]), "ANSWER: Right").value == {"acc": 1.0}


def test_answer_line_helpers() -> None:
    assert last_answer_line("x\nANSWER: Left lane\n") == "Left lane"
    assert last_answer_line("ANSWER:   \n") is None
    assert answer_matches(" LEFT ", "left") and not answer_matches("left.", "left")


# ---------------------------------------------------------------------------------------------- the benchmark
def test_prompt_is_evalscope_open_prompt_then_the_photograph(tmp_path: Path) -> None:
    hashes = write_real_world_qa(tmp_path)
    samples = build_adapter("real_world_qa", {"local_path": str(tmp_path)}).load()["default"]
    assert [s.target for s in samples] == [row["answer"] for row in ROWS]
    text, image = user_parts(samples[0])
    question = ROWS[0]["question"]
    assert isinstance(text, TextPart) and text.text == (
        "Read the picture and solve the following problem step by step.The last line of your response should be "
        'of the form "ANSWER: [ANSWER]" (without quotes) where [ANSWER] is the answer to the problem.\n\n'
        f"{question}\n\n"
        'Remember to put your answer on its own line at the end in the form "ANSWER: [ANSWER]" (without quotes) '
        "where [ANSWER] is the answer to the problem, and you do not need to use a \\boxed command."
    )
    assert text.text == OPEN_PROMPT.format(question=question)
    assert isinstance(image, ImagePart) and image.sha256 == hashes[0] and image.mime_type == "image/webp"
    assert samples[0].metadata["image_path"] == "0.webp"


def test_meta_matches_evalscope() -> None:
    meta = build_adapter("real_world_qa").meta
    assert (meta.dataset_id, meta.subset_list, meta.eval_split, meta.metric_list) == (
        "lmms-lab/RealWorldQA",
        ["default"],
        "test",
        ["acc"],
    )
    assert meta.scorers == {"acc": "answer_line_exact"} and meta.license == "CC-BY-ND-4.0"
    assert "multimodal" in meta.tags and meta.dataset_revision is None


def test_a_record_without_its_photograph_is_named(tmp_path: Path) -> None:
    write_parquet(tmp_path / "test.parquet", [{**ROWS[3], "image": None}])
    with pytest.raises(UserError, match="has no image"):
        build_adapter("real_world_qa", {"local_path": str(tmp_path)}).load()


def test_server_reading_the_photographs_scores_exactly(tmp_path: Path) -> None:
    hashes = write_real_world_qa(tmp_path / "data")
    report, stats, out = run_on_server(tmp_path, "real_world_qa", tmp_path / "data", server_rules())
    # Right: rows 0, 2, 3, 4, 5, 6. Wrong: row 1 (key disagrees with the picture), row 7 (12 is not 15).
    assert report.counts.scored == 8
    assert report.score == 6 / 8
    assert report.counts.extraction_failures == 0
    assert received_images(stats) == sorted(hashes)
    assert_journal_has_references_only(out, hashes)
