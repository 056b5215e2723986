"""Behaviour every benchmark inherits from the adapter bases: loading, limits, shuffles, scoring flow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import MultipleChoiceAdapter, build_adapter, register_benchmark
from assay.errors import UserError
from assay.types import GenerateConfig, Sample, SampleStatus
from tests.benchmarks.helpers import prompt_of, score, scoring_fingerprint, toy_mcq_meta, write_jsonl

NAME = "toy_mcq_bases"


@register_benchmark(toy_mcq_meta(NAME))
class ToyMCQ(MultipleChoiceAdapter):
    local_only = True

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        return Sample(
            id=str(record.get("id") or f"{subset}-{index}"),
            input=record["question"],
            choices=list(record["options"]),
            target=record["answer"],
            subset=subset,
        )


def rows(count: int) -> list[dict[str, Any]]:
    return [{"question": f"Q{i}?", "options": ["a", "b", "c", "d"], "answer": "ABCD"[i % 4]} for i in range(count)]


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "default_test.jsonl", rows(10))
    return tmp_path


def build(toy_dir: Path, seed: int | None = None, **args: Any) -> Any:
    return build_adapter(NAME, {"local_path": str(toy_dir), **args}, seed=seed)


def test_limit_int_fraction_and_bad_values(toy_dir: Path) -> None:
    adapter = build(toy_dir)
    assert [s.id for s in adapter.load(limit=3)["default"]] == ["default-0", "default-1", "default-2"]
    assert len(adapter.load(limit=0.25)["default"]) == 2  # int(10 * 0.25), as EvalScope
    assert len(adapter.load(limit=1.0)["default"]) == 10
    assert len(adapter.load(limit=50)["default"]) == 10
    for bad in (0, -1, 1.5, True):
        with pytest.raises(UserError, match="limit"):
            adapter.load(limit=bad)


def test_shuffle_is_seeded_and_keeps_ids_from_the_file(toy_dir: Path) -> None:
    first = [s.id for s in build(toy_dir, seed=1, shuffle=True).load(limit=5)["default"]]
    again = [s.id for s in build(toy_dir, seed=1, shuffle=True).load(limit=5)["default"]]
    other = [s.id for s in build(toy_dir, seed=2, shuffle=True).load(limit=5)["default"]]
    assert first == again != other
    assert first != [f"default-{i}" for i in range(5)]
    sample = next(s for s in build(toy_dir, seed=1, shuffle=True).load()["default"] if s.id == "default-3")
    assert "Q3?" in prompt_of(sample)


def test_shuffle_choices_permutes_like_evalscope_and_remaps_the_target(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "default_test.jsonl",
        [{"question": "Which is red?", "options": ["sky", "apple", "grass", "coal"], "answer": "B"}],
    )
    # EvalScope 1.14.1 MemoryDataset.shuffle_choices(seed=7) / (seed=42) on the same sample.
    by_int = build(tmp_path, shuffle_choices=7).load()["default"][0]
    assert (by_int.choices, by_int.target) == (["apple", "grass", "sky", "coal"], "A")
    by_run_seed = build(tmp_path, seed=42, shuffle_choices=True).load()["default"][0]
    assert (by_run_seed.choices, by_run_seed.target) == (["apple", "sky", "grass", "coal"], "A")
    assert "A) apple\nB) sky" in prompt_of(by_run_seed)


def test_system_prompt_comes_first(toy_dir: Path) -> None:
    sample = build(toy_dir, system_prompt="You are a careful grader.").load(limit=1)["default"][0]
    assert [m.role for m in sample.input] == ["system", "user"]
    assert sample.input[0].content == "You are a careful grader."


def test_few_shot_without_a_train_file_tells_how_to_fix(toy_dir: Path) -> None:
    with pytest.raises(UserError, match=r"no 'train' split .*set few_shot_num to 0 in dataset_args"):
        build(toy_dir, few_shot_num=2).load()
    write_jsonl(toy_dir / "default_train.jsonl", rows(1))
    with pytest.raises(UserError, match="has only 1 examples for 2-shot prompts"):
        build(toy_dir, few_shot_num=2).load()


def test_few_shot_random_draws_seeded_examples(toy_dir: Path) -> None:
    write_jsonl(toy_dir / "default_train.jsonl", rows(8))
    fixed = prompt_of(build(toy_dir, few_shot_num=2).load(limit=1)["default"][0])
    assert fixed.index("Q0?") < fixed.index("Q1?")
    drawn = prompt_of(build(toy_dir, seed=5, few_shot_num=2, few_shot_random=True).load(limit=1)["default"][0])
    assert drawn == prompt_of(build(toy_dir, seed=5, few_shot_num=2, few_shot_random=True).load(limit=1)["default"][0])
    assert drawn != fixed


def test_missing_files_and_duplicate_ids_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no 'test' split for subset 'default' .*looked for default/test.jsonl"):
        build(tmp_path).load()
    write_jsonl(tmp_path / "default_test.jsonl", [{**rows(1)[0], "id": "x"}, {**rows(2)[1], "id": "x"}])
    with pytest.raises(UserError, match="sample id 'x' appears twice"):
        build(tmp_path).load()


def test_a_single_file_local_path_is_the_eval_split(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mine.jsonl", rows(2))
    assert len(build(path).load()["default"]) == 2


def test_score_flow_error_think_filters_and_truncation(toy_dir: Path) -> None:
    adapter = build(toy_dir)
    sample = adapter.load(limit=1)["default"][0]  # gold A
    assert score(adapter, sample, "ANSWER: A").value == {"acc": 1.0}
    assert score(adapter, sample, "<think>ANSWER: B</think>ANSWER: A").extracted == "A"
    cut = score(adapter, sample, "<think>it is A")
    assert (cut.truncated, cut.extracted, cut.value) == (True, None, {"acc": 0.0})
    errored = score(adapter, sample, error="timeout")
    assert (errored.status, errored.reason, errored.value) == (SampleStatus.ERRORED, "timeout", {})
    filtered = build(toy_dir, filters={"regex": {"regex_pattern": r"Final: ([A-D])"}})
    assert score(filtered, sample, "ANSWER: B ... Final: A").extracted == "A"


def test_scoring_fingerprint_changes_only_with_scoring(toy_dir: Path) -> None:
    base = scoring_fingerprint(build(toy_dir))
    assert re.fullmatch(r"[0-9a-f]{20}", base)
    assert scoring_fingerprint(build(toy_dir, system_prompt="x", few_shot_num=0)) == base
    assert scoring_fingerprint(build(toy_dir, filters={"remove_until": "x"})) != base
    assert scoring_fingerprint(build(toy_dir, metric_list=["multi_choice_acc"])) != base


def test_generate_config_defaults_to_the_users(toy_dir: Path) -> None:
    config = GenerateConfig(max_tokens=8)
    assert build(toy_dir).generate_config(config) is config
