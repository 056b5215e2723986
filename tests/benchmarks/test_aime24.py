"""AIME 2024: the Qwen2.5-Math file, EvalScope's prompt, integer-only scoring, oracle runs on all 30.

The checks are functions of the benchmark name so ``test_aime25`` runs the same ones on its set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.types import SampleStatus
from tests.benchmarks.helpers import prompt_of, score, write_jsonl
from tests.conftest import shared_data


def aime_records(name: str) -> list[dict[str, Any]]:
    path = shared_data("aime") / name / "test.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_aime(name: str, tmp_path: Path, server: ServerConfig) -> Any:
    with run_server_in_thread(server) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=[name],
            dataset_args={name: {"local_path": str(shared_data("aime") / name)}},
            eval_batch_size=64,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        return run_task(config, show_progress=False)[name]


def check_full_set_loads(name: str, first_id: str) -> None:
    samples = build_adapter(name, {"local_path": str(shared_data("aime") / name)}).load()["default"]
    assert len(samples) == 30
    assert samples[0].id == first_id
    assert [s.target for s in samples] == [r["answer"] for r in aime_records(name)]


def check_prompt_equals_evalscope(name: str) -> None:
    sample = build_adapter(name, {"local_path": str(shared_data("aime") / name)}).load()["default"][0]
    # EvalScope 1.14.1 aime PROMPT_TEMPLATE: a triple-quoted string that starts with a newline.
    expected = (
        "\nSolve the following math problem step by step. Put your answer inside \\boxed{}.\n"
        + aime_records(name)[0]["problem"]
        + "\nRemember to put your answer inside \\boxed{}."
    )
    assert prompt_of(sample) == expected


def check_oracles(name: str, tmp_path: Path) -> None:
    raw = aime_records(name)
    gold_rules = [Rule(contains=r["problem"], reply=f"\\boxed{{{r['answer']}}}") for r in raw]
    gold = run_aime(name, tmp_path / "gold", ServerConfig(rules=gold_rules))
    assert gold.counts.scored == 30 and gold.score == pytest.approx(1.0)
    wrong = run_aime(name, tmp_path / "wrong", ServerConfig(default_reply="The answer is \\boxed{1000}."))
    assert wrong.counts.scored == 30 and wrong.score == 0.0
    right = [i % 3 == 0 for i in range(30)]
    rules = [
        Rule(contains=r["problem"], reply=f"\\boxed{{{r['answer'] if ok else int(r['answer']) + 1}}}")
        for r, ok in zip(raw, right, strict=True)
    ]
    mixed = run_aime(name, tmp_path / "mixed", ServerConfig(rules=rules))
    assert mixed.score == pytest.approx(sum(right) / 30)


def test_full_set_loads_30_records_with_ids_and_answers() -> None:
    check_full_set_loads("aime24", first_id="60")


def test_prompt_equals_evalscope() -> None:
    check_prompt_equals_evalscope("aime24")


def test_gold_fixed_wrong_and_mixed_replies_on_the_full_set(tmp_path: Path) -> None:
    check_oracles("aime24", tmp_path)


def test_hub_solution_only_record_takes_the_boxed_answer(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "test.jsonl", [{"id": 0, "problem": "P?", "solution": "\\boxed{204}"}])
    assert build_adapter("aime24", {"local_path": str(tmp_path)}).load()["default"][0].target == "204"


def test_only_integer_literals_count_and_a_non_integer_gold_is_excluded(tmp_path: Path) -> None:
    rows = [{"problem": "P?", "answer": "204"}, {"problem": "Q?", "solution": "\\boxed{1/2}"}]
    write_jsonl(tmp_path / "test.jsonl", rows)
    adapter = build_adapter("aime24", {"local_path": str(tmp_path)})
    integer, fraction = adapter.load()["default"]
    assert score(adapter, integer, "\\boxed{204}").value == {"acc": 1.0}
    assert score(adapter, integer, "\\boxed{204.0}").value == {"acc": 1.0}
    assert score(adapter, integer, "\\boxed{\\frac{408}{2}}").value == {"acc": 0.0}
    assert fraction.target == "1/2"
    assert score(adapter, fraction, "\\boxed{1/2}").status is SampleStatus.EXCLUDED
