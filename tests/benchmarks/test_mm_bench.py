"""MMBench: cn/en dev parquet, non-empty A-D options, hints on their own line, plain accuracy per row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT
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

NAN = "nan"  # how the lmms-lab copy writes an empty cell (pandas' NaN as text)


def _row(index: int, question: str, options: list[str], answer: str, drawn: str, hint: str = NAN) -> dict[str, Any]:
    padded = options + [NAN] * (4 - len(options))
    return {
        "index": index,
        "question": question,
        "hint": hint,
        "answer": answer,
        **dict(zip("ABCD", padded, strict=True)),
        "category": "ocr",
        "image": image_cell(drawn, fmt="JPEG", name=str(index)),
        "source": "fixture",
        "L2-category": "fine-grained_perception (instance-level)",
        "comment": NAN,
        "split": "dev",
    }


EN_ROWS = [
    _row(0, "Which number is shown?", ["4", "9"], "B", "9"),  # right
    _row(1, "What is the price?", ["$5", "$8", "$12", "$20"], "C", "$12", hint="The picture shows a price tag."),
    _row(1000001, "What is the price?", ["$20", "$5", "$8", "$12"], "D", "$12", hint="The picture shows a price tag."),
    _row(2, "Which letter is shown?", ["K", "X", "Q"], "A", "Q"),  # wrong on purpose: the picture shows C's text
]
CN_ROWS = [
    _row(0, "图中的数字是几？", ["6", "3", "8"], "C", "8"),  # right
    _row(1, "图中写的是什么？", ["OK", "NO"], "A", "NO"),  # wrong on purpose
]


def server_rules() -> list[Rule]:
    """The test server's reading rules (the first that matches a request answers it)."""
    return [Rule(read="option", reply="ANSWER: {read}")]


def write_mm_bench(root: Path) -> dict[str, list[str]]:
    """The hub snapshot layout ``<subset>/dev-00000-of-00001.parquet``; image hashes by subset."""
    write_parquet(root / "en" / "dev-00000-of-00001.parquet", EN_ROWS)
    write_parquet(root / "cn" / "dev-00000-of-00001.parquet", CN_ROWS)
    return {"en": [sha256_of(r["image"]) for r in EN_ROWS], "cn": [sha256_of(r["image"]) for r in CN_ROWS]}


def test_blank_options_are_dropped_and_ids_come_from_index(tmp_path: Path) -> None:
    write_mm_bench(tmp_path)
    loaded = build_adapter("mm_bench", {"local_path": str(tmp_path)}).load()
    assert list(loaded) == ["cn", "en"]
    en = loaded["en"]
    assert [s.id for s in en] == ["en-0", "en-1", "en-1000001", "en-2"]
    assert [s.choices for s in en] == [
        ["4", "9"],
        ["$5", "$8", "$12", "$20"],
        ["$20", "$5", "$8", "$12"],
        ["K", "X", "Q"],
    ]
    assert [s.target for s in en] == ["B", "C", "D", "A"]
    assert en[1].metadata["L2-category"] == "fine-grained_perception (instance-level)"


def test_prompt_is_evalscope_cot_template_with_the_hint_on_its_own_line(tmp_path: Path) -> None:
    hashes = write_mm_bench(tmp_path)
    en = build_adapter("mm_bench", {"local_path": str(tmp_path), "subset_list": ["en"]}).load()["en"]
    first_text, first_image = user_parts(en[0])
    # No hint ('nan'): the question alone (EvalScope would send 'nanWhich number is shown?').
    assert isinstance(first_text, TextPart) and first_text.text == SINGLE_ANSWER_TEMPLATE_COT.format(
        letters="A,B", question="Which number is shown?", choices="A) 4\nB) 9"
    )
    assert isinstance(first_image, ImagePart) and first_image.sha256 == hashes["en"][0]
    assert first_image.mime_type == "image/jpeg"
    hinted, _ = user_parts(en[1])
    assert "\n\nThe picture shows a price tag.\nWhat is the price?\n\nA) $5\n" in hinted.text


def test_chinese_subset_uses_the_english_template_and_parser(tmp_path: Path) -> None:
    write_mm_bench(tmp_path)
    adapter = build_adapter("mm_bench", {"local_path": str(tmp_path), "subset_list": ["cn"]})
    text, _ = user_parts(adapter.load()["cn"][0])
    assert text.text.startswith("Answer the following multiple choice question.") and "one of A,B,C." in text.text
    assert adapter.answer_in_chinese is False


def test_a_gap_between_options_keeps_the_gold_letter_on_its_option(tmp_path: Path) -> None:
    row = _row(7, "Which?", ["one", NAN, "three", "four"], "D", "1")
    write_parquet(tmp_path / "en" / "dev.parquet", [row])
    sample = build_adapter("mm_bench", {"local_path": str(tmp_path), "subset_list": ["en"]}).load()["en"][0]
    assert sample.choices == ["one", "three", "four"] and sample.target == "C"


@pytest.mark.parametrize(
    ("change", "message"),
    [({"answer": "D"}, "not one of its non-empty options A, B"), ({"image": None}, "has no image")],
)
def test_a_broken_record_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    write_parquet(tmp_path / "en" / "dev.parquet", [_row(3, "Which?", ["a", "b"], "A", "1") | change])
    with pytest.raises(UserError, match=message):
        build_adapter("mm_bench", {"local_path": str(tmp_path), "subset_list": ["en"]}).load()


def test_meta_matches_evalscope() -> None:
    meta = build_adapter("mm_bench").meta
    assert (meta.dataset_id, meta.subset_list, meta.eval_split, meta.metric_list) == (
        "lmms-lab/MMBench",
        ["cn", "en"],
        "dev",
        ["acc"],
    )
    assert meta.prompt_template == SINGLE_ANSWER_TEMPLATE_COT and meta.category_map == {}
    assert "multimodal" in meta.tags and meta.dataset_revision is None


def test_server_reading_the_images_scores_exactly_per_subset(tmp_path: Path) -> None:
    hashes = write_mm_bench(tmp_path / "data")
    report, stats, out = run_on_server(tmp_path, "mm_bench", tmp_path / "data", server_rules())
    # en: 3 of 4 (the circular copy 1000001 counts as its own sample); cn: 1 of 2.
    assert report.counts.scored == 6
    assert report.score == 4 / 6
    subsets = {s.name: s.score for c in report.metrics[0].categories for s in c.subsets}
    assert subsets == {"cn": 1 / 2, "en": 3 / 4}
    every = hashes["en"] + hashes["cn"]
    assert received_images(stats) == sorted(every)
    assert_journal_has_references_only(out, every)
