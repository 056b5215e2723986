"""MBPP: the sanitized release file's test split, EvalScope's 3-shot prompt, executed verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import BenchmarkAdapter, build_adapter, get_benchmark_meta
from assay.cli.main import main
from assay.errors import UserError
from tests.benchmarks.helpers import prompt_of
from tests.benchmarks.test_humaneval import sandbox_context, score_reply  # noqa: F401  (fixture)
from tests.conftest import shared_data

# EvalScope 1.14.1: PROMPT.format(...) for sanitized task 11 (FEWSHOT_PROMPT checked the same way, below).
EVALSCOPE_0SHOT_TASK_11 = (
    "You are an expert Python programmer, and here is your task: Write a python function to remove first and "
    "last occurrence of a given character from the string. Your code should pass these tests:\n\n"
    'assert remove_Occ("hello","l") == "heo"\nassert remove_Occ("abcda","a") == "bcd"\n'
    'assert remove_Occ("PHP","P") == "H"'
)
# EvalScope 1.14.1's FEWSHOT_PROMPT for the same task: its fixed examples end like this.
EVALSCOPE_3SHOT_TAIL = (
    "  largest_nums = hq.nlargest(n, nums)\r\n  return largest_nums\n[DONE]\n" + EVALSCOPE_0SHOT_TASK_11 + "\n[BEGIN]\n"
)


def _records() -> list[dict[str, Any]]:
    return list(json.loads((shared_data("mbpp") / "sanitized-mbpp.json").read_text()))


@pytest.fixture(scope="module")
def sanitized() -> tuple[BenchmarkAdapter, dict[str, Any]]:
    args = {"local_path": str(shared_data("mbpp")), "subset_list": ["sanitized"]}
    adapter = build_adapter("mbpp", args)
    return adapter, {s.id: s for s in adapter.load()["sanitized"]}


def test_meta_matches_evalscope() -> None:
    meta = get_benchmark_meta("mbpp")
    assert (meta.dataset_id, meta.subset_list, meta.eval_split, meta.few_shot_num) == (
        "google-research-datasets/mbpp",
        ["full"],
        "test",
        3,
    )
    assert (meta.aggregation, meta.scorers) == ("mean_and_pass_at_k", {"acc": "code_exec"})


def test_release_file_holds_427_problems_of_which_the_257_test_ids_are_evaluated(sanitized: Any) -> None:
    _, samples = sanitized
    records = _records()
    assert len(records) == 427
    assert len(samples) == 257 == get_benchmark_meta("mbpp").sample_counts["sanitized"]
    assert {int(s) for s in samples} == {r["task_id"] for r in records if 11 <= r["task_id"] <= 510}
    assert not {"2", "3", "4"} & set(samples)  # the few-shot examples are never evaluated


def test_sample_fields_come_from_the_sanitized_schema(sanitized: Any) -> None:
    _, samples = sanitized
    record = next(r for r in _records() if r["task_id"] == 82)
    sample = samples["82"]
    assert sample.target == record["code"]
    assert sample.metadata == {"task_id": 82, "test_list": record["test_list"], "test_setup_code": "import math"}


def test_prompts_equal_evalscope_zero_and_three_shot(sanitized: Any) -> None:
    _, samples = sanitized
    assert prompt_of(samples["11"]).endswith(EVALSCOPE_3SHOT_TAIL)
    assert prompt_of(samples["11"]).startswith(
        "You are an expert Python programmer, and here is your task: Write a function to find the similar"
    )
    zero = build_adapter(
        "mbpp", {"local_path": str(shared_data("mbpp")), "subset_list": ["sanitized"], "few_shot_num": 0}
    )
    assert prompt_of(zero.load(limit=1)["sanitized"][0]) == EVALSCOPE_0SHOT_TASK_11


def test_few_shot_num_other_than_0_or_3_is_refused() -> None:
    with pytest.raises(UserError, match="few_shot_num 0 or 3"):
        build_adapter("mbpp", {"few_shot_num": 1})


def test_full_set_reads_the_text_and_setup_code_columns(tmp_path: Path) -> None:
    rows = [
        {"task_id": 5, "text": "prompt split", "code": "", "test_list": [], "test_setup_code": ""},
        {
            "task_id": 11,
            "text": "Write f.",
            "code": "def f():\n    return X",
            "test_list": ["assert f() == 1"],
            "test_setup_code": "X = 1",
            "challenge_test_list": [],
        },
    ]
    (tmp_path / "mbpp.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    samples = build_adapter("mbpp", {"local_path": str(tmp_path), "few_shot_num": 0}).load()["full"]
    assert [s.id for s in samples] == ["11"]
    assert samples[0].metadata["test_setup_code"] == "X = 1" and samples[0].input[-1].content.startswith(
        "You are an expert Python programmer, and here is your task: Write f."
    )


@pytest.mark.parametrize("task_id", ["11", "12", "82", "100", "479"])
def test_reference_code_passes(task_id: str, sanitized: Any, sandbox_context: Any) -> None:  # noqa: F811
    adapter, samples = sanitized
    sample = samples[task_id]
    verdict = score_reply(adapter, sample, f"{sample.target}\n[DONE]", sandbox_context)
    assert verdict.value == {"acc": 1.0}, verdict.details


def test_wrong_code_fails_and_a_syntax_error_is_its_own_class(sanitized: Any, sandbox_context: Any) -> None:  # noqa: F811
    adapter, samples = sanitized
    wrong = score_reply(adapter, samples["11"], "def remove_Occ(s, ch):\n    return s\n[DONE]", sandbox_context)
    assert wrong.value == {"acc": 0.0} and wrong.explanation == "failed"
    broken = score_reply(adapter, samples["11"], "```python\ndef remove_Occ(s, ch)\n    return s\n```", sandbox_context)
    assert broken.value == {"acc": 0.0} and broken.explanation == "syntax_error"


def test_models_own_failing_asserts_are_cut_before_running(sanitized: Any, sandbox_context: Any) -> None:  # noqa: F811
    adapter, samples = sanitized
    sample = samples["12"]
    reply = f"```python\n{sample.target}\nassert sort_matrix([]) == [1]\n```"
    assert score_reply(adapter, sample, reply, sandbox_context).value == {"acc": 1.0}


def test_benchmark_info_renders_the_card(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark-info", "mbpp"]) == 0
    out = capsys.readouterr().out
    assert (
        "license: CC-BY-4.0" in out
        and "samples: 500 (test split, full 500)" in out
        and "other subsets: sanitized 257" in out
    )
    assert "def sort_matrix" not in out.split("\nexample (", 1)[1].split("\ntarget: ", 1)[0]
