"""``eval_type: rerank`` end to end against the mock server's word-overlap ``/v1/rerank``."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.embed.rerank_tasks import Reranker
from assay.errors import UserError
from assay.mock_server import ServerHandle
from assay.mock_server._rules import count_tokens
from assay.types import GenerateConfig, ModelOutput

DOCS = {
    "d1": ("Paris", "Paris is the capital of France."),
    "d2": ("", "The Eiffel tower stands in Paris."),
    "d3": ("Berlin", "Berlin is the capital of Germany."),
    "d4": ("", "Bread is baked from flour and water."),
    "d5": ("Rivers", "The Seine flows through Paris."),
    "d6": ("", "Germany borders France."),
    "d7": ("Cheese", "France makes hundreds of cheeses."),
    "d8": ("", "The Spree flows through Berlin."),
}
QUERIES = {"q1": "capital of France", "q2": "rivers of Paris", "q3": "bread and flour", "q4": "never judged"}
QRELS = [("q1", "d1", 2), ("q1", "d6", 1), ("q1", "d3", 0), ("q2", "d5", 2), ("q2", "d2", 1), ("q3", "d4", 1)]
#: Judged documents plus the first 3 unjudged ones by sorted id (negatives = 3).
DEFAULT_CANDIDATES = {
    "q1": ["d1", "d2", "d3", "d4", "d5", "d6"],
    "q2": ["d1", "d2", "d3", "d4", "d5"],
    "q3": ["d1", "d2", "d3", "d4"],
}
#: A file's lists: q1 lacks the relevant d6; the unjudged q4's line is read but never asked.
FILE_CANDIDATES = {"q1": ["d7", "d1", "d3"], "q2": ["d5", "d8", "d2", "d1"], "q3": ["d4", "d6"], "q4": ["d8"]}


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": doc_id, "title": title, "text": text} for doc_id, (title, text) in DOCS.items()]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    rows = "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return folder


def write_candidates(path: Path, lists: dict[str, list[str]]) -> Path:
    path.write_text("".join(json.dumps({"query_id": q, "doc_ids": ids}) + "\n" for q, ids in lists.items()))
    return path


def rerank_config(srv: ServerHandle, out: Path, **dataset_args: Any) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=srv.url,
        eval_type="rerank",
        datasets=["custom_reranking"],
        dataset_args={"custom_reranking": dataset_args},
        work_dir=str(out),
        no_timestamp=True,
    )


def rerank_requests(srv: ServerHandle) -> int:
    return int(srv.stats()["by_endpoint"].get("/v1/rerank", 0))


def text_of(doc_id: str) -> str:
    title, text = DOCS[doc_id]
    return f"{title} {text}".strip() if title else text


def overlap(query: str, document: str) -> float:
    """The server's rule, written again: the share of the query's distinct words found in the document."""
    wanted = set(re.findall(r"[a-z0-9]+", query.lower()))
    return len(wanted & set(re.findall(r"[a-z0-9]+", document.lower()))) / len(wanted)


def expected_metrics(candidates: dict[str, list[str]]) -> dict[str, float]:
    """MAP (all candidates), nDCG@10, MRR@10 and recall@10 by hand: gain = relevance, ties by id descending."""
    judged = {q: {d: r for qq, d, r in QRELS if qq == q} for q in DEFAULT_CANDIDATES}
    values: dict[str, list[float]] = {"map": [], "ndcg": [], "mrr": [], "recall": []}
    for query_id, rels in judged.items():
        scores = {d: overlap(QUERIES[query_id], text_of(d)) for d in candidates[query_id]}
        ranking = sorted(scores, key=lambda d: (scores[d], d), reverse=True)
        relevant = [d for d, r in rels.items() if r >= 1]
        hits = [rank for rank, d in enumerate(ranking) if d in relevant]
        values["map"].append(sum((i + 1) / (rank + 1) for i, rank in enumerate(hits)) / len(relevant))
        dcg = sum(rels.get(d, 0) / math.log2(rank + 2) for rank, d in enumerate(ranking[:10]))
        ideal = sorted((r for r in rels.values() if r > 0), reverse=True)
        values["ndcg"].append(dcg / sum(r / math.log2(rank + 2) for rank, r in enumerate(ideal)))
        values["mrr"].append(1 / (hits[0] + 1) if hits else 0.0)
        values["recall"].append(len(hits) / len(relevant))
    return {name: sum(v) / len(v) for name, v in values.items()}


def sent_tokens(candidates: dict[str, list[str]]) -> int:
    """The server's usage for exactly these requests: mock tokens of each query and its documents."""
    return sum(
        count_tokens(QUERIES[q]) + sum(count_tokens(text_of(d)) for d in candidates[q]) for q in DEFAULT_CANDIDATES
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rerank_report_matches_an_independent_map_and_ndcg(srv: ServerHandle, tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = rerank_requests(srv)
    config = rerank_config(srv, out, local_path=str(write_beir(tmp_path / "beir")), negatives=3)
    report = run_task(config, show_progress=False)["custom_reranking"]
    expected = expected_metrics(DEFAULT_CANDIDATES)
    by_name = {m.name: m for m in report.metrics}
    assert report.metrics[0].name == "map_at_1000"
    assert report.score == pytest.approx(expected["map"], abs=1e-12)
    assert by_name["ndcg_at_10"].score == pytest.approx(expected["ndcg"], abs=1e-12)
    assert by_name["mrr_at_10"].score == pytest.approx(expected["mrr"], abs=1e-12)
    assert by_name["map_at_10"].score == pytest.approx(expected["map"], abs=1e-12)  # 6 candidates at most
    assert {"recall_at_1", "ndcg_at_20", "mrr_at_100"} <= set(by_name)
    assert report.counts.total == report.counts.scored == 3
    assert rerank_requests(srv) - before == report.timing.requests == 3  # one per judged query
    assert report.timing.prompt_tokens == sent_tokens(DEFAULT_CANDIDATES)

    saved = json.loads((out / "reports" / "mock-model" / "custom_reranking.json").read_text())
    assert saved["score"] == report.score
    predictions = read_jsonl(out / "predictions" / "mock-model" / "custom_reranking_test.jsonl")
    reviews = read_jsonl(out / "reviews" / "mock-model" / "custom_reranking_test.jsonl")
    assert [p["key"] for p in predictions] == ["q1#0", "q2#0", "q3#0"]
    assert {p["sample_id"]: sorted(p["output"]["retrieved"]) for p in predictions} == DEFAULT_CANDIDATES
    first = predictions[0]
    assert first["output"]["retrieved"][0] == "d1" and first["output"]["scores"][0] == 1.0
    assert sum(r["score"]["value"]["map_at_1000"] for r in reviews) / 3 == pytest.approx(expected["map"], abs=1e-12)


def test_candidates_file_decides_exactly_what_is_sent(srv: ServerHandle, tmp_path: Path) -> None:
    candidates = write_candidates(tmp_path / "candidates.jsonl", FILE_CANDIDATES)
    before = rerank_requests(srv)
    config = rerank_config(
        srv, tmp_path / "out", local_path=str(write_beir(tmp_path / "beir")), candidates=str(candidates)
    )
    report = run_task(config, show_progress=False)["custom_reranking"]
    expected = expected_metrics(FILE_CANDIDATES)
    by_name = {m.name: m for m in report.metrics}
    assert report.score == pytest.approx(expected["map"], abs=1e-12)
    assert by_name["ndcg_at_10"].score == pytest.approx(expected["ndcg"], abs=1e-12)
    assert by_name["recall_at_10"].score == pytest.approx(expected["recall"], abs=1e-12)
    assert expected["recall"] < 1.0  # q1's relevant d6 is not among its candidates: it counts as missed
    assert rerank_requests(srv) - before == 3  # q4 has a line but no judgement: not asked
    assert report.timing.prompt_tokens == sent_tokens(FILE_CANDIDATES)
    predictions = read_jsonl(tmp_path / "out" / "predictions" / "mock-model" / "custom_reranking_test.jsonl")
    assert {p["sample_id"]: sorted(p["output"]["retrieved"]) for p in predictions} == {
        q: sorted(FILE_CANDIDATES[q]) for q in DEFAULT_CANDIDATES
    }


def test_unknown_candidate_doc_id_is_one_clear_error_before_any_request(srv: ServerHandle, tmp_path: Path) -> None:
    candidates = write_candidates(tmp_path / "candidates.jsonl", {**FILE_CANDIDATES, "q1": ["d1", "d99"]})
    before = rerank_requests(srv)
    config = rerank_config(
        srv, tmp_path / "out", local_path=str(write_beir(tmp_path / "beir")), candidates=str(candidates)
    )
    with pytest.raises(UserError, match=r"candidates\.jsonl:1: doc id 'd99' of query 'q1' is not in corpus\.jsonl"):
        run_task(config, show_progress=False)
    assert rerank_requests(srv) == before


def test_judged_query_without_a_candidates_line_is_an_error(srv: ServerHandle, tmp_path: Path) -> None:
    lists = {q: ids for q, ids in FILE_CANDIDATES.items() if q != "q2"}
    candidates = write_candidates(tmp_path / "candidates.jsonl", lists)
    config = rerank_config(
        srv, tmp_path / "out", local_path=str(write_beir(tmp_path / "beir")), candidates=str(candidates)
    )
    with pytest.raises(UserError, match=r"1 judged queries have no candidates \(first: 'q2'\)"):
        run_task(config, show_progress=False)


def test_embedding_prefixes_are_refused_for_a_rerank_run(srv: ServerHandle, tmp_path: Path) -> None:
    config = rerank_config(srv, tmp_path / "out", local_path=str(write_beir(tmp_path / "beir")))
    config = config.model_copy(update={"model_args": {"query_prefix": "query: "}})
    with pytest.raises(UserError, match=r"model_args query_prefix apply to eval_type embedding only"):
        run_task(config, show_progress=False)


def test_dry_run_prints_the_rerank_requests_and_sends_nothing(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    before = rerank_requests(srv)
    args = [
        sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--eval-type", "rerank",
        "--api-url", srv.url, "--datasets", "custom_reranking", "--dry-run",
        "--dataset-args", json.dumps({"custom_reranking": {"local_path": str(data), "negatives": 3}}),
    ]  # fmt: skip
    env = {**os.environ, "ASSAY_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = "custom_reranking: 3 rerank requests (one per judged query), 15 candidate documents (4-6 per query"
    assert expected in done.stdout
    assert rerank_requests(srv) == before


class FlakyReranker:
    """Fails every query that contains "bad"; records how many requests were in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0

    async def rerank(
        self, query: str, documents: list[str], *, top_n: int | None = None, config: GenerateConfig
    ) -> ModelOutput:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        if "bad" in query:
            return ModelOutput(error="HTTP 500: boom (gave up after 6 attempts)")
        return ModelOutput(rerank_scores=[float(len(d)) for d in documents])


def test_failed_request_names_the_query_and_concurrency_is_capped() -> None:
    model = FlakyReranker()
    reranker = Reranker(model, GenerateConfig(), concurrency=2)
    requests = {f"q{i}": ("bad one" if i == 3 else "fine", ["a", "bb"]) for i in range(5)}
    with pytest.raises(UserError, match=r"1 of 5 rerank requests failed after retries; first: query 'q3': HTTP 500"):
        asyncio.run(reranker.score(requests))
    assert model.most_in_flight == 2
    assert reranker.stats.requests == 5


def first_stage_by_hand(srv: ServerHandle, top_k: int) -> dict[str, list[str]]:
    """Each judged query's ``top_k`` documents by cosine of vectors fetched with the ``openai`` package
    (no prefixes), best first: what a two-stage run must send the reranker."""
    import numpy as np
    from openai import OpenAI

    client = OpenAI(base_url=srv.url, api_key="EMPTY")

    def vectors(texts: list[str]) -> Any:
        answer = client.embeddings.create(model="mock-embed", input=texts)
        rows = np.array([item.embedding for item in sorted(answer.data, key=lambda item: item.index)], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    doc_ids = list(DOCS)
    docs = vectors([text_of(d) for d in doc_ids])
    chosen = {}
    for query_id in DEFAULT_CANDIDATES:
        scores = docs @ vectors([QUERIES[query_id]])[0]
        chosen[query_id] = [doc_ids[i] for i in np.argsort(-scores, kind="stable")[:top_k]]
    return chosen


def test_two_stage_reranks_exactly_the_first_stages_top_k_and_reports_both(srv: ServerHandle, tmp_path: Path) -> None:
    beir = str(write_beir(tmp_path / "beir"))
    retriever = {"model": "mock-embed", "api_url": srv.url, "top_k": 3}
    expected_candidates = first_stage_by_hand(srv, 3)
    before = rerank_requests(srv)
    report = run_task(rerank_config(srv, tmp_path / "out", local_path=beir, retriever=retriever), show_progress=False)[
        "custom_reranking"
    ]
    by_name = {m.name: m.score for m in report.metrics}
    # The reranker saw exactly the 3 retrieved documents of each query (its token usage proves which).
    assert rerank_requests(srv) - before == 3
    assert report.timing is not None and report.timing.prompt_tokens == sent_tokens(expected_candidates)
    expected = expected_metrics(expected_candidates)
    assert report.score == pytest.approx(expected["map"], abs=1e-12)
    assert by_name["ndcg_at_10"] == pytest.approx(expected["ndcg"], abs=1e-12)
    assert by_name["recall_at_10"] == pytest.approx(expected["recall"], abs=1e-12)
    # The first stage's own scores, from its ranks: recall@3 is the share of relevant documents it kept.
    judged = {q: {d for qq, d, r in QRELS if qq == q and r >= 1} for q in DEFAULT_CANDIDATES}
    kept = [len(judged[q] & set(expected_candidates[q][:3])) / len(judged[q]) for q in DEFAULT_CANDIDATES]
    assert by_name["first_stage_recall_at_3"] == pytest.approx(sum(kept) / 3, abs=1e-12)
    assert by_name["first_stage_recall_at_10"] == by_name["first_stage_recall_at_3"]  # only 3 were kept
    assert by_name["recall_at_10"] == pytest.approx(by_name["first_stage_recall_at_3"], abs=1e-12)
    assert {"first_stage_ndcg_at_10", "first_stage_mrr_at_10", "first_stage_map_at_1000"} <= set(by_name)


def test_the_first_stage_reuses_the_vectors_an_embedding_run_cached(srv: ServerHandle, tmp_path: Path) -> None:
    beir = str(write_beir(tmp_path / "beir"))
    embedding_run = TaskConfig(
        model="mock-embed",
        api_url=srv.url,
        eval_type="embedding",
        datasets=["custom_retrieval"],
        dataset_args={"custom_retrieval": {"local_path": beir}},
        work_dir=str(tmp_path / "out-embed"),
        no_timestamp=True,
    )
    run_task(embedding_run, show_progress=False)
    before = int(srv.stats()["by_endpoint"].get("/v1/embeddings", 0))
    retriever = {"model": "mock-embed", "api_url": srv.url, "top_k": 4}
    run_task(rerank_config(srv, tmp_path / "out", local_path=beir, retriever=retriever), show_progress=False)
    assert int(srv.stats()["by_endpoint"].get("/v1/embeddings", 0)) == before  # corpus and queries: cached


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"retriever": {"model": "e5"}}, "dataset_args.custom_reranking.retriever needs api_url"),
        ({"retriever": {"model": "e5", "api_url": "http://h/v1", "topk": 5}}, "unknown key 'topk'"),
        ({"retriever": {"model": "e5", "api_url": "http://h/v1", "top_k": 0}}, "top_k must be a positive integer"),
        ({"retriever": "e5"}, "retriever must be an object"),
        (
            {"retriever": {"model": "e5", "api_url": "http://h/v1"}, "candidates": "c.jsonl"},
            "give candidates or retriever, not both",
        ),
    ],
)
def test_retriever_mistakes_are_one_clear_error(
    srv: ServerHandle, tmp_path: Path, args: dict[str, Any], message: str
) -> None:
    config = rerank_config(srv, tmp_path / "out", local_path=str(write_beir(tmp_path / "beir")), **args)
    with pytest.raises(UserError, match=re.escape(message)):
        run_task(config, show_progress=False)
