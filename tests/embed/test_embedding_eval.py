"""``eval_type: embedding`` end to end against the mock server: reports, output files, cache, prefixes, errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openai import OpenAI
from scipy.stats import spearmanr

from assay import TaskConfig, run_task
from assay.embed.cache import VectorCache
from assay.embed.encoder import Encoder
from assay.errors import UserError
from assay.mock_server import ServerHandle, prompt_key
from assay.types import GenerateConfig, ModelOutput
from tests.embed.conftest import embedding_requests

DOCS = {
    "d1": ("Paris", "Paris is the capital of France."),
    "d2": ("", "The Eiffel tower is made of iron."),
    "d3": ("Berlin", "Berlin is the capital of Germany."),
    "d4": ("", "Bread is baked from flour and water."),
    "d5": ("Rivers", "The Seine flows through Paris."),
    "d6": ("", "Germany borders France."),
    "d7": ("Cheese", "France makes hundreds of cheeses."),
    "d8": ("", "The Spree flows through Berlin."),
}
QUERIES = {"q1": "capital of France", "q2": "rivers of Paris", "q3": "what is bread made of", "q4": "German cities"}
QRELS = [("q1", "d1", 2), ("q1", "d6", 1), ("q2", "d5", 2), ("q2", "d2", 0), ("q3", "d4", 1), ("q4", "d3", 2),
         ("q4", "d8", 1)]  # fmt: skip
PAIRS = [
    ("A man plays a guitar.", "Someone plays an instrument.", 4.2),
    ("A cat sleeps.", "The stock market fell.", 0.2),
    ("Two dogs run in a park.", "Dogs are running outside.", 4.6),
    ("A woman cooks.", "A person prepares food.", 3.8),
    ("It is raining.", "The sun is shining.", 1.0),
    ("A child reads a book.", "A kid is reading.", 4.9),
]


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": doc_id, "title": title, "text": text} for doc_id, (title, text) in DOCS.items()]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in corpus))
    queries = "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items())
    (folder / "queries.jsonl").write_text(queries)
    rows = "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return folder


def retrieval_config(srv: ServerHandle, data: Path, out: Path, **model_args: Any) -> TaskConfig:
    return TaskConfig(
        model="mock-model",
        api_url=srv.url,
        eval_type="embedding",
        datasets=["custom_retrieval"],
        dataset_args={"custom_retrieval": {"local_path": str(data)}},
        model_args=model_args,
        work_dir=str(out),
        no_timestamp=True,
    )


def sdk_vectors(srv: ServerHandle, texts: list[str]) -> np.ndarray:
    """The same vectors, fetched independently with the official client."""
    client = OpenAI(base_url=srv.url, api_key="EMPTY")
    answer = client.embeddings.create(model="mock-model", input=texts, encoding_format="float")
    return np.array([item.embedding for item in sorted(answer.data, key=lambda item: item.index)], dtype=np.float64)


def expected_metrics(srv: ServerHandle) -> tuple[float, float]:
    """nDCG@10 and MRR@10 computed by hand: trec_eval's gain = relevance, log2 discount, ties by id descending."""
    doc_ids = list(DOCS)
    doc_texts = [f"{title} {text}".strip() if title else text for title, text in DOCS.values()]
    docs = sdk_vectors(srv, doc_texts)
    queries = sdk_vectors(srv, list(QUERIES.values()))
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    judged = {q: {d: r for qq, d, r in QRELS if qq == q} for q in QUERIES}
    ndcgs, rrs = [], []
    for row, query_id in enumerate(QUERIES):
        cosines = docs @ queries[row]
        ranking = sorted(doc_ids, key=lambda d: (cosines[doc_ids.index(d)], d), reverse=True)[:10]
        dcg = sum(judged[query_id].get(d, 0) / math.log2(rank + 2) for rank, d in enumerate(ranking))
        ideal = sorted((r for r in judged[query_id].values() if r > 0), reverse=True)
        ndcgs.append(dcg / sum(r / math.log2(rank + 2) for rank, r in enumerate(ideal)))
        first = next((rank for rank, d in enumerate(ranking) if judged[query_id].get(d, 0) >= 1), None)
        rrs.append(0.0 if first is None else 1.0 / (first + 1))
    return sum(ndcgs) / len(ndcgs), sum(rrs) / len(rrs)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_retrieval_report_matches_an_independent_ndcg_and_mrr(srv: ServerHandle, tmp_path: Path) -> None:
    out = tmp_path / "out"
    reports = run_task(retrieval_config(srv, write_beir(tmp_path / "beir"), out), show_progress=False)
    report = reports["custom_retrieval"]
    ndcg, mrr = expected_metrics(srv)
    by_name = {m.name: m for m in report.metrics}
    assert report.metrics[0].name == "ndcg_at_10"
    assert report.score == pytest.approx(ndcg, abs=1e-12)
    assert by_name["ndcg_at_10"].score == pytest.approx(ndcg, abs=1e-12)
    assert by_name["mrr_at_10"].score == pytest.approx(mrr, abs=1e-12)
    assert {"map_at_10", "recall_at_10", "ndcg_at_1", "recall_at_100"} <= set(by_name)
    assert by_name["ndcg_at_10"].stderr > 0
    assert report.counts.total == report.counts.scored == 4
    assert report.timing.requests == 2  # one batch of the 8 documents, one of the 4 queries

    saved = json.loads((out / "reports" / "mock-model" / "custom_retrieval.json").read_text())
    assert saved["score"] == report.score
    assert (out / "configs" / "task_config.yaml").is_file()
    predictions = read_jsonl(out / "predictions" / "mock-model" / "custom_retrieval_test.jsonl")
    reviews = read_jsonl(out / "reviews" / "mock-model" / "custom_retrieval_test.jsonl")
    assert [p["key"] for p in predictions] == ["q1#0", "q2#0", "q3#0", "q4#0"]
    first = predictions[0]
    assert (first["sample_id"], first["repeat"], first["subset"]) == ("q1", 0, "test")
    assert first["input"] == QUERIES["q1"] and sorted(first["target"]) == ["d1", "d6"]
    assert len(first["output"]["retrieved"]) == len(first["output"]["scores"]) == len(DOCS)
    assert first["output"]["scores"] == sorted(first["output"]["scores"], reverse=True)
    review = reviews[0]
    assert review["score"]["status"] == "scored"
    assert review["score"]["extracted"] == first["output"]["retrieved"][0]
    mean_from_reviews = sum(r["score"]["value"]["ndcg_at_10"] for r in reviews) / len(reviews)
    assert mean_from_reviews == pytest.approx(ndcg, abs=1e-12)


def test_cached_vectors_are_not_sent_again_unless_the_cache_is_off(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    first = run_task(retrieval_config(srv, data, tmp_path / "run1"), show_progress=False)["custom_retrieval"]
    before = embedding_requests(srv)
    second = run_task(retrieval_config(srv, data, tmp_path / "run2"), show_progress=False)["custom_retrieval"]
    assert embedding_requests(srv) == before
    assert second.timing.requests == 0 and second.score == first.score
    third = run_task(retrieval_config(srv, data, tmp_path / "run3", embedding_cache=False), show_progress=False)
    assert embedding_requests(srv) == before + 2
    assert third["custom_retrieval"].score == first.score


def test_prefixes_reach_the_server_and_change_the_cache_key(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    cache_file = tmp_path / "vectors.sqlite"
    run_task(retrieval_config(srv, data, tmp_path / "plain", embedding_cache=str(cache_file)), show_progress=False)
    before = embedding_requests(srv)
    config = retrieval_config(
        srv, data, tmp_path / "e5", embedding_cache=str(cache_file), query_prefix="query: ", passage_prefix="passage: "
    )
    report = run_task(config, show_progress=False)["custom_retrieval"]
    assert embedding_requests(srv) == before + 2  # a prefix is a cache miss
    asked = srv.stats()["prompt_counts"]  # a list input is recorded as its texts joined by newlines
    assert asked.get(prompt_key("\n".join(f"query: {q}" for q in QUERIES.values()))) == 1
    passages = [f"passage: {title} {text}" if title else f"passage: {text}" for title, text in DOCS.values()]
    assert asked.get(prompt_key("\n".join(passages))) == 1
    assert report.timing.requests == 2  # one batch of the 8 documents, one of the 4 queries
    cache = VectorCache(cache_file)
    try:
        rows = cache._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    finally:
        cache.close()
    assert rows == 2 * (len(DOCS) + len(QUERIES))


def test_sts_spearman_equals_scipy_on_the_same_vectors(srv: ServerHandle, tmp_path: Path) -> None:
    data = tmp_path / "sts"
    data.mkdir()
    lines = [json.dumps({"sentence1": a, "sentence2": b, "score": s}) for a, b, s in PAIRS]
    (data / "test.jsonl").write_text("\n".join(lines) + "\n")
    config = TaskConfig(
        model="mock-model",
        api_url=srv.url,
        eval_type="embedding",
        datasets=["custom_sts"],
        dataset_args={"custom_sts": {"local_path": str(data)}},
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
    )
    report = run_task(config, show_progress=False)["custom_sts"]
    first = sdk_vectors(srv, [a for a, _, _ in PAIRS])
    second = sdk_vectors(srv, [b for _, b, _ in PAIRS])
    cosines = np.sum(first * second, axis=1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1))
    expected = spearmanr(cosines, [s for _, _, s in PAIRS]).statistic
    assert report.metrics[0].name == "cosine_spearman"
    assert report.score == pytest.approx(expected, abs=1e-12)
    assert report.counts.scored == len(PAIRS)
    reviews = read_jsonl(tmp_path / "out" / "reviews" / "mock-model" / "custom_sts_test.jsonl")
    assert reviews[0]["score"]["value"]["cosine"] == pytest.approx(cosines[0], abs=1e-6)


def test_unknown_task_name_is_one_clear_error(srv: ServerHandle, tmp_path: Path) -> None:
    config = retrieval_config(srv, tmp_path, tmp_path / "out").model_copy(update={"datasets": ["custom_retrieve"]})
    with pytest.raises(UserError, match=r"unknown embedding task 'custom_retrieve'.*did you mean 'custom_retrieval'"):
        run_task(config, show_progress=False)


def test_missing_beir_file_is_one_clear_error(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    (data / "queries.jsonl").unlink()
    with pytest.raises(UserError, match=r"queries\.jsonl: file not found"):
        run_task(retrieval_config(srv, data, tmp_path / "out"), show_progress=False)


def test_unreachable_server_exits_2_with_one_line_from_the_cli(tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    args = [
        sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--eval-type", "embedding",
        "--api-url", "http://127.0.0.1:9/v1", "--datasets", "custom_retrieval",
        "--dataset-args", json.dumps({"custom_retrieval": {"local_path": str(data)}}),
        "--work-dir", str(tmp_path / "out"), "--no-timestamp", "--no-progress",
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env={**_env(tmp_path)}, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("assay: error: cannot reach the model server at http://127.0.0.1:9/v1")
    assert len(done.stderr.strip().splitlines()) == 1


def test_cli_prints_the_embedding_report(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    args = [
        sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--eval-type", "embedding",
        "--api-url", srv.url, "--datasets", "custom_retrieval",
        "--dataset-args", json.dumps({"custom_retrieval": {"local_path": str(data)}}),
        "--work-dir", str(tmp_path / "out"), "--no-timestamp", "--no-progress",
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=_env(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ndcg_at_10" in done.stdout and "custom_retrieval: 4 scored" in done.stdout


def test_dry_run_reads_the_data_and_sends_nothing(srv: ServerHandle, tmp_path: Path) -> None:
    data = write_beir(tmp_path / "beir")
    before = embedding_requests(srv)
    args = [
        sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--eval-type", "embedding",
        "--api-url", srv.url, "--datasets", "custom_retrieval", "--dry-run",
        "--dataset-args", json.dumps({"custom_retrieval": {"local_path": str(data)}}),
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=_env(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "custom_retrieval: 8 documents, 4 judged queries (test split of" in done.stdout
    assert embedding_requests(srv) == before


def _env(tmp_path: Path) -> dict[str, str]:
    import os

    return {**os.environ, "ASSAY_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}


class FlakyModel:
    """Fails every text that contains "bad"; records how many requests were in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0

    async def embed(self, text: str, config: GenerateConfig) -> ModelOutput:
        import asyncio

        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        if "bad" in text:
            return ModelOutput(error="HTTP 500: boom (gave up after 6 attempts)")
        return ModelOutput(embedding=[float(len(text)), 1.0])


def test_failed_texts_raise_and_received_vectors_stay_cached(tmp_path: Path) -> None:
    import asyncio

    model = FlakyModel()
    cache = VectorCache(tmp_path / "vectors.sqlite")
    encoder = Encoder(model, cache, "{}", GenerateConfig(), concurrency=2)
    texts = ["a", "bad one", "bb", "a", "ccc", "dddd"]
    with pytest.raises(UserError, match=r"1 of 5 texts got no embedding .*first error: HTTP 500: boom"):
        asyncio.run(encoder.encode(texts))
    assert model.most_in_flight == 2
    assert encoder.stats.requests == encoder.stats.texts_sent == 5
    again = Encoder(model, cache, "{}", GenerateConfig(), concurrency=2)
    vectors = asyncio.run(again.encode(["a", "bb", "ccc", "dddd", "a"]))
    assert again.stats.requests == 0 and again.stats.cache_hits == 4
    assert vectors[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 1.0]
    cache.close()
