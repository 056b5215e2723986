"""MMLU: 57 subjects, EvalScope's category map, 5-shot from dev, header-less upstream CSVs."""

from __future__ import annotations

import collections
from pathlib import Path

from assay.benchmarks import build_adapter, get_benchmark_meta
from tests.benchmarks.helpers import prompt_of, score, write_jsonl
from tests.conftest import shared_data

# EvalScope 1.14.1: prompt(question, choices, FEW_SHOT_TEMPLATE + SINGLE_ANSWER_COT, fewshot=...) with the
# five abstract_algebra dev examples rendered by format_example(), for the first abstract_algebra test item.
EVALSCOPE_5SHOT_ABSTRACT_ALGEBRA = (
    "Here are some examples of how to answer similar questions:\n\n"
    "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA) 0\nB) 1\nC) 2\nD) 3\nANSWER: B\n\n"
    "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are "
    "subgroups of G then HK is a subgroup of G.\nA) True, True\nB) False, False\nC) True, False\nD) False, True"
    "\nANSWER: B\n\n"
    "Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | The "
    "symmetric group S_10 has 10 elements.\nA) True, True\nB) False, False\nC) True, False\nD) False, True\n"
    "ANSWER: C\n\n"
    "Statement 1| Every function from a finite set onto itself must be one to one. Statement 2 | Every "
    "subgroup of an abelian group is abelian.\nA) True, True\nB) False, False\nC) True, False\nD) False, True\n"
    "ANSWER: A\n\n"
    "Find the characteristic of the ring 2Z.\nA) 0\nB) 3\nC) 12\nD) 30\nANSWER: A\n\n"
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D. Think step by step before "
    "answering.\n\n"
    "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n\n"
    "A) 0\nB) 4\nC) 2\nD) 6"
)
EVALSCOPE_0SHOT_ABSTRACT_ALGEBRA = EVALSCOPE_5SHOT_ABSTRACT_ALGEBRA[
    EVALSCOPE_5SHOT_ABSTRACT_ALGEBRA.index("Answer the") :
]


def test_category_map_is_evalscopes() -> None:
    meta = get_benchmark_meta("mmlu")
    assert len(meta.subset_list) == 57 and meta.subset_list == sorted(meta.subset_list)
    assert collections.Counter(meta.category_map.values()) == {
        "STEM": 18,
        "Humanities": 13,
        "Social Science": 12,
        "Other": 14,
    }
    assert meta.category_map["professional_accounting"] == "Other"
    assert meta.category_map["high_school_geography"] == "Social Science"
    assert (meta.few_shot_num, meta.train_split, meta.eval_split) == (5, "dev", "test")


def test_full_upstream_test_split_with_five_shot_dev_prompts() -> None:
    root = shared_data("mmlu")
    samples = build_adapter("mmlu", dataset_dir=root.parent).load()
    assert len(samples) == 57 and sum(len(v) for v in samples.values()) == 14042
    first = samples["abstract_algebra"][0]
    assert (first.id, first.target, first.choices) == ("abstract_algebra-0", "B", ["0", "4", "2", "6"])
    assert prompt_of(first) == EVALSCOPE_5SHOT_ABSTRACT_ALGEBRA
    assert len(samples["professional_law"]) == 1534


def test_zero_shot_and_limit_per_subject() -> None:
    root = shared_data("mmlu")
    adapter = build_adapter(
        "mmlu", {"few_shot_num": 0, "subset_list": ["abstract_algebra", "anatomy"]}, dataset_dir=root.parent
    )
    samples = adapter.load(limit=3)
    assert {k: [s.id for s in v] for k, v in samples.items()} == {
        "abstract_algebra": ["abstract_algebra-0", "abstract_algebra-1", "abstract_algebra-2"],
        "anatomy": ["anatomy-0", "anatomy-1", "anatomy-2"],
    }
    assert prompt_of(samples["abstract_algebra"][0]) == EVALSCOPE_0SHOT_ABSTRACT_ALGEBRA


def test_hub_style_records_with_choice_list_and_integer_answer(tmp_path: Path) -> None:
    rows = [{"question": "2+2?", "subject": "anatomy", "choices": ["3", "4", "5", "6"], "answer": 1}]
    write_jsonl(tmp_path / "anatomy" / "test.jsonl", rows)
    write_jsonl(tmp_path / "anatomy" / "dev.jsonl", rows * 5)
    adapter = build_adapter("mmlu", {"local_path": str(tmp_path), "subset_list": ["anatomy"], "few_shot_num": 1})
    sample = adapter.load()["anatomy"][0]
    assert sample.target == "B"
    assert prompt_of(sample).startswith(
        "Here are some examples of how to answer similar questions:\n\n2+2?\nA) 3\nB) 4\nC) 5\nD) 6\nANSWER: B\n\n"
    )
    assert score(adapter, sample, "4 is B.\nANSWER: B").value == {"acc": 1.0}
