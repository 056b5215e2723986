"""MT-Bench end to end on FastChat's real questions: a model server answers both turns, a judge server rates.

The expected judge prompts are built here from FastChat's own ``judge_prompts.jsonl`` (the shared
copy, not the bundled one) by FastChat's rules: reference-guided prompts for math, reasoning and
coding, the multi-turn prompts for turn 2. The judge server counts every prompt it receives, so each
judge request is checked byte for byte against them.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks.mt_bench import parse_rating
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, ServerHandle, count_tokens, prompt_key, run_server_in_thread
from assay.report.model import Report
from tests.conftest import SHARED_DATA, shared_data

PER_CATEGORY = 2
NEED_REF = {"math", "reasoning", "coding"}  # FastChat common.py NEED_REF_CATS


def questions() -> list[dict[str, Any]]:
    """The first two questions of each category, with GPT-4's reference turns where FastChat uses them."""
    root = shared_data("mt_bench") / "mt_bench"
    refs = {}
    for line in (root / "reference_answer" / "gpt-4.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        refs[row["question_id"]] = row["choices"][0]["turns"]
    taken: dict[str, int] = defaultdict(int)
    chosen = []
    for line in (root / "question.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if taken[q["category"]] < PER_CATEGORY:
            taken[q["category"]] += 1
            chosen.append({**q, "refs": refs[q["question_id"]] if q["category"] in NEED_REF else None})
    return chosen


QUESTIONS = questions() if (SHARED_DATA / "mt_bench").exists() else []
IDS = [q["question_id"] for q in QUESTIONS]
#: Turn 2 of the first question has no rating in the judge's reply; neither turn of the third has one.
HALF_RATED, UNRATED = (IDS[0], IDS[2]) if IDS else (0, 0)


def answer(qid: int, turn: int) -> str:
    return f"ANSWER-T{turn}-Q{qid} " + "word " * (qid % 5 + turn)


def rating(qid: int, turn: int) -> int:
    return 1 + (qid * (turn + 2)) % 10


def judge_reply(qid: int, turn: int) -> str:
    if qid == UNRATED or (qid == HALF_RATED and turn == 2):
        return "The answer is fine, I will not give a number."
    if (qid + turn) % 2:  # FastChat's backup pattern: single brackets
        return f"Solid work. Rating: [{rating(qid, turn)}]"
    return f"Explanation first. Rating: [[{rating(qid, turn)}]]"


def fastchat_prompts() -> dict[str, dict[str, str]]:
    lines = (shared_data("mt_bench") / "judge_prompts.jsonl").read_text(encoding="utf-8").splitlines()
    return {entry["name"]: entry for entry in map(json.loads, lines)}


def expected_judge_prompt(q: dict[str, Any], turn: int) -> tuple[str, str]:
    """(system, user) as FastChat's run_judge_single formats them."""
    prompts = fastchat_prompts()
    ref = q["refs"] is not None
    if turn == 1:
        template = prompts["single-math-v1" if ref else "single-v1"]
        fields = {"question": q["turns"][0], "answer": answer(q["question_id"], 1)}
    else:
        template = prompts["single-math-v1-multi-turn" if ref else "single-v1-multi-turn"]
        fields = {
            "question_1": q["turns"][0],
            "question_2": q["turns"][1],
            "answer_1": answer(q["question_id"], 1),
            "answer_2": answer(q["question_id"], 2),
        }
    if ref:
        fields["ref_answer_1"] = q["refs"][0]
        if turn == 2:
            fields["ref_answer_2"] = q["refs"][1]
    return template["system_prompt"], template["prompt_template"].format(**fields)


@pytest.fixture
def model_server() -> Iterator[ServerHandle]:
    texts = [t for q in QUESTIONS for t in q["turns"]]
    assert len(set(texts)) == len(texts)  # each turn's text picks its own answer
    rules = [
        Rule(regex=f"^{re.escape(q['turns'][turn - 1])}$", reply=answer(q["question_id"], turn))
        for q in QUESTIONS
        for turn in (1, 2)
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as handle:
        yield handle


@pytest.fixture
def judge_server() -> Iterator[ServerHandle]:
    rules = []
    for q in QUESTIONS:
        for turn in (1, 2):
            system, user = expected_judge_prompt(q, turn)
            rules.append(Rule(contains=user, system_contains=system, reply=judge_reply(q["question_id"], turn)))
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"], default_reply="no match")) as handle:
        yield handle


def run(model: ServerHandle, judge: ServerHandle, work_dir: Path) -> Report:
    config = TaskConfig(
        model="mock-model",
        api_url=model.url,
        datasets=["mt_bench"],
        dataset_args={"mt_bench": {"local_path": str(shared_data("mt_bench"))}},
        limit=PER_CATEGORY,
        judge={"models": [{"model_id": "judge-model", "api_url": judge.url, "generation_config": {"retries": 0}}]},
        work_dir=str(work_dir),
        no_timestamp=True,
        eval_batch_size=8,
    )
    return run_task(config, show_progress=False)["mt_bench"]


def journal(work_dir: Path, kind: str) -> dict[int, dict[str, Any]]:
    rows = {}
    for path in (work_dir / kind / "mock-model").glob("mt_bench_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows[int(row["sample_id"])] = row
    return rows


def metric(report: Report, name: str) -> Any:
    return next(m for m in report.metrics if m.name == name)


def test_both_turns_reach_the_model_with_the_first_answer_in_context(
    model_server: ServerHandle, judge_server: ServerHandle, tmp_path: Path
) -> None:
    run(model_server, judge_server, tmp_path)
    stats = model_server.stats()
    assert stats["requests_total"] == 2 * len(QUESTIONS) == 32
    predictions = journal(tmp_path, "predictions")
    for q in QUESTIONS:
        qid, (first, second) = q["question_id"], q["turns"]
        assert stats["prompt_counts"][prompt_key(first)] == stats["prompt_counts"][prompt_key(second)] == 1
        output = predictions[qid]["output"]
        assert output["turns"] == [answer(qid, 1), answer(qid, 2)] and output["text"] == answer(qid, 2)
        # The server counts every message of a request in its prompt tokens: the second request
        # held turn 1, the model's answer to it (an assistant message), and turn 2.
        turn_2_request = "\n".join([first, answer(qid, 1), second])
        assert output["usage"]["prompt_tokens"] == count_tokens(first) + count_tokens(turn_2_request)
        assert count_tokens(turn_2_request) > count_tokens(f"{first}\n{second}")


def test_judge_prompts_are_fastchats_with_references_only_where_fastchat_uses_them(
    model_server: ServerHandle, judge_server: ServerHandle, tmp_path: Path
) -> None:
    run(model_server, judge_server, tmp_path)
    stats = judge_server.stats()
    assert stats["requests_total"] == 2 * len(QUESTIONS)
    assert all(hits == 1 for hits in stats["rule_hits"])  # every expected (system, prompt) arrived once
    for q in QUESTIONS:
        for turn in (1, 2):
            system, user = expected_judge_prompt(q, turn)
            assert stats["prompt_counts"][prompt_key(user)] == 1  # byte for byte
            if q["category"] in NEED_REF:
                assert q["refs"][0] in user and (turn == 1 or q["refs"][1] in user)
                assert "Reference" in user
            else:
                assert "Reference" not in user and "Reference" not in system
    reviews = journal(tmp_path, "reviews")
    names = {
        (r["score"]["details"]["category"], t["turn"], t["judge_prompt"])
        for r in reviews.values()
        for t in r["score"]["details"]["turns"]
    }
    assert ("math", 2, "single-math-v1-multi-turn") in names and ("writing", 1, "single-v1") in names
    for qid, review in reviews.items():
        assert [t["answer"] for t in review["score"]["details"]["turns"]] == [answer(qid, 1), answer(qid, 2)]


def test_scores_per_turn_overall_and_per_category_are_fastchats_averages(
    model_server: ServerHandle, judge_server: ServerHandle, tmp_path: Path
) -> None:
    report = run(model_server, judge_server, tmp_path)
    rated = {
        (q["question_id"], turn): float(rating(q["question_id"], turn))
        for q in QUESTIONS
        for turn in (1, 2)
        if q["question_id"] != UNRATED and not (q["question_id"] == HALF_RATED and turn == 2)
    }
    assert report.counts.excluded == 1 and report.counts.excluded_reasons == {"judge_parse_error": 1}
    assert report.counts.scored == len(QUESTIONS) - 1

    overall = metric(report, "mean_score")
    assert report.metrics[0] is overall
    assert overall.score == pytest.approx(statistics.fmean(rated.values()))  # show_result's "Average"
    for turn in (1, 2):
        turn_metric = metric(report, f"mean_score_turn{turn}")
        ratings = [v for (_, t), v in rated.items() if t == turn]
        assert turn_metric.score == pytest.approx(statistics.fmean(ratings)) and turn_metric.num == len(ratings)
    category_of = {q["question_id"]: q["category"] for q in QUESTIONS}
    subsets = {s.name: s for c in overall.categories for s in c.subsets}
    for category in {q["category"] for q in QUESTIONS}:
        ratings = [v for (qid, _), v in rated.items() if category_of[qid] == category]
        assert subsets[category].score == pytest.approx(statistics.fmean(ratings))

    reviews = journal(tmp_path, "reviews")
    half = reviews[HALF_RATED]["score"]
    assert half["value"] == {"score": rated[(HALF_RATED, 1)], "score_turn1": rated[(HALF_RATED, 1)]}
    assert half["weights"] == {"score": 1.0} and half["explanation"] == "turn 2: judge_parse_error"
    unrated = reviews[UNRATED]["score"]
    assert unrated["status"] == "excluded" and unrated["reason"] == "judge_parse_error"
    assert [t["reason"] for t in unrated["details"]["turns"]] == ["judge_parse_error"] * 2
    both = reviews[IDS[1]]["score"]
    assert both["value"]["score"] == pytest.approx((rated[(IDS[1], 1)] + rated[(IDS[1], 2)]) / 2)
    assert both["weights"] == {"score": 2.0}


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("Rating: [[8]]", 8.0),
        ("[[8.5]]", 8.5),
        ("Rating: [7]", 7.0),  # FastChat's backup pattern
        ("see [3], but overall [[9]]", 9.0),  # the double-bracket pattern is tried first
        ("[[10]] then [[2]]", 10.0),  # the first match
        ("[[ 8 ]]", None),
        ("Rating: 8/10", None),
        ("[[-1]]", None),
    ],
)
def test_ratings_parse_as_fastchats_patterns(reply: str, value: float | None) -> None:
    assert parse_rating(reply) == value


def test_local_path_and_dataset_dir_load_all_80_questions_by_category() -> None:
    shared_data("mt_bench")
    for adapter in (
        build_adapter("mt_bench", {"local_path": str(SHARED_DATA / "mt_bench" / "mt_bench")}, dataset_hub="local"),
        build_adapter("mt_bench", None, dataset_dir=SHARED_DATA, dataset_hub="local"),
    ):
        loaded = adapter.load()
        assert {subset: len(samples) for subset, samples in loaded.items()} == adapter.meta.sample_counts
        assert all(s.metadata["references"] == [] for s in loaded["roleplay"])  # question.jsonl's own is unused
        assert all(len(s.metadata["references"]) == 2 for c in NEED_REF for s in loaded[c])


def test_fastchat_questions_without_the_reference_answers_are_refused(tmp_path: Path) -> None:
    (tmp_path / "question.jsonl").write_bytes((shared_data("mt_bench") / "mt_bench" / "question.jsonl").read_bytes())
    adapter = build_adapter("mt_bench", {"local_path": str(tmp_path)}, dataset_hub="local")
    with pytest.raises(UserError, match=re.escape("reference_answer/gpt-4.jsonl")):
        adapter.load()
