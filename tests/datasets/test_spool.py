"""Image cells of parquet files are spooled to disk as they are read (``assay.datasets.spool``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.datasets.local import read_records
from assay.datasets.spool import SPOOL_MIN_BYTES, SpooledBytes


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_image_structs_and_large_binaries_become_handles_the_rest_is_untouched(tmp_path: Path, cache_dir: Path) -> None:
    images = [os.urandom(3000 + i) for i in range(150)]  # more rows than one read batch
    table = pa.table(
        {
            "question": [f"q{i}" for i in range(150)],
            "image": pa.array(
                [{"bytes": raw, "path": f"{i}.png"} for i, raw in enumerate(images)],
                type=pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
            ),
            "blob": [images[0]] * 150,
            "tiny": [b"ab"] * 150,
        }
    )
    path = tmp_path / "test.parquet"
    pq.write_table(table, path, row_group_size=50)
    rows = read_records(path)
    assert [row["question"] for row in rows] == [f"q{i}" for i in range(150)]
    for raw, row in zip(images, rows, strict=True):
        handle = row["image"]["bytes"]
        assert isinstance(handle, SpooledBytes) and row["image"]["path"] == row["question"][1:] + ".png"
        assert handle.sha256 == hashlib.sha256(raw).hexdigest() and handle.size == len(raw) and handle.read() == raw
    assert all(isinstance(row["blob"], SpooledBytes) for row in rows) and len(images[0]) >= SPOOL_MIN_BYTES
    assert all(row["tiny"] == b"ab" for row in rows)
    assert len(list((cache_dir / "spool").iterdir())) == 150  # the repeated blob is one of them, stored once
