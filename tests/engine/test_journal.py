"""The journal survives torn writes and never glues a new record onto a broken line."""

from __future__ import annotations

from pathlib import Path

from assay.engine.journal import Journal


def test_records_round_trip_and_last_record_for_a_key_wins(tmp_path: Path) -> None:
    j = Journal(tmp_path / "sub" / "p.jsonl")
    j.append({"key": "a#0", "v": 1})
    j.append({"key": "b#0", "v": 2})
    j.append({"key": "a#0", "v": 3})
    j.close()
    assert Journal(j.path).load() == {"a#0": {"key": "a#0", "v": 3}, "b#0": {"key": "b#0", "v": 2}}


def test_torn_last_line_is_dropped_and_cut_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"key": "a#0", "v": 1}\n{"key": "b#0", "v"')
    j = Journal(path)
    assert list(j.load()) == ["a#0"]
    assert path.read_bytes() == b'{"key": "a#0", "v": 1}\n'
    j.append({"key": "b#0", "v": 2})
    j.close()
    assert Journal(path).load()["b#0"]["v"] == 2


def test_corrupt_line_with_newline_stops_reading_there(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"key": "a#0"}\n{"key": \n')
    assert list(Journal(path).load()) == ["a#0"]
    assert path.read_bytes() == b'{"key": "a#0"}\n'


def test_missing_file_loads_empty(tmp_path: Path) -> None:
    assert Journal(tmp_path / "none.jsonl").load() == {}
