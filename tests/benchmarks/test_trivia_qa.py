"""TriviaQA: hub-schema records, EvalScope's prompt, official normalisation, exact oracle accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.benchmarks.trivia_qa import extract_answer, normalize_answer
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.types import Sample
from tests.benchmarks.fixtures import (
    TRIVIA_QA_RECORDS,
    TRIVIA_QA_SUNSET,
    TRIVIA_QA_SUNSET_NORMALIZED,
    write_trivia_qa,
)
from tests.benchmarks.helpers import prompt_of, score, write_jsonl

GOLD = {"tc_1": "ANSWER: Sunset Boulevard", "tc_2": "**ANSWER:** David Seville", "tc_3": "answer: Paris."}


@pytest.fixture
def trivia_dir(tmp_path: Path) -> Path:
    return write_trivia_qa(tmp_path)


def test_records_load_with_question_ids_and_every_alias(trivia_dir: Path) -> None:
    samples = build_adapter("trivia_qa", {"local_path": str(trivia_dir)}).load()["rc.wikipedia"]
    assert [s.id for s in samples] == ["tc_1", "tc_2", "tc_3"]
    assert samples[0].target == TRIVIA_QA_SUNSET + TRIVIA_QA_SUNSET_NORMALIZED


def test_prompt_equals_evalscope(trivia_dir: Path) -> None:
    # EvalScope 1.14.1: PROMPT_TEMPLATE.format(content=entity_pages['wiki_context'], question=...); the
    # list of articles is rendered by str().
    sample = build_adapter("trivia_qa", {"local_path": str(trivia_dir)}).load(limit=1)["rc.wikipedia"][0]
    assert prompt_of(sample) == (
        "Read the content and answer the following question.\n\n"
        "Content: ['Sunset Boulevard is a musical.', \"It's by Andrew Lloyd Webber.\"]\n\n"
        "Question: Which Lloyd Webber musical premiered in the US on 10th December 1993?\n\n"
        'The last line of your response should be of the form "ANSWER: [ANSWER]" (without quotes) where '
        "[ANSWER] is the answer to the problem.\n"
    )


def test_row_wise_entity_pages_give_the_same_prompt(tmp_path: Path, trivia_dir: Path) -> None:
    pages = TRIVIA_QA_RECORDS[0]["entity_pages"]
    rows = [dict(zip(pages, values, strict=True)) for values in zip(*pages.values(), strict=True)]
    write_jsonl(tmp_path / "rows" / "validation.jsonl", [{**TRIVIA_QA_RECORDS[0], "entity_pages": rows}])
    row_wise = build_adapter("trivia_qa", {"local_path": str(tmp_path / "rows")}).load()["rc.wikipedia"][0]
    column_wise = build_adapter("trivia_qa", {"local_path": str(trivia_dir)}).load(limit=1)["rc.wikipedia"][0]
    assert prompt_of(row_wise) == prompt_of(column_wise)


def test_few_shot_is_refused_for_lack_of_a_train_split(trivia_dir: Path) -> None:
    with pytest.raises(UserError, match="few_shot_num to 0"):
        build_adapter("trivia_qa", {"few_shot_num": 2, "local_path": str(trivia_dir)}).load()


def test_normalization_follows_the_official_evaluation() -> None:
    assert normalize_answer("The Sunset_Blvd.") == "sunset blvd"
    assert normalize_answer("‘Sunset-Boulevard’") == "sunset boulevard"


# (reply, EvalScope 1.14.1 extraction, acc against TRIVIA_QA_SUNSET aliases), checked against EvalScope itself.
CASES = [
    ("ANSWER: Sunset Boulevard", "sunset boulevard", 1.0),
    ("**ANSWER:** Sunset Blvd.", "sunset blvd", 1.0),
    ("answer: the sunset boulevard\n", "sunset boulevard", 1.0),
    ("Thinking...\nANSWER: Cats\nANSWER: Sunset_Boulevard", "sunset boulevard", 1.0),
    ("Sunset Boulevard", "sunset boulevard", 1.0),
    ("It is Sunset Boulevard", "it is sunset boulevard", 0.0),
    ("ANSWER: Sunset-Boulevard", "sunset boulevard", 1.0),
    ("ANSWER: ‘Sunset Boulevard’", "sunset boulevard", 1.0),
]


@pytest.mark.parametrize(("reply", "extracted", "value"), CASES)
def test_extraction_and_alias_match_equal_evalscope(reply: str, extracted: str, value: float) -> None:
    assert extract_answer(reply) == extracted
    adapter = build_adapter("trivia_qa", {"local_path": "."})
    sample = Sample(id="x", input="Q?", target=TRIVIA_QA_SUNSET + TRIVIA_QA_SUNSET_NORMALIZED, metadata={"content": ""})
    result = score(adapter, sample, reply)
    assert result.value == {"acc": value} and result.extracted == extracted


def test_empty_answer_is_an_extraction_failure() -> None:
    adapter = build_adapter("trivia_qa", {"local_path": "."})
    result = score(adapter, Sample(id="x", input="Q?", target=["a"], metadata={"content": ""}), "ANSWER:")
    assert result.value == {"acc": 0.0} and result.extracted is None


def _run(tmp_path: Path, url: str, trivia_dir: Path) -> Any:
    config = TaskConfig(
        model="mock-model",
        api_url=url,
        datasets=["trivia_qa"],
        dataset_args={"trivia_qa": {"local_path": str(trivia_dir)}},
        eval_batch_size=64,
        work_dir=str(tmp_path),
        no_timestamp=True,
    )
    return run_task(config, show_progress=False)["trivia_qa"]


def test_oracle_gold_wrong_and_mixed_replies_give_exact_accuracy(tmp_path: Path, trivia_dir: Path) -> None:
    gold = [Rule(contains=r["question"], reply=GOLD[r["question_id"]]) for r in TRIVIA_QA_RECORDS]
    with run_server_in_thread(ServerConfig(rules=gold)) as srv:
        assert _run(tmp_path / "gold", srv.url, trivia_dir).score == 1.0
    with run_server_in_thread(ServerConfig(default_reply="ANSWER: London")) as srv:
        assert _run(tmp_path / "wrong", srv.url, trivia_dir).score == 0.0
    mixed = [gold[0], Rule(contains="Chipmunks", reply="ANSWER: Alvin")]
    with run_server_in_thread(ServerConfig(rules=mixed, default_reply="The capital is Paris")) as srv:
        report = _run(tmp_path / "mixed", srv.url, trivia_dir)
    assert report.score == pytest.approx(1 / 3)  # no ANSWER line: the whole reply is compared
    assert report.counts.scored == 3
