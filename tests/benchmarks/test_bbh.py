"""BBH: upstream files, EvalScope's 3-shot CoT prompt, task-type extraction, exact oracle accuracy."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks.bbh import (
    FREE_FORM_TASKS,
    MULTIPLE_CHOICE_TASKS,
    extract_free_form,
    extract_multiple_choice,
)
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of, score, scoring_fingerprint, write_jsonl
from tests.conftest import shared_data

INSTRUCTION = (
    'A: Let\'s think step by step. Put your final answer in the format of "So the answer is [ANSWER]" '
    "(without quotes and markdown) where [ANSWER] is the answer to the problem.\n"
)


def raw_records(root: Path) -> list[tuple[str, dict[str, str]]]:
    """(task, record) for every upstream record, read straight from the files."""
    rows: list[tuple[str, dict[str, str]]] = []
    for task in [*MULTIPLE_CHOICE_TASKS, *FREE_FORM_TASKS]:
        content = json.loads((root / "bbh" / f"{task}.json").read_text(encoding="utf-8"))
        rows.extend((task, record) for record in content["examples"])
    return rows


def test_full_release_loads_6511_records_in_27_tasks() -> None:
    root = shared_data("bbh")
    samples = build_adapter("bbh", {"local_path": str(root)}).load()
    assert len(samples) == 27 and sum(len(v) for v in samples.values()) == 6511
    assert len(samples["penguins_in_a_table"]) == 146 and len(samples["snarks"]) == 178
    first = samples["date_understanding"][0]
    assert (first.id, first.target, first.metadata["task_type"]) == ("date_understanding-0", "B", "multiple_choice")
    dyck = samples["dyck_languages"][0]
    assert dyck.metadata["task_type"] == "free_form" and dyck.target == "] ]"


def test_three_shot_prompt_equals_evalscope() -> None:
    # EvalScope 1.14.1: FEWSHOT_TEMPLATE.format(fewshot=COT_PROMPTS[task].strip(), question=input); its
    # COT_PROMPTS text is the upstream cot-prompts file below the canary line and '-----'.
    root = shared_data("bbh")
    samples = build_adapter("bbh", {"local_path": str(root), "subset_list": ["boolean_expressions"]}).load()
    cot = (root / "cot-prompts" / "boolean_expressions.txt").read_text(encoding="utf-8")
    body = cot.split("-----\n", 1)[1].strip()
    assert body.startswith("Evaluate the result of a random Boolean expression.\n\nQ: not ( ( not not True ) ) is")
    expected = body + "\n\nQ: not ( True ) and ( True ) is\n" + INSTRUCTION
    assert prompt_of(samples["boolean_expressions"][0]) == expected


def test_zero_shot_prompt_equals_evalscope() -> None:
    root = shared_data("bbh")
    adapter = build_adapter("bbh", {"local_path": str(root), "few_shot_num": 0, "subset_list": ["navigate"]})
    sample = adapter.load(limit=1)["navigate"][0]
    record = json.loads((root / "bbh" / "navigate.json").read_text())["examples"][0]
    assert prompt_of(sample) == f"Q: {record['input']}\n" + INSTRUCTION
    assert sample.target == record["target"]


def test_few_shot_num_other_than_0_or_3_is_refused() -> None:
    with pytest.raises(UserError, match="few_shot_num 0 or 3"):
        build_adapter("bbh", {"few_shot_num": 2})


def test_missing_cot_prompts_say_to_set_few_shot_num_0(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "navigate" / "test.jsonl", [{"input": "Go left?", "target": "No"}])
    adapter = build_adapter("bbh", {"local_path": str(tmp_path), "subset_list": ["navigate"]})
    with pytest.raises(UserError, match="set few_shot_num to 0"):
        adapter.load()
    zero = build_adapter("bbh", {"local_path": str(tmp_path), "subset_list": ["navigate"], "few_shot_num": 0})
    assert zero.load()["navigate"][0].target == "No"  # hub-style layout


# (reply, EvalScope 1.14.1 BBHAdapter._extract_mc_answer(reply)), checked against EvalScope itself.
MULTIPLE_CHOICE_CASES = [
    ("Eli is last. So the answer is (B).", "B"),
    ("So the answer is (A). Then so the answer is (C).", "A"),  # 'So' is case-sensitive
    ("The answer is B", "B"),
    ("So the answer is B.", "B"),
    ("So the answer is **(D)**", "D"),
    ("So the answer is none of them", "none of them"),
    ("So the answer is (A)\nWait (B)", "A"),
    ("The answer is (B).", "B"),
    ("\\boxed{B}", "B"),
    ("So the answer is \\boxed{(C)}.", "C"),
    ("So the answer is: (A)", "A"),
]
# (reply, EvalScope 1.14.1 BBHAdapter._extract_ff_answer(reply)).
FREE_FORM_CASES = [
    ("So the answer is True.", "True"),
    ("So the answer is **valid**.", "valid"),
    ("So the answer is 24", "24"),
    ("So the answer is ) ] }.", ") ] }"),
    ("Hmm.\nSo the answer is Yes.\nDone", "Yes"),
    ("The result is 5", "The result is 5"),
    ("So the answer is **No**, definitely.", "No"),
    ("So the answer is -12.", "-12"),
    # EvalScope reads free-form answers literally: without 'So the answer is ' the whole first line is
    # the answer, and \boxed{}, units and LaTeX are kept, so none of these match a target.
    ("The answer is 24.", "The answer is 24"),
    ("\\boxed{24}", "\\boxed{24}"),
    ("So the answer is \\boxed{24}.", "\\boxed{24}"),
    ("So the answer is 24 apples.", "24 apples"),
    ("So the answer is \\frac{1}{2}.", "\\frac{1}{2}"),
]


@pytest.mark.parametrize(("reply", "expected"), MULTIPLE_CHOICE_CASES)
def test_multiple_choice_extraction_matches_evalscope(reply: str, expected: str) -> None:
    assert extract_multiple_choice(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), FREE_FORM_CASES)
def test_free_form_extraction_matches_evalscope(reply: str, expected: str) -> None:
    assert extract_free_form(reply) == expected


def test_scoring_is_case_insensitive_exact_match(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "web_of_lies" / "test.jsonl", [{"input": "Does Ka tell the truth?", "target": "Yes"}])
    adapter = build_adapter("bbh", {"local_path": str(tmp_path), "subset_list": ["web_of_lies"], "few_shot_num": 0})
    sample = adapter.load()["web_of_lies"][0]
    assert score(adapter, sample, "So the answer is yes.").value == {"acc": 1.0}
    assert score(adapter, sample, "So the answer is Yes, Ka does.").value == {"acc": 0.0}
    empty = score(adapter, sample, "")
    assert empty.value == {"acc": 0.0} and empty.extracted is None


def _run(tmp_path: Path, url: str, args: dict[str, Any], **extra: Any) -> Any:
    config = TaskConfig(
        model="mock-model",
        api_url=url,
        datasets=["bbh"],
        dataset_args={"bbh": args},
        eval_batch_size=64,
        work_dir=str(tmp_path),
        no_timestamp=True,
        **extra,
    )
    return run_task(config, show_progress=False)["bbh"]


def test_full_set_oracle_gives_exact_accuracy_for_a_known_mix(tmp_path: Path) -> None:
    root = shared_data("bbh")
    rows = raw_records(root)
    assert len(rows) == 6511
    # The question as it appears in the 0-shot prompt only (few-shot examples lack the instruction).
    keys = [f"Q: {record['input']}\n{INSTRUCTION}" for _, record in rows]
    gold = [f"Reasoning here. So the answer is {record['target'].strip()}." for _, record in rows]
    replies = []
    for i, (_, record) in enumerate(rows):
        if i % 3 == 0:
            replies.append(gold[i])
        elif i % 3 == 1:
            replies.append(f"So the answer is (Z) or {record['target'].strip()}.")
        else:
            replies.append("no idea.")  # not "I ...": a lone capital I reads as option (I)
    # What the server (first matching rule wins) sends for each prompt; correct iff it is the gold reply.
    # Each 0-shot prompt is exactly its key, and keys never contain one another, so the first rule
    # with an equal key wins.
    first_reply: dict[str, str] = {}
    for key, reply in zip(keys, replies, strict=True):
        first_reply.setdefault(key, reply)
    answered = [first_reply[key] for key in keys]
    expected = Fraction(sum(a == g for a, g in zip(answered, gold, strict=True)), 6511)
    assert float(expected) == pytest.approx(1 / 3, abs=0.01)

    rules = [Rule(contains=k, reply=r) for k, r in zip(keys, replies, strict=True)]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        report = _run(tmp_path, srv.url, {"local_path": str(root), "few_shot_num": 0})
    assert report.counts.total == 6511 and report.counts.scored == 6511 and report.counts.errored == 0
    assert report.score == pytest.approx(float(expected), abs=1e-12)


def test_gold_answers_score_all_answerable_items_and_a_fixed_wrong_answer_scores_0(tmp_path: Path) -> None:
    root = shared_data("bbh")
    rows = raw_records(root)
    rules = [
        Rule(contains=f"Q: {record['input']}\n{INSTRUCTION}", reply=f"So the answer is {record['target']}.")
        for _, record in rows
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        report = _run(tmp_path / "gold", srv.url, {"local_path": str(root), "few_shot_num": 0})
    # causal_judgement repeats two questions with opposite targets ('Yes' and 'No'): one of each
    # pair must be wrong whatever the model answers, so gold replies score 6509/6511.
    assert report.counts.scored == 6511
    assert report.score == pytest.approx(6509 / 6511, abs=1e-12)
    subsets = [s for c in report.metrics[0].categories for s in c.subsets]
    causal = next(s for s in subsets if s.name == "causal_judgement")
    assert causal.num == 187 and causal.score == pytest.approx(185 / 187, abs=1e-12)
    with run_server_in_thread(ServerConfig(default_reply="So the answer is (Z).")) as srv:
        # 3-shot prompts this time, 20 per task to keep the file fast.
        report = _run(tmp_path / "wrong", srv.url, {"local_path": str(root)}, limit=20)
    assert report.counts.scored == 27 * 20 and report.score == 0.0


# Lenient extraction (extra_params.answer_extraction = "lenient"): reply, task, gold, verdict.
# The EvalScope column says what the default (EvalScope-literal) extraction gives for the same reply.
LENIENT_CASES: list[tuple[str, str, str, bool, bool]] = [
    # reply                                                       task                       gold   lenient evalscope
    ("Let me count. So the answer is 8.", "object_counting", "8", True, True),
    ("So the answer is \\boxed{8}.", "object_counting", "8", True, False),
    ("The answer is 8.", "object_counting", "8", True, False),
    ("The final answer is: $\\boxed{8}$", "object_counting", "8", True, False),
    ("So the answer is 8 apples.", "object_counting", "8", True, False),
    ("So the answer is 3 + 5 = 8 objects.", "object_counting", "8", True, False),
    ("So the answer is $\\frac{16}{2}$.", "object_counting", "8", True, False),
    ("So the answer is \\dfrac{-84}{2}.", "multistep_arithmetic_two", "-42", True, False),
    ("So the answer is -42.0.", "multistep_arithmetic_two", "-42", True, False),
    ("So the answer is 1,000.", "multistep_arithmetic_two", "1000", True, False),
    ("After the steps we get 7.\nTherefore: \\boxed{7}", "object_counting", "7", True, False),
    ("So the answer is 9 apples.", "object_counting", "8", False, False),
    ("So the answer is **\\text{True}**.", "boolean_expressions", "True", True, False),
    ("The answer is: No", "navigate", "No", True, False),
    ('So the answer is "valid".', "formal_fallacies", "valid", True, False),
    ("So the answer is invalid.", "formal_fallacies", "valid", False, False),
    ("So the answer is ) ].", "dyck_languages", ") ]", True, True),
    ("The answer is (B).", "date_understanding", "B", True, True),
    ("The correct option is B, so the answer is $\\boxed{(C)}$.", "date_understanding", "C", True, True),
    # EvalScope takes the first standalone capital: "I"
    ("I think the answer is \\boxed{D}", "date_understanding", "D", True, False),
    ("No idea.", "date_understanding", "A", False, False),
]


@pytest.mark.parametrize(("reply", "task", "gold", "lenient", "evalscope"), LENIENT_CASES)
def test_lenient_extraction_table(
    tmp_path: Path, reply: str, task: str, gold: str, lenient: bool, evalscope: bool
) -> None:
    target = f"({gold})" if task in ("date_understanding",) else gold
    write_jsonl(tmp_path / task / "test.jsonl", [{"input": "Q?", "target": target}])
    base = {"local_path": str(tmp_path), "subset_list": [task], "few_shot_num": 0}
    for mode, expected in (("lenient", lenient), ("evalscope", evalscope)):
        adapter = build_adapter("bbh", {**base, "extra_params": {"answer_extraction": mode}})
        sample = adapter.load()[task][0]
        assert score(adapter, sample, reply).value["acc"] == float(expected), (mode, reply)


def test_unknown_answer_extraction_mode_is_refused() -> None:
    with pytest.raises(UserError, match="answer_extraction for bbh must be one of evalscope, lenient"):
        build_adapter("bbh", {"extra_params": {"answer_extraction": "loose"}})


def test_lenient_mode_changes_the_scoring_fingerprint() -> None:
    default = scoring_fingerprint(build_adapter("bbh", {}))
    lenient = scoring_fingerprint(build_adapter("bbh", {"extra_params": {"answer_extraction": "lenient"}}))
    assert default != lenient
