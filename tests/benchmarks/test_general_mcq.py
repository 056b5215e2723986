"""General-MCQ: EvalScope's local CSV/JSONL format, Chinese templates and their parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.benchmarks import build_adapter
from assay.errors import UserError
from tests.benchmarks.fixtures import GENERAL_MCQ_CSV_HEADER, write_general_mcq
from tests.benchmarks.helpers import prompt_of, score, write_jsonl

# EvalScope 1.14.1: prompt(question, choices, MultipleChoiceTemplate.CHINESE_SINGLE_ANSWER_TEMPLATE).
EVALSCOPE_ZH_SINGLE = (
    '回答下面的单项选择题，请选出其中的正确答案。你的回答的全部内容应该是这样的格式："答案：[LETTER]"（不带引号），'
    "其中 [LETTER] 是 A,B,C,D 中的一个。\n\n问题：中国的首都是哪里？\n选项：\nA) 上海\nB) 北京\nC) 广州\nD) 深圳\n"
)
# Same with CHINESE_MULTIPLE_ANSWER_TEMPLATE_COT.
EVALSCOPE_ZH_MULTIPLE_COT = (
    '回答下面的多项选择题，请选出其中的所有正确答案。你的回答的最后一行应该是这样的格式："答案：[LETTERS]"（不带引号），'
    "其中 [LETTERS] 是 A,B,C,D 中的一个或多个。请在回答前进行一步步思考。\n\n问题：哪些是偶数？\n选项：\n"
    "A) 1\nB) 2\nC) 3\nD) 4\n"
)


@pytest.fixture
def mcq_dir(tmp_path: Path) -> Path:
    return write_general_mcq(tmp_path)


def test_csv_subset_loads_with_row_ids_and_evalscope_chinese_prompt(mcq_dir: Path) -> None:
    samples = build_adapter("general_mcq", {"local_path": str(mcq_dir)}).load()["default"]
    assert [(s.id, s.target, s.metadata) for s in samples] == [
        ("default-0", "B", {"id": "1"}),
        ("default-1", "B", {"id": "2"}),  # a lowercase answer letter is accepted, as EvalScope does
    ]
    assert prompt_of(samples[0]) == EVALSCOPE_ZH_SINGLE


@pytest.mark.parametrize(
    ("reply", "value", "extracted"),
    [("答案：B", 1.0, "B"), ("北京。\n答案：B。", 1.0, "B"), ("答案：A", 0.0, "A"), ("不知道", 0.0, None)],
)
def test_chinese_answer_format_is_parsed(mcq_dir: Path, reply: str, value: float, extracted: str | None) -> None:
    adapter = build_adapter("general_mcq", {"local_path": str(mcq_dir)})
    result = score(adapter, adapter.load()["default"][0], reply)
    assert (result.value, result.extracted) == ({"acc": value}, extracted)


def test_english_template_switches_to_the_answer_marker_parser(mcq_dir: Path) -> None:
    from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE

    adapter = build_adapter("general_mcq", {"local_path": str(mcq_dir), "prompt_template": SINGLE_ANSWER_TEMPLATE})
    sample = adapter.load()["default"][0]
    assert prompt_of(sample).startswith("Answer the following multiple choice question.")
    assert score(adapter, sample, "ANSWER: B").value == {"acc": 1.0}


def test_few_shot_examples_come_from_the_dev_file(mcq_dir: Path) -> None:
    adapter = build_adapter("general_mcq", {"local_path": str(mcq_dir), "few_shot_num": 1})
    text = prompt_of(adapter.load()["default"][0])
    assert text.startswith("Here are some examples of how to answer similar questions:\n\n2+2=?\nA) 3\nB) 4\n")
    assert "ANSWER: B\n\n回答下面的单项选择题" in text


def test_multiple_correct_uses_list_answers_multiple_template_and_partial_credit(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "even_val.jsonl",
        [{"question": "哪些是偶数？", "A": "1", "B": "2", "C": "3", "D": "4", "answer": ["B", "D"]}],
    )
    args = {
        "local_path": str(tmp_path),
        "subset_list": ["even"],
        "extra_params": {"multiple_correct": True, "use_cot": True},
    }
    adapter = build_adapter("general_mcq", args)
    assert adapter.meta.metric_list == ["multi_choice_acc"]
    sample = adapter.load()["even"][0]
    assert (sample.target, prompt_of(sample)) == (["B", "D"], EVALSCOPE_ZH_MULTIPLE_COT)
    assert score(adapter, sample, "答案：B,D").value == {"multi_choice_acc": 1.0}
    assert score(adapter, sample, "答案：B").value == {"multi_choice_acc": 0.5}
    assert score(adapter, sample, "答案：A,B").value == {"multi_choice_acc": 0.0}


def test_file_mistakes_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="set local_path in dataset_args"):
        build_adapter("general_mcq").load()
    (tmp_path / "default_val.csv").write_text(GENERAL_MCQ_CSV_HEADER + "1,Q?,a,b,c,d,E\n")
    with pytest.raises(UserError, match="has answer 'E', not among its options A, B, C, D"):
        build_adapter("general_mcq", {"local_path": str(tmp_path)}).load()
    (tmp_path / "default_val.csv").write_text("id,query,A,B,answer\n1,Q?,a,b,A\n")
    with pytest.raises(
        UserError, match=r"default_val.csv: record 0 has no column 'question'.*columns found: id, query"
    ):
        build_adapter("general_mcq", {"local_path": str(tmp_path)}).load()
    write_jsonl(tmp_path / "m_val.jsonl", [{"question": "Q?", "A": "a", "B": "b", "answer": "A"}])
    with pytest.raises(UserError, match="needs 'answer' as a list of letters"):
        args = {"local_path": str(tmp_path), "subset_list": ["m"], "extra_params": {"multiple_correct": True}}
        build_adapter("general_mcq", args).load()
