"""Run and sweep outputs: EvalScope's files and keys, masked arguments, console tables, offline HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rich.console import Console

from assay.perf._records import Outcome, RequestRecord
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import RunMetrics, Scalar, compute_run_metrics
from assay.perf.report import print_run, print_sweep, write_run_outputs, write_sweep_outputs
from tests.perf.metrics_helpers import failed_record, parse_all, stream_record
from tests.perf.test_metrics import EVALSCOPE_PERCENTILE_KEYS, EVALSCOPE_SUMMARY_KEYS, LABELS

VERDICT: dict[str, Scalar] = {"Client self-check": "client-bound: not trustworthy", "Client CPU (%)": 99.5}


def _records(parallel: int) -> list[RequestRecord]:
    """``parallel`` successes whose TTFT grows with the load, and one HTTP 429."""
    records = [
        stream_record(i, i, [i + 20 * parallel, i + 20 * parallel + 10], i + 20 * parallel + 15, usage=(10, 2))
        for i in range(parallel)
    ]
    return [*records, failed_record(99, 0, 1, Outcome.HTTP_ERROR, status=429)]


def _metrics(parallel: int) -> RunMetrics:
    records = _records(parallel)
    return compute_run_metrics(records, parse_all(records), parallel=parallel, rate=-1, open_loop=False)


def _args(parallel: int = 1) -> PerfArguments:
    return PerfArguments(
        model="qwen2.5-7b-instruct",
        url="http://127.0.0.1:8000/v1/chat/completions",
        api_key="sk-live-123",
        headers={"Authorization": "Bearer sk-live-123"},
        parallel=[parallel],
        number=[parallel + 1],
    )


def test_run_outputs_use_evalscope_file_names_and_keys(tmp_path: Path) -> None:
    run_dir = tmp_path / "parallel_4_number_5"
    write_run_outputs(run_dir, _args(4), _metrics(4), extra_summary=VERDICT)
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "benchmark_args.json",
        "benchmark_percentile.json",
        "benchmark_summary.json",
    ]
    summary = json.loads((run_dir / "benchmark_summary.json").read_text())
    assert list(summary)[: len(EVALSCOPE_SUMMARY_KEYS)] == EVALSCOPE_SUMMARY_KEYS
    assert summary["Client self-check"] == "client-bound: not trustworthy"
    assert summary["Failed: HTTP 429"] == 1
    rows = json.loads((run_dir / "benchmark_percentile.json").read_text())
    assert [row["Percentiles"] for row in rows] == LABELS
    assert list(rows[0])[: len(EVALSCOPE_PERCENTILE_KEYS)] == EVALSCOPE_PERCENTILE_KEYS
    assert rows[5]["TTFT (ms)"] == 80.0


def test_run_args_are_masked_and_single_valued_like_evalscope(tmp_path: Path) -> None:
    write_run_outputs(tmp_path, _args(4), _metrics(4))
    text = (tmp_path / "benchmark_args.json").read_text()
    assert "sk-live-123" not in text
    args = json.loads(text)
    assert args["api_key"] == "***" and args["headers"] == {"Authorization": "***"}
    assert args["parallel"] == 4 and args["number"] == 5 and args["rate"] == -1.0
    assert args["model"] == "qwen2.5-7b-instruct"


def test_json_files_never_hold_nan(tmp_path: Path) -> None:
    records = [failed_record(1, 0, 5, Outcome.CONNECT_ERROR)]
    metrics = compute_run_metrics(records, parse_all(records), parallel=1, rate=-1, open_loop=False)
    write_run_outputs(tmp_path, _args(), metrics, extra_summary={"Client CPU (%)": float("nan")})
    for name in ("benchmark_summary.json", "benchmark_percentile.json"):
        text = (tmp_path / name).read_text()
        assert "NaN" not in text and "Infinity" not in text
        json.loads(text)


def test_print_run_shows_evalscope_tables_and_the_verdict() -> None:
    console = Console(record=True, width=200)
    print_run(_metrics(4), console, extra=VERDICT)
    text = console.export_text()
    for expected in ("Req Throughput (req/s)", "Avg TTFT (ms)", "TTFT (ms)", "99%", "Failed: HTTP 429"):
        assert expected in text
    assert "NOT trustworthy" in text and "client-bound: not trustworthy" in text


def _sweep() -> list[tuple[str, PerfArguments, RunMetrics]]:
    runs = []
    for parallel in (1, 4, 16):
        metrics = _metrics(parallel)
        if parallel == 16:
            metrics = metrics.with_extra(VERDICT)
        runs.append((f"parallel_{parallel}_number_{parallel + 1}", _args(parallel), metrics))
    return runs


def test_print_sweep_shows_overview_and_per_request_tables() -> None:
    console = Console(record=True, width=200)
    print_sweep(_sweep(), console)
    text = console.export_text()
    for expected in ("Performance Overview", "Per-Request Metrics", "Basic Information", "qwen2.5-7b-instruct"):
        assert expected in text
    assert "NOT trustworthy" in text
    assert "sk-live-123" not in text


def test_sweep_outputs_summary_text_json_and_html(tmp_path: Path) -> None:
    write_sweep_outputs(tmp_path, _sweep())
    assert {p.name for p in tmp_path.iterdir()} == {"performance_summary.txt", "sweep_summary.json", "perf_report.html"}
    sweep = json.loads((tmp_path / "sweep_summary.json").read_text())
    assert [run["dir_name"] for run in sweep] == ["parallel_1_number_2", "parallel_4_number_5", "parallel_16_number_17"]
    assert sweep[2]["summary"]["Client self-check"] == "client-bound: not trustworthy"
    assert sweep[0]["args"]["parallel"] == 1 and sweep[0]["args"]["api_key"] == "***"
    assert "Performance Overview" in (tmp_path / "performance_summary.txt").read_text()


def test_html_report_is_self_contained_and_offline(tmp_path: Path) -> None:
    write_sweep_outputs(tmp_path, _sweep())
    html = (tmp_path / "perf_report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no external scripts, stylesheets, images or frames; plotly.js is inlined.
    assert not re.search(r"<script[^>]*\bsrc=|<link|<img|<iframe", html, re.IGNORECASE)
    assert html.count('<script type="text/javascript">') >= 1 and "Plotly.newPlot" in html
    assert len(html) > 1_000_000  # the bundle itself travels inside the page
    # Load-sweep charts and per-run distributions, with every run named.
    assert html.count('<div class="chart">') >= 8
    for title in ("Request throughput", "Token throughput", "Time to first token", "TTFT distribution (CDF)"):
        assert title in html
    assert "Latency distribution (CDF)" in html
    for name in ("parallel_1_number_2", "parallel_4_number_5", "parallel_16_number_17"):
        assert name in html
    assert "NOT trustworthy" in html
    assert "sk-live-123" not in html


def test_html_report_handles_runs_without_successes(tmp_path: Path) -> None:
    records = [failed_record(1, 0, 5, Outcome.TIMEOUT)]
    metrics = compute_run_metrics(records, parse_all(records), parallel=1, rate=-1, open_loop=False)
    write_sweep_outputs(tmp_path, [("parallel_1_number_1", _args(), metrics)])
    html = (tmp_path / "perf_report.html").read_text()
    assert "parallel_1_number_1" in html and "No successful requests" in html


def test_html_report_escapes_names(tmp_path: Path) -> None:
    args = _args().model_copy(update={"model": "<script>alert(1)</script>"})
    write_sweep_outputs(tmp_path, [("parallel_1_<b>", args, _metrics(1))])
    html = (tmp_path / "perf_report.html").read_text()
    assert "<script>alert(1)" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
