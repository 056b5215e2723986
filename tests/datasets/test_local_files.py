"""Local dataset files: every supported format, header-less CSV, hub-style layouts, clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assay.datasets import hf_style_candidates, read_records, read_split_files
from assay.errors import UserError

ROWS = [{"question": "1+1?", "answer": "2"}, {"question": "2+2?", "answer": "4"}]


def test_reads_jsonl_skipping_blank_lines_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\ufeff" + json.dumps(ROWS[0]) + "\n\n" + json.dumps(ROWS[1]) + "\n", encoding="utf-8")
    assert read_records(path) == ROWS


def test_reads_json_list_wrapped_list_and_json_lines_saved_as_json(tmp_path: Path) -> None:
    plain, wrapped, lines = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    plain.write_text(json.dumps(ROWS))
    wrapped.write_text(json.dumps({"data": ROWS}))
    lines.write_text("\n".join(json.dumps(r) for r in ROWS))
    assert read_records(plain) == read_records(wrapped) == read_records(lines) == ROWS


def test_reads_csv_and_tsv_with_header_as_strings(tmp_path: Path) -> None:
    csv_path, tsv_path = tmp_path / "d.csv", tmp_path / "d.tsv"
    csv_path.write_text('question,answer\n"1+1?",2\n2+2?,4\n')
    tsv_path.write_text("question\tanswer\n1+1?\t2\n2+2?\t4\n")
    assert read_records(csv_path) == read_records(tsv_path) == ROWS


def test_reads_headerless_csv_with_given_column_names(tmp_path: Path) -> None:
    path = tmp_path / "abstract_algebra_test.csv"
    path.write_text('"Find x, y",0,1,"0,1",3,C\n')
    records = read_records(path, fieldnames=["question", "A", "B", "C", "D", "answer"])
    assert records == [{"question": "Find x, y", "A": "0", "B": "1", "C": "0,1", "D": "3", "answer": "C"}]


def test_reads_parquet_and_all_shards_of_a_sharded_split(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(ROWS[:1]), tmp_path / "test-00000-of-00002.parquet")
    pq.write_table(pa.Table.from_pylist(ROWS[1:]), tmp_path / "test-00001-of-00002.parquet")
    assert read_records(tmp_path / "test-00001-of-00002.parquet") == ROWS[1:]
    assert read_split_files(tmp_path / "test-00000-of-00002.parquet") == ROWS


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"a": 1}\n{oops\n', "bad.jsonl:2 is not valid JSON"),
        ("list.jsonl", "[1, 2]\n", "list.jsonl:1 must be a JSON object per line"),
        ("scalars.json", "[1, 2]", "must hold a JSON list of objects"),
        ("data.xlsx", "x", "unsupported dataset file format '.xlsx'"),
    ],
)
def test_malformed_or_unsupported_files_are_user_errors_naming_the_file(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UserError, match=re.escape(message)):
        read_records(path)


def test_missing_file_is_a_user_error_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"dataset file not found: .*nope\.jsonl"):
        read_records(tmp_path / "nope.jsonl")


def test_hub_style_candidates_are_ordered_from_most_specific(tmp_path: Path) -> None:
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "test-00000-of-00001.parquet").write_bytes(b"")
    names = [str(p.relative_to(tmp_path)) for p in hf_style_candidates(tmp_path, "main", "test", allow_split_only=True)]
    assert names[0] == "main/test.jsonl"
    assert names.index("main/test-00000-of-00001.parquet") < names.index("main_test.jsonl") < names.index("test.jsonl")
    single = hf_style_candidates(tmp_path, "main", "test", allow_split_only=False)
    assert tmp_path / "test.jsonl" not in single
