"""``/api/compare``: paired counts, McNemar's exact test and the difference's interval, by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the viewer needs the app extra: pip install 'assay[app]'")

from starlette.testclient import TestClient

from assay.app import create_app
from assay.app._compare import mcnemar_exact_p, paired_difference_ci95
from tests.app.api_helpers import PERF, RUN_A, RUN_B, copy_run, make_outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_outputs(tmp_path_factory.mktemp("api_compare"))


@pytest.fixture(scope="module")
def client(outputs: Path) -> TestClient:
    return TestClient(create_app(outputs))


def test_two_runs_hand_counted(client: TestClient) -> None:
    body = client.get("/api/compare", params={"runs": f"{RUN_A},{RUN_B}", "benchmark": "gsm8k"}).json()
    assert body["benchmark"] == "gsm8k"
    assert body["runs"] == [
        {"id": RUN_A, "model": "model-a", "score": pytest.approx(2 / 6), "n": 6},
        {"id": RUN_B, "model": "model-b", "score": pytest.approx(4 / 6), "n": 6},
    ]
    (pair,) = body["pairs"]
    # paired on the six samples scored in both (see api_helpers): main-0 only a; main-1, main-2,
    # socratic-1 only b; socratic-0 both; main-4 neither
    assert (pair["a"], pair["b"]) == (RUN_A, RUN_B)
    assert (pair["a_only_correct"], pair["b_only_correct"], pair["both"], pair["neither"]) == (1, 3, 1, 1)
    # exact McNemar: P(X <= 1) for X ~ Bin(4, 1/2) is 5/16, two-sided 10/16
    assert pair["mcnemar_p"] == pytest.approx(10 / 16)
    # differences d = (+1, -1, -1, -1, 0, 0): mean -1/3, sample variance 2/3 (n - 1 = 5)
    assert pair["diff"] == pytest.approx(-1 / 3)
    half = 1.959963984540054 * math.sqrt((2 / 3) / 6)
    assert pair["diff_ci95"] == pytest.approx([-1 / 3 - half, -1 / 3 + half])
    disagreements = {d["key"]: d for d in body["disagreements"]}
    assert set(disagreements) == {"main-0#0", "main-1#0", "main-2#0", "socratic-1#0"}
    assert disagreements["main-0#0"]["correct"] == {RUN_A: True, RUN_B: False}
    assert disagreements["socratic-1#0"] == {
        "key": "socratic-1#0",
        "sample_id": "socratic-1",
        "subset": "socratic",
        "correct": {RUN_A: False, RUN_B: True},
    }


def test_three_runs_give_every_pair_and_samples_where_any_differs(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    copy_run(outputs / RUN_A, root / "a")
    copy_run(outputs / RUN_B, root / "b")
    copy_run(outputs / RUN_A, root / "a2")
    body = TestClient(create_app(root)).get("/api/compare", params={"runs": "a,b,a2", "benchmark": "gsm8k"}).json()
    assert [(p["a"], p["b"]) for p in body["pairs"]] == [("a", "b"), ("a", "a2"), ("b", "a2")]
    same = body["pairs"][1]
    assert (same["a_only_correct"], same["b_only_correct"], same["both"], same["neither"]) == (0, 0, 2, 4)
    assert same["mcnemar_p"] == 1.0 and same["diff"] == 0.0 and same["diff_ci95"] == [0.0, 0.0]
    assert len(body["disagreements"]) == 4
    assert all(set(d["correct"]) == {"a", "b", "a2"} for d in body["disagreements"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"runs": RUN_A, "benchmark": "gsm8k"}, 400),  # one run
        ({"runs": f"{RUN_A},{RUN_A}", "benchmark": "gsm8k"}, 400),  # the same run twice
        ({"runs": f"{RUN_A},{RUN_B}"}, 400),  # no benchmark
        ({"runs": f"{RUN_A},{RUN_B}", "benchmark": "mmlu"}, 404),
        ({"runs": f"{RUN_A},evals/none", "benchmark": "gsm8k"}, 404),
        ({"runs": f"{RUN_A},{PERF}", "benchmark": "gsm8k"}, 404),
    ],
)
def test_bad_comparisons(client: TestClient, params: dict[str, str], status: int) -> None:
    response = client.get("/api/compare", params=params)
    assert response.status_code == status and response.json()["error"]


@pytest.mark.parametrize(("only_a", "only_b"), [(0, 0), (1, 3), (5, 5), (0, 12), (120, 80), (30_000, 30_500)])
def test_mcnemar_matches_scipys_binomial_test(only_a: int, only_b: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    assert mcnemar_exact_p(only_a, only_b) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_difference_interval_edge_cases_are_numbers() -> None:
    assert paired_difference_ci95(0, 0, 0) == (0.0, 0.0, 0.0)
    assert paired_difference_ci95(1, 0, 1) == (1.0, 1.0, 1.0)
    diff, low, high = paired_difference_ci95(10, 2, 100)
    assert diff == pytest.approx(0.08) and low < diff < high
