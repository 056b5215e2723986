"""Competition-MATH: hub-layout fixture (levels, 4-shot prompt) and the simple-evals CSV as subset 'all'."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of, score, write_jsonl
from tests.conftest import shared_data

CSV_ARGS = {"subset_list": ["all"], "few_shot_num": 0}


def math_record(n: int, level: int, answer: str) -> dict[str, Any]:
    return {
        "problem": f"Problem {n}: what is it?",
        "solution": f"Work for {n}. So it is $\\boxed{{{answer}}}$.",
        "level": f"Level {level}",
        "type": "Algebra",
    }


@pytest.fixture
def hub_folder(tmp_path: Path) -> Path:
    train = [math_record(n, 1 + n % 2, f"\\frac{{{n}}}{{2}}") for n in range(10)]
    test = [math_record(100 + n, 1 + n % 5, str(n)) for n in range(10)]
    write_jsonl(tmp_path / "math" / "default" / "train.jsonl", train)
    write_jsonl(tmp_path / "math" / "default" / "test.jsonl", test)
    return tmp_path / "math"


def test_hub_layout_groups_the_test_split_by_level(hub_folder: Path) -> None:
    samples = build_adapter("competition_math", {"local_path": str(hub_folder), "few_shot_num": 0}).load()
    assert list(samples) == [f"Level {n}" for n in range(1, 6)]
    assert ["Problem 100:" in prompt_of(s) for s in samples["Level 1"]] == [True, False]
    assert ["Problem 105:" in prompt_of(s) for s in samples["Level 1"]] == [False, True]
    assert [s.target for s in samples["Level 1"]] == ["0", "5"]


def test_four_shot_prompt_equals_evalscope(hub_folder: Path) -> None:
    adapter = build_adapter("competition_math", {"local_path": str(hub_folder), "subset_list": ["Level 1"]})
    sample = adapter.load()["Level 1"][0]
    # EvalScope 1.14.1: FEWSHOT_TEMPLATE with sample_to_fewshot ('Problem:\n...\nSolution:\n<target>') of
    # the first four Level 1 train records (0, 2, 4, 6).
    shots = "\n\n".join(f"Problem:\nProblem {n}: what is it?\nSolution:\n\\frac{{{n}}}{{2}}" for n in (0, 2, 4, 6))
    assert prompt_of(sample) == (
        "Here are some examples of how to solve similar problems:\n\n"
        + shots
        + "\nProblem:\nProblem 100: what is it?\n\n"
        "Please reason step by step, and put your final answer within \\boxed{}.\n"
    )


def test_target_is_the_last_box_with_nested_braces(tmp_path: Path) -> None:
    row = math_record(1, 3, "x") | {"solution": "First \\boxed{1}, finally $\\boxed{\\frac{\\sqrt{3}}{2}}$."}
    write_jsonl(tmp_path / "test.jsonl", [row])
    args = {"local_path": str(tmp_path), "few_shot_num": 0, "subset_list": ["Level 3"]}
    adapter = build_adapter("competition_math", args)
    sample = adapter.load()["Level 3"][0]
    assert sample.target == "\\frac{\\sqrt{3}}{2}"
    assert score(adapter, sample, "\\boxed{\\dfrac{\\sqrt3}{2}}").value == {"acc": 1.0}


def csv_rows() -> list[dict[str, str]]:
    with (shared_data("math") / "math_test.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_simple_evals_csv_loads_5000_records_as_subset_all() -> None:
    samples = build_adapter("competition_math", {"local_path": str(shared_data("math")), **CSV_ARGS}).load()["all"]
    assert len(samples) == 5000
    assert samples[1].target == "6r^2-4r-24"
    assert prompt_of(samples[0]) == (
        "Problem:\nHow many vertical asymptotes does the graph of $y=\\frac{2}{x^2+x-6}$ have?\n\n"
        "Please reason step by step, and put your final answer within \\boxed{}.\n"
    )


def test_level_subsets_on_the_csv_say_to_use_all() -> None:
    adapter = build_adapter("competition_math", {"local_path": str(shared_data("math")), "few_shot_num": 0})
    with pytest.raises(UserError, match=r"no 'level' column.*\['all'\]"):
        adapter.load(limit=1)


#: Rows of math_test.csv whose gold Math-Verify cannot parse: excluded with a reason, never scored.
UNPARSEABLE_GOLD_ROWS = {
    1724: "\\frac \\pi4 + 2 - \\sqrt2",
    2663: "\\frac{7}{5} + \\frac{1}{5} i.",
    4186: "\\frac{12}{5,\\!525}",
}


def run(tmp_path: Path, server: ServerConfig) -> Any:
    with run_server_in_thread(server) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["competition_math"],
            dataset_args={"competition_math": {"local_path": str(shared_data("math")), **CSV_ARGS}},
            eval_batch_size=64,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        return run_task(config, show_progress=False)["competition_math"]


@pytest.mark.slow
def test_full_csv_known_mix_of_gold_and_a_fixed_wrong_answer(tmp_path: Path) -> None:
    rows = csv_rows()
    assert {i: rows[i]["Answer"] for i in UNPARSEABLE_GOLD_ROWS} == UNPARSEABLE_GOLD_ROWS
    # Every 50th question (none with an unparseable gold) gets its gold, the rest a fixed wrong number.
    chosen = rows[::50]
    assert not set(range(0, 5000, 50)) & set(UNPARSEABLE_GOLD_ROWS)
    rules = [Rule(contains=r["Question"], reply=f"\\boxed{{{r['Answer']}}}") for r in chosen]
    report = run(tmp_path, ServerConfig(rules=rules, default_reply="I believe \\boxed{-12345}."))
    assert report.counts.excluded == 3 and report.counts.scored == 4997
    assert all(reason.startswith("gold answer does not parse") for reason in report.counts.excluded_reasons)
    assert report.score == pytest.approx(len(chosen) / 4997)


@pytest.mark.parametrize("reply", ["I believe \\boxed{-12345}.", "I do not know."])
def test_unparseable_gold_is_excluded_whether_or_not_the_reply_has_an_answer(tmp_path: Path, reply: str) -> None:
    rows = [{"Question": "What is it?", "Answer": UNPARSEABLE_GOLD_ROWS[2663]}]
    path = tmp_path / "math_test.csv"
    path.write_text("Question,Answer\n" + "".join(f'"{r["Question"]}","{r["Answer"]}"\n' for r in rows))
    adapter = build_adapter("competition_math", {"local_path": str(path), **CSV_ARGS})
    sample = adapter.load()["all"][0]
    verdict = score(adapter, sample, reply)
    assert verdict.status == "excluded", verdict
    assert verdict.reason is not None and verdict.reason.startswith("gold answer does not parse")
