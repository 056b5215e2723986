"""The judge in the engine, end to end against two test servers: one plays the model, one the judge.

GSM8K's real questions are answered by a "model" whose replies are right in words but hold no number
Math-Verify can extract, so the rule scores every one 0; the judge server's rules then decide each
sample by its gold answer, which the judge prompt quotes. Every path of a judged verdict is driven
this way: confirmed, denied, unparseable, failed after retries, cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.judge.config import JudgeModelConfig
from assay.mock_server import Rule, ServerConfig, ServerHandle, run_server_in_thread
from tests.conftest import shared_data

#: A reply that is right in words but holds no extractable number.
UNEXTRACTABLE = "I worked it out carefully and the answer is the value asked for."


def gsm8k_golds(n: int) -> list[str]:
    path = shared_data("gsm8k") / "test.jsonl"
    golds = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            answer = json.loads(line)["answer"]
            golds.append(answer.split("####")[-1].strip().replace(",", ""))
            if len(golds) == n:
                break
    return golds


@pytest.fixture
def model_server() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig(default_reply=UNEXTRACTABLE)) as handle:
        yield handle


def judge_rules_by_gold(decisions: dict[str, Rule]) -> list[Rule]:
    return list(decisions.values())


def expression_rule(gold: str, **kwargs: Any) -> Rule:
    """Matches the equivalence prompt whose reference (Expression 1) is ``gold``."""
    return Rule(regex=rf"Expression 1: {gold}\n", **kwargs)


def grading_rule(gold: str, **kwargs: Any) -> Rule:
    """Matches the generic grading prompt whose reference answer is ``gold``."""
    return Rule(regex=rf"\[Reference Answer\]\n{gold}\n", **kwargs)


def config(
    model: ServerHandle, judge: ServerHandle, work_dir: Path, *, strategy: str, limit: int, **judge_extra: Any
) -> TaskConfig:
    judge_block: dict[str, Any] = {
        "strategy": strategy,
        "models": [
            {
                "model_id": "judge-model",
                "api_url": judge.url,
                "generation_config": {"retries": 0, "timeout": 10},
            }
        ],
        **judge_extra,
    }
    return TaskConfig(
        model="mock-model",
        api_url=model.url,
        datasets=["gsm8k"],
        dataset_args={"gsm8k": {"local_path": str(shared_data("gsm8k")), "few_shot_num": 0}},
        limit=limit,
        judge=judge_block,
        work_dir=str(work_dir),
        no_timestamp=True,
        eval_batch_size=8,
    )


def reviews(work_dir: Path) -> list[dict[str, Any]]:
    path = work_dir / "reviews" / "mock-model" / "gsm8k_main.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_llm_recall_rescues_right_but_unextractable_answers(model_server: ServerHandle, tmp_path: Path) -> None:
    golds = gsm8k_golds(20)
    confirmed = set(golds[::3])  # the judge confirms these; every other answer it denies
    rules = [expression_rule(g, reply="Yes") for g in sorted(confirmed)] + [Rule(regex="Expression 1:", reply="No")]
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"])) as judge:
        report = run_task(config(model_server, judge, tmp_path, strategy="llm_recall", limit=20), show_progress=False)[
            "gsm8k"
        ]
        judge_requests = judge.stats()["requests_total"]
    expected = sum(g in confirmed for g in golds) / len(golds)
    assert report.score == pytest.approx(expected)
    assert report.counts.scored == 20 and report.counts.excluded == 0
    # one equivalence question per distinct (gold, reply): it quotes no question, so equal golds ask once
    assert judge_requests == len(set(golds)) < 20
    rows = reviews(tmp_path)
    for row in rows:
        details = row["score"]["details"]
        assert details["rule"]["value"] == {"acc": 0.0}  # the rule's own verdict is kept
        assert details["judge"]["verdict"] in {"Yes", "No"}
        assert row["score"]["value"]["acc"] == (1.0 if details["judge"]["verdict"] == "Yes" else 0.0)
    assert report.judge is not None
    assert (report.judge.requests, report.judge.cached) == (len(set(golds)), 20 - len(set(golds)))
    assert report.judge.strategy == "llm_recall"
    assert report.judge.judges == ["judge-model"]
    assert report.judge.prompt_tokens > 0 and report.judge.completion_tokens == len(set(golds))
    assert report.timing.requests == 20  # the model's own calls, counted apart from the judge's


def test_unparseable_and_failed_verdicts_are_excluded_never_zero(model_server: ServerHandle, tmp_path: Path) -> None:
    golds = gsm8k_golds(50)
    distinct = list(dict.fromkeys(golds))
    garbled, failing = set(distinct[:5]), set(distinct[5:10])
    correct = set(distinct[10:30])
    rules = (
        [grading_rule(g, reply="Hmm, hard to say.") for g in garbled]
        + [grading_rule(g, reply="A", fault="500") for g in failing]
        + [grading_rule(g, reply="A") for g in correct]
        + [Rule(regex=r"\[Reference Answer\]", reply="B")]
    )
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"])) as judge:
        report = run_task(config(model_server, judge, tmp_path, strategy="llm", limit=50), show_progress=False)["gsm8k"]
    n_garbled = sum(g in garbled for g in golds)
    n_failing = sum(g in failing for g in golds)
    kept = [g for g in golds if g not in garbled and g not in failing]
    assert report.counts.excluded_reasons == {"judge_parse_error": n_garbled, "judge_transport_error": n_failing}
    assert report.counts.excluded == n_garbled + n_failing and report.counts.scored == len(kept)
    assert report.score == pytest.approx(sum(g in correct for g in kept) / len(kept))
    assert report.judge is not None
    assert (report.judge.parse_errors, report.judge.transport_errors) == (n_garbled, n_failing)
    for row in reviews(tmp_path):
        if row["score"].get("status") == "excluded":
            assert "value" not in row["score"] or not row["score"]["value"]  # no hidden zero


def test_rerun_review_and_resume_send_no_judge_request_twice(model_server: ServerHandle, tmp_path: Path) -> None:
    rules = [Rule(regex=r"\[Reference Answer\]", reply="A")]
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"])) as judge:
        first = run_task(config(model_server, judge, tmp_path, strategy="llm", limit=12), show_progress=False)["gsm8k"]
        assert judge.stats()["requests_total"] == 12
        cfg = config(model_server, judge, tmp_path, strategy="llm", limit=12).model_copy(
            update={"use_cache": str(tmp_path), "rerun_review": True}
        )
        again = run_task(cfg, show_progress=False)["gsm8k"]
        assert judge.stats()["requests_total"] == 12  # every verdict came from the judge cache
    assert again.score == first.score == 1.0
    assert again.judge is not None and (again.judge.requests, again.judge.cached) == (0, 12)


def test_a_new_judge_prompt_rejudges_without_asking_the_model_again(model_server: ServerHandle, tmp_path: Path) -> None:
    rules = [Rule(contains="VARIANT-2", reply="B"), Rule(regex=r"\[Reference Answer\]", reply="A")]
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"])) as judge:
        run_task(config(model_server, judge, tmp_path, strategy="llm", limit=6), show_progress=False)
        model_calls = model_server.stats()["requests_total"]
        template = "VARIANT-2 [Reference Answer]\n{gold}\n[Predicted Answer]\n{pred}\nReply A or B."
        cfg = config(
            model_server, judge, tmp_path, strategy="llm", limit=6, contract={"prompt_template": template}
        ).model_copy(update={"use_cache": str(tmp_path)})
        report = run_task(cfg, show_progress=False)["gsm8k"]
        assert model_server.stats()["requests_total"] == model_calls  # predictions reused
        assert judge.stats()["requests_total"] == 12  # every sample judged again with the new prompt
    assert report.score == 0.0 and report.counts.scored == 6


def test_rule_strategy_refuses_nothing_on_rule_benchmarks_and_auto_needs_no_judge(
    model_server: ServerHandle, tmp_path: Path
) -> None:
    cfg = TaskConfig(
        model="mock-model",
        api_url=model_server.url,
        datasets=["gsm8k"],
        dataset_args={"gsm8k": {"local_path": str(shared_data("gsm8k")), "few_shot_num": 0}},
        limit=3,
        work_dir=str(tmp_path),
        no_timestamp=True,
        judge={"strategy": "rule"},
    )
    report = run_task(cfg, show_progress=False)["gsm8k"]
    assert report.judge is None and report.score == 0.0
    assert not (tmp_path / "judge").exists()


def test_resume_after_sigkill_during_judging_pays_only_for_unjournaled_verdicts(
    model_server: ServerHandle, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    rules = [Rule(regex=r"\[Reference Answer\]", reply="A")]
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"], latency_ms=150)) as judge:
        cfg = config(model_server, judge, tmp_path, strategy="llm", limit=16, concurrency=2)
        args = [
            sys.executable, "-m", "assay", "eval",
            "--model", "mock-model", "--api-url", model_server.url, "--datasets", "gsm8k",
            "--dataset-args", json.dumps(cfg.dataset_args), "--limit", "16",
            "--judge", cfg.judge.model_dump_json() if cfg.judge else "",
            "--work-dir", str(tmp_path), "--no-timestamp", "--no-progress",
        ]  # fmt: skip
        cache = tmp_path / "judge" / "cache.jsonl"
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                if cache.exists() and cache.read_bytes().count(b"\n") >= 3:
                    break
                time.sleep(0.01)
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
        journaled = sum(1 for line in cache.read_bytes().split(b"\n")[:-1] if line.strip())
        assert 3 <= journaled < 16
        sent_before = judge.stats()["requests_total"]
        report = run_task(cfg.model_copy(update={"use_cache": str(tmp_path)}), show_progress=False)["gsm8k"]
        sent_after = judge.stats()["requests_total"] - sent_before
        repeated = sum(count - 1 for count in judge.stats()["prompt_counts"].values() if count > 1)
    assert report.counts.scored == 16 and report.score == 1.0
    assert report.judge is not None
    # every verdict journaled before the kill is reused (its review, or the cached reply when the kill
    # fell between the two); only the rest is asked, again only for the at most `concurrency`
    # requests that were in flight when the process died
    assert report.judge.cached <= journaled
    assert report.judge.requests == sent_after == 16 - journaled
    assert repeated <= 2


def test_a_panel_of_judges_reports_agreement_and_repeats_vote(model_server: ServerHandle, tmp_path: Path) -> None:
    golds = gsm8k_golds(10)
    disputed = set(golds[:4])
    strict = [grading_rule(g, reply="B") for g in disputed] + [Rule(regex=r"\[Reference Answer\]", reply="A")]
    lenient = [Rule(regex=r"\[Reference Answer\]", reply="A")]
    with (
        run_server_in_thread(ServerConfig(rules=strict, models=["strict"])) as first,
        run_server_in_thread(ServerConfig(rules=lenient, models=["lenient"])) as second,
    ):
        cfg = TaskConfig(
            model="mock-model",
            api_url=model_server.url,
            datasets=["gsm8k"],
            dataset_args={"gsm8k": {"local_path": str(shared_data("gsm8k")), "few_shot_num": 0}},
            limit=10,
            work_dir=str(tmp_path),
            no_timestamp=True,
            judge={
                "strategy": "llm",
                "models": [
                    {"model_id": "strict", "api_url": first.url, "generation_config": {"retries": 0}},
                    {"model_id": "lenient", "api_url": second.url, "generation_config": {"retries": 0}},
                ],
                "aggregation": "mean",
            },
        )
        report = run_task(cfg, show_progress=False)["gsm8k"]
    n_disputed = sum(g in disputed for g in golds)
    assert report.judge is not None and report.judge.judges == ["strict", "lenient"]
    assert report.judge.agreement == pytest.approx(1 - n_disputed / 10)
    # labels combine by majority; a 1-1 split goes to the first judge's verdict (config order)
    assert report.score == pytest.approx(1 - n_disputed / 10)
    rows = reviews(tmp_path)
    split = [r for r in rows if r["score"]["details"]["judge"]["judges_agree"] is False]
    assert len(split) == n_disputed
    assert all(len(r["score"]["details"]["judge"]["votes"]) == 2 for r in rows)


def test_a_hung_judge_times_out_and_excludes_instead_of_stalling_the_run(
    model_server: ServerHandle, tmp_path: Path
) -> None:
    golds = gsm8k_golds(6)
    hung = golds[0]
    rules = [grading_rule(hung, reply="A", fault="hang"), Rule(regex=r"\[Reference Answer\]", reply="A")]
    with run_server_in_thread(ServerConfig(rules=rules, models=["judge-model"])) as judge:
        cfg = config(model_server, judge, tmp_path, strategy="llm", limit=6)
        assert cfg.judge is not None
        slow = JudgeModelConfig.model_validate(
            {
                "model_id": "judge-model",
                "api_url": judge.url,
                "generation_config": {"timeout": 0.5, "retries": 1, "retry_interval": 0.01},
            }
        )
        cfg = cfg.model_copy(update={"judge": cfg.judge.model_copy(update={"models": [slow]})})
        report = run_task(cfg, show_progress=False)["gsm8k"]
        hits = judge.stats()["rule_hits"][0]
    n_hung = golds.count(hung)
    assert report.counts.excluded_reasons == {"judge_transport_error": n_hung}
    assert hits == 2 * n_hung  # the first attempt and its one retry
    assert report.counts.scored == 6 - n_hung and report.score == 1.0
