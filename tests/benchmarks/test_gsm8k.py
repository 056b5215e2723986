"""GSM8K: upstream files, EvalScope's prompts (0- and 4-shot), math scoring end to end."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from assay.benchmarks import BenchmarkAdapter, build_adapter
from assay.errors import UserError
from assay.types import Sample, SampleStatus
from tests.benchmarks.helpers import prompt_of, score, scoring_fingerprint, write_jsonl
from tests.conftest import shared_data

# EvalScope 1.14.1: PROMPT_TEMPLATE.format(question=...) for the first test record.
EVALSCOPE_0SHOT_FIRST = (
    "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her "
    "friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck "
    "egg. How much in dollars does she make every day at the farmers' market?\n"
    "Please reason step by step, and put your final answer within \\boxed{}."
)

# EvalScope 1.14.1: FEWSHOT_TEMPLATE with sample_to_fewshot() of test records 1-4 used as the train split.
EVALSCOPE_4SHOT_FIRST = (
    "Here are some examples of how to solve similar problems:\n\n"
    "A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?"
    "\n\nReasoning:\nIt takes 2/2=<<2/2=1>>1 bolt of white fiber\nSo the total amount of fabric is "
    "2+1=<<2+1=3>>3 bolts of fabric\n\nANSWER: \\boxed{3}\n\n"
    "Josh decides to try flipping a house.  He buys a house for $80,000 and then puts in $50,000 in repairs.  "
    "This increased the value of the house by 150%.  How much profit did he make?\n\nReasoning:\n"
    "The cost of the house and repairs came out to 80,000+50,000=$<<80000+50000=130000>>130,000\n"
    "He increased the value of the house by 80,000*1.5=<<80000*1.5=120000>>120,000\n"
    "So the new value of the house is 120,000+80,000=$<<120000+80000=200000>>200,000\n"
    "So he made a profit of 200,000-130,000=$<<200000-130000=70000>>70,000\n\nANSWER: \\boxed{70000}\n\n"
    "James decides to run 3 sprints 3 times a week.  He runs 60 meters each sprint.  How many total meters "
    "does he run a week?\n\nReasoning:\nHe sprints 3*3=<<3*3=9>>9 times\nSo he runs 9*60=<<9*60=540>>540 "
    "meters\n\nANSWER: \\boxed{540}\n\n"
    "Every day, Wendi feeds each of her chickens three cups of mixed chicken feed, containing seeds, mealworms "
    "and vegetables to help keep them healthy.  She gives the chickens their feed in three separate meals. In "
    "the morning, she gives her flock of chickens 15 cups of feed.  In the afternoon, she gives her chickens "
    "another 25 cups of feed.  How many cups of feed does she need to give her chickens in the final meal of "
    "the day if the size of Wendi's flock is 20 chickens?\n\nReasoning:\nIf each chicken eats 3 cups of feed "
    "per day, then for 20 chickens they would need 3*20=<<3*20=60>>60 cups of feed per day.\nIf she feeds the "
    "flock 15 cups of feed in the morning, and 25 cups in the afternoon, then the final meal would require "
    "60-15-25=<<60-15-25=20>>20 cups of chicken feed.\n\nANSWER: \\boxed{20}\n\n" + EVALSCOPE_0SHOT_FIRST
)


def test_full_test_split_loads_with_stable_ids_targets_and_evalscope_prompt() -> None:
    root = shared_data("gsm8k")
    samples = build_adapter("gsm8k", {"few_shot_num": 0, "local_path": str(root)}).load()["main"]
    assert len(samples) == 1319
    assert [s.id for s in samples[:3]] == ["main-0", "main-1", "main-2"]
    assert samples[0].target == "18" and samples[1].target == "3"
    assert prompt_of(samples[0]) == EVALSCOPE_0SHOT_FIRST
    assert [m.role for m in samples[0].input] == ["user"]


def test_socratic_subset_reads_the_upstream_socratic_file() -> None:
    root = shared_data("gsm8k")
    samples = build_adapter("gsm8k", {"few_shot_num": 0, "subset_list": ["socratic"]}, dataset_dir=root.parent).load()
    assert len(samples["socratic"]) == 1319
    assert samples["socratic"][0].id == "socratic-0" and samples["socratic"][0].target == "18"


def test_default_four_shot_without_a_train_file_says_to_set_few_shot_num_0() -> None:
    root = shared_data("gsm8k")
    adapter = build_adapter("gsm8k", dataset_dir=root.parent)
    with pytest.raises(UserError, match=r"set few_shot_num to 0 .*\"gsm8k\": \{\"few_shot_num\": 0\}"):
        adapter.load(limit=1)


def test_four_shot_prompt_equals_evalscope(tmp_path: Path) -> None:
    root = shared_data("gsm8k")
    records = [json.loads(line) for line in (root / "test.jsonl").read_text().splitlines()[:5]]
    write_jsonl(tmp_path / "gsm8k" / "train.jsonl", records[1:5])
    shutil.copy(root / "test.jsonl", tmp_path / "gsm8k" / "test.jsonl")
    adapter = build_adapter("gsm8k", dataset_dir=tmp_path)
    samples = adapter.load(limit=2)["main"]
    assert len(samples) == 2
    assert prompt_of(samples[0]) == EVALSCOPE_4SHOT_FIRST
    assert adapter.meta.few_shot_prompt_template == (
        "Here are some examples of how to solve similar problems:\n\n{fewshot}\n\n{question}\n"
        "Please reason step by step, and put your final answer within \\boxed{{}}."
    )


def test_hub_route_reads_a_hub_layout_folder_given_as_dataset_id(tmp_path: Path) -> None:
    rows = [{"question": "1+1?", "answer": "1+1=2\n#### 2"}]
    write_jsonl(tmp_path / "repo" / "main" / "test.jsonl", rows)
    (tmp_path / "repo" / "README.md").write_text(
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n    path: main/test.jsonl\n---\n"
    )
    adapter = build_adapter("gsm8k", {"dataset_id": str(tmp_path / "repo"), "few_shot_num": 0})
    assert adapter.meta.dataset_revision is None  # the built-in pin belongs to openai/gsm8k
    samples = adapter.load()["main"]
    assert samples[0].target == "2"
    assert adapter.data_sources[0].hub == "huggingface"


@pytest.fixture
def gsm8k_sample(tmp_path: Path) -> tuple[BenchmarkAdapter, Sample]:
    write_jsonl(tmp_path / "test.jsonl", [{"question": "Q?", "answer": "work\n#### 18"}])
    adapter = build_adapter("gsm8k", {"local_path": str(tmp_path), "few_shot_num": 0})
    return adapter, adapter.load()["main"][0]


@pytest.mark.parametrize(
    ("reply", "value", "extracted"),
    [
        ("16-3-4=9 eggs, 9*2 = 18. So the answer is \\boxed{18}.", 1.0, "18"),
        ("\\boxed{18.0}", 1.0, "18.0"),
        ("The answer is 18", 1.0, "18"),
        ("\\boxed{17}", 0.0, "17"),
        ("I cannot solve this.", 0.0, None),
        ("<think>it is 18</think>I give up", 0.0, None),  # reasoning is never scored
    ],
)
def test_score_gold_wrong_and_missing_answers(
    gsm8k_sample: tuple[BenchmarkAdapter, Sample], reply: str, value: float, extracted: str | None
) -> None:
    adapter, sample = gsm8k_sample
    result = score(adapter, sample, reply)
    assert result.status is SampleStatus.SCORED
    assert result.value == {"acc": value}
    assert result.extracted == extracted


def test_score_marks_errors_and_truncation(gsm8k_sample: tuple[BenchmarkAdapter, Sample]) -> None:
    adapter, sample = gsm8k_sample
    errored = score(adapter, sample, error="HTTP 500 after 5 retries")
    assert errored.status is SampleStatus.ERRORED and errored.reason == "HTTP 500 after 5 retries"
    cut = score(adapter, sample, "<think>so it must be \\boxed{18")
    assert cut.truncated and cut.value == {"acc": 0.0} and cut.extracted is None
    long = score(adapter, sample, "\\boxed{18}", finish_reason="length")
    assert long.truncated and long.value == {"acc": 1.0}


def test_user_filters_run_before_extraction(gsm8k_sample: tuple[BenchmarkAdapter, Sample], tmp_path: Path) -> None:
    _, sample = gsm8k_sample
    adapter = build_adapter(
        "gsm8k", {"local_path": str(tmp_path), "few_shot_num": 0, "filters": {"remove_until": "FINAL:"}}
    )
    assert score(adapter, sample, "draft \\boxed{17} FINAL: \\boxed{18}").value == {"acc": 1.0}
    assert re.fullmatch(r"[0-9a-f]{20}", scoring_fingerprint(adapter))
