"""Reports and verdicts stay exactly what they were before the scoring/data refactor (issue 9).

The golden files under ``tests/engine/golden/`` were written by the code *before* scoring moved into
scorers and loading into one DataSource. Each case runs a benchmark against the test server with
replies that mix right, wrong, unextractable and SymPy-only answers, then compares:

* the report JSON byte for byte, apart from ``timing`` (wall clock) and the machine's paths;
* every review's verdict (status, extracted answer, values, weights, reason, truncation).

``ASSAY_UPDATE_GOLDEN=1`` rewrites the files (only ever from a commit whose scores are trusted).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.fixtures import write_drop, write_general_qa
from tests.conftest import SHARED_DATA, shared_data

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("ASSAY_UPDATE_GOLDEN") == "1"


def _gsm8k_rules(root: Path) -> list[Rule]:
    records = [json.loads(line) for line in (root / "test.jsonl").read_text().splitlines()][:240]
    rules = []
    for i, record in enumerate(records):
        gold = record["answer"].split("####")[-1].strip().replace(",", "")
        reply = [
            f"So the answer is \\boxed{{{gold}}}.",
            f"The answer is \\boxed{{{gold}1}}.",
            "I cannot solve this one.",
            f"Hence $\\boxed{{\\frac{{{2 * int(gold)}}}{{2}}}}$",  # equal only by SymPy (pool path)
            f"The result is {gold}.",
            f"<think>{gold}? maybe {gold}1",  # left inside an open think block
        ][i % 6]
        rules.append(Rule(contains=record["question"], reply=reply))
    return rules


def _arc_rules(root: Path) -> list[Rule]:
    rules = []
    for subset in ("ARC-Challenge", "ARC-Easy"):
        path = root / subset / f"{subset}-Test.jsonl"
        for i, line in enumerate(path.read_text().splitlines()[:120]):
            record = json.loads(line)
            reply = [f"ANSWER: {record['answerKey']}", "ANSWER: B", "I think it is (C).", "No idea."][i % 4]
            rules.append(Rule(contains=record["question"]["stem"], reply=reply))
    return rules


MMLU_SUBJECTS = ["abstract_algebra", "anatomy", "college_physics", "high_school_geography", "world_religions"]


def _mmlu_rules(root: Path) -> list[Rule]:
    rules = []
    for subject in MMLU_SUBJECTS:
        with (root / "test" / f"{subject}_test.csv").open(encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.reader(handle)):
                reply = [f"Reasoning...\nANSWER: {row[5]}", "ANSWER: D", "answer: a", "ANSWER: [LETTER]"][i % 4]
                # The last 80 characters of the question: unique enough, and never in a few-shot example.
                rules.append(Rule(contains=f"{row[0][-80:]}\n\nA) {row[1]}", reply=reply))
    return rules


def _drop_rules() -> list[Rule]:
    return [
        Rule(contains="How many field goals", reply="Counting.\nAnswer: 2"),
        Rule(contains="Which players ran", reply="Answer: Jacobs"),
        Rule(contains="When was the treaty", reply="answer: 10 December 1993"),
        Rule(contains="Who killed", reply="Amangkurat"),
    ]


def _general_qa_rules() -> list[Rule]:
    return [
        Rule(contains="中国的首都", reply="中国的首都是北京"),
        Rule(contains="2+2", reply="It is 4."),
        Rule(contains="Hi", reply="Hello there"),
    ]


def _case_args(name: str, tmp_path: Path) -> tuple[dict[str, Any], ServerConfig]:
    if name == "gsm8k":
        root = shared_data("gsm8k")
        return {"local_path": str(root), "few_shot_num": 0}, ServerConfig(rules=_gsm8k_rules(root), default_reply="")
    if name == "arc":
        root = shared_data("arc")
        return {"local_path": str(root)}, ServerConfig(rules=_arc_rules(root), default_reply="")
    if name == "mmlu":
        root = shared_data("mmlu")
        return {"local_path": str(root), "subset_list": MMLU_SUBJECTS}, ServerConfig(rules=_mmlu_rules(root))
    if name == "ifeval":
        return {"local_path": str(shared_data("ifeval"))}, ServerConfig(echo=True)
    if name == "drop":
        return {"local_path": str(write_drop(tmp_path / "data"))}, ServerConfig(rules=_drop_rules())
    if name == "general_qa":
        root = write_general_qa(tmp_path / "data" / "general_qa")
        return {"local_path": str(root), "subset_list": ["example"]}, ServerConfig(rules=_general_qa_rules())
    raise AssertionError(name)


#: (benchmark, limit): the limit keeps the run short while covering every reply kind.
CASES: list[tuple[str, int | None]] = [
    ("gsm8k", 240),
    ("arc", 120),
    ("mmlu", 40),
    ("ifeval", None),
    ("drop", None),
    ("general_qa", None),
]


def _normalised_report(path: Path, replace: Callable[[str], str]) -> str:
    report = orjson.loads(path.read_bytes())
    report.pop("timing")
    text = orjson.dumps(report, option=orjson.OPT_INDENT_2).decode()
    return replace(text)


def _verdicts(work_dir: Path, name: str) -> dict[str, Any]:
    verdicts: dict[str, Any] = {}
    for path in sorted((work_dir / "reviews" / "mock-model").glob(f"{name}_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            review = json.loads(line)
            score = review["score"]
            verdicts[f"{review['subset']}/{review['key']}"] = [
                score.get("status"),
                score.get("extracted"),
                score.get("value"),
                score.get("weights") or None,
                score.get("reason"),
                score.get("truncated", False),
            ]
    return dict(sorted(verdicts.items()))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "limit"), CASES, ids=[c[0] for c in CASES])
def test_report_and_verdicts_equal_the_pre_refactor_golden(tmp_path: Path, name: str, limit: int | None) -> None:
    dataset_args, server = _case_args(name, tmp_path)
    work_dir = tmp_path / "out"
    with run_server_in_thread(server) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=[name],
            dataset_args={name: dataset_args},
            limit=limit,
            eval_batch_size=32,
            generation_config={"temperature": 0.0, "max_tokens": 4096},
            work_dir=str(work_dir),
            no_timestamp=True,
        )
        run_task(config, show_progress=False)

    def replace(text: str) -> str:
        return text.replace(str(tmp_path), "<tmp>").replace(str(SHARED_DATA), "<shared>")

    report = _normalised_report(work_dir / "reports" / "mock-model" / f"{name}.json", replace)
    verdicts = orjson.dumps(_verdicts(work_dir, name), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    report_file, verdict_file = GOLDEN / f"{name}.report.json", GOLDEN / f"{name}.verdicts.json.gz"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        report_file.write_text(report + "\n", encoding="utf-8")
        verdict_file.write_bytes(gzip.compress(verdicts, mtime=0))
    assert report + "\n" == report_file.read_text(encoding="utf-8")
    golden_verdicts = orjson.loads(gzip.decompress(verdict_file.read_bytes()))
    new_verdicts = orjson.loads(verdicts)
    changed = [key for key in golden_verdicts if new_verdicts.get(key) != golden_verdicts[key]]
    assert not changed, f"{len(changed)} verdicts changed, e.g. {changed[0]}: {golden_verdicts[changed[0]]} -> " + str(
        new_verdicts.get(changed[0])
    )
    assert set(new_verdicts) == set(golden_verdicts)
