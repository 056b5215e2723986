"""LiveCodeBench: EvalScope's meta and prompts, the hub repo's release files, both test encodings, date windows."""

from __future__ import annotations

import json
import pickle
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter, get_benchmark_meta
from assay.benchmarks.live_code_bench import decode_private_tests, release_files
from assay.errors import UserError
from assay.types import Sample
from tests.benchmarks.fixtures import LCB_RELEASE_1, LCB_RELEASE_2, lcb_private_tests, write_live_code_bench
from tests.benchmarks.helpers import prompt_of, write_jsonl

# EvalScope 1.14.1's live_code_bench subset_list, in its order.
EVALSCOPE_SUBSETS = [
    "release_latest", "release_v1", "release_v2", "release_v3", "release_v4", "release_v5", "release_v6",
    "v1", "v1_v2", "v1_v3", "v1_v4", "v1_v5", "v1_v6", "v2", "v2_v3", "v2_v4", "v2_v5", "v2_v6",
    "v3", "v3_v4", "v3_v5", "v3_v6", "v4", "v4_v5", "v4_v6", "v5", "v5_v6", "v6",
]  # fmt: skip
# EvalScope 1.14.1's user message for LCB_RELEASE_1[0] (load_utils.transform + the adapter's template).
EVALSCOPE_STDIN_PROMPT = (
    "### Question:\nRead N and then N integers; print their sum.\n\n### Format: Read the inputs from stdin solve "
    "the problem and write the answer to stdout (do not directly test on the sample inputs). Enclose your code "
    "within delimiters as follows.\n```python\n# YOUR CODE HERE\n```\n\n ### Answer: (use the provided format with "
    "backticks)\n\n"
)
# ... and for LCB_RELEASE_1[1], which has starter code.
EVALSCOPE_STARTER_PROMPT_TAIL = (
    "### Format: You will use the following starter code to write the solution to the problem and enclose your "
    "code within delimiters.\n```python\nclass Solution:\n    def twoSum(self, nums: List[int], target: int) -> "
    "List[int]:\n        \n```\n\n ### Answer: (use the provided format with backticks)\n\n"
)
ALL_IDS = ["lcb_sum", "lcb_twosum", "lcb_max", "lcb_reverse"]


def load(folder: Path, subset: str = "release_latest", **args: Any) -> list[Sample]:
    return build_adapter("live_code_bench", {"local_path": str(folder), "subset_list": [subset], **args}).load()[subset]


def ids(samples: list[Sample]) -> list[str]:
    return [s.id for s in samples]


def test_meta_matches_evalscope() -> None:
    meta = get_benchmark_meta("live_code_bench")
    assert (meta.pretty_name, meta.eval_split, meta.few_shot_num) == ("Live-Code-Bench", "test", 0)
    assert meta.available_subsets == EVALSCOPE_SUBSETS
    assert meta.subset_list == ["release_latest"]  # EvalScope evaluates all 28 (overlapping) subsets
    assert (meta.dataset_id, meta.modelscope_dataset_id) == (
        "livecodebench/code_generation_lite",
        "evalscope/livecodebench_code_generation_lite_parquet",
    )
    assert (meta.metric_list, meta.aggregation, meta.scorers) == (["acc"], "mean_and_pass_at_k", {"acc": "lcb_exec"})
    assert meta.prompt_template == (
        "### Question:\n{question_content}\n\n{format_prompt} ### Answer: (use the provided format with backticks)\n\n"
    )
    assert meta.system_prompt is not None and meta.system_prompt.startswith("You are an expert Python programmer.")
    assert meta.extra_params == {"start_date": None, "end_date": None, "debug": False}
    (scorer,) = build_adapter("live_code_bench").build_scorers()
    assert scorer.settings()["timeout_s"] == 6.0


def test_prompts_are_evalscope_s(tmp_path: Path) -> None:
    samples = {s.id: s for s in load(write_live_code_bench(tmp_path), "release_v1")}
    stdin, leetcode = samples["lcb_sum"], samples["lcb_twosum"]
    assert prompt_of(stdin) == EVALSCOPE_STDIN_PROMPT
    assert prompt_of(leetcode).endswith(EVALSCOPE_STARTER_PROMPT_TAIL)
    assert isinstance(stdin.input, list) and stdin.input[0].role == "system"
    assert stdin.input[0].content == get_benchmark_meta("live_code_bench").system_prompt


@pytest.mark.parametrize(
    ("subset", "expected"),
    [
        ("release_v1", ALL_IDS[:2]),
        ("release_v2", ALL_IDS),
        ("release_latest", ALL_IDS),
        ("v1", ALL_IDS[:2]),
        ("v2", ALL_IDS[2:]),
        ("v1_v2", ALL_IDS),
    ],
)
def test_subsets_are_the_hub_repo_s_release_files(subset: str, expected: list[str], tmp_path: Path) -> None:
    assert ids(load(write_live_code_bench(tmp_path), subset)) == expected


def test_release_files_cover_every_subset() -> None:
    names = {s: [f.path.name for f in release_files(Path("d"), s, "test")] for s in ("release_v3", "v4", "v2_v5")}
    parts = {s: [p.name for p in release_files(Path("d"), s, "test")[0].parts] for s in names}
    assert names == {"release_v3": ["test.jsonl"], "v4": ["test4.jsonl"], "v2_v5": ["test2.jsonl"]}
    assert parts == {
        "release_v3": ["test2.jsonl", "test3.jsonl"],
        "v4": [],
        "v2_v5": ["test3.jsonl", "test4.jsonl", "test5.jsonl"],
    }


def test_both_private_test_encodings_give_evalscope_s_evaluation_sample(tmp_path: Path) -> None:
    samples = {s.id: s for s in load(write_live_code_bench(tmp_path))}
    assert json.loads(samples["lcb_sum"].metadata["tests"]) == {  # private tests as JSON text
        "inputs": ["3\n1 2 3\n", "1\n-5\n", "4\n10 20 30 40\n"],
        "outputs": ["6\n", "-5\n", "100\n"],
        "fn_name": None,
    }
    assert json.loads(samples["lcb_twosum"].metadata["tests"]) == {  # base64(zlib(pickle(JSON)))
        "inputs": ["[2, 7, 11, 15]\n9", "[3, 2, 4]\n6", "[3, 3]\n6"],
        "outputs": ["[0, 1]", "[1, 2]", "[0, 1]"],
        "fn_name": "twoSum",
    }
    assert samples["lcb_max"].metadata["test_count"] == 2
    assert set(samples["lcb_max"].metadata) == {"tests", "test_count", "format_prompt"}


def test_a_pickle_that_is_not_a_plain_string_is_refused() -> None:
    import base64
    import zlib

    hostile = base64.b64encode(zlib.compress(pickle.dumps(Path("x")))).decode()
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        decode_private_tests(hostile)
    assert decode_private_tests(lcb_private_tests([{"input": "1", "output": "2"}], compressed=True)) == [
        {"input": "1", "output": "2"}
    ]
    assert decode_private_tests("") == []


def test_hub_style_folders_and_parquet_with_timestamps_load(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    write_jsonl(tmp_path / "release_v2" / "test.jsonl", LCB_RELEASE_1 + LCB_RELEASE_2)
    assert ids(load(tmp_path, "release_v2")) == ALL_IDS
    rows = [dict(r, contest_date=date.fromisoformat(r["contest_date"][:10])) for r in LCB_RELEASE_2]
    (tmp_path / "v2").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "v2" / "test.parquet")
    assert ids(load(tmp_path, "v2", extra_params={"start_date": "2024-05-01"})) == ["lcb_reverse"]


def test_a_missing_release_file_is_named(tmp_path: Path) -> None:
    folder = write_live_code_bench(tmp_path)
    with pytest.raises(UserError, match=r"test\.jsonl, test2\.jsonl, test3\.jsonl .* but test3\.jsonl is missing"):
        load(folder, "release_v3")
    with pytest.raises(UserError, match=r"no 'test' split for subset 'v3' .*looked for test3\.jsonl"):
        load(folder, "v3")


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"start_date": "2024-01-01"}, ALL_IDS[2:]),
        ({"end_date": "2023-06-30"}, ALL_IDS[:1]),
        ({"start_date": "2023-07-01", "end_date": "2024-05-05"}, ["lcb_twosum", "lcb_max", "lcb_reverse"]),
        # The end is midnight at the start of that day (lcb_runner, EvalScope): lcb_max is at 12:00.
        ({"end_date": "2024-04-10"}, ALL_IDS[:2]),
        ({"start_date": date(2024, 5, 5)}, ["lcb_reverse"]),  # an unquoted YAML date
    ],
)
def test_date_windows_keep_problems_by_contest_date(
    window: dict[str, Any], expected: list[str], tmp_path: Path
) -> None:
    assert ids(load(write_live_code_bench(tmp_path), extra_params=window)) == expected


def test_the_date_window_is_applied_before_the_limit(tmp_path: Path) -> None:
    adapter = build_adapter(
        "live_code_bench",
        {"local_path": str(write_live_code_bench(tmp_path)), "extra_params": {"start_date": "2024-01-01"}},
    )
    assert ids(adapter.load(limit=1)["release_latest"]) == ["lcb_max"]


@pytest.mark.parametrize(
    ("extra_params", "message"),
    [
        ({"start_date": "2024/01/01"}, "extra_params.start_date for live_code_bench must be a date as YYYY-MM-DD"),
        ({"end_date": "soon"}, "extra_params.end_date for live_code_bench must be a date as YYYY-MM-DD"),
        ({"start_date": "2025-01-01", "end_date": "2024-01-01"}, "start_date (2025-01-01) of live_code_bench is after"),
        ({"start_dat": "2024-01-01"}, "unknown extra_params key 'start_dat' for live_code_bench"),
    ],
)
def test_bad_date_parameters_are_one_line_user_errors(extra_params: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)) as caught:
        build_adapter("live_code_bench", {"extra_params": extra_params})
    assert "\n" not in str(caught.value)


def test_a_window_that_keeps_nothing_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="none of the 4 records of subset 'release_latest'"):
        load(write_live_code_bench(tmp_path), extra_params={"start_date": "2030-01-01"})


def test_problems_without_tests_or_with_unreadable_tests_are_refused(tmp_path: Path) -> None:
    broken = dict(LCB_RELEASE_1[0], private_test_cases="not base64 at all!")
    write_jsonl(tmp_path / "a" / "test.jsonl", [broken])
    with pytest.raises(UserError, match="problem 'lcb_sum': unreadable test cases"):
        load(tmp_path / "a", "v1")
    empty = dict(LCB_RELEASE_1[0], public_test_cases="[]", private_test_cases="[]")
    write_jsonl(tmp_path / "b" / "test.jsonl", [empty])
    with pytest.raises(UserError, match="problem 'lcb_sum' has no test cases"):
        load(tmp_path / "b", "v1")


def test_example_record_decodes_and_renders() -> None:
    meta = get_benchmark_meta("live_code_bench")
    assert meta.example is not None
    sample = build_adapter("live_code_bench").prompted_sample(meta.example.record, subset="release_v1")
    assert json.loads(sample.metadata["tests"])["inputs"] == ["5\nTTAAT\n", "1\nA\n", "4\nATTA\n"]
    assert prompt_of(sample).startswith("### Question:\nTakahashi and Aoki played N games.")
