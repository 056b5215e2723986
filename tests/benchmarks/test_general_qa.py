"""General-QA: EvalScope's query/response, question/answer, system and messages records; BLEU/ROUGE."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.scoring.text_metrics import TEXT_SIMILARITY_KEYS
from assay.types import ChatMessage
from tests.benchmarks.fixtures import write_general_qa
from tests.benchmarks.helpers import score, write_jsonl


@pytest.fixture
def qa_dir(tmp_path: Path) -> Path:
    return write_general_qa(tmp_path)


def test_records_become_chats_exactly_as_evalscope_sends_them(qa_dir: Path) -> None:
    adapter = build_adapter("general_qa", {"local_path": str(qa_dir), "subset_list": ["example"]})
    samples = adapter.load()["example"]
    assert [s.id for s in samples] == ["example-0", "example-1", "example-2"]
    assert samples[0].input == [ChatMessage(role="user", content="中国的首都是哪里？")]  # no template applied
    assert samples[1].input == [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="What is 2+2?"),
    ]
    assert samples[2].input == [ChatMessage(role="system", content="S"), ChatMessage(role="user", content="Hi")]
    assert [s.target for s in samples] == ["中国的首都是北京", "4", "Hello"]


def test_configured_system_prompt_goes_only_where_the_record_has_none(qa_dir: Path) -> None:
    args = {"local_path": str(qa_dir), "subset_list": ["example"], "system_prompt": "You are helpful."}
    samples = build_adapter("general_qa", args).load()["example"]
    assert [m.content for m in samples[0].input] == ["You are helpful.", "中国的首都是哪里？"]
    assert samples[1].input[0].content == "Be brief."
    assert samples[2].input[0].content == "S"


def test_a_user_prompt_template_is_applied(qa_dir: Path) -> None:
    args = {"local_path": str(qa_dir), "subset_list": ["example"], "prompt_template": "请回答问题\n{question}"}
    sample = build_adapter("general_qa", args).load()["example"][0]
    assert sample.input[-1].content == "请回答问题\n中国的首都是哪里？"


def test_score_reports_evalscope_bleu_and_rouge_keys(qa_dir: Path) -> None:
    adapter = build_adapter("general_qa", {"local_path": str(qa_dir), "subset_list": ["example"]})
    sample = adapter.load()["example"][0]
    exact = score(adapter, sample, "中国的首都是北京")
    assert set(exact.value) == set(TEXT_SIMILARITY_KEYS)
    assert exact.value["Rouge-L-R"] == pytest.approx(1.0) and exact.extracted == "中国的首都是北京"
    assert score(adapter, sample, "我不知道").value["Rouge-L-R"] < 0.5
    only_rouge = build_adapter(
        "general_qa", {"local_path": str(qa_dir), "subset_list": ["example"], "metric_list": ["Rouge"]}
    )
    assert all(key.startswith("Rouge") for key in score(only_rouge, sample, "北京").value)


def test_record_without_reference_or_query_names_the_column(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "default.jsonl", [{"query": "Q?"}])
    with pytest.raises(UserError, match=r"record 0 has no column 'answer'.*columns found: query"):
        build_adapter("general_qa", {"local_path": str(tmp_path)}).load()
    write_jsonl(tmp_path / "default.jsonl", [{"prompt": "Q?", "answer": "A"}])
    with pytest.raises(UserError, match=r"no column 'query'.*columns found: prompt, answer"):
        build_adapter("general_qa", {"local_path": str(tmp_path)}).load()


def test_report_aggregates_every_bleu_and_rouge_key_with_rouge_l_recall_as_headline(tmp_path: Path) -> None:
    from assay.mock_server import Rule, ServerConfig
    from assay.scoring.text_metrics import text_similarity
    from tests.benchmarks.helpers import oracle_report

    rows = [
        {"query": "Name a primary colour.", "response": "Red is a primary colour."},
        {"query": "What do cats say?", "response": "Cats say meow."},
    ]
    replies = {"Name a primary colour.": "Red is a primary colour.", "What do cats say?": "Dogs say woof loudly."}
    write_jsonl(tmp_path / "data" / "qa.jsonl", rows)
    server = ServerConfig(rules=[Rule(contains=q, reply=a) for q, a in replies.items()])
    args = {"general_qa": {"local_path": str(tmp_path / "data"), "subset_list": ["qa"]}}
    report = oracle_report(tmp_path / "out", "general_qa", args, server)

    expected = [text_similarity(replies[r["query"]], [r["response"]]) for r in rows]
    got = {metric.name: metric.score for metric in report.metrics}
    assert set(got) == {f"mean_{key}" for key in TEXT_SIMILARITY_KEYS}
    for key in TEXT_SIMILARITY_KEYS:
        assert got[f"mean_{key}"] == pytest.approx(sum(e[key] for e in expected) / 2), key
    assert report.metrics[0].name == "mean_Rouge-L-R"
    assert report.score == got["mean_Rouge-L-R"] and 0.5 < report.score < 1.0
