"""CMMLU: 67 subjects from the upstream CSVs, EvalScope's Chinese CoT prompt, exact oracle accuracy."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter, get_benchmark_meta
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of, score, write_jsonl
from tests.conftest import shared_data

INSTRUCTION = (
    '回答下面的单项选择题，请选出其中的正确答案。你的回答的最后一行应该是这样的格式："答案：[LETTER]"（不带引号），'
    "其中 [LETTER] 是 A,B,C,D 中的一个。请在回答前进行一步步思考。\n\n"
)
# EvalScope 1.14.1: prompt(question, choices, CHINESE_SINGLE_ANSWER_TEMPLATE_COT) for agronomy test item 0.
EVALSCOPE_0SHOT_AGRONOMY = (
    INSTRUCTION + "问题：在农业生产中被当作极其重要的劳动对象发挥作用，最主要的不可替代的基本生产资料是\n"
    "选项：\nA) 农业生产工具\nB) 土地\nC) 劳动力\nD) 资金\n"
)
# With few_shot_num=1: CHINESE_FEW_SHOT_TEMPLATE + template, the example rendered by sample_to_fewshot.
EVALSCOPE_1SHOT_AGRONOMY = (
    "以下是一些示例问题：\n\n问题：肉牛屠宰后，胴体的哪个部位肉质较好\n"
    "选项：\nA) 胸\nB) 腹\nC) 大腿\nD) 小腿\n答案：C\n\n" + EVALSCOPE_0SHOT_AGRONOMY
)


def raw_items(root: Path) -> list[tuple[str, str]]:
    """(prompt fragment unique to the item, gold letter) for every test row, read with csv alone."""
    items = []
    for path in sorted((root / "data" / "test").glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                options = "\n".join(f"{letter}) {row[letter]}" for letter in "ABCD")
                items.append((f"问题：{row['Question']}\n选项：\n{options}\n", row["Answer"]))
    return items


def run(tmp_path: Path, config: ServerConfig, args: dict[str, Any]) -> Any:
    with run_server_in_thread(config) as srv:
        task = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["cmmlu"],
            dataset_args={"cmmlu": args},
            eval_batch_size=64,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        return run_task(task, show_progress=False)["cmmlu"]


def test_meta_matches_evalscope() -> None:
    meta = get_benchmark_meta("cmmlu")
    assert len(meta.subset_list) == 67 and meta.subset_list[:2] == ["agronomy", "anatomy"]
    assert set(meta.category_map.values()) == {"STEM", "Humanities", "Social Science", "China specific", "Other"}
    assert meta.category_map["chinese_history"] == "China specific"
    assert (meta.few_shot_num, meta.train_split, meta.eval_split, meta.dataset_id) == (
        0,
        "dev",
        "test",
        "evalscope/cmmlu",
    )


def test_full_test_split_and_evalscope_prompts() -> None:
    root = shared_data("cmmlu")
    samples = build_adapter("cmmlu", {"local_path": str(root)}).load()
    assert len(samples) == 67 and sum(len(v) for v in samples.values()) == 11582
    first = samples["agronomy"][0]
    assert (first.id, first.target) == ("agronomy-0", "B")
    assert prompt_of(first) == EVALSCOPE_0SHOT_AGRONOMY
    shot = build_adapter("cmmlu", {"local_path": str(root), "few_shot_num": 1, "subset_list": ["agronomy"]})
    assert prompt_of(shot.load(limit=1)["agronomy"][0]) == EVALSCOPE_1SHOT_AGRONOMY
    five = build_adapter("cmmlu", {"local_path": str(root), "few_shot_num": 5}).load(limit=1)
    assert all(prompt_of(v[0]).count("答案：") == 6 for v in five.values())  # 5 dev examples per subject


def test_hub_schema_strips_option_prefixes(tmp_path: Path) -> None:
    row = {"question": "1+1=?", "choices": ["(A) 1", "(B) 2", "(C) 3", "(D) 4"], "answer": "(B)", "category": "arts"}
    write_jsonl(tmp_path / "arts" / "test.jsonl", [row])
    adapter = build_adapter("cmmlu", {"local_path": str(tmp_path), "subset_list": ["arts"]})
    sample = adapter.load()["arts"][0]
    assert (sample.choices, sample.target) == (["1", "2", "3", "4"], "B")
    assert score(adapter, sample, "想一想。\n答案：B").value == {"acc": 1.0}
    assert score(adapter, sample, "答案：C").value == {"acc": 0.0}


def test_full_set_oracle_mix_is_exact(tmp_path: Path) -> None:
    root = shared_data("cmmlu")
    items = raw_items(root)
    assert len(items) == 11582
    wrong = {"A": "B", "B": "C", "C": "D", "D": "A"}
    # Gold replies for every 8th item, a wrong letter for every 16th (offset 1); the rest get no letter.
    rules = [
        Rule(contains=frag, reply=f"答案：{gold}" if i % 8 == 0 else f"答案：{wrong[gold]}")
        for i, (frag, gold) in enumerate(items)
        if i % 8 == 0 or i % 16 == 1
    ]
    # The server answers the first rule whose text the prompt contains: compute what each item gets.
    plain = [(r.contains or "", r.reply) for r in rules]
    answered = [next((reply for text, reply in plain if text in own), "不知道") for own, _ in items]
    expected = Fraction(sum(a == f"答案：{gold}" for a, (_, gold) in zip(answered, items, strict=True)), len(items))
    rules.append(Rule(regex=".", reply="不知道"))
    report = run(tmp_path / "mix", ServerConfig(rules=rules), {"local_path": str(root)})
    assert report.counts.total == 11582 and report.counts.errored == 0
    assert report.score == pytest.approx(float(expected), abs=1e-12)


def test_full_set_fixed_letter_scores_its_share(tmp_path: Path) -> None:
    root = shared_data("cmmlu")
    golds = [gold for _, gold in raw_items(root)]
    report = run(tmp_path, ServerConfig(default_reply="答案：A"), {"local_path": str(root)})
    assert report.score == pytest.approx(golds.count("A") / len(golds), abs=1e-12)
