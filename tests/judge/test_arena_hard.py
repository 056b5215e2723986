"""Arena-Hard end to end: one test server plays the model, another the judge, with verdicts scripted per game.

The model answers each of the first 30 real v0.1 questions with a marked answer; the judge server
recognises each game by that marker and by the side it is shown on (Assistant B in game 1, A in
game 2) and replies with the verdict of :data:`TABLE`: strong and weak wins and losses, ties,
verdicts that flip with the order, replies with no verdict or two different ones, and 500s with
judge retries at 0. Expected scores are computed here from the table alone, with
:func:`arena_result`, never from the reviews.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.cli.main import main
from assay.errors import UserError
from assay.judge.pairwise_stats import PairJudgment, arena_result, style_features
from assay.mock_server import Rule, ServerConfig, ServerHandle, prompt_key, run_server_in_thread
from assay.report.model import Report
from tests.conftest import shared_data

N = 30
V01 = Path("data") / "arena-hard-v0.1"
V2 = Path("data") / "arena-hard-v2.0"
#: The judge's user prompt as upstream's configs write it (placeholders renamed by .format below).
UPSTREAM_TEMPLATE = (
    "<|User Prompt|>\n{QUESTION}\n\n<|The Start of Assistant A's Answer|>\n{ANSWER_A}\n"
    "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{ANSWER_B}\n"
    "<|The End of Assistant B's Answer|>"
)
NONE, TWO, FAIL = "no-label", "two-labels", "500"
#: Per question (in file order): the judge's verdict in game 1 (baseline as A) and game 2 (model as A).
TABLE: list[tuple[str, str]] = [
    ("B>>A", "A>>B"), ("B>A", "A>B"), ("A=B", "A=B"), ("A>B", "B>A"), ("A>>B", "B>>A"),
    ("B>A", "B>A"), ("A>B", "A>B"), (NONE, "A>B"), ("B>A", NONE), (NONE, TWO),
    (TWO, FAIL), ("B>>A", NONE), (FAIL, "A=B"), (FAIL, FAIL), ("B>A", "A=B"),
    ("A=B", "A>B"), ("B>>A", "A>B"), ("B>A", "A>>B"), ("A>B", "B>A"), ("A<B", "B<A"),
    ("B>A", "A>B"), ("B>A", "A>B"), ("A=B", "B>A"), ("B>>A", "A>>B"), ("A>B", "A=B"),
    ("B>A", "A>B"), ("A=B", "A=B"), ("B>A", "B>A"), ("A>>B", "B>A"), ("B>A", "A>B"),
]  # fmt: skip
#: Questions whose judge reply names its (one) verdict twice: still one distinct label, so parseable.
REPEATED = {20}


def marker(i: int) -> str:
    return f"MODEL-ANSWER-{i:02d}"


def model_answer(i: int) -> str:
    """A marked answer whose length and markdown vary, so that style control has something to fit."""
    lines = [marker(i)]
    if i % 3 == 0:
        lines.append("## Plan")
    lines += [f"- point {k}" for k in range(i % 4)]
    if i % 2:
        lines.append("**Key**: done")
    lines.append(" ".join(["word"] * (5 + 7 * (i % 5))))
    return "\n".join(lines)


def judge_reply(i: int, entry: str) -> str:
    if entry == NONE:
        return "Both answers have merits and flaws; I cannot decide."
    if entry == TWO:
        return "It is between [[A>B]] and [[B>A]]. My final verdict is: [[B>A]]"
    if i in REPEATED:
        return f"Assistant B is better: [[{entry}]].\n\nMy final verdict is: [[{entry}]]"
    return f"Both answers have merits.\n\nMy final verdict is: [[{entry}]]"


def verdict(entry: str) -> str | None:
    return None if entry in (NONE, TWO, FAIL) else entry


def outcome(label: str, model_is_a: bool) -> float:
    a = 1.0 if label in ("A>>B", "A>B", "B<A", "B<<A") else 0.5 if label in ("A=B", "B=A") else 0.0
    return a if model_is_a else 1.0 - a


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


@pytest.fixture(scope="module")
def questions() -> list[dict[str, Any]]:
    return read_jsonl(shared_data("arena_hard") / V01 / "question.jsonl")[:N]


@pytest.fixture(scope="module")
def baselines() -> dict[str, str]:
    rows = read_jsonl(shared_data("arena_hard") / V01 / "model_answer" / "gpt-4-0314.jsonl")
    return {row["uid"]: row["messages"][-1]["content"]["answer"] for row in rows}


@pytest.fixture
def model_server(questions: list[dict[str, Any]]) -> Iterator[ServerHandle]:
    # Longest question first: a question that contains a shorter one must still get its own answer.
    ranked = sorted(range(N), key=lambda i: -len(questions[i]["prompt"]))
    rules = [Rule(contains=questions[i]["prompt"], reply=model_answer(i)) for i in ranked]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply="UNMATCHED")) as handle:
        yield handle


def judge_rules() -> list[Rule]:
    rules = []
    for i, games in enumerate(TABLE):
        for side, entry in zip("BA", games, strict=True):
            rules.append(
                Rule(
                    contains=f"<|The Start of Assistant {side}'s Answer|>\n{marker(i)}\n",
                    system_contains="Begin your evaluation by generating your own answer",
                    reply=judge_reply(i, entry),
                    fault="500" if entry == FAIL else None,
                )
            )
    return rules


def config(
    model: ServerHandle,
    judge_server: ServerHandle,
    work_dir: Path,
    *,
    limit: int = N,
    judge: dict[str, Any] | None = None,
    **extra: Any,
) -> TaskConfig:
    judge_block: dict[str, Any] = {
        "models": [{"model_id": "judge-model", "api_url": judge_server.url, "generation_config": {"retries": 0}}],
        **(judge or {}),
    }
    return TaskConfig(
        model="mock-model",
        api_url=model.url,
        datasets=["arena_hard"],
        dataset_args={"arena_hard": {"local_path": str(shared_data("arena_hard")), **extra}},
        limit=limit,
        judge=judge_block,
        work_dir=str(work_dir),
        no_timestamp=True,
        eval_batch_size=8,
    )


def reviews(work_dir: Path) -> dict[str, dict[str, Any]]:
    rows = read_jsonl(work_dir / "reviews" / "mock-model" / "arena_hard_default.jsonl")
    return {row["sample_id"]: row for row in rows}


def expected_judgments(
    questions: list[dict[str, Any]], baselines: dict[str, str], *, swap: bool = True, n: int = N
) -> list[PairJudgment]:
    """The scripted verdicts as judgments in sample-id order, with the style of both answers."""
    rows = []
    for i in range(n):
        uid = questions[i]["uid"]
        first, second = TABLE[i]
        rows.append(
            PairJudgment(
                question_id=f"{uid}#0",
                baseline_first=verdict(first),
                model_first=verdict(second) if swap else None,
                model_style=style_features(model_answer(i)),
                baseline_style=style_features(baselines[uid]),
            )
        )
    return sorted(rows, key=lambda j: j.question_id)


def metric(report: Report, name: str) -> Any:
    return next(m for m in report.metrics if m.name == name)


def test_both_orders_are_judged_and_the_score_is_arena_result_of_the_scripted_verdicts(
    model_server: ServerHandle, questions: list[dict[str, Any]], baselines: dict[str, str], tmp_path: Path
) -> None:
    with run_server_in_thread(ServerConfig(rules=judge_rules(), models=["judge-model"])) as judge:
        cfg = config(model_server, judge, tmp_path, extra_params={"style_control": True})
        report = run_task(cfg, show_progress=False)["arena_hard"]
        stats = judge.stats()
        # A resumed re-review asks again only the games whose request failed; every reply is cached.
        again = run_task(cfg.model_copy(update={"use_cache": str(tmp_path), "rerun_review": True}), show_progress=False)
        resent = judge.stats()["requests_total"] - stats["requests_total"]

    # Every game reached the judge exactly once, with upstream's prompt: 60 distinct prompts.
    expected_prompts = {}
    for i, q in enumerate(questions):
        answer, base = model_answer(i), baselines[q["uid"]]
        expected_prompts[(i, 1)] = UPSTREAM_TEMPLATE.format(QUESTION=q["prompt"], ANSWER_A=base, ANSWER_B=answer)
        expected_prompts[(i, 2)] = UPSTREAM_TEMPLATE.format(QUESTION=q["prompt"], ANSWER_A=answer, ANSWER_B=base)
    assert stats["requests_total"] == 2 * N
    assert stats["prompt_counts"] == {prompt_key(p): 1 for p in expected_prompts.values()}

    judgments = expected_judgments(questions, baselines)
    plain = arena_result(judgments, rounds=100, seed=42)
    controlled = arena_result(judgments, rounds=100, seed=42, style_control=True)
    assert [m.name for m in report.metrics] == ["arena_score", "arena_score_style_controlled", "mean_win_rate"]
    headline = report.metrics[0]
    assert report.score == pytest.approx(plain.score, abs=1e-12)
    assert (headline.ci_low, headline.ci_high) == pytest.approx((plain.ci_low, plain.ci_high), abs=1e-12)
    assert headline.ci_low is not None and headline.ci_high is not None and headline.ci_level == 0.9
    assert headline.ci_low <= report.score <= headline.ci_high
    assert headline.num == N - 3 and headline.method and "bootstrap" in headline.method
    style = metric(report, "arena_score_style_controlled")
    assert (style.score, style.ci_low, style.ci_high) == pytest.approx(
        (controlled.score, controlled.ci_low, controlled.ci_high), abs=1e-12
    )

    scored_rows = [(verdict(a), verdict(b)) for a, b in TABLE if verdict(a) or verdict(b)]
    per_sample = []
    for first, second in scored_rows:
        games = ([outcome(first, False)] if first else []) + ([outcome(second, True)] if second else [])
        per_sample.append(sum(games) / len(games))
    assert metric(report, "mean_win_rate").score == pytest.approx(sum(per_sample) / len(per_sample))

    # Three questions had no verdict in either game; one good game is enough to score a question.
    counts = report.counts
    assert (counts.scored, counts.excluded, counts.errored) == (N - 3, 3, 0)
    assert counts.excluded_reasons == {"judge_parse_error": 2, "judge_transport_error": 1}
    assert counts.extraction_failures == 0
    assert report.judge is not None
    assert (report.judge.requests, report.judge.parse_errors, report.judge.transport_errors) == (60, 6, 4)
    assert report.judge.judges == ["judge-model"]

    rows = reviews(tmp_path)
    one_game = rows[questions[7]["uid"]]["score"]
    assert one_game["value"] == {"win_rate": 1.0}  # game 2 alone: A>B, and the model was A
    assert [g["order"] for g in one_game["details"]["games"]] == ["baseline_first", "model_first"]
    failed = one_game["details"]["games"][0]
    assert failed["model_outcome"] is None and failed["judge"]["reason"] == "judge_parse_error"
    excluded = rows[questions[13]["uid"]]["score"]
    assert excluded["status"] == "excluded" and excluded["reason"] == "judge_transport_error"
    assert "value" not in excluded or not excluded["value"]
    assert rows[questions[10]["uid"]]["score"]["reason"] == "judge_parse_error"  # no label + a 500

    assert resent == 4  # the four 500s; unparseable replies came from the judge cache
    assert again["arena_hard"].judge is not None and again["arena_hard"].judge.cached == 56


def test_position_swap_off_plays_game_one_only(
    model_server: ServerHandle, questions: list[dict[str, Any]], baselines: dict[str, str], tmp_path: Path
) -> None:
    with run_server_in_thread(ServerConfig(rules=judge_rules(), models=["judge-model"])) as judge:
        cfg = config(model_server, judge, tmp_path, judge={"position_swap": "off"})
        report = run_task(cfg, show_progress=False)["arena_hard"]
        stats = judge.stats()
    assert stats["requests_total"] == N
    expected_prompts = [
        UPSTREAM_TEMPLATE.format(QUESTION=q["prompt"], ANSWER_A=baselines[q["uid"]], ANSWER_B=model_answer(i))
        for i, q in enumerate(questions)
    ]
    assert stats["prompt_counts"] == {prompt_key(p): 1 for p in expected_prompts}
    expected = arena_result(expected_judgments(questions, baselines, swap=False), rounds=100, seed=42)
    assert [m.name for m in report.metrics] == ["arena_score", "mean_win_rate"]  # style control is off by default
    assert report.score == pytest.approx(expected.score, abs=1e-12)
    assert (report.metrics[0].ci_low, report.metrics[0].ci_high) == pytest.approx(
        (expected.ci_low, expected.ci_high), abs=1e-12
    )
    # game 1 alone: rows 7, 9 and 10 have no label, rows 12 and 13 a failed request
    assert report.counts.excluded_reasons == {"judge_parse_error": 3, "judge_transport_error": 2}
    assert all(len(row["score"]["details"]["games"]) == 1 for row in reviews(tmp_path).values())


def test_a_resumed_re_review_sends_no_judge_request(model_server: ServerHandle, tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(rules=judge_rules(), models=["judge-model"])) as judge:
        cfg = config(model_server, judge, tmp_path, limit=10)  # rows 0-9: no 500s, so every reply is cached
        first = run_task(cfg, show_progress=False)["arena_hard"]
        assert judge.stats()["requests_total"] == 20
        again = run_task(cfg.model_copy(update={"use_cache": str(tmp_path), "rerun_review": True}), show_progress=False)
        assert judge.stats()["requests_total"] == 20
    report = again["arena_hard"]
    assert report.judge is not None and (report.judge.requests, report.judge.cached) == (0, 20)
    assert (report.score, report.metrics[0].ci_low, report.metrics[0].ci_high) == (
        first.score,
        first.metrics[0].ci_low,
        first.metrics[0].ci_high,
    )


def test_v2_judges_each_category_with_its_prompt_and_scores_categories_apart(tmp_path: Path) -> None:
    writing = "compare both assistants' answers. You must identify"  # only creative writing's system prompt
    rules = [
        Rule(system_contains=writing, contains="Assistant B's Answer|>\nMODEL", reply="final: [[b>a]]"),
        Rule(system_contains=writing, contains="Assistant A's Answer|>\nMODEL", reply="[[A>B]]"),
        Rule(system_contains="generating your own answer", reply="Tie. [[A=B]]"),
    ]
    with (
        run_server_in_thread(ServerConfig(default_reply="MODEL answer")) as model,
        run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"])) as judge,
    ):
        cfg = TaskConfig(
            model="mock-model",
            api_url=model.url,
            datasets=["arena_hard_v2"],
            dataset_args={
                "arena_hard_v2": {
                    "local_path": str(shared_data("arena_hard")),
                    # upstream's creative-writing baseline is not in the shared copy
                    "extra_params": {"baseline_model": {"creative_writing": "o3-mini-2025-01-31"}},
                }
            },
            limit=5,
            judge={"models": [{"model_id": "judge-model", "api_url": judge.url}]},
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        report = run_task(cfg, show_progress=False)["arena_hard_v2"]
        assert judge.stats()["requests_total"] == 20
    headline = report.metrics[0]
    by_category = {c.name[0]: c for c in headline.categories}
    assert by_category["hard_prompt"].score == pytest.approx(0.5)  # every game a tie
    assert by_category["creative_writing"].score == 1.0  # every game won (lower-case label: v2 upper-cases)
    assert (by_category["creative_writing"].ci_low, by_category["creative_writing"].ci_high) == (1.0, 1.0)
    pooled = [PairJudgment(f"q{i}", "A=B", "A=B") for i in range(5)] + [
        PairJudgment(f"w{i}", "B>A", "A>B") for i in range(5)
    ]
    assert report.score == pytest.approx(arena_result(pooled).score, abs=1e-9)
    assert report.counts.scored == 10


def test_rule_strategy_is_refused(server: ServerHandle, tmp_path: Path) -> None:
    cfg = TaskConfig(
        model="mock-model",
        api_url=server.url,
        datasets=["arena_hard"],
        dataset_args={"arena_hard": {"local_path": str(shared_data("arena_hard"))}},
        limit=2,
        judge={"strategy": "rule"},
        work_dir=str(tmp_path),
        no_timestamp=True,
    )
    with pytest.raises(UserError, match="judge_strategy 'rule' cannot score it"):
        run_task(cfg, show_progress=False)
    assert server.stats()["requests_total"] == 0


# ---------------------------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize(
    ("reply", "v01", "v2"),
    [
        ("My final verdict is: [[B>A]]", "B>A", "B>A"),
        ("[[A>>B]] ... so, again, [[A>>B]]", "A>>B", "A>>B"),
        ("Between [[A>B]] and [[B>A]]: [[B>A]]", None, "B>A"),  # v0.1: two different labels are no verdict
        ("final verdict: [[b>>a]]", None, "B>>A"),  # v2 reads the upper-cased reply
        ("Verdict: [A=B]", None, "A=B"),  # v2's single-bracket fallback
        ("[[A>B>A]]", None, None),  # not a label
        ("no verdict at all", None, None),
    ],
)
def test_verdict_rules_follow_each_upstream_version(reply: str, v01: str | None, v2: str | None) -> None:
    from assay.benchmarks._arena import parse_verdict_v01, parse_verdict_v2

    assert (parse_verdict_v01(reply), parse_verdict_v2(reply)) == (v01, v2)


def _review(sample_id: str, games: list[tuple[str, str | None]], model_tokens: int, status: str = "scored") -> Any:
    style = {"model": {"tokens": model_tokens, "headers": 0, "lists": 0, "bold": 0}}
    style["baseline"] = {"tokens": 10, "headers": 0, "lists": 0, "bold": 0}
    details = {"games": [{"order": o, "judge": {"verdict": v}} for o, v in games], "style": style}
    return {"sample_id": sample_id, "repeat": 0, "score": {"status": status, "details": details}}


def test_corpus_metric_needs_a_judged_game_and_skips_an_unfittable_style_control(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from assay.benchmarks._arena import arena_estimates

    none = [_review("a", [("baseline_first", None)], 5, status="excluded")]
    assert arena_estimates(none, rounds=10, seed=1, style_control=True) == {}
    # every model answer is 20 tokens against the baseline's 10: the length gap cannot be told from strength
    same_gap = [_review(f"q{i}", [("baseline_first", "B>A" if i % 2 else "A>B")], 20) for i in range(6)]
    estimates = arena_estimates(same_gap, rounds=10, seed=1, style_control=True)
    assert list(estimates) == ["arena_score"] and estimates["arena_score"].score == pytest.approx(0.5)
    assert "arena_score_style_controlled not computed" in caplog.text


# ---------------------------------------------------------------------------------------------- loading
def test_v01_loads_from_a_checkout_its_version_folder_or_the_dataset_dir(baselines: dict[str, str]) -> None:
    root = shared_data("arena_hard")
    for args, where in (({"local_path": str(root)}, None), ({"local_path": str(root / V01)}, None), ({}, root.parent)):
        samples = build_adapter("arena_hard", args, dataset_dir=where).load()["default"]
        assert len(samples) == 500
        first = samples[0]
        assert first.id == "328c149ed45a41c0b9d6f14659e63599"
        assert isinstance(first.input, list) and [m.role for m in first.input] == ["user"]
        assert first.input[0].content == "Use ABC notation to write a melody in the style of a folk tune."
        assert first.target == first.metadata["baseline_answer"] == baselines[first.id]
        assert first.metadata["baseline_model"] == "gpt-4-0314"


def test_v2_reads_the_arena_hard_checkout_under_the_dataset_dir() -> None:
    root = shared_data("arena_hard")  # <dataset_dir>/arena_hard holds both versions; no arena_hard_v2/ folder
    adapter = build_adapter("arena_hard_v2", {"subset_list": ["hard_prompt"]}, dataset_dir=root.parent)
    assert adapter.meta.local_path == str(root)
    assert len(adapter.load(limit=3)["hard_prompt"]) == 3


def test_v2_categories_are_subsets_with_their_official_baselines() -> None:
    root = shared_data("arena_hard")
    o3 = {
        r["uid"]: r["messages"][-1]["content"]["answer"]
        for r in read_jsonl(root / V2 / "model_answer" / "o3-mini-2025-01-31.jsonl")
    }
    hard = build_adapter("arena_hard_v2", {"local_path": str(root), "subset_list": ["hard_prompt"]}).load()
    assert len(hard["hard_prompt"]) == 500
    assert all(
        s.metadata["baseline_model"] == "o3-mini-2025-01-31" and s.target == o3[s.id] for s in hard["hard_prompt"]
    )
    with pytest.raises(UserError) as missing:
        build_adapter("arena_hard_v2", {"local_path": str(root)}).load()
    message = str(missing.value)
    assert "\n" not in message
    assert str(root / V2 / "model_answer" / "gemini-2.0-flash-001.jsonl") in message
    assert "extra_params.baseline_model" in message
    both = build_adapter(
        "arena_hard_v2",
        {"local_path": str(root / V2), "extra_params": {"baseline_model": {"creative_writing": "o3-mini-2025-01-31"}}},
    ).load()
    assert {subset: len(samples) for subset, samples in both.items()} == {"hard_prompt": 500, "creative_writing": 250}
    assert {s.metadata["category"] for s in both["creative_writing"]} == {"creative_writing"}


def test_a_baseline_file_that_misses_a_question_or_is_absent_is_a_one_line_error(tmp_path: Path) -> None:
    source = shared_data("arena_hard") / V01
    (tmp_path / "model_answer").mkdir()
    lines = (source / "question.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    (tmp_path / "question.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    uids = [json.loads(line)["uid"] for line in lines]
    answers = [r for r in read_jsonl(source / "model_answer" / "gpt-4-0314.jsonl") if r["uid"] in uids[:2]]
    (tmp_path / "model_answer" / "gpt-4-0314.jsonl").write_text("".join(json.dumps(r) + "\n" for r in answers))
    with pytest.raises(
        UserError, match=f"no answer of gpt-4-0314 to 1 of the 3 arena_hard/default questions \\(first: {uids[2]}\\)"
    ):
        build_adapter("arena_hard", {"local_path": str(tmp_path)}).load()
    with pytest.raises(UserError) as absent:
        build_adapter("arena_hard", {"local_path": str(tmp_path), "extra_params": {"baseline_model": "gpt-9"}}).load()
    assert str(tmp_path / "model_answer" / "gpt-9.jsonl") in str(absent.value) and "\n" not in str(absent.value)


def test_evalscope_records_carry_their_gpt4_baseline_inline(tmp_path: Path) -> None:
    rows = [{"question": "Name a prime.", "prediction": "2 is prime.", "capability": "math"}]
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    [sample] = build_adapter("arena_hard", {"local_path": str(tmp_path)}).load()["default"]
    assert (sample.id, sample.target, sample.metadata["baseline_model"]) == ("default-0", "2 is prime.", "gpt-4-0314")
    with pytest.raises(UserError, match=r"gpt-4-0613\.jsonl does not exist"):
        build_adapter(
            "arena_hard", {"local_path": str(tmp_path), "extra_params": {"baseline_model": "gpt-4-0613"}}
        ).load()


@pytest.mark.parametrize("name", ["arena_hard", "arena_hard_v2"])
def test_the_question_only_hub_copy_is_refused_before_any_download(name: str) -> None:
    with pytest.raises(UserError) as refused:
        build_adapter(name, {}).load()
    message = str(refused.value)
    assert "github.com/lmarena/arena-hard-auto" in message and "local_path" in message
    assert ("--dataset-hub modelscope" in message) == (name == "arena_hard")


@pytest.mark.parametrize(
    "extra",
    [{"bootstrap_rounds": 0}, {"bootstrap_rounds": "100"}, {"baseline_model": {"hard": "x"}}, {"baseline_model": ""}],
)
def test_bad_extra_params_are_user_errors(extra: dict[str, Any]) -> None:
    with pytest.raises(UserError, match="extra_params"):
        build_adapter("arena_hard", {"extra_params": extra})


# ---------------------------------------------------------------------------------------------- benchmark-info
def test_benchmark_info_renders_both_cards(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark-info", "arena_hard"]) == 0
    card = capsys.readouterr().out
    assert "license: Apache-2.0" in card and "samples: 500 (test split, default 500)" in card
    assert "Use ABC notation to write a melody in the style of a folk tune." in card
    assert "target: (the answer of the baseline gpt-4-0314" in card
    assert main(["benchmark-info", "arena_hard_v2"]) == 0
    card = capsys.readouterr().out
    assert "samples: 750 (test split, hard_prompt 500, creative_writing 250)" in card
    assert "creative_writing" in card and "arena_score_style_controlled" in card


def test_benchmark_info_with_the_dataset_dir_shows_the_real_baseline(
    capsys: pytest.CaptureFixture[str], baselines: dict[str, str]
) -> None:
    assert main(["benchmark-info", "arena_hard", "--dataset-dir", str(shared_data("arena_hard").parent)]) == 0
    card = capsys.readouterr().out
    assert "samples: 500 loaded from " in card and "question.jsonl; default 500" in card
    assert baselines["328c149ed45a41c0b9d6f14659e63599"][:60] in card
