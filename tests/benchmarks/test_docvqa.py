"""DocVQA and InfoVQA: a local lmms-lab/DocVQA snapshot of drawn pages, EvalScope's prompt, ANLS end to end.

The pages are drawn with the test server's ``draw_text``; the server reads them back from the pixels
it receives and answers with their first line (or with the paper colour, for the questions about a
letterhead), so a score comes out right only if every image reached it. The helpers here build hub
parquet files and run a benchmark against that reader; ``test_chartqa`` and ``test_ocr_bench`` use them.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.mock_server.vision import draw_text
from assay.report.model import Report
from assay.types import ContentPart, ImagePart, Sample, TextPart

#: A document page: the text centred on a portrait canvas, as a scanned page is.
PAGE = (640, 820)


@pytest.fixture(autouse=True)
def image_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))


# ---------------------------------------------------------------------------------------------- shared helpers
def image_cell(
    text: str, *, background: str = "white", fmt: str = "PNG", canvas: tuple[int, int] | None = None, name: str = ""
) -> dict[str, Any]:
    """A Hugging Face ``Image`` cell (``{"bytes", "path"}``) of ``text`` drawn by the test server's ``draw_text``."""
    buffer = io.BytesIO()
    draw_text(text, size=32, background=background, canvas=canvas).save(buffer, format=fmt, quality=95)
    return {"bytes": buffer.getvalue(), "path": name or None}


def sha256_of(cells: Sequence[dict[str, Any]]) -> list[str]:
    """The SHA-256 of each cell's bytes, sorted (the order a server's received images are compared in)."""
    return sorted(hashlib.sha256(cell["bytes"]).hexdigest() for cell in cells)


def write_shards(folder: Path, split: str, rows: Sequence[dict[str, Any]], shards: int = 1) -> None:
    """``<folder>/<split>-0000i-of-0000n.parquet``, the rows dealt out in order, as the hub stores a split."""
    folder.mkdir(parents=True, exist_ok=True)
    size = math.ceil(len(rows) / shards)
    for i in range(shards):
        table = pa.Table.from_pylist(list(rows[i * size : (i + 1) * size]))
        pq.write_table(table, folder / f"{split}-{i:05d}-of-{shards:05d}.parquet")


def run_reading_server(
    tmp_path: Path, benchmark: str, local_path: Path, rules: list[Rule]
) -> tuple[Report, list[str], Path]:
    """Run ``benchmark`` on ``local_path`` against a server answering from pixels.

    Returns the report, the sorted SHA-256 of every image the server received, and the run folder.
    """
    out = tmp_path / "out"
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=[benchmark],
            dataset_args={benchmark: {"local_path": str(local_path)}},
            work_dir=str(out),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)[benchmark]
        received = sorted(sha for entry in srv.stats()["images"] for sha in entry["images"])
    return report, received, out


def assert_journal_holds_no_image_bytes(out: Path, benchmark: str) -> None:
    """Every prediction line refers to its image by hash and location; none carries base64."""
    files = sorted((out / "predictions" / "mock-model").glob(f"{benchmark}_*.jsonl"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "base64" not in text and "data:image" not in text
        assert max(len(line) for line in text.splitlines()) < 3000


def parts_of(sample: Sample) -> list[ContentPart]:
    """The content parts of a prompted sample's user message."""
    assert isinstance(sample.input, list)
    content = sample.input[-1].content
    assert isinstance(content, list)
    return content


def subset_scores(report: Report) -> dict[str, float]:
    """Subset name -> score of the report's first metric."""
    return {s.name: s.score for c in report.metrics[0].categories for s in c.subsets}


# ---------------------------------------------------------------------------------------------- the snapshot
#: (question, page text, paper colour, accepted answers). The server answers the first line of the
#: page, or the paper colour when asked about the letterhead, or the whole page without an ANSWER line
#: when asked for a summary.
DOC_ITEMS = [
    ("What is the company name?", "ACME CORP\nINVOICE 1234\nTOTAL: 42.50", "white", ["ACME CORP", "Acme Corporation"]),
    ("Who issued the invoice?", "ACME CORP.\nDATE: 12/03/1998", "white", ["ACME CORPORATION"]),
    ("What year was the memo written?", "12/03/1998\nMEMO\nTO: ALL STAFF", "white", ["1998"]),
    ("What name is on the letterhead?", "R.J. REYNOLDS\nWINSTON-SALEM", "yellow", ["R.J. Reynolds"]),
    ("Summarize the amount due.", "TOTAL\n42.50", "white", ["total 42.50"]),
]
#: ANLS of each reply, by hand: exact (case ignored); 'acme corp.' vs 'acme corporation' is 7 edits
#: of 16 -> 9/16; '12/03/1998' vs '1998' is 6 of 10 -> 0.4, under 0.5 -> 0; 'yellow' -> 0; the whole
#: page 'TOTAL\n42.50' (no ANSWER line) equals 'total 42.50' once whitespace is collapsed -> 1.
DOC_EXPECTED = [1.0, 9 / 16, 0.0, 0.0, 1.0]

INFO_ITEMS = [
    ("Which social platform has heavy female audience?", "PINTEREST\n42% FEMALE", "white", ["pinterest"]),
    ("What is the brand colour of the top platform?", "FACEBOOK", "blue", ["facebook", "fb"]),
    ("Which platform grew fastest?", "INSTAGRAM 2019\nGROWTH +12%", "white", ["instagram"]),
]
#: 'pinterest' exact; 'blue' vs 'fb'/'facebook' far -> 0; 'instagram 2019' vs 'instagram': 5 of 14 -> 9/14.
INFO_EXPECTED = [1.0, 0.0, 1 - 5 / 14]

RULES = [
    Rule(read="colour", contains="letterhead", reply="The paper is {read}.\nANSWER: {read}"),
    Rule(read="colour", contains="brand colour", reply="ANSWER: {read}"),
    Rule(read="text", contains="Summarize", reply="{read}"),
    Rule(read="text", reply="Reading the page.\nANSWER: {read}"),
]


def write_snapshot(root: Path) -> dict[str, list[dict[str, Any]]]:
    """A local lmms-lab/DocVQA: DocVQA/validation in two shards, a DocVQA/test shard (no answers) and
    InfographicVQA/validation. Returns the image cells of each validation configuration."""
    doc_rows, doc_cells = [], []
    for i, (question, page, paper, answers) in enumerate(DOC_ITEMS):
        cell = image_cell(page, background=paper, canvas=PAGE, name=f"doc_{i}.png")
        doc_cells.append(cell)
        doc_rows.append(
            {
                "questionId": str(49153 + i),
                "question": question,
                "question_types": ["form"],
                "image": cell,
                "docId": 14465 + i,
                "ucsf_document_id": f"pybv02{i:02d}",
                "ucsf_document_page_no": str(i + 1),
                "answers": answers,
                "data_split": "val",
            }
        )
    write_shards(root / "DocVQA", "validation", doc_rows, shards=2)
    unanswered = {**doc_rows[0], "questionId": "99999", "answers": None, "data_split": "test"}
    write_shards(root / "DocVQA", "test", [unanswered])
    info_rows, info_cells = [], []
    for i, (question, page, paper, answers) in enumerate(INFO_ITEMS):
        cell = image_cell(page, background=paper, canvas=PAGE, name=f"info_{i}.jpeg", fmt="JPEG")
        info_cells.append(cell)
        info_rows.append(
            {
                "questionId": str(98313 + i),
                "question": question,
                "answers": answers,
                "answer_type": ["single span"],
                "image": cell,
                "image_url": f"https://example.com/infographic_{i}.png",
                "operation/reasoning": None,
                "ocr": "['{\"PAGE\": []}']",
                "data_split": "val",
            }
        )
    write_shards(root / "InfographicVQA", "validation", info_rows)
    return {"DocVQA": doc_cells, "InfographicVQA": info_cells}


# ---------------------------------------------------------------------------------------------- tests
def test_docvqa_loads_the_validation_shards_with_every_answer_and_evalscopes_prompt(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "snap")
    samples = build_adapter("docvqa", {"local_path": str(tmp_path / "snap")}).load()
    assert list(samples) == ["DocVQA"]
    loaded = samples["DocVQA"]
    assert [s.id for s in loaded] == [str(49153 + i) for i in range(5)]  # both shards, in order; no test split
    assert loaded[0].target == ["ACME CORP", "Acme Corporation"]
    assert loaded[0].metadata["ucsf_document_id"] == "pybv0200"
    text, image = parts_of(loaded[1])
    # EvalScope's docvqa PROMPT, then the page image.
    assert isinstance(text, TextPart) and text.text == (
        "Answer the question according to the image using a single word or phrase.\n"
        "Who issued the invoice?\n"
        'The last line of your response should be of the form "ANSWER: [ANSWER]" (without quotes) where '
        "[ANSWER] is the answer to the question."
    )
    assert isinstance(image, ImagePart) and image.source == "DocVQA#1/image"


def test_docvqa_score_is_the_mean_anls_of_what_the_server_read_from_each_page(tmp_path: Path) -> None:
    cells = write_snapshot(tmp_path / "snap")["DocVQA"]
    report, received, out = run_reading_server(tmp_path, "docvqa", tmp_path / "snap", RULES)
    assert received == sha256_of(cells)
    assert report.counts.scored == 5
    assert report.metrics[0].name == "mean_anls"
    assert report.score == math.fsum(DOC_EXPECTED) / 5 == 41 / 80
    assert_journal_holds_no_image_bytes(out, "docvqa")


def test_infovqa_reads_its_configuration_of_the_same_snapshot(tmp_path: Path) -> None:
    cells = write_snapshot(tmp_path / "snap")["InfographicVQA"]
    samples = build_adapter("infovqa", {"local_path": str(tmp_path / "snap")}).load()["InfographicVQA"]
    assert [s.id for s in samples] == ["98313", "98314", "98315"]
    assert samples[0].metadata["answer_type"] == ["single span"] and "ocr" not in samples[0].metadata
    report, received, out = run_reading_server(tmp_path, "infovqa", tmp_path / "snap", RULES)
    assert received == sha256_of(cells)
    assert report.score == math.fsum(INFO_EXPECTED) / 3
    assert subset_scores(report) == {"InfographicVQA": report.score}
    assert_journal_holds_no_image_bytes(out, "infovqa")
