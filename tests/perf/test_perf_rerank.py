"""``assay perf --api rerank`` against the project's test server: bodies, counts and the items/s key."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from assay.errors import UserError
from assay.mock_server import ServerConfig, ServerHandle, prompt_key, run_server_in_thread
from assay.perf._records import Outcome, RequestRecord
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import AVG_ITEMS_PER_REQUEST, ITEM_THROUGHPUT, ScoredItems
from assay.perf.plugins import Prompt, get_api_plugin
from assay.perf.runner import run_perf

LINES = ["red apple", "green pear", "blue berry", "yellow banana", "red cherry"]


def perf_args(srv: ServerHandle | None, tmp_path: Path, **fields: Any) -> PerfArguments:
    dataset = tmp_path / "lines.txt"
    dataset.write_text("\n".join(LINES) + "\n")
    values: dict[str, Any] = {
        "model": "mock-model",
        "url": srv.url if srv is not None else "http://127.0.0.1:9/v1",
        "api": "rerank",
        "dataset": "line_by_line",
        "dataset_path": str(dataset),
        "rerank_documents": 3,
        "outputs_dir": str(tmp_path / "out"),
        "sleep_interval": 0,
    }
    return PerfArguments(**{**values, **fields})


def record(body: bytes) -> RequestRecord:
    return RequestRecord(0, 0, None, start_ns=0, end_ns=2000, chunk_ns=[1000], chunks=[body], status=200)


def test_body_is_the_prompt_as_query_and_the_next_prompts_of_a_second_pass_as_documents(tmp_path: Path) -> None:
    api = get_api_plugin(perf_args(None, tmp_path, extra_args={"top_n": 2}))
    assert api.default_path == "/rerank"
    first = orjson.loads(api.build_body(Prompt(text="red")))
    second = orjson.loads(api.build_body(Prompt(messages=[{"role": "user", "content": "pear"}])))
    assert first == {"query": "red", "documents": LINES[:3], "model": "mock-model", "top_n": 2}
    assert (second["query"], second["documents"]) == ("pear", [LINES[3], LINES[4], LINES[0]])  # cycled


def test_token_id_prompts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="token ids only"):
        get_api_plugin(perf_args(None, tmp_path)).build_body(Prompt(token_ids=[1, 2]))


def test_parse_counts_the_documents_sent_as_items_and_usage_as_input_tokens(tmp_path: Path) -> None:
    api = get_api_plugin(perf_args(None, tmp_path))
    results = [{"index": i, "relevance_score": 0.5} for i in range(3)]
    ok = api.parse(record(orjson.dumps({"results": results, "usage": {"total_tokens": 12}})))
    assert isinstance(ok, ScoredItems) and (ok.items, ok.usage_prompt_tokens, ok.failure) == (3, 12, None)
    duplicated = api.parse(record(orjson.dumps({"results": [*results[:2], results[0]]})))
    assert duplicated.failure is Outcome.MALFORMED
    assert duplicated.failure_reason == "invalid rerank response: results[2] repeats index 0"
    assert api.parse(record(b'{"results": [')).failure is Outcome.MALFORMED


def test_a_run_counts_every_request_and_reports_items_per_second(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(latency_ms=20)) as srv:
        result = run_perf(perf_args(srv, tmp_path, parallel=[2], number=[6]), console=Console(file=io.StringIO()))
        stats = srv.stats()
    (run,) = result.runs
    summary = json.loads((run.run_dir / "benchmark_summary.json").read_text())
    assert stats["by_endpoint"]["/v1/rerank"] == 6 + 1  # and the connection test
    assert stats["prompt_counts"][prompt_key("red apple")] == 2  # queries cycle through the file
    assert stats["prompt_counts"][prompt_key("hello")] == 1  # the connection test's query
    assert (summary["Total Requests"], summary["Success Requests"], summary["Non-Stream Requests"]) == (6, 6, 6)
    assert summary[AVG_ITEMS_PER_REQUEST] == 3
    # Items/s = documents scored / W; the duration is rounded to 0.1 ms, hence the tolerance there.
    assert summary[ITEM_THROUGHPUT] == pytest.approx(3 * summary["Req Throughput (req/s)"], rel=1e-6)
    assert summary[ITEM_THROUGHPUT] == pytest.approx(6 * 3 / summary["Test Duration (s)"], rel=1e-2)
    assert summary["Input tokens source"] == "server usage" and summary["Input Throughput (tok/s)"] > 0
    assert list(summary).index(ITEM_THROUGHPUT) > list(summary).index("Input Throughput (tok/s)")


def test_a_text_run_writes_no_item_keys(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        args = perf_args(srv, tmp_path, api="openai", url=srv.url, number=[2], max_tokens=[4])
        result = run_perf(args, console=Console(file=io.StringIO()))
    assert ITEM_THROUGHPUT not in result.runs[0].metrics.full_summary()
