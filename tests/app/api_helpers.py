"""Real runs for the API tests, made with ``run_task`` / ``run_perf`` against the project's test server.

Every sample's fate is known in advance:

``evals/20260101_120000`` (model-a), gsm8k with two subsets, 0-shot, ``max_tokens=20``, no retries:

======================  ===========================================  =================================
key                     reply                                        ends as
======================  ===========================================  =================================
main-0#0                ``\\boxed{4}`` (gold 4)                       correct
main-1#0                ``\\boxed{7}`` (gold 6)                       wrong
main-2#0                "I do not know" (gold 10)                    wrong, extraction failed
main-3#0                HTTP 500                                     errored
main-4#0                50 words, then ``\\boxed{8}``: cut at 20      wrong, truncated, extraction failed
main-5#0                ``\\boxed{3}``, gold ``\\frac{`` (no parse)    excluded
socratic-0#0            ``\\boxed{14}`` (gold 14)                     correct
socratic-1#0            ``\\boxed{1}`` (gold 16)                      wrong
======================  ===========================================  =================================

``evals/20260102_120000`` (model-b), the same items: right on main-1, main-2 and socratic-1 where
model-a is wrong, wrong on main-0 where model-a is right, and the same as model-a elsewhere. Over
the six samples scored in both (main-0, main-1, main-2, main-4, socratic-0, socratic-1): only a
right on 1 (main-0), only b right on 3, both right on 1 (socratic-0), neither on 1 (main-4).

``perf/20260103_090000/mock-model`` : a perf sweep (concurrency 1 and 2, 4 and 8 requests).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, run_server_in_thread

RUN_A = "evals/20260101_120000"
RUN_B = "evals/20260102_120000"
PERF = "perf/20260103_090000/mock-model"

MAIN = [
    {"question": "Q-correct: 2 plus 2?", "answer": "x\n#### 4"},
    {"question": "Q-wrong: 3 plus 3?", "answer": "x\n#### 6"},
    {"question": "Q-noanswer: 5 plus 5?", "answer": "x\n#### 10"},
    {"question": "Q-error: 1 plus 1?", "answer": "x\n#### 2"},
    {"question": "Q-long: 4 plus 4?", "answer": "x\n#### 8"},
    {"question": "Q-badgold: what is x?", "answer": "x\n#### \\frac{"},
]
SOCRATIC = [
    {"question": "S-correct: 7 plus 7?", "answer": "x\n#### 14"},
    {"question": "S-wrong: 8 plus 8?", "answer": "x\n#### 16"},
]
RULES_A = [
    Rule(contains="Q-correct", reply="\\boxed{4}"),
    Rule(contains="Q-wrong", reply="\\boxed{7}"),
    Rule(contains="Q-noanswer", reply="I do not know"),
    Rule(contains="Q-error", reply="unused", fault="500"),
    Rule(contains="Q-long", reply="word " * 50 + "\\boxed{8}"),
    Rule(contains="Q-badgold", reply="\\boxed{3}"),
    Rule(contains="S-correct", reply="\\boxed{14}"),
    Rule(contains="S-wrong", reply="\\boxed{1}"),
]
RULES_B = [
    Rule(contains="Q-correct", reply="\\boxed{5}"),
    Rule(contains="Q-wrong", reply="\\boxed{6}"),
    Rule(contains="Q-noanswer", reply="\\boxed{10}"),
    Rule(contains="S-wrong", reply="\\boxed{16}"),
    *[r for r in RULES_A if r.contains not in ("Q-correct", "Q-wrong", "Q-noanswer", "S-wrong")],
]

#: Keys of model-a's run by status filter.
EXPECTED_A = {
    "all": {"main-0#0", "main-1#0", "main-2#0", "main-3#0", "main-4#0", "main-5#0", "socratic-0#0", "socratic-1#0"},
    "correct": {"main-0#0", "socratic-0#0"},
    "wrong": {"main-1#0", "main-2#0", "main-4#0", "socratic-1#0"},
    "excluded": {"main-5#0"},
    "errored": {"main-3#0"},
    "extraction_failed": {"main-2#0", "main-4#0"},
    "truncated": {"main-4#0"},
}


def write_gsm8k_data(folder: Path) -> Path:
    """The two subsets above in GSM8K's upstream layout (``test.jsonl``, ``test_socratic.jsonl``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in (("test.jsonl", MAIN), ("test_socratic.jsonl", SOCRATIC)):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


def eval_run(work_dir: Path, model: str, rules: list[Rule], data: Path) -> None:
    """One gsm8k run of ``model`` into ``work_dir`` (no timestamp folder)."""
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        config = TaskConfig(
            model=model,
            api_url=srv.url,
            datasets=["gsm8k"],
            dataset_args={"gsm8k": {"local_path": str(data), "few_shot_num": 0, "subset_list": ["main", "socratic"]}},
            work_dir=str(work_dir),
            no_timestamp=True,
            ignore_errors=True,
            generation_config={"retries": 0, "max_tokens": 20},
        )
        run_task(config, show_progress=False)


def perf_sweep(outputs: Path) -> None:
    """A two-run sweep written to ``outputs/perf/20260103_090000/mock-model``."""
    from rich.console import Console

    from assay.perf.arguments import PerfArguments
    from assay.perf.runner import run_perf

    with run_server_in_thread(ServerConfig(default_reply="a b c d")) as srv:
        args = PerfArguments(
            model="org/mock-model",
            url=srv.url,
            prompt="hello",
            max_tokens=[16],
            parallel=[1, 2],
            number=[4, 8],
            outputs_dir=str(outputs / "perf" / "20260103_090000"),
            no_timestamp=True,
            sleep_interval=0,
        )
        run_perf(args, console=Console(file=io.StringIO()))


def make_outputs(base: Path) -> Path:
    """The outputs folder of the module docstring, under ``base``; returns its path."""
    outputs = base / "outputs"
    data = write_gsm8k_data(base / "data")
    eval_run(outputs / RUN_A, "model-a", RULES_A, data)
    eval_run(outputs / RUN_B, "model-b", RULES_B, data)
    perf_sweep(outputs)
    return outputs


def copy_run(source: Path, target: Path) -> Path:
    """A copy of a run folder (tests that change a run work on their own copy)."""
    shutil.copytree(source, target)
    return target


def keys(items: list[dict[str, Any]]) -> set[str]:
    """The ``key`` of each item of a samples page."""
    return {item["key"] for item in items}
