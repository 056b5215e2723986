"""``assay perf --api embeddings`` against the project's test server: texts/s and tokens/s.

An embedding server is sized by texts embedded per second and tokens per second; both come from
what the server answered (the vectors returned, its ``usage``), not from what was sent.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from assay.mock_server import ServerConfig, run_server_in_thread
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import AVG_ITEMS_PER_REQUEST, ITEM_THROUGHPUT
from assay.perf.runner import run_perf

LINES = ["red apple", "green pear and a long tail of words", "blue berry", "yellow banana", "red cherry"]


def test_an_embeddings_run_reports_texts_and_tokens_per_second(tmp_path: Path) -> None:
    dataset = tmp_path / "lines.txt"
    dataset.write_text("\n".join(LINES) + "\n")
    with run_server_in_thread(ServerConfig(latency_ms=20)) as srv:
        args = PerfArguments(
            model="mock-embed",
            url=srv.url,
            api="embeddings",
            dataset="line_by_line",
            dataset_path=str(dataset),
            parallel=[2],
            number=[10],
            outputs_dir=str(tmp_path / "out"),
            sleep_interval=0,
        )
        result = run_perf(args, console=Console(file=io.StringIO()))
        stats = srv.stats()
    (run,) = result.runs
    summary = json.loads((run.run_dir / "benchmark_summary.json").read_text())
    assert stats["by_endpoint"]["/v1/embeddings"] == 10 + 1  # and the connection test
    assert (summary["Total Requests"], summary["Success Requests"]) == (10, 10)
    assert summary[AVG_ITEMS_PER_REQUEST] == 1  # one line, one text, one vector per request
    assert summary[ITEM_THROUGHPUT] == pytest.approx(summary["Req Throughput (req/s)"], rel=1e-6)
    # Tokens/s from the server's usage (the test server counts a text's words): the 5 lines were
    # each sent twice, 2 x 16 words over 10 requests.
    assert summary["Input tokens source"] == "server usage"
    assert sum(len(line.split()) for line in LINES) == 16
    assert summary["Avg Input Tokens"] == pytest.approx(3.2)
    assert summary["Input Throughput (tok/s)"] == pytest.approx(32 / summary["Test Duration (s)"], rel=1e-2)
    assert summary["Output Throughput (tok/s)"] == 0
