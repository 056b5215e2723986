"""AlpacaEval end to end on the real instructions: a model server answers, a judge server picks per sample.

The judge's rules decide by *content*, never by our position logic: each model answer starts with a
per-sample marker, and a rule answers ``m`` or ``M`` according to which identifier the judge prompt
puts in front of that marker. So the mapping from the judge's letter back to "model wins" is checked
apart from the seeded order, which the test recomputes from upstream's formula.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks.alpaca_eval import parse_best_model
from assay.judge.winrate import length_controlled_win_rate
from assay.mock_server import Rule, ServerConfig, ServerHandle, run_server_in_thread
from assay.report.model import Report
from tests.conftest import SHARED_DATA, shared_data

N = 40
MARK = "MODEL-ANSWER"
TIES = {5, 18}  # the model repeats the reference word for word
UNPARSEABLE = {i for i in range(N) if i % 10 == 3}
FAILING = {i for i in range(N) if i % 10 == 7}  # a 500 on the first ask (judge retries 0), fine afterwards
WINS = {i for i in range(N) if i % 3 == 0} - TIES - UNPARSEABLE - FAILING


def records(n: int) -> list[dict[str, Any]]:
    path = shared_data("alpaca_eval") / "alpaca_eval.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for _, line in zip(range(n), fh, strict=False)]


def model_reply(i: int, record: dict[str, Any]) -> str:
    if i in TIES:
        return str(record["output"])
    return f"{MARK} {i}: " + "detail " * (3 + (i * 7) % 23) + "end."


def upstream_model_first(instruction: str, seed: int) -> bool:
    """AlpacaEval's RandomSwitchTwoColumnsProcessor: the outputs switch (model shown first) when True."""
    return random.Random("is_switched_outputs" + instruction + str(seed)).choices([False, True], k=1)[0]


def judge_rules() -> list[Rule]:
    rules = []
    for i in range(N):
        marker = f"{MARK} {i}:"
        if i in UNPARSEABLE:
            rules.append(Rule(contains=marker, reply="Both outputs have merit; I cannot choose."))
        elif i in FAILING:
            rules.append(Rule(contains=marker, reply="m", fault="500", fail_times=1))
        elif i not in TIES:
            for letter, other in (("m", "M"), ("M", "m")):
                model_shown_as_letter = rf'(?s)"model_identifier": "{letter}",\s*"output": """{re.escape(marker)}'
                rules.append(Rule(regex=model_shown_as_letter, reply=letter if i in WINS else other))
    return rules


@pytest.fixture
def model_server() -> Iterator[ServerHandle]:
    rows = records(N)
    for i in TIES:
        text = rows[i]["output"]
        assert text == text.strip() and "think>" not in text  # comes back byte for byte
    rules = [Rule(regex=f"^{re.escape(r['instruction'])}$", reply=model_reply(i, r)) for i, r in enumerate(rows)]
    with run_server_in_thread(ServerConfig(rules=rules)) as handle:
        yield handle


def config(model: ServerHandle, judge: ServerHandle, work_dir: Path, **extra: Any) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=model.url,
        datasets=["alpaca_eval"],
        dataset_args={"alpaca_eval": {"local_path": str(shared_data("alpaca_eval"))}},
        limit=N,
        judge={
            "models": [{"model_id": "judge-model", "api_url": judge.url, "generation_config": {"retries": 0}}],
            **extra,
        },
        work_dir=str(work_dir),
        no_timestamp=True,
        eval_batch_size=8,
    )


def reviews(work_dir: Path) -> dict[int, dict[str, Any]]:
    path = work_dir / "reviews" / "mock-model" / "alpaca_eval_default.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {int(row["sample_id"].rsplit("-", 1)[1]): row for row in rows}


def metric(report: Report, name: str) -> Any:
    return next(m for m in report.metrics if m.name == name)


def test_win_rates_orders_and_exclusions_follow_the_scripted_judge(model_server: ServerHandle, tmp_path: Path) -> None:
    rows = records(N)
    with run_server_in_thread(ServerConfig(rules=judge_rules(), models=["judge-model"])) as judge:
        report = run_task(config(model_server, judge, tmp_path), show_progress=False)["alpaca_eval"]
        assert judge.stats()["requests_total"] == N - len(TIES)  # identical answers never reach the judge

    assert report.counts.scored == N - len(UNPARSEABLE) - len(FAILING)
    assert report.counts.excluded_reasons == {
        "judge_parse_error": len(UNPARSEABLE),
        "judge_transport_error": len(FAILING),
    }
    by_index = reviews(tmp_path)
    orders = set()
    for i, row in by_index.items():
        details = row["score"]["details"]
        assert details["position_seed"] == 42  # the run's seed
        assert details["model_chars"] == len(model_reply(i, rows[i]))
        assert details["reference_chars"] == len(rows[i]["output"])
        if i in TIES:
            assert details["identical_outputs"] and details["games"] == [] and row["score"]["value"]["win_rate"] == 0.5
            continue
        (game,) = details["games"]
        first = upstream_model_first(rows[i]["instruction"], 42)
        assert game["order"] == ("model_first" if first else "reference_first")
        assert game["model_identifier"] == ("m" if first else "M")
        orders.add(game["order"])
        if i in UNPARSEABLE or i in FAILING:
            assert row["score"]["status"] == "excluded" and not row["score"].get("value")
            assert game["judge"]["votes"][0]["failure"] == row["score"]["reason"]
            continue
        assert game["winner"] == ("model" if i in WINS else "reference")
        assert row["score"]["value"] == {"win_rate": 1.0 if i in WINS else 0.0}
        assert game["judge"]["votes"][0]["reply"] == game["verdict"]
    assert orders == {"model_first", "reference_first"}

    judged = [i for i in range(N) if i not in UNPARSEABLE and i not in FAILING]
    preferences = [0.5 if i in TIES else float(i in WINS) for i in judged]
    win = metric(report, "win_rate")
    assert report.metrics[0] is win and report.score == win.score
    assert win.score == pytest.approx(statistics.fmean(preferences))
    assert win.stderr == pytest.approx(statistics.stdev(preferences) / math.sqrt(len(preferences)))
    assert win.num == len(judged)
    assert metric(report, "mean_win_rate").score == pytest.approx(win.score)

    every = [None if i in UNPARSEABLE or i in FAILING else (0.5 if i in TIES else float(i in WINS)) for i in range(N)]
    expected_lc = length_controlled_win_rate(
        every, [len(model_reply(i, rows[i])) for i in range(N)], [len(r["output"]) for r in rows]
    )
    lc = metric(report, "length_controlled_win_rate")
    assert lc.score == pytest.approx(expected_lc.lc_win_rate) and lc.num == len(judged)
    assert lc.score != pytest.approx(win.score)  # the lengths do move it


def test_resume_retries_only_failed_requests_then_pays_for_nothing(model_server: ServerHandle, tmp_path: Path) -> None:
    rows = records(N)
    with run_server_in_thread(ServerConfig(rules=judge_rules(), models=["judge-model"])) as judge:
        run_task(config(model_server, judge, tmp_path), show_progress=False)
        asked = judge.stats()["requests_total"]
        model_calls = model_server.stats()["requests_total"]
        again = config(model_server, judge, tmp_path).model_copy(
            update={"use_cache": str(tmp_path), "rerun_review": True}
        )

        second = run_task(again, show_progress=False)["alpaca_eval"]
        # Transport failures are not cached: only they are asked again (and now answered "m").
        assert judge.stats()["requests_total"] - asked == len(FAILING)
        assert second.counts.excluded_reasons == {"judge_parse_error": len(UNPARSEABLE)}
        for i in FAILING:
            assert reviews(tmp_path)[i]["score"]["value"]["win_rate"] == float(
                upstream_model_first(rows[i]["instruction"], 42)
            )

        third = run_task(again, show_progress=False)["alpaca_eval"]
        assert judge.stats()["requests_total"] - asked == len(FAILING)  # nothing more
        assert model_server.stats()["requests_total"] == model_calls  # predictions were reused throughout
    assert third.judge is not None and third.judge.requests == 0
    assert third.judge.cached == N - len(TIES)
    assert third.score == second.score


def test_position_swap_on_plays_both_orders_and_averages(model_server: ServerHandle, tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(rules=judge_rules(), models=["judge-model"])) as judge:
        cfg = config(model_server, judge, tmp_path, position_swap="on").model_copy(update={"limit": 3})
        report = run_task(cfg, show_progress=False)["alpaca_eval"]
        assert judge.stats()["requests_total"] == 6
    for i, row in reviews(tmp_path).items():
        games = row["score"]["details"]["games"]
        assert {g["order"] for g in games} == {"model_first", "reference_first"}
        assert row["score"]["value"]["win_rate"] == float(i in WINS)  # a consistent judge agrees with itself
    assert report.score == pytest.approx(sum(i in WINS for i in range(3)) / 3)


def test_local_path_and_dataset_dir_read_the_same_805_instructions_and_say_whose_references(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shared_data("alpaca_eval")
    by_path = build_adapter("alpaca_eval", {"local_path": str(SHARED_DATA / "alpaca_eval")}, dataset_hub="local")
    by_dir = build_adapter("alpaca_eval", None, dataset_dir=SHARED_DATA, dataset_hub="local")
    with caplog.at_level(logging.WARNING, logger="assay.benchmarks.alpaca_eval"):
        samples = by_path.load()["default"]
    assert len(samples) == 805 and [s.input for s in samples] == [s.input for s in by_dir.load()["default"]]
    assert "alpaca_eval.jsonl are by text_davinci_003, not AlpacaEval 2.0's gpt4_turbo" in caplog.text


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("m", "m"), ("M", "M"), (" `M`.\n", "M"), ('"m"', "m"), ("**M**", "M"), ("<think>m or M?</think>M", "M")],
)
def test_the_verdict_is_the_identifier_alone(reply: str, verdict: str) -> None:
    assert parse_best_model(reply) == verdict


@pytest.mark.parametrize("reply", ["", "Model M", "m or M", "mM", "The best is M.", "n"])
def test_anything_else_is_no_verdict(reply: str) -> None:
    assert parse_best_model(reply) is None
