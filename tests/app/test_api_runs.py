"""``/api/runs``, ``/api/runs/{id}/report`` and ``/api/perf/{id}`` on real eval and perf runs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("starlette", reason="the viewer needs the app extra: pip install 'assay[app]'")

from starlette.testclient import TestClient

from assay.app import create_app
from tests.app.api_helpers import PERF, RUN_A, RUN_B, copy_run, make_outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_outputs(tmp_path_factory.mktemp("api_runs"))


@pytest.fixture(scope="module")
def client(outputs: Path) -> TestClient:
    return TestClient(create_app(outputs))


def test_runs_lists_every_eval_and_perf_run_with_scores_counts_and_state(client: TestClient) -> None:
    runs = {run["id"]: run for run in client.get("/api/runs").json()["runs"]}
    assert set(runs) == {RUN_A, RUN_B, PERF}
    a = runs[RUN_A]
    assert a["kind"] == "eval" and a["model"] == "model-a" and a["benchmarks"] == ["gsm8k"]
    assert a["created"] == "2026-01-01T12:00:00"
    # 6 scored, 2 right (main-0, socratic-0): the report's mean
    assert a["headline"] == {"gsm8k": pytest.approx(2 / 6)}
    assert a["counts"] == {"total": 8, "scored": 6, "excluded": 1, "errored": 1}
    assert a["status"] == "complete"
    assert runs[RUN_B]["headline"] == {"gsm8k": pytest.approx(4 / 6)}
    perf = runs[PERF]
    assert perf["kind"] == "perf" and perf["model"] == "org/mock-model" and perf["benchmarks"] == []
    assert perf["counts"] == {"total": 12, "scored": 12, "excluded": 0, "errored": 0}
    assert perf["created"] == "2026-01-03T09:00:00" and perf["status"] == "complete"


def test_runs_filter_and_sort(client: TestClient) -> None:
    def ids(**params: str) -> list[str]:
        return [run["id"] for run in client.get("/api/runs", params=params).json()["runs"]]

    assert ids(q="MODEL-B") == [RUN_B]
    assert ids(q="gsm8k", order="asc") == [RUN_A, RUN_B]
    assert ids(q="perf/") == [PERF]
    assert ids(sort="created", order="asc") == [RUN_A, RUN_B, PERF]
    assert ids() == [PERF, RUN_B, RUN_A]  # newest first by default
    assert ids(sort="score", order="desc") == [RUN_B, RUN_A, PERF]  # a run without a score comes last
    assert ids(sort="model", order="asc") == [RUN_A, RUN_B, PERF]
    for bad in ({"sort": "size"}, {"order": "up"}):
        response = client.get("/api/runs", params=bad)
        assert response.status_code == 400 and "error" in response.json()


def test_report_returns_saved_reports_and_the_masked_config(client: TestClient, outputs: Path) -> None:
    body = client.get(f"/api/runs/{RUN_A}/report").json()
    saved = json.loads((outputs / RUN_A / "reports" / "model-a" / "gsm8k.json").read_text())
    assert body["id"] == RUN_A and body["model"] == "model-a"
    assert body["reports"] == {"gsm8k": saved}
    config = yaml.safe_load((outputs / RUN_A / "configs" / "task_config.yaml").read_text())
    assert body["config"] == config and body["config"]["datasets"] == ["gsm8k"]


def test_unknown_runs_and_perf_ids_are_404_with_a_json_error(client: TestClient) -> None:
    for path in (
        "/api/runs/evals/nope/report",
        f"/api/runs/{PERF}/report",  # a perf run has no eval report
        "/api/perf/" + RUN_A,  # an eval run is not a perf run
        "/api/perf/perf",  # a folder that is no run
        f"/api/runs/{RUN_A}/unknown",
        "/api/nothing",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert isinstance(response.json()["error"], str)


def test_perf_sweep_returns_each_run_with_summary_percentiles_args(client: TestClient, outputs: Path) -> None:
    body = client.get(f"/api/perf/{PERF}").json()
    assert body["id"] == PERF and body["kind"] == "sweep"
    assert [(r["name"], r["parallel"], r["number"]) for r in body["runs"]] == [
        ("parallel_1_number_4", 1, 4),
        ("parallel_2_number_8", 2, 8),
    ]
    first = body["runs"][0]
    folder = outputs / PERF / "parallel_1_number_4"
    assert first["summary"] == json.loads((folder / "benchmark_summary.json").read_text())
    assert first["percentiles"] == json.loads((folder / "benchmark_percentile.json").read_text())
    assert first["args"]["parallel"] == 1 and first["summary"]["Total Requests"] == 4
    assert body["sweep"] == json.loads((outputs / PERF / "sweep_summary.json").read_text())
    assert isinstance(body["warnings"], list)

    single = client.get(f"/api/perf/{PERF}/parallel_2_number_8").json()
    assert single["kind"] == "run" and single["sweep"] is None
    assert [r["name"] for r in single["runs"]] == ["parallel_2_number_8"]


def test_perf_client_self_check_failures_become_warnings(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    copy_run(outputs / PERF, root / "sweep")
    summary_path = root / "sweep" / "parallel_2_number_8" / "benchmark_summary.json"
    summary = json.loads(summary_path.read_text())
    summary["Client Verdict"] = "client-bound: not trustworthy (worker 0 used 100% of a core)"
    summary_path.write_text(json.dumps(summary))
    good = root / "sweep" / "parallel_1_number_4" / "benchmark_summary.json"
    good.write_text(json.dumps({**json.loads(good.read_text()), "Client Verdict": "ok"}))
    body = TestClient(create_app(root)).get("/api/perf/sweep").json()
    assert body["warnings"] == ["parallel_2_number_8: client-bound: not trustworthy (worker 0 used 100% of a core)"]


def test_running_and_incomplete_runs_are_told_apart(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    run = copy_run(outputs / RUN_A, root / "live")
    (run / "reports" / "model-a" / "gsm8k.json").unlink()
    journal = run / "reviews" / "model-a" / "gsm8k_main.jsonl"
    client = TestClient(create_app(root))
    entry = client.get("/api/runs").json()["runs"][0]
    assert entry["status"] == "running"  # journals just written, no report
    assert entry["headline"] == {} and entry["counts"]["total"] == 8  # counted from the journals
    old = time.time() - 120
    for path in run.rglob("*.jsonl"):
        os.utime(path, (old, old))
    assert client.get("/api/runs").json()["runs"][0]["status"] == "incomplete"
    journal.write_bytes(journal.read_bytes())  # touched now: running again
    assert client.get("/api/runs").json()["runs"][0]["status"] == "running"


def test_a_resumed_run_with_journals_newer_than_its_report_is_not_complete(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    run = copy_run(outputs / RUN_A, root / "resumed")
    report = run / "reports" / "model-a" / "gsm8k.json"
    old = time.time() - 600
    os.utime(report, (old, old))
    assert TestClient(create_app(root)).get("/api/runs").json()["runs"][0]["status"] == "running"
