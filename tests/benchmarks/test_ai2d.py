"""AI2D: the hub's sharded parquet, EvalScope's CoT prompt with the diagram after it, exact accuracy.

This module also holds the small builders the other single-image benchmark tests reuse
(``test_mm_bench``, ``test_mm_star``, ``test_real_world_qa``): a picture drawn by the test server's
``draw_text`` stored as a Hugging Face ``Image`` cell, parquet written with pyarrow, and a run
against the test server that reads the pixels.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.mock_server.vision import draw_text
from assay.report.model import Report
from assay.types import ImagePart, Sample, TextPart

#: A reply no item accepts: a request that no reading rule matched scores 0 instead of passing by luck.
NO_RULE = "no rule matched"
#: How a Hugging Face ``Image`` feature is stored in parquet.
HF_IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


@pytest.fixture(autouse=True)
def image_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Image bytes read from the fixtures are spooled under the test's folder, not the user's cache."""
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "cache"


# ---------------------------------------------------------------------------------------------- shared builders
def image_cell(text: str, *, fmt: str = "PNG", background: str = "white", name: str = "image") -> dict[str, Any]:
    """``text`` drawn by the test server's ``draw_text``, as a Hugging Face ``Image`` cell ``{bytes, path}``."""
    buffer = io.BytesIO()
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    draw_text(text, size=32, background=background).save(buffer, format=fmt, **options)
    return {"bytes": buffer.getvalue(), "path": f"{name}.{fmt.lower()}"}


def sha256_of(cell: dict[str, Any]) -> str:
    """SHA-256 of an image cell's bytes: what the server must report for the request that carried it."""
    return hashlib.sha256(cell["bytes"]).hexdigest()


def write_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """``rows`` as one parquet file, the ``image`` column typed as a Hugging Face ``Image`` (:data:`HF_IMAGE`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.Table.from_pylist(list(rows)).schema
    if "image" in schema.names:  # typed explicitly: a column of empty cells would otherwise be inferred as null
        schema = schema.set(schema.get_field_index("image"), pa.field("image", HF_IMAGE))
    pq.write_table(pa.Table.from_pylist(list(rows), schema=schema), path)
    return path


def run_on_server(tmp_path: Path, name: str, data: Path, rules: list[Rule]) -> tuple[Report, dict[str, Any], Path]:
    """Run ``name`` on the local copy ``data`` against a test server with ``rules``; the report, the
    server's stats and the output folder."""
    out = tmp_path / "out"
    with run_server_in_thread(ServerConfig(rules=rules, default_reply=NO_RULE)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=[name],
            dataset_args={name: {"local_path": str(data)}},
            work_dir=str(out),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)[name]
        stats = srv.stats()
    return report, stats, out


def received_images(stats: dict[str, Any]) -> list[str]:
    """SHA-256 of every image part the server received, sorted."""
    return sorted(sha for entry in stats["images"] for sha in entry["images"])


def assert_journal_has_references_only(out: Path, hashes: Sequence[str]) -> None:
    """The predictions journal names each image by its hash and holds no image bytes (no base64)."""
    journals = list((out / "predictions").rglob("*.jsonl"))
    assert journals
    text = "".join(path.read_text(encoding="utf-8") for path in journals)
    assert "base64" not in text
    assert re.search(r"[A-Za-z0-9+/=]{200,}", text) is None
    for sha in hashes:
        assert sha in text


def user_parts(sample: Sample) -> list[Any]:
    """The content parts of a prompted sample's user message."""
    assert isinstance(sample.input, list)
    content = sample.input[-1].content
    assert isinstance(content, list)
    return content


# ---------------------------------------------------------------------------------------------- AI2D fixture
QUESTION = "Which number is written on the diagram?"

#: (options, text drawn, answer index): the server reads the drawn text and answers its option.
AI2D_ITEMS: list[tuple[list[str], str, str]] = [
    (["7", "5", "3", "1"], "3", "2"),  # right: C
    (["10", "20", "30"], "20", "1"),  # right: B
    (["8", "6", "4", "2"], "6", "0"),  # wrong on purpose: the diagram shows B's text, the key says A
    (["up", "down"], "down", "1"),  # right: B
]
#: Read by the colour rule, which answers a colour name instead of a letter: no letter, scored 0.
AI2D_COLOUR_ITEM = (["red", "blue", "green", "yellow"], "blue", "1")


def ai2d_rules() -> list[Rule]:
    """The test server's reading rules (the first that matches a request answers it)."""
    return [
        Rule(read="colour", contains="colour", reply="ANSWER: {read}"),
        Rule(read="option", reply="ANSWER: {read}"),
    ]


def write_ai2d(root: Path) -> list[str]:
    """The hub snapshot layout, split over two shards; returns each row's image SHA-256 in order."""
    rows: list[dict[str, Any]] = []
    for i, (options, drawn, answer) in enumerate(AI2D_ITEMS):
        rows.append(
            {"question": QUESTION, "options": options, "answer": answer, "image": image_cell(drawn, name=f"{i}")}
        )
    options, background, answer = AI2D_COLOUR_ITEM
    colour_image = image_cell("?", background=background, name="colour")
    rows.append(
        {"question": "Which colour is the background?", "options": options, "answer": answer, "image": colour_image}
    )
    write_parquet(root / "data" / "test-00000-of-00002.parquet", rows[:3])
    write_parquet(root / "data" / "test-00001-of-00002.parquet", rows[3:])
    return [sha256_of(row["image"]) for row in rows]


# ---------------------------------------------------------------------------------------------- tests
def test_records_load_from_both_shards_with_letter_targets(tmp_path: Path) -> None:
    hashes = write_ai2d(tmp_path)
    samples = build_adapter("ai2d", {"local_path": str(tmp_path)}).load()["default"]
    assert [s.target for s in samples] == ["C", "B", "A", "B", "B"]
    assert [s.id for s in samples] == [f"default-{i}" for i in range(5)]
    assert [s.metadata["images"][1].sha256 for s in samples] == hashes


def test_prompt_is_evalscope_cot_template_then_the_diagram(tmp_path: Path) -> None:
    hashes = write_ai2d(tmp_path)
    first = build_adapter("ai2d", {"local_path": str(tmp_path)}).load()["default"][0]
    text, image = user_parts(first)
    # EvalScope: prompt(question, options, SINGLE_ANSWER_COT), then ContentImage.
    assert isinstance(text, TextPart) and text.text == (
        "Answer the following multiple choice question. The last line of your response should be of the following "
        "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D. Think step by step before "
        f"answering.\n\n{QUESTION}\n\nA) 7\nB) 5\nC) 3\nD) 1"
    )
    assert isinstance(image, ImagePart) and image.sha256 == hashes[0] and image.mime_type == "image/png"
    assert image.source == "default/test#0/image"


def test_meta_matches_evalscope() -> None:
    meta = build_adapter("ai2d").meta
    assert (meta.dataset_id, meta.subset_list, meta.eval_split, meta.metric_list) == (
        "lmms-lab/ai2d",
        ["default"],
        "test",
        ["acc"],
    )
    assert meta.prompt_template == SINGLE_ANSWER_TEMPLATE_COT and meta.few_shot_num == 0
    assert "multimodal" in meta.tags and meta.dataset_revision is None


@pytest.mark.parametrize(
    ("change", "message"),
    [({"answer": "4"}, "0-based index"), ({"answer": "B"}, "0-based index"), ({"image": None}, "has no image")],
)
def test_a_broken_record_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    row = {"question": QUESTION, "options": ["1", "2"], "answer": "0", "image": image_cell("1")} | change
    write_parquet(tmp_path / "test.parquet", [row])
    with pytest.raises(UserError, match=message):
        build_adapter("ai2d", {"local_path": str(tmp_path)}).load()


def test_server_reading_the_diagrams_scores_exactly(tmp_path: Path) -> None:
    hashes = write_ai2d(tmp_path / "data")
    report, stats, out = run_on_server(tmp_path, "ai2d", tmp_path / "data", ai2d_rules())
    # Right: items 1, 2 and 4. Wrong: item 3 (key disagrees with the picture), item 5 (a colour, no letter).
    assert report.counts.scored == 5
    assert report.score == 3 / 5
    assert report.counts.extraction_failures == 1
    assert received_images(stats) == sorted(hashes)
    assert_journal_has_references_only(out, hashes)
