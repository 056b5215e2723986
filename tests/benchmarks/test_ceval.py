"""C-Eval: upstream CSV layout, EvalScope's Chinese prompt and few-shot format, exact accuracy by category."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter, get_benchmark_meta
from assay.mock_server import Rule, ServerConfig
from tests.benchmarks.fixtures import CEVAL_VAL, write_ceval
from tests.benchmarks.helpers import oracle_report, prompt_of

# EvalScope 1.14.1: USER_PROMPT_TEMPLATE with subject 逻辑学 and options as "A. text".
EVALSCOPE_0SHOT = (
    "以下是中国关于逻辑学的单项选择题，请选出其中的正确答案。你的回答的最后一行应该是这样的格式："
    '"答案：[LETTER]"（不带引号），其中 [LETTER] 是 A、B、C、D 中的一个。\n'
    "问题：所有的鸟都会飞，企鹅是鸟，所以企鹅会飞。这个推理的问题是____\n"
    "选项：\nA. 前提错误\nB. 结构错误\nC. 无问题\nD. 结论正确\n"
)
# FEWSHOT_TEMPLATE.format(fewshot=...) + "\n" + the prompt, one example rendered by sample_to_fewshot.
EVALSCOPE_1SHOT = (
    "以下是一些示例问题：\n问题：示例问题0\n选项：\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n解析：因为0。\n答案：D\n\n"
    + EVALSCOPE_0SHOT
)


def _args(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"local_path": str(write_ceval(tmp_path)), "subset_list": list(CEVAL_VAL), **extra}


def test_meta_matches_evalscope() -> None:
    meta = get_benchmark_meta("ceval")
    assert len(meta.subset_list) == 52
    assert (meta.few_shot_num, meta.train_split, meta.eval_split) == (5, "dev", "val")
    assert meta.category_map["logic"] == "Humanities" and meta.category_map["high_school_physics"] == "STEM"


def test_prompts_match_evalscope_with_and_without_examples(tmp_path: Path) -> None:
    zero = build_adapter("ceval", _args(tmp_path, few_shot_num=0)).load()["logic"][0]
    assert prompt_of(zero) == EVALSCOPE_0SHOT
    one = build_adapter("ceval", _args(tmp_path, few_shot_num=1)).load()["logic"][0]
    assert prompt_of(one) == EVALSCOPE_1SHOT
    five = build_adapter("ceval", _args(tmp_path)).load()["high_school_physics"][0]
    assert prompt_of(five).count("解析：因为") == 5 and "中国关于高中物理的单项选择题" in prompt_of(five)
    assert (one.id, one.target) == ("logic-0", "A")


def _report(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out", "ceval", {"ceval": _args(tmp_path)}, ServerConfig(rules=rules, default_reply=default)
    )


@pytest.mark.parametrize(
    ("replies", "default", "expected", "by_category"),
    [
        (["分析……\n答案：A", "答案：C", "答案：B"], "", 1.0, {"Humanities": 1.0, "STEM": 1.0}),
        ([], "答案：A", 1 / 3, {"Humanities": 0.5, "STEM": 0.0}),  # a fixed letter scores its share
        (["答案：A", "答案：D", "不知道"], "", 1 / 3, {"Humanities": 0.5, "STEM": 0.0}),
    ],
)
def test_server_replies_give_exact_accuracy(
    tmp_path: Path, replies: list[str], default: str, expected: float, by_category: dict[str, float]
) -> None:
    questions = [str(row[1]) for rows in CEVAL_VAL.values() for row in rows]
    report = _report(tmp_path, [Rule(contains=q, reply=r) for q, r in zip(questions, replies, strict=False)], default)
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
    categories = {c.name[0]: c.score for c in report.metrics[0].categories}
    assert categories == pytest.approx(by_category)
