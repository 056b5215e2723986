"""``/api/runs/{id}/samples``: status filters, subsets, search, paging, detail, a run being written."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("starlette", reason="the viewer needs the app extra: pip install 'assay[app]'")

from starlette.testclient import TestClient

from assay.app import create_app
from tests.app.api_helpers import EXPECTED_A, RUN_A, copy_run, keys, make_outputs

SAMPLES = f"/api/runs/{RUN_A}/samples"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_outputs(tmp_path_factory.mktemp("api_samples"))


@pytest.fixture(scope="module")
def client(outputs: Path) -> TestClient:
    return TestClient(create_app(outputs))


@pytest.mark.parametrize("status", sorted(EXPECTED_A))
def test_each_status_filter_returns_exactly_its_samples(client: TestClient, status: str) -> None:
    body = client.get(SAMPLES, params={"benchmark": "gsm8k", "status": status}).json()
    assert keys(body["items"]) == EXPECTED_A[status]
    assert body["total"] == len(EXPECTED_A[status]) and body["offset"] == 0 and body["limit"] == 50


def test_items_carry_status_verdict_values_and_a_short_prediction(client: TestClient) -> None:
    items = {i["key"]: i for i in client.get(SAMPLES, params={"benchmark": "gsm8k"}).json()["items"]}
    right = items["main-0#0"]
    assert right == {
        "key": "main-0#0",
        "sample_id": "main-0",
        "repeat": 0,
        "subset": "main",
        "status": "scored",
        "correct": True,
        "value": {"acc": 1.0},
        "extracted": "4",
        "target": "4",
        "prediction": "\\boxed{4}",
        "truncated": False,
    }
    assert items["main-2#0"]["correct"] is False and items["main-2#0"]["extracted"] is None
    assert items["main-3#0"]["status"] == "errored" and items["main-3#0"]["correct"] is None
    assert items["main-5#0"]["status"] == "excluded" and items["main-5#0"]["correct"] is None
    assert items["main-4#0"]["truncated"] is True


def test_subset_filter_and_its_combination_with_status(client: TestClient) -> None:
    def page(**params: str) -> set[str]:
        return keys(client.get(SAMPLES, params={"benchmark": "gsm8k", **params}).json()["items"])

    assert page(subset="socratic") == {"socratic-0#0", "socratic-1#0"}
    assert page(subset="socratic", status="wrong") == {"socratic-1#0"}
    assert page(subset="main", status="correct") == {"main-0#0"}
    assert page(subset="no-such-subset") == set()


def test_search_covers_prompt_prediction_extracted_and_target_case_insensitively(client: TestClient) -> None:
    def found(q: str, **params: str) -> set[str]:
        return keys(client.get(SAMPLES, params={"benchmark": "gsm8k", "q": q, **params}).json()["items"])

    assert found("q-NOANSWER") == {"main-2#0"}  # only in the prompt (predictions journal)
    assert found("i do NOT know") == {"main-2#0"}  # the prediction
    assert found("word word") == {"main-4#0"}
    assert found("\\frac{") == {"main-5#0"}  # the target, with a backslash (escaped in the JSON line)
    assert found("PLUS 1?\nplease") == {"main-3#0"}  # across a newline of the prompt (an errored sample)
    assert found("content") == set()  # a JSON field name is not text
    assert found("14") == {"socratic-0#0"}  # extracted and target
    assert found("plus", status="correct") == {"main-0#0", "socratic-0#0"}
    assert found("plus", subset="socratic", status="wrong") == {"socratic-1#0"}


def test_pagination_walks_the_whole_result_once(client: TestClient) -> None:
    seen: list[str] = []
    for offset in range(0, 10, 3):
        body = client.get(SAMPLES, params={"benchmark": "gsm8k", "offset": offset, "limit": 3}).json()
        assert body["total"] == 8 and body["offset"] == offset and body["limit"] == 3
        seen.extend(item["key"] for item in body["items"])
    assert len(seen) == 8 and set(seen) == EXPECTED_A["all"]
    assert client.get(SAMPLES, params={"benchmark": "gsm8k", "offset": 100}).json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"benchmark": "gsm8k", "status": "great"},
        {"benchmark": "gsm8k", "offset": "-1"},
        {"benchmark": "gsm8k", "limit": "ten"},
    ],
)
def test_bad_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get(SAMPLES, params=params)
    assert response.status_code == 400 and response.json()["error"]


def test_unknown_benchmark_is_404(client: TestClient) -> None:
    assert client.get(SAMPLES, params={"benchmark": "mmlu"}).status_code == 404


def test_detail_joins_the_full_prediction_and_review_by_key(client: TestClient, outputs: Path) -> None:
    body = client.get(f"{SAMPLES}/gsm8k/{quote('main-4#0', safe='')}").json()
    lines = (outputs / RUN_A / "predictions" / "model-a" / "gsm8k_main.jsonl").read_text().splitlines()
    saved = next(json.loads(line) for line in lines if json.loads(line)["key"] == "main-4#0")
    assert body["prediction"] == saved
    assert body["prediction"]["input"][0]["content"].startswith("Q-long")
    assert body["review"]["key"] == "main-4#0" and body["review"]["score"]["truncated"] is True
    assert client.get(f"{SAMPLES}/gsm8k/{quote('main-9#0', safe='')}").status_code == 404
    assert client.get(f"{SAMPLES}/mmlu/{quote('main-0#0', safe='')}").status_code == 404


def test_a_run_being_written_grows_and_a_torn_last_line_waits(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    copy_run(outputs / RUN_A, root / "live")
    journal = root / "live" / "reviews" / "model-a" / "gsm8k_socratic.jsonl"
    client = TestClient(create_app(root))
    url = "/api/runs/live/samples"

    def total(**params: str) -> int:
        value: int = client.get(url, params={"benchmark": "gsm8k", **params}).json()["total"]
        return value

    assert total() == 8 and total(status="correct") == 2
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    extra = next(r for r in records if r["key"] == "socratic-0#0")  # a right answer (lines come in finishing order)
    extra.update(key="socratic-2#0", sample_id="socratic-2", prediction="a fresh zebra answer")
    line = json.dumps(extra) + "\n"
    with journal.open("a") as handle:
        handle.write(line[:40])  # half a line: the writer is still at it
    assert total() == 8
    with journal.open("a") as handle:
        handle.write(line[40:])
    assert total() == 9 and total(status="correct") == 3
    assert total(q="zebra") == 1

    retried = dict(extra, score={"value": {"acc": 0.0}, "extracted": "1", "status": "scored"})
    with journal.open("a") as handle:  # the same key again (a retried sample): the last record wins
        handle.write(json.dumps(retried) + "\n")
    assert total() == 9 and total(status="correct") == 2 and total(status="wrong") == 5


def test_a_journal_replaced_by_a_new_run_is_indexed_again(tmp_path: Path, outputs: Path) -> None:
    root = tmp_path / "outputs"
    copy_run(outputs / RUN_A, root / "again")
    journal = root / "again" / "reviews" / "model-a" / "gsm8k_main.jsonl"
    client = TestClient(create_app(root))
    params = {"benchmark": "gsm8k", "subset": "main"}
    assert client.get("/api/runs/again/samples", params=params).json()["total"] == 6
    first = journal.read_text().splitlines()[1]
    journal.unlink()  # a fresh run over the same folder starts its journals anew
    journal.write_text(first + "\n")
    assert client.get("/api/runs/again/samples", params=params).json()["total"] == 1
