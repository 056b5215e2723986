"""Acceptance: `assay eval` against a real model (SmolLM2-135M-Instruct on `transformers serve`).

The model is weak, so scores are not asserted; what is asserted is that every stage produced
well-formed records from real HTTP traffic: predictions with real text and usage, reviews with a
status and an extracted answer where one exists, and a report whose counts add up.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay import TaskConfig, run_task
from tests.conftest import shared_data
from tests.real.transformers_server import TransformersServer

pytestmark = pytest.mark.real_model


def test_gsm8k_and_arc_items_through_a_real_server(real_server: TransformersServer, tmp_path: Path) -> None:
    gsm8k, arc = shared_data("gsm8k"), shared_data("arc")
    config = TaskConfig(
        model=real_server.model_name,
        model_id="smollm2",
        api_url=real_server.base_url,
        datasets=["gsm8k", "arc"],
        dataset_args={
            "gsm8k": {"local_path": str(gsm8k), "few_shot_num": 0},
            "arc": {"local_path": str(arc), "subset_list": ["ARC-Challenge"]},
        },
        limit=3,
        eval_batch_size=2,
        generation_config={"max_tokens": 48, "temperature": 0.0, "timeout": 120, "stream": True},
        work_dir=str(tmp_path),
        no_timestamp=True,
    )
    reports = run_task(config, show_progress=False)

    for bench, subset in (("gsm8k", "main"), ("arc", "ARC-Challenge")):
        predictions = [
            json.loads(line)
            for line in (tmp_path / "predictions" / "smollm2" / f"{bench}_{subset}.jsonl").read_text().splitlines()
        ]
        reviews = [
            json.loads(line)
            for line in (tmp_path / "reviews" / "smollm2" / f"{bench}_{subset}.jsonl").read_text().splitlines()
        ]
        assert len(predictions) == len(reviews) == 3
        for record in predictions:
            output = record["output"]
            assert "error" not in output, output
            assert output["text"].strip(), "the real model answered with text"
            assert output["usage"]["completion_tokens"] > 0
            assert output["latency_s"] > 0 and output["ttft_s"] is not None
        for review in reviews:
            assert review["score"]["status"] == "scored"
            assert set(review["score"]["value"]) == {"acc"}
            assert review["score"]["value"]["acc"] in (0.0, 1.0)
        report = reports[bench]
        saved = json.loads((tmp_path / "reports" / "smollm2" / f"{bench}.json").read_text())
        assert saved["score"] == report.score
        assert report.counts.total == report.counts.scored == 3
        assert 0.0 <= report.score <= 1.0
        assert report.timing.requests == 3 and report.timing.completion_tokens > 0


def test_repeats_against_a_server_that_ignores_n_are_each_answered(
    real_server: TransformersServer, tmp_path: Path
) -> None:
    """``transformers serve`` ignores ``n``: the run must notice the single choice and ask the rest alone."""
    config = TaskConfig(
        model=real_server.model_name,
        model_id="smollm2",
        api_url=real_server.base_url,
        datasets=["arc"],
        dataset_args={"arc": {"local_path": str(shared_data("arc")), "subset_list": ["ARC-Challenge"]}},
        limit=2,
        repeats=3,
        eval_batch_size=2,
        generation_config={"max_tokens": 16, "temperature": 0.0, "timeout": 120},
        work_dir=str(tmp_path),
        no_timestamp=True,
    )
    report = run_task(config, show_progress=False)["arc"]
    path = tmp_path / "predictions" / "smollm2" / "arc_ARC-Challenge.jsonl"
    predictions = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted((p["sample_id"], p["repeat"]) for p in predictions) == sorted(
        (sample, repeat) for sample in {p["sample_id"] for p in predictions} for repeat in range(3)
    )
    assert len(predictions) == 6 and all(
        "error" not in p["output"] and p["output"]["text"].strip() for p in predictions
    )
    assert report.counts.scored == 6 and report.timing.requests == 6  # one answer per request: n was ignored
