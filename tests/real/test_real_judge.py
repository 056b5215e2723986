"""Acceptance: a real model as the judge (SmolLM2-135M-Instruct), over HTTP and in-process.

The test server plays the evaluated model (fixed answers), and SmolLM2 judges them: through a real
``transformers serve`` for alpaca_eval and mt_bench, and loaded in-process (``eval_type: llm_ckpt``)
for the generic grader. A 135M model is a poor judge, so verdicts are not asserted; what is asserted
is that every judge reply either parsed into a verdict or excluded its sample with a judge reason,
that every judge request really went out, and that the reports are well formed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.mock_server import ServerConfig, run_server_in_thread
from tests.conftest import shared_data
from tests.real.transformers_server import TransformersServer

pytestmark = pytest.mark.real_model

JUDGE_REASONS = {"judge_parse_error", "judge_transport_error"}
ANSWER = "Here is a short, helpful answer: start with the basics, then practice every day."


def _reviews(work_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted((work_dir / "reviews").rglob("*.jsonl")):
        rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return rows


def _check_honest(rows: list[dict[str, Any]]) -> None:
    assert rows
    for row in rows:
        score = row["score"]
        if score.get("status") == "excluded":
            assert score["reason"] in JUDGE_REASONS, score
            assert not score.get("value")
        else:
            assert score.get("status", "scored") == "scored", score
            assert score["value"], score
        assert score.get("details"), "the judge's replies are kept in the review"


def test_smollm2_over_transformers_serve_judges_alpaca_eval_and_mt_bench(
    real_server: TransformersServer, tmp_path: Path
) -> None:
    with run_server_in_thread(ServerConfig(default_reply=ANSWER)) as model:
        config = TaskConfig(
            model="mock-model",
            api_url=model.url,
            datasets=["alpaca_eval", "mt_bench"],
            dataset_args={
                "alpaca_eval": {"local_path": str(shared_data("alpaca_eval"))},
                "mt_bench": {"local_path": str(shared_data("mt_bench")), "subset_list": ["writing"]},
            },
            limit=2,
            work_dir=str(tmp_path),
            no_timestamp=True,
            judge={
                "models": [
                    {
                        "model_id": real_server.model_name,
                        "api_url": real_server.base_url,
                        "generation_config": {"max_tokens": 48, "timeout": 300, "retries": 1},
                    }
                ],
                "concurrency": 2,
            },
        )
        reports = run_task(config, show_progress=False)
    _check_honest(_reviews(tmp_path))
    for name, report in reports.items():
        counts = report.counts
        assert counts.total == counts.scored + counts.excluded + counts.errored, name
        assert counts.errored == 0, counts.error_reasons
        assert report.judge is not None, name
        assert report.judge.requests > 0 and report.judge.completion_tokens > 0, report.judge
        assert report.judge.transport_errors == 0, report.judge
        assert set(counts.excluded_reasons) <= JUDGE_REASONS
    # alpaca_eval: one game per item; mt_bench: one judgment per turn of each question
    assert reports["alpaca_eval"].judge is not None and reports["alpaca_eval"].judge.requests == 2
    assert reports["mt_bench"].judge is not None and reports["mt_bench"].judge.requests == 4


def test_a_local_checkpoint_judges_in_process(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    with run_server_in_thread(ServerConfig(default_reply="The answer is 18.")) as model:
        config = TaskConfig(
            model="mock-model",
            api_url=model.url,
            datasets=["gsm8k"],
            dataset_args={"gsm8k": {"local_path": str(shared_data("gsm8k")), "few_shot_num": 0}},
            limit=2,
            work_dir=str(tmp_path),
            no_timestamp=True,
            judge={
                "strategy": "llm",
                "models": [
                    {"model_id": "smollm2-135m", "eval_type": "llm_ckpt", "generation_config": {"max_tokens": 8}}
                ],
            },
        )
        report = run_task(config, show_progress=False)["gsm8k"]
    _check_honest(_reviews(tmp_path))
    assert report.judge is not None and report.judge.judges == ["smollm2-135m"]
    assert report.judge.requests == 2 and report.judge.completion_tokens > 0
    assert report.counts.scored + report.counts.excluded == 2
