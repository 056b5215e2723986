"""MMStar: one mmstar.parquet split into six categories, options inside the question, EvalScope's own prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.benchmarks.mm_star import CATEGORIES, MMSTAR_TEMPLATE
from assay.errors import UserError
from assay.mock_server import Rule
from assay.types import ImagePart, TextPart
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


def _choices(*options: str) -> str:
    """Options one per line as ``(A) text``: how MMStar's MathVista-derived questions list them."""
    return "\n".join(f"({letter}) {text}" for letter, text in zip("ABCD", options, strict=False))


def _row(
    index: int, category: str, question: str, answer: str, drawn: str, background: str = "white"
) -> dict[str, Any]:
    return {
        "index": index,
        "question": question,
        "image": image_cell(drawn, fmt="JPEG", background=background, name=str(index)),
        "answer": answer,
        "category": category,
        "l2_category": "fixture",
        "meta_info": {"source": "fixture", "split": "val", "image_path": f"images/{index}.jpg"},
    }


COLOUR_QUESTION = "What is the background colour of the image?\nOptions: A: red, B: green, C: blue, D: yellow"
ROWS = [
    _row(0, "coarse perception", f"Which digit is drawn?\nChoices:\n{_choices('3', '7', '5', '9')}", "B", "7"),
    # The hub's inline format, answered by the colour rule with a colour name, no letter: scored 0.
    _row(1, "coarse perception", COLOUR_QUESTION, "B", "?", background="green"),
    _row(
        2, "fine-grained perception", f"Which number is drawn?\nChoices:\n{_choices('24', '42', '44', '22')}", "B", "42"
    ),
    _row(3, "instance reasoning", f"How many dots?\nChoices:\n{_choices('1', '3', '5', '7')}", "C", "5"),
    # Wrong on purpose: the picture shows A's text, the key says D.
    _row(4, "logical reasoning", f"Which letter comes next?\nChoices:\n{_choices('X', 'Y', 'Z', 'W')}", "D", "X"),
    _row(5, "math", f"What is 3 times 4?\nChoices:\n{_choices('7', '12', '34', '1')}", "B", "12"),
    _row(6, "science & technology", f"Which is water?\nChoices:\n{_choices('CO2', 'H2O', 'O2', 'NaCl')}", "B", "H2O"),
    _row(7, "science & technology", f"Which is oxygen?\nChoices:\n{_choices('CO2', 'H2O', 'O2', 'NaCl')}", "C", "O2"),
]


def server_rules() -> list[Rule]:
    """The test server's reading rules (the first that matches a request answers it)."""
    return [
        Rule(read="colour", contains="background colour", reply="ANSWER: {read}"),
        Rule(read="option", reply="ANSWER: {read}"),
    ]


def write_mm_star(root: Path) -> list[str]:
    """The hub repository's single ``mmstar.parquet``; returns each row's image SHA-256 in order."""
    write_parquet(root / "mmstar.parquet", ROWS)
    return [sha256_of(row["image"]) for row in ROWS]


def test_categories_are_subsets_of_the_one_file(tmp_path: Path) -> None:
    write_mm_star(tmp_path)
    loaded = build_adapter("mm_star", {"local_path": str(tmp_path)}).load()
    assert list(loaded) == CATEGORIES
    assert {name: [s.id for s in samples] for name, samples in loaded.items()} == {
        "coarse perception": ["0", "1"],
        "fine-grained perception": ["2"],
        "instance reasoning": ["3"],
        "logical reasoning": ["4"],
        "math": ["5"],
        "science & technology": ["6", "7"],
    }
    sample = loaded["math"][0]
    assert sample.choices == ["A", "B", "C", "D"] and sample.target == "B"
    assert sample.metadata["l2_category"] == "fixture" and sample.metadata["source"] == "fixture"


def test_prompt_is_evalscope_mmstar_template_then_the_image(tmp_path: Path) -> None:
    hashes = write_mm_star(tmp_path)
    adapter = build_adapter("mm_star", {"local_path": str(tmp_path), "subset_list": ["coarse perception"]})
    text, image = user_parts(adapter.load()["coarse perception"][1])
    assert isinstance(text, TextPart) and text.text == (
        "Answer the following multiple choice question.\nThe last line of your response should be of the following "
        "format:\n'ANSWER: [LETTER]' (without quotes)\nwhere [LETTER] is one of A,B,C,D. Think step by step before "
        f"answering.\n\n{COLOUR_QUESTION}"
    )
    assert text.text == MMSTAR_TEMPLATE.format(question=COLOUR_QUESTION)
    assert isinstance(image, ImagePart) and image.sha256 == hashes[1] and image.mime_type == "image/jpeg"


def test_meta_matches_evalscope() -> None:
    meta = build_adapter("mm_star").meta
    assert (meta.modelscope_dataset_id, meta.subset_list, meta.eval_split, meta.metric_list) == (
        "evalscope/MMStar",
        CATEGORIES,
        "val",
        ["acc"],
    )
    assert meta.dataset_id == "Lin-Chen/MMStar" and meta.dataset_revision is None and "multimodal" in meta.tags


def test_modelscope_hub_reads_evalscopes_copy() -> None:
    assert build_adapter("mm_star", dataset_hub="modelscope").meta.dataset_id == "evalscope/MMStar"


@pytest.mark.parametrize(
    ("args", "message"),
    [({"shuffle_choices": True}, "shuffle_choices"), ({"few_shot_num": 1}, "no train split")],
)
def test_options_it_cannot_honour_are_refused(tmp_path: Path, args: dict[str, Any], message: str) -> None:
    write_mm_star(tmp_path)
    with pytest.raises(UserError, match=message):
        build_adapter("mm_star", {"local_path": str(tmp_path), **args}).load()


def test_an_answer_outside_a_to_d_is_named(tmp_path: Path) -> None:
    write_parquet(tmp_path / "mmstar.parquet", [_row(9, "math", "1+1?\nOptions: A: 2, B: 3", "E", "2")])
    with pytest.raises(UserError, match="expected A, B, C or D"):
        build_adapter("mm_star", {"local_path": str(tmp_path), "subset_list": ["math"]}).load()


def test_server_reading_the_images_scores_exactly_per_category(tmp_path: Path) -> None:
    hashes = write_mm_star(tmp_path / "data")
    report, stats, out = run_on_server(tmp_path, "mm_star", tmp_path / "data", server_rules())
    assert report.counts.scored == 8
    assert report.score == 6 / 8
    subsets = {s.name: s.score for c in report.metrics[0].categories for s in c.subsets}
    assert subsets == {
        "coarse perception": 1 / 2,
        "fine-grained perception": 1.0,
        "instance reasoning": 1.0,
        "logical reasoning": 0.0,
        "math": 1.0,
        "science & technology": 1.0,
    }
    assert received_images(stats) == sorted(hashes)
    assert_journal_has_references_only(out, hashes)
