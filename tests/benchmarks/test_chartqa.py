"""ChartQA: a local lmms-lab/ChartQA snapshot of drawn charts, EvalScope's prompt, relaxed accuracy end to end.

Each "chart" shows the value the test server will read back from its pixels (or is painted in the
colour a question asks for); the gold answers are chosen so that relaxed accuracy's rules and
EvalScope's quirks (5 % tolerance, ``%`` as a fraction, no comma parsing, a gold 0 compared as
text, no ANSWER line) each decide one item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.benchmarks import build_adapter
from assay.mock_server import Rule
from assay.types import ImagePart, TextPart
from tests.benchmarks.test_docvqa import (
    assert_journal_holds_no_image_bytes,
    image_cell,
    image_spool,  # noqa: F401  (an autouse fixture: images are spooled under tmp_path)
    parts_of,
    run_reading_server,
    sha256_of,
    subset_scores,
    write_shards,
)

#: (type, question, text drawn, background, gold answer, right?) in file order.
ITEMS = [
    ("human_test", "How many food items are shown?", "41", "white", "42", True),  # 1/42 = 2.4 % off
    ("augmented_test", "Is the 2019 value greater than 2018?", "Yes", "white", "yes", True),  # case ignored
    ("human_test", "What is the value of Japan?", "38", "white", "42", False),  # 9.5 % off
    ("human_test", "What share of sales is online?", "25%", "white", "0.25", True),  # 25% is 0.25
    ("augmented_test", "What is the total of all bars?", "1,000", "white", "1000", False),  # commas are text
    ("human_test", "What percent voted in favour?", "50%", "white", "50", False),  # 50% is 0.5, not 50
    ("augmented_test", "What is the lowest value?", "0.0", "white", "0", False),  # a gold 0 is text
    ("human_test", "What colour is the largest bar?", "A", "red", "Red", True),  # read from the colour
    ("augmented_test", "Which country is named on the bar colour key?", "Canada", "orange", "Canada", False),
    ("augmented_test", "Explain the median trend.", "12", "white", "12", False),  # no ANSWER line
]

RULES = [
    Rule(read="colour", contains="colour", reply="The bar is {read}.\nANSWER: {read}"),
    Rule(read="text", contains="Explain", reply="The chart shows {read}."),
    Rule(read="text", reply="Looking at the chart.\nANSWER: {read}"),
]


def write_snapshot(root: Path) -> list[dict[str, Any]]:
    """lmms-lab/ChartQA as the hub stores it (``data/test-*.parquet``, here two shards); the image cells."""
    rows: list[dict[str, Any]] = [
        {"type": kind, "question": question, "answer": gold, "image": image_cell(text, background=paper)}
        for kind, question, text, paper, gold, _ in ITEMS
    ]
    write_shards(root / "data", "test", rows, shards=2)
    return [row["image"] for row in rows]


def test_records_are_grouped_by_type_and_prompted_as_evalscope_does(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "snap")
    samples = build_adapter("chartqa", {"local_path": str(tmp_path / "snap")}).load()
    assert list(samples) == ["human_test", "augmented_test"]
    assert [s.id for s in samples["human_test"]] == [f"human_test-{i}" for i in range(5)]  # position in the subset
    assert [s.target for s in samples["augmented_test"]] == ["yes", "1000", "0", "Canada", "12"]
    text, image = parts_of(samples["human_test"][0])  # the text first, then the chart, as EvalScope sends them
    assert isinstance(text, TextPart) and text.text == (
        "\nHow many food items are shown?\n\n"
        'The last line of your response should be of the form "ANSWER: [ANSWER]" (without quotes) where '
        "[ANSWER] is the a single word answer or number to the problem.\n"
    )
    assert isinstance(image, ImagePart) and image.source == "human_test#0/image"


def test_score_is_relaxed_accuracy_of_what_the_server_read_from_each_chart(tmp_path: Path) -> None:
    cells = write_snapshot(tmp_path / "snap")
    report, received, out = run_reading_server(tmp_path, "chartqa", tmp_path / "snap", RULES)
    assert received == sha256_of(cells)
    assert report.metrics[0].name == "mean_relaxed_acc"
    # Right: 41 for 42, Yes, 25% for 0.25, red -> 4 of 10; human_test 3 of 5, augmented_test 1 of 5.
    assert report.score == 4 / 10
    assert subset_scores(report) == {"human_test": 3 / 5, "augmented_test": 1 / 5}
    assert report.counts.extraction_failures == 1
    assert_journal_holds_no_image_bytes(out, "chartqa")
