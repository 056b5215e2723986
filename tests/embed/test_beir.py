"""BEIR folders read into typed records; every inconsistency is one clear UserError line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.embed.beir import BeirDocument, BeirQuery, document_text, load_beir
from assay.errors import UserError

CORPUS = [
    {"_id": "d1", "title": "Paris", "text": "The capital of France."},
    {"_id": "d2", "title": "", "text": " Untitled body. "},
    {"_id": "d3", "text": "No title key at all."},
]
QUERIES = [{"_id": "q1", "text": "capital of France"}, {"_id": "q2", "text": "unjudged query"}]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\n"


def write_folder(
    root: Path, corpus: list[dict[str, object]] = CORPUS, queries: list[dict[str, object]] = QUERIES, qrels: str = QRELS
) -> Path:
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(row) + "\n" for row in corpus), encoding="utf-8")
    (root / "queries.jsonl").write_text("".join(json.dumps(row) + "\n" for row in queries), encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
    return root


def load_error(root: Path, split: str = "test") -> str:
    with pytest.raises(UserError) as caught:
        load_beir(root, split)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_round_trip_of_a_small_folder(tmp_path: Path) -> None:
    dataset = load_beir(write_folder(tmp_path))
    assert dataset.corpus == {
        "d1": BeirDocument("d1", "Paris", "The capital of France."),
        "d2": BeirDocument("d2", "", " Untitled body. "),
        "d3": BeirDocument("d3", "", "No title key at all."),
    }
    assert dataset.queries["q2"] == BeirQuery("q2", "unjudged query")
    assert dataset.qrels == {"q1": {"d1": 2, "d2": 0}}
    assert list(dataset.judged_queries()) == ["q1"]


def test_document_text_joins_title_and_text_with_a_space_only_when_a_title_exists() -> None:
    assert document_text(BeirDocument("d1", "Paris", "The capital.")) == "Paris The capital."
    assert document_text(BeirDocument("d2", "", " Untitled body. ")) == "Untitled body."


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    write_folder(tmp_path)
    (tmp_path / "queries.jsonl").unlink()
    assert "queries.jsonl: file not found" in load_error(tmp_path)


def test_missing_split_names_the_qrels_file(tmp_path: Path) -> None:
    message = load_error(write_folder(tmp_path), split="dev")
    assert "dev.tsv: file not found" in message


def test_missing_field_names_file_line_and_field(tmp_path: Path) -> None:
    message = load_error(write_folder(tmp_path, corpus=[*CORPUS, {"_id": "d4"}]))
    assert "corpus.jsonl:4: missing field 'text'" in message


def test_duplicate_id_is_rejected(tmp_path: Path) -> None:
    message = load_error(write_folder(tmp_path, queries=[*QUERIES, {"_id": "q1", "text": "again"}]))
    assert "queries.jsonl:3: duplicate _id 'q1'" in message


def test_invalid_json_is_rejected(tmp_path: Path) -> None:
    write_folder(tmp_path)
    with (tmp_path / "corpus.jsonl").open("a", encoding="utf-8") as corpus:
        corpus.write("{not json\n")
    assert "corpus.jsonl:4: not valid JSON" in load_error(tmp_path)


@pytest.mark.parametrize(
    ("qrels", "expected"),
    [
        ("qid\tdocid\tscore\nq1\td1\t1\n", "test.tsv:1: expected the header 'query-id corpus-id score'"),
        ("query-id\tcorpus-id\tscore\nq1\td1\n", "test.tsv:2: expected 3 tab-separated columns, got 2"),
        ("query-id\tcorpus-id\tscore\nq1\td1\thigh\n", "test.tsv:2: score 'high' is not an integer"),
        ("query-id\tcorpus-id\tscore\nq9\td1\t1\n", "test.tsv:2: query-id 'q9' is not in queries.jsonl"),
        ("query-id\tcorpus-id\tscore\nq1\td9\t1\n", "test.tsv:2: corpus-id 'd9' is not in corpus.jsonl"),
        ("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t2\n", "test.tsv:3: ('q1', 'd1') is judged twice"),
    ],
)
def test_bad_qrels_line_gives_one_message_with_file_and_line(tmp_path: Path, qrels: str, expected: str) -> None:
    assert expected in load_error(write_folder(tmp_path, qrels=qrels))


def test_numeric_ids_are_read_as_text(tmp_path: Path) -> None:
    corpus: list[dict[str, object]] = [{"_id": 7, "title": "", "text": "seven"}]
    qrels = "query-id\tcorpus-id\tscore\nq1\t7\t1\n"
    assert load_beir(write_folder(tmp_path, corpus=corpus, qrels=qrels)).qrels == {"q1": {"7": 1}}
