"""``/api/sweeps/{id}`` and the runs list for a benchmarks × models sweep (``assay eval --model A B``).

The sweep is made with ``run_task`` against two test servers (model-a and model-b answer as in
``api_helpers``) plus a third model whose server is unreachable, so the grid holds two finished
members with known scores and one failed member with its reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the viewer needs the app extra: pip install 'assay[app]'")

from starlette.testclient import TestClient

from assay import TaskConfig, run_task
from assay.app import create_app
from assay.engine.sweep import SweepReport
from assay.mock_server import ServerConfig, run_server_in_thread
from tests.app.api_helpers import PERF, RULES_A, RULES_B, make_outputs, write_gsm8k_data

SWEEP = "sweeps/20260105_120000"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("api_sweep")
    outputs = make_outputs(base)
    data = write_gsm8k_data(base / "sweep_data")
    with (
        run_server_in_thread(ServerConfig(rules=RULES_A)) as a,
        run_server_in_thread(ServerConfig(rules=RULES_B)) as b,
    ):
        config = TaskConfig(
            models=[
                {"model": "model-a", "api_url": a.url},
                {"model": "model-b", "api_url": b.url, "api_key": "sk-grid-secret"},
                {"model": "model-down", "api_url": "http://127.0.0.1:9/v1"},
            ],
            datasets=["gsm8k"],
            dataset_args={"gsm8k": {"local_path": str(data), "few_shot_num": 0, "subset_list": ["main", "socratic"]}},
            work_dir=str(outputs / SWEEP),
            no_timestamp=True,
            ignore_errors=True,
            generation_config={"retries": 0, "max_tokens": 20},
        )
        sweep = run_task(config, show_progress=False)
    assert isinstance(sweep, SweepReport) and [m.model_id for m in sweep.failed] == ["model-down"]
    return outputs


@pytest.fixture(scope="module")
def client(outputs: Path) -> TestClient:
    return TestClient(create_app(outputs))


def test_the_sweep_is_one_entry_of_the_runs_list(client: TestClient) -> None:
    runs = client.get("/api/runs").json()["runs"]
    ids = [run["id"] for run in runs]
    assert SWEEP in ids and not any(i.startswith(SWEEP + "/") for i in ids)  # members are not listed apart
    (entry,) = [run for run in runs if run["id"] == SWEEP]
    assert entry["kind"] == "eval-sweep" and entry["models"] == ["model-a", "model-b", "model-down"]
    assert entry["benchmarks"] == ["gsm8k"] and entry["status"] == "failed"
    assert entry["counts"]["total"] == 16  # 8 samples for each finished model
    perf = next(run for run in runs if run["id"] == PERF)
    assert perf["kind"] == "perf"  # a perf sweep stays a perf sweep
    assert [r["id"] for r in client.get("/api/runs", params={"q": "model-down"}).json()["runs"]] == [SWEEP]


def test_the_grid_holds_each_members_scores_and_run(client: TestClient, outputs: Path) -> None:
    body = client.get(f"/api/sweeps/{SWEEP}").json()
    assert body["kind"] == "eval-sweep" and body["benchmarks"] == ["gsm8k"] and body["status"] == "failed"
    members = {m["model_id"]: m for m in body["members"]}
    assert list(members) == ["model-a", "model-b", "model-down"]
    # gsm8k's headline over the scored samples of api_helpers: model-a 2 of 6 right, model-b 4 of 6
    assert members["model-a"]["headline"] == {"gsm8k": pytest.approx(2 / 6)}
    assert members["model-b"]["headline"] == {"gsm8k": pytest.approx(4 / 6)}
    for name in ("model-a", "model-b"):
        assert members[name]["status"] == "ok" and members[name]["run_id"] == f"{SWEEP}/{name}"
        report = json.loads((outputs / SWEEP / name / "reports" / name / "gsm8k.json").read_text())
        assert members[name]["headline"]["gsm8k"] == report["score"]
    down = members["model-down"]
    assert down["status"] == "failed" and "127.0.0.1:9" in down["reason"] and down["headline"] == {}
    assert "sk-grid-secret" not in json.dumps(body)


def test_members_open_and_compare_as_ordinary_runs(client: TestClient) -> None:
    report = client.get(f"/api/runs/{SWEEP}/model-a/report").json()
    assert report["model"] == "model-a" and "gsm8k" in report["reports"]
    samples = client.get(f"/api/runs/{SWEEP}/model-b/samples", params={"benchmark": "gsm8k"}).json()
    assert samples["total"] == 8
    compare = client.get(
        "/api/compare", params={"runs": f"{SWEEP}/model-a,{SWEEP}/model-b", "benchmark": "gsm8k"}
    ).json()
    (pair,) = compare["pairs"]
    assert (pair["a_only_correct"], pair["b_only_correct"]) == (1, 3)  # as between the two plain runs


@pytest.mark.parametrize("run_id", ["evals/20260101_120000", PERF, "sweeps", "sweeps/../evals", f"{SWEEP}/model-a"])
def test_only_a_sweep_root_is_a_sweep(client: TestClient, run_id: str) -> None:
    response = client.get(f"/api/sweeps/{run_id}")
    assert response.status_code == 404 and response.json()["error"]


def test_a_member_folder_outside_the_sweep_is_never_read(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    shutil.copytree(outputs / SWEEP, root / "s")
    shutil.copytree(outputs / "evals", root / "evals")
    summary = json.loads((root / "s" / "sweep.json").read_text())
    summary["members"][0]["work_dir"] = "../evals/20260101_120000"
    (root / "s" / "sweep.json").write_text(json.dumps(summary))
    body = TestClient(create_app(root)).get("/api/sweeps/s").json()
    assert body["members"][0]["run_id"] is None and body["members"][0]["headline"] == {}
