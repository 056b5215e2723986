"""benchmark_data.db: exact round trip of raw records, masked arguments, and recomputable metrics."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from assay.perf._records import Outcome, RequestRecord
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import compute_run_metrics
from assay.perf.storage import RecordStore, mask_url, masked_args
from tests.perf.metrics_helpers import failed_record, non_stream_record, ns, parse_all, stream_record


def _varied_records() -> list[RequestRecord]:
    """Every field shape a record can take: warmup, failures, token-id prompts, odd bytes, no chunks."""
    odd = stream_record(5, 3, [4, 4, 9.5], 10, prompt="héllo ✓ \x00 nul")
    odd.chunks[1] = bytes(range(256))  # arbitrary bytes, not UTF-8
    odd.error = "partial: ünïcode"
    odd.request_bytes, odd.images = 123_456, 2  # an image request
    odd.body_write_retries = 1  # sent again after a stale connection refused its body
    return [
        stream_record(1, 0, [50, 60, 70], 80, usage=(10, 3), intended_ms=-1),
        stream_record(2, 1, [51], 81, prompt=[101, 2**40, 0, 7], prompt_tokens_expected=4, warmup=True),
        failed_record(3, 2, 12, Outcome.HTTP_ERROR, status=503),
        failed_record(4, 2, 9_000, Outcome.TIMEOUT),
        odd,
        non_stream_record(6, 0, 400, (9, 9)),
        RequestRecord(7, 3, None, ns(0), ns(0), outcome=Outcome.CANCELLED, prompt=""),
        stream_record(8, 0, [50, 60, 70], 80, usage=(10, 3), intended_ms=-1),  # same prompt as record 1
    ]


def test_records_round_trip_exactly(tmp_path: Path) -> None:
    records = _varied_records()
    records[0].worker = 3
    records[0].wall_offset_ns = 1_700_000_000_000_000_000
    store = RecordStore(tmp_path / "benchmark_data.db")
    store.write(records)
    assert store.read() == records
    assert store.count() == len(records)


def test_writes_append_and_prompts_are_stored_once(tmp_path: Path) -> None:
    records = _varied_records()
    store = RecordStore(tmp_path / "benchmark_data.db")
    store.write(records[:4])
    store.write(records[4:])
    RecordStore(tmp_path / "benchmark_data.db").write(records[:1])  # a fresh handle on the same file
    assert store.read() == [*records, records[0]]
    with sqlite3.connect(tmp_path / "benchmark_data.db") as con:
        (prompts,) = con.execute("SELECT COUNT(*) FROM prompts").fetchone()
    assert prompts == len({repr(r.prompt) for r in records})


def test_a_failed_write_leaves_earlier_batches_intact(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "benchmark_data.db")
    good = _varied_records()[:2]
    store.write(good)
    broken = stream_record(9, 0, [1], 2)
    broken.request_id = 2**70  # SQLite integers are 64-bit: fails mid-batch, inside the transaction
    with pytest.raises(OverflowError):
        store.write([*good, broken])
    assert store.read() == good


def test_meta_masks_api_key_secret_headers_and_url_credentials(tmp_path: Path) -> None:
    args = PerfArguments(
        model="qwen",
        url="http://user:pw@127.0.0.1:8000/v1/chat/completions?api-key=abc&x=1",
        api_key="sk-secret",
        headers={"Authorization": "Bearer sk-secret", "X-Goog-Api-Key": "k", "Accept": "text/event-stream"},
        extra_args={"client_secret": "s", "max_tokens": 5},
    )
    store = RecordStore(tmp_path / "benchmark_data.db")
    store.write_meta(args, run="parallel_1_number_10")
    meta = store.read_meta()
    assert meta["schema_version"] == 3 and meta["run"] == "parallel_1_number_10"
    assert "sk-secret" not in str(meta) and "pw@" not in str(meta) and "abc" not in str(meta)
    assert meta["args"]["api_key"] == "***"
    assert meta["args"]["headers"] == {"Authorization": "***", "X-Goog-Api-Key": "***", "Accept": "text/event-stream"}
    assert meta["args"]["extra_args"] == {"client_secret": "***", "max_tokens": 5}
    assert meta["args"]["url"] == "http://***@127.0.0.1:8000/v1/chat/completions?api-key=***&x=1"


def test_a_schema_2_file_gains_body_write_retries_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "benchmark_data.db"
    written = [stream_record(1, 0, [50], 60, usage=(1, 1))]
    RecordStore(path).write(written)
    with sqlite3.connect(path) as con:  # as schema 2 wrote it: no body_write_retries column
        con.execute("ALTER TABLE records DROP COLUMN body_write_retries")
    assert RecordStore(path).read() == written and written[0].body_write_retries == 0


def test_plain_urls_are_unchanged() -> None:
    url = "http://127.0.0.1:8000/v1/chat/completions"
    assert mask_url(url) == url
    assert masked_args({"url": url, "api_key": None})["api_key"] is None


def test_metrics_recomputed_from_sqlite_equal_the_in_memory_summary(tmp_path: Path) -> None:
    records = _varied_records()
    in_memory = compute_run_metrics(records, parse_all(records), parallel=2, rate=-1, open_loop=True)
    store = RecordStore(tmp_path / "benchmark_data.db")
    store.write(records)
    stored = store.read()
    again = compute_run_metrics(stored, parse_all(stored), parallel=2, rate=-1, open_loop=True)
    assert again == in_memory
    assert again.full_summary() == in_memory.full_summary()


@pytest.mark.slow
def test_hundred_thousand_records_write_and_read_fast(tmp_path: Path) -> None:
    template = stream_record(0, 0, [50 + 10 * i for i in range(16)], 210, usage=(100, 16))
    records = [
        RequestRecord(
            request_id=i,
            worker=i % 4,
            intended_ns=None,
            start_ns=template.start_ns + i * 1000,
            end_ns=template.end_ns + i * 1000,
            chunk_ns=[t + i * 1000 for t in template.chunk_ns],
            chunks=template.chunks,
            status=200,
            prompt=f"prompt {i % 1000}",
        )
        for i in range(100_000)
    ]
    store = RecordStore(tmp_path / "benchmark_data.db")
    began = time.perf_counter()
    store.write(records)
    wrote = time.perf_counter() - began
    back = store.read()
    total = time.perf_counter() - began
    assert back == records
    assert wrote < 10 and total < 20, (wrote, total)
    size_per_record = (tmp_path / "benchmark_data.db").stat().st_size / len(records)
    raw_bytes = sum(map(len, template.chunks))
    assert size_per_record < raw_bytes + 300  # times and sizes cost little beside the bytes themselves
