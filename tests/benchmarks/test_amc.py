"""AMC: the AMC 2023 file of Qwen2.5-Math as subset amc23, EvalScope's prompt, oracle runs on all 40."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of, write_jsonl
from tests.conftest import shared_data


def amc23_args() -> dict[str, Any]:
    return {"local_path": str(shared_data("aime")), "subset_list": ["amc23"]}


def records() -> list[dict[str, Any]]:
    path = shared_data("aime") / "amc23" / "test.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(tmp_path: Path, server: ServerConfig) -> Any:
    with run_server_in_thread(server) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["amc"],
            dataset_args={"amc": amc23_args()},
            eval_batch_size=64,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        return run_task(config, show_progress=False)["amc"]


def test_amc23_loads_40_records_with_float_answers_read_as_integers() -> None:
    samples = build_adapter("amc", amc23_args()).load()
    assert list(samples) == ["amc23"]
    assert len(samples["amc23"]) == 40
    assert samples["amc23"][0].id == "0" and samples["amc23"][0].target == "27"


def test_default_subsets_are_evalscopes_three_years() -> None:
    adapter = build_adapter("amc")
    assert adapter.meta.subset_list == ["amc22", "amc23", "amc24"]


def test_prompt_equals_evalscope() -> None:
    sample = build_adapter("amc", amc23_args()).load()["amc23"][0]
    assert prompt_of(sample) == (
        "Cities $A$ and $B$ are $45$ miles apart. Alicia lives in $A$ and Beth lives in $B$. Alicia bikes towards "
        "$B$ at 18 miles per hour. Leaving at the same time, Beth bikes toward $A$ at 12 miles per hour. How many "
        "miles from City $A$ will they be when they meet?\n"
        "Please reason step by step, and put your final answer within \\boxed{}."
    )


def test_gold_fixed_wrong_and_mixed_replies_on_the_full_set(tmp_path: Path) -> None:
    raw = records()
    golds = [f"{r['answer']:g}" for r in raw]
    gold_rules = [Rule(contains=r["problem"], reply=f"\\boxed{{{g}}}") for r, g in zip(raw, golds, strict=True)]
    gold = run(tmp_path / "gold", ServerConfig(rules=gold_rules))
    assert gold.counts.scored == 40 and gold.score == pytest.approx(1.0)
    wrong = run(tmp_path / "wrong", ServerConfig(default_reply="\\boxed{27}"))
    assert wrong.score == pytest.approx(sum(g == "27" for g in golds) / 40)
    right = [i % 5 < 2 for i in range(40)]
    rules = [
        Rule(contains=r["problem"], reply=f"\\boxed{{{g}}}" if ok else "\\boxed{-1}")
        for r, g, ok in zip(raw, golds, right, strict=True)
    ]
    mixed = run(tmp_path / "mixed", ServerConfig(rules=rules))
    assert mixed.score == pytest.approx(sum(right) / 40)


def test_hub_layout_reads_each_year_from_its_split(tmp_path: Path) -> None:
    row = {"problem": "1+1?", "answer": 2.0, "year": 2022, "url": "u"}
    write_jsonl(tmp_path / "repo" / "data" / "amc22.jsonl", [row])
    (tmp_path / "repo" / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: amc22\n    path: data/amc22.jsonl\n---\n"
    )
    adapter = build_adapter("amc", {"dataset_id": str(tmp_path / "repo"), "subset_list": ["amc22"]})
    samples = adapter.load()["amc22"]
    assert samples[0].target == "2" and samples[0].metadata["year"] == 2022
    assert adapter.data_sources[0].hub == "huggingface"
