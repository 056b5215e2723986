"""OCRBench: a local echo840/OCRBench snapshot with one drawn JPEG per question type, scored end to end.

The test server reads each image's text back from its pixels and replies with it inside a sentence
(or names the background colour, for the key-information question), so OCRBench's substring rule
decides each item: case ignored, spaces kept, except for HME100k formulas (spaces dropped, case
kept). Reported per question type (EvalScope's subsets) and per OCRBench task group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.benchmarks import build_adapter
from assay.benchmarks.ocr_bench import QUESTION_TYPES
from assay.mock_server import Rule
from assay.types import ImagePart, TextPart
from tests.benchmarks.test_docvqa import (
    PAGE,
    assert_journal_holds_no_image_bytes,
    image_cell,
    image_spool,  # noqa: F401  (an autouse fixture: images are spooled under tmp_path)
    parts_of,
    run_reading_server,
    sha256_of,
    subset_scores,
    write_shards,
)

READ = "what is written in the image?"
#: (source dataset, question type, question, text drawn, background, accepted answers, right?)
ITEMS = [
    ("IIIT5K", "Regular Text Recognition", READ, "CENTRE", "white", ["CENTRE"], True),
    ("SVTP", "Irregular Text Recognition", READ, "HOTEL", "white", ["HOTELS"], False),  # gold not inside
    ("WordArt", "Artistic Text Recognition", READ, "Coffee", "white", ["coffee"], True),  # case ignored
    ("IAM", "Handwriting Recognition", READ, "meeting", "white", ["meeting"], True),
    ("ReCTS", "Digit String Recognition", READ, "2023 0815", "white", ["20230815"], False),  # spaces count
    ("non_semantic_text", "Non-Semantic Text Recognition", READ, "xqzpt", "white", ["xqzpt"], True),
    ("textVQA", "Scene Text-centric VQA", "What does the sign say?", "STOP", "white", ["stop", "stop sign"], True),
    ("docVQA", "Doc-oriented VQA", "What is the total?", "DATE: 12/03/1998\nTOTAL: 42.50", "white", ["42.50"], True),
    ("FUNSD", "Key Information Extraction", "Whose name is in the red colour field?", "ACME", "red", ["ACME"], False),
    ("HME100k", "Handwritten Mathematical Expression Recognition", READ, "2 x + 1", "white", ["2x+1"], True),
    ("HME100k", "Handwritten Mathematical Expression Recognition", READ, "X + 1", "white", ["x+1"], False),
]

RULES = [
    Rule(read="colour", contains="colour", reply="The field is {read}."),
    Rule(read="text", reply="The image shows: {read}"),
]


def write_snapshot(root: Path) -> list[dict[str, Any]]:
    """echo840/OCRBench as the hub stores it (``data/test-00000-of-00001.parquet``, JPEG cells); the cells."""
    rows: list[dict[str, Any]] = []
    for dataset, question_type, question, text, paper, answers, _ in ITEMS:
        canvas = PAGE if "\n" in text else None
        cell = image_cell(text, background=paper, fmt="JPEG", canvas=canvas)
        rows.append(
            {"dataset": dataset, "question": question, "question_type": question_type, "answer": answers, "image": cell}
        )
    write_shards(root / "data", "test", rows)
    return [row["image"] for row in rows]


def test_records_are_grouped_by_question_type_with_the_image_before_the_question(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "snap")
    samples = build_adapter("ocr_bench", {"local_path": str(tmp_path / "snap")}).load()
    assert list(samples) == QUESTION_TYPES
    hme = samples["Handwritten Mathematical Expression Recognition"]
    assert [s.id for s in hme] == [f"Handwritten Mathematical Expression Recognition-{i}" for i in (0, 1)]
    assert hme[0].target == ["2x+1"] and hme[0].metadata["dataset"] == "HME100k"
    image, text = parts_of(samples["Regular Text Recognition"][0])  # the image first, then '{question}'
    assert isinstance(image, ImagePart) and image.mime_type == "image/jpeg"
    assert isinstance(text, TextPart) and text.text == READ


def test_score_and_task_groups_follow_ocrbenchs_substring_rule_on_what_the_server_read(tmp_path: Path) -> None:
    cells = write_snapshot(tmp_path / "snap")
    report, received, out = run_reading_server(tmp_path, "ocr_bench", tmp_path / "snap", RULES)
    assert received == sha256_of(cells)
    right = [item[-1] for item in ITEMS]
    assert report.metrics[0].name == "mean_acc"
    assert report.score == sum(right) / len(ITEMS) == 7 / 11
    expected_subsets = {question_type: 1.0 for question_type in QUESTION_TYPES}
    expected_subsets.update(
        {
            "Irregular Text Recognition": 0.0,
            "Digit String Recognition": 0.0,
            "Key Information Extraction": 0.0,
            "Handwritten Mathematical Expression Recognition": 0.5,
        }
    )
    assert subset_scores(report) == expected_subsets
    groups = {category.name[0]: (category.num, category.score) for category in report.metrics[0].categories}
    assert groups == {
        "Text Recognition": (6, 4 / 6),
        "Scene Text-centric VQA": (1, 1.0),
        "Doc-oriented VQA": (1, 1.0),
        "Key Information Extraction": (1, 0.0),
        "Handwritten Mathematical Expression Recognition": (2, 0.5),
    }
    assert_journal_holds_no_image_bytes(out, "ocr_bench")
