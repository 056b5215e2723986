"""Acceptance: an `assay perf` sweep against a real model (SmolLM2 on `transformers serve`).

Small numbers keep it quick on a 2-core CI machine (the server answers one request at a time);
the full `--parallel 1 4 16 --number 20 80 320` sweep was run by hand (see the issue note).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assay.perf.arguments import PerfArguments
from assay.perf.metrics import compute_run_metrics
from assay.perf.plugins import get_api_plugin
from assay.perf.storage import RecordStore
from tests.conftest import shared_data
from tests.real.transformers_server import TransformersServer

pytestmark = pytest.mark.real_model


def test_sweep_writes_run_folders_summary_and_html(real_server: TransformersServer, tmp_path: Path) -> None:
    sonnet = shared_data("sonnet") / "sonnet.txt"
    result = subprocess.run(
        [
            sys.executable, "-m", "assay", "perf", "--url", real_server.base_url + "/chat/completions",
            "--model", real_server.model_name, "--parallel", "1", "2", "--number", "3", "4",
            "--dataset", "line_by_line", "--dataset-path", str(sonnet), "--max-tokens", "8", "--stream",
            "--outputs-dir", str(tmp_path), "--no-timestamp", "--sleep-interval", "0",
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    (model_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert (model_dir / "perf_report.html").stat().st_size > 100_000
    sweep = json.loads((model_dir / "sweep_summary.json").read_text())
    assert [run["dir_name"] for run in sweep] == ["parallel_1_number_3", "parallel_2_number_4"]
    for parallel, number in ((1, 3), (2, 4)):
        run_dir = model_dir / f"parallel_{parallel}_number_{number}"
        summary = json.loads((run_dir / "benchmark_summary.json").read_text())
        assert summary["Success Requests"] == number and summary["Failed Requests"] == 0
        assert summary["Avg TTFT (ms)"] > 0 and summary["Output Throughput (tok/s)"] > 0
        assert json.loads((run_dir / "benchmark_percentile.json").read_text())
        args = json.loads((run_dir / "benchmark_args.json").read_text())
        # Every number in the summary is recomputable from the stored raw records.
        records = RecordStore(run_dir / "benchmark_data.db").read()
        plugin = get_api_plugin(PerfArguments.model_validate({"model": args["model"], "api": "openai"}))
        again = compute_run_metrics(
            records, [plugin.parse(r) for r in records], parallel=parallel, rate=-1, open_loop=False
        )
        for key, value in again.summary.items():
            assert summary[key] == value, key
