"""Acceptance: every registered benchmark runs end to end through a real model with ``--limit 5``.

SmolLM2-135M-Instruct on a real ``transformers serve`` answers the first 5 items of each evaluated
subset. Each benchmark reads the real upstream files in ../shared/data where they exist, otherwise
the hand-written records of ``tests/benchmarks/fixtures.py`` (fewer than 5 items where those have
fewer). Default settings are kept except where a case says why; benchmarks with many subsets run one
or two. The model is weak and its replies are cut at ``MAX_TOKENS``, so scores are not asserted:
what is asserted is that every item got real text, every review a verdict, and every report
counts that add up with a score in [0, 1].

A benchmark registered without an entry in ``SMOKE_CASES`` fails here, so new benchmarks get one;
a multimodal one without an entry is skipped, with the reason (no vision-language model runs here).
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import get_benchmark_meta
from assay.config import safe_filename
from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread
from assay.report.model import Report
from tests.benchmarks import fixtures
from tests.benchmarks.helpers import builtin_benchmarks
from tests.conftest import shared_data
from tests.judge import test_simple_qa as simple_qa
from tests.real.transformers_server import TransformersServer

pytestmark = [pytest.mark.real_model, pytest.mark.slow]

LIMIT = 5
# Enough for a short multiple-choice reply; longer answers are cut (and reviewed as truncated).
MAX_TOKENS = 32
MODEL_ID = "smollm2"


@dataclass(frozen=True)
class SmokeCase:
    """How one benchmark is run in the smoke test."""

    dataset_args: Callable[[Path], dict[str, Any]]
    """The benchmark's ``dataset_args``, given an empty scratch folder to write records into."""
    items: dict[str, int]
    """Subset name -> number of items evaluated (``LIMIT``, or fewer where the data has fewer)."""
    judge_reply: str | None = None
    """For a judged benchmark: what the test server playing the judge always answers, in the
    benchmark's verdict format (the real model's answers are what this test is about; a real judge
    is exercised in test_real_judge.py)."""
    score_range: tuple[float, float] = (0.0, 1.0)
    """Where the benchmark's scores lie (MT-Bench rates 1 to 10)."""


def _upto_limit(records: int) -> int:
    return min(LIMIT, records)


def _shared(name: str, **args: Any) -> Callable[[Path], dict[str, Any]]:
    """dataset_args reading ../shared/data/<name> (the test skips when it is absent)."""
    return lambda _scratch: {"local_path": str(shared_data(name)), **args}


def _written(write: Callable[[Path], Path], **args: Any) -> Callable[[Path], dict[str, Any]]:
    """dataset_args reading the records ``write`` lays out in the scratch folder."""
    return lambda scratch: {"local_path": str(write(scratch)), **args}


def _gsm8k_with_train_split(scratch: Path) -> dict[str, Any]:
    # The shared copy has the test split only, and the default is 4-shot from train: the last
    # four test records stand in as train, far from the first five that are evaluated.
    test = shared_data("gsm8k") / "test.jsonl"
    folder = scratch / "gsm8k"
    folder.mkdir()
    shutil.copy(test, folder / "test.jsonl")
    last_four = test.read_text(encoding="utf-8").splitlines()[-4:]
    (folder / "train.jsonl").write_text("\n".join(last_four) + "\n", encoding="utf-8")
    return {"local_path": str(folder)}


SMOKE_CASES: dict[str, SmokeCase] = {
    "aime24": SmokeCase(lambda _: {"local_path": str(shared_data("aime") / "aime24")}, {"default": LIMIT}),
    "aime25": SmokeCase(lambda _: {"local_path": str(shared_data("aime") / "aime25")}, {"default": LIMIT}),
    # Only the 2023 problems are in shared data.
    "amc": SmokeCase(_shared("aime", subset_list=["amc23"]), {"amc23": LIMIT}),
    "arc": SmokeCase(_shared("arc"), {"ARC-Easy": LIMIT, "ARC-Challenge": LIMIT}),
    # Code benchmarks: the real model's code runs in the sandbox (bubblewrap; CI installs it).
    "humaneval": SmokeCase(_shared("humaneval"), {"openai_humaneval": LIMIT}),
    # The shared copy is the sanitized release file; the default 'full' subset comes from the hub.
    "mbpp": SmokeCase(_shared("mbpp", subset_list=["sanitized"]), {"sanitized": LIMIT}),
    # No LiveCodeBench data is shared: the hand-written problems of both releases (all 4 by default).
    "live_code_bench": SmokeCase(
        _written(fixtures.write_live_code_bench),
        {"release_latest": _upto_limit(len(fixtures.LCB_RELEASE_1) + len(fixtures.LCB_RELEASE_2))},
    ),
    # Judged benchmarks: the test server plays the judge with a fixed verdict.
    "alpaca_eval": SmokeCase(_shared("alpaca_eval"), {"default": LIMIT}, judge_reply="m"),
    "arena_hard": SmokeCase(_shared("arena_hard"), {"default": LIMIT}, judge_reply="My final verdict: [[A=B]]"),
    "arena_hard_v2": SmokeCase(
        _shared("arena_hard", subset_list=["hard_prompt"]), {"hard_prompt": LIMIT}, judge_reply="[[B>A]]"
    ),
    "mt_bench": SmokeCase(
        _shared("mt_bench", subset_list=["writing"]),
        {"writing": LIMIT},
        judge_reply="Rating: [[6]]",
        score_range=(1, 10),
    ),
    # The hand-written records of tests/judge/test_simple_qa.py (no SimpleQA data is shared).
    "simple_qa": SmokeCase(
        lambda scratch: {"local_path": str(simple_qa.write_simple_qa(scratch / "sqa", simple_qa.SIMPLE_QA_ROWS))},
        {"default": LIMIT},
        judge_reply="A",
    ),
    "chinese_simpleqa": SmokeCase(
        lambda scratch: {
            "local_path": str(simple_qa.write_chinese(scratch / "csqa", simple_qa.CHINESE_ROWS)),
            "subset_list": ["中华文化"],
        },
        {"中华文化": 3},
        judge_reply="A",
    ),
    # One multiple-choice and one free-form task, those with the shortest 3-shot prompts.
    "bbh": SmokeCase(
        _shared("bbh", subset_list=["date_understanding", "sports_understanding"]),
        {"date_understanding": LIMIT, "sports_understanding": LIMIT},
    ),
    "boolq": SmokeCase(_written(fixtures.write_boolq), {"default": _upto_limit(len(fixtures.BOOLQ_ROWS))}),
    "ceval": SmokeCase(
        _written(fixtures.write_ceval, subset_list=list(fixtures.CEVAL_VAL)),
        {subject: _upto_limit(len(rows)) for subject, rows in fixtures.CEVAL_VAL.items()},
    ),
    "cmmlu": SmokeCase(_shared("cmmlu", subset_list=["agronomy"]), {"agronomy": LIMIT}),
    "commonsense_qa": SmokeCase(
        _written(fixtures.write_commonsense_qa), {"default": _upto_limit(len(fixtures.COMMONSENSE_QA_ROWS))}
    ),
    # The shared simple-evals CSV has neither levels nor a train split: subset 'all', zero-shot.
    "competition_math": SmokeCase(_shared("math", subset_list=["all"], few_shot_num=0), {"all": LIMIT}),
    "drop": SmokeCase(_written(fixtures.write_drop), {"default": _upto_limit(len(fixtures.DROP_RECORDS))}),
    "general_mcq": SmokeCase(_written(fixtures.write_general_mcq), {"default": 2}),  # the fixture's two val rows
    "general_qa": SmokeCase(
        _written(fixtures.write_general_qa, subset_list=[fixtures.GENERAL_QA_SUBSET]),
        {fixtures.GENERAL_QA_SUBSET: _upto_limit(len(fixtures.GENERAL_QA_RECORDS))},
    ),
    "gpqa_diamond": SmokeCase(
        _written(fixtures.write_gpqa_diamond), {"default": _upto_limit(len(fixtures.GPQA_DIAMOND_ROWS))}
    ),
    "gsm8k": SmokeCase(_gsm8k_with_train_split, {"main": LIMIT}),
    "hellaswag": SmokeCase(_shared("hellaswag"), {"default": LIMIT}),
    # The upstream prompts (key, prompt, instruction_id_list, kwargs).
    "ifeval": SmokeCase(_shared("ifeval"), {"default": LIMIT}),
    "math_500": SmokeCase(_shared("math500", subset_list=["Level 1"]), {"Level 1": LIMIT}),
    "mmlu": SmokeCase(_shared("mmlu", subset_list=["abstract_algebra"]), {"abstract_algebra": LIMIT}),
    # The fixture has one validation example, so 1-shot instead of the default 5.
    "mmlu_pro": SmokeCase(
        _written(fixtures.write_mmlu_pro, subset_list=["math"], few_shot_num=1),
        {"math": _upto_limit(len(fixtures.MMLU_PRO_TEST_ROWS))},
    ),
    "mmlu_redux": SmokeCase(
        _written(fixtures.write_mmlu_redux, subset_list=["abstract_algebra"]),
        {"abstract_algebra": _upto_limit(len(fixtures.MMLU_REDUX_ROWS))},
    ),
    "piqa": SmokeCase(_written(fixtures.write_piqa), {"default": _upto_limit(len(fixtures.PIQA_ROWS))}),
    "race": SmokeCase(
        _written(fixtures.write_race),
        {subset: _upto_limit(len(rows)) for subset, rows in fixtures.RACE_TEST.items()},
    ),
    "sciq": SmokeCase(_written(fixtures.write_sciq), {"default": _upto_limit(len(fixtures.SCIQ_ROWS))}),
    "super_gpqa": SmokeCase(
        _written(fixtures.write_super_gpqa, subset_list=["Mechanics", "History"]), {"Mechanics": 2, "History": 1}
    ),
    "trivia_qa": SmokeCase(
        _written(fixtures.write_trivia_qa), {"rc.wikipedia": _upto_limit(len(fixtures.TRIVIA_QA_RECORDS))}
    ),
    "truthful_qa": SmokeCase(_shared("truthfulqa"), {"multiple_choice": LIMIT}),
    "winogrande": SmokeCase(
        _written(fixtures.write_winogrande), {"default": _upto_limit(len(fixtures.WINOGRANDE_ROWS))}
    ),
}

# Built-in modules only: other test modules register toy benchmarks while being collected.
REGISTERED = set(builtin_benchmarks())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("benchmark", sorted(REGISTERED | set(SMOKE_CASES)))
def test_benchmark_runs_through_a_real_model(benchmark: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    assert benchmark in REGISTERED, f"SMOKE_CASES names {benchmark}, which is not a registered benchmark"
    if benchmark not in SMOKE_CASES and "multimodal" in get_benchmark_meta(benchmark).tags:
        pytest.skip(
            f"{benchmark} needs a vision-language model and none can run here (SmolLM2 reads text only); its "
            "end-to-end test runs against the test server reading the pixels (tests/benchmarks)"
        )
    assert benchmark in SMOKE_CASES, f"add smoke data for {benchmark} to SMOKE_CASES in {Path(__file__).name}"
    case = SMOKE_CASES[benchmark]
    scratch = tmp_path / "data"
    scratch.mkdir()
    dataset_args = case.dataset_args(scratch)
    # Requested only now, so that a missing smoke case fails even where the real stack is absent.
    server: TransformersServer = request.getfixturevalue("real_server")
    judge_server = (
        run_server_in_thread(ServerConfig(default_reply=case.judge_reply, models=["judge"]))
        if case.judge_reply is not None
        else contextlib.nullcontext(None)
    )
    with judge_server as judge:
        report = _run(benchmark, server, dataset_args, tmp_path, judge)
    _check_outputs(benchmark, case, tmp_path, report)


def _run(
    benchmark: str, server: TransformersServer, dataset_args: dict[str, Any], tmp_path: Path, judge: ServerHandle | None
) -> Report:
    config = TaskConfig(
        model=server.model_name,
        model_id=MODEL_ID,
        api_url=server.base_url,
        datasets=[benchmark],
        dataset_args={benchmark: dataset_args},
        limit=LIMIT,
        eval_batch_size=2,
        generation_config={"max_tokens": MAX_TOKENS, "temperature": 0.0, "timeout": 300, "stream": True},
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
        judge={"models": [{"model_id": "judge", "api_url": judge.url}]} if judge is not None else None,
    )
    return run_task(config, show_progress=False)[benchmark]


def _check_outputs(benchmark: str, case: SmokeCase, tmp_path: Path, report: Report) -> None:
    out = tmp_path / "out"
    for subset, items in case.items.items():
        name = f"{benchmark}_{safe_filename(subset)}.jsonl"
        predictions = _read_jsonl(out / "predictions" / MODEL_ID / name)
        reviews = _read_jsonl(out / "reviews" / MODEL_ID / name)
        assert len(predictions) == len(reviews) == items, subset
        for record in predictions:
            output = record["output"]
            assert "error" not in output, output
            assert output["text"].strip(), f"empty reply in {subset}: {record}"
        for review in reviews:
            verdict = review["score"]
            assert verdict["status"] in ("scored", "excluded"), review
            if verdict["status"] == "excluded":
                assert verdict["reason"], review
    counts = report.counts
    assert counts.total == sum(case.items.values())
    assert counts.errored == 0 and counts.scored + counts.excluded == counts.total
    assert report.metrics, f"{counts.scored} items scored but the report has no metrics (score {report.score})"
    subsets = {s.name for c in report.metrics[0].categories for s in c.subsets}
    assert subsets <= set(case.items)
    low, high = case.score_range
    assert not math.isnan(report.score) and low <= report.score <= high
    for metric in report.metrics:
        assert not math.isnan(metric.score) and low <= metric.score <= high, metric.name
