"""The sentence_transformers backend on a tiny random BERT built here: vectors, dimensions, a full run, errors."""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch", reason="the sentence_transformers backend needs: pip install 'assay[embed]'")
pytest.importorskip(
    "sentence_transformers", reason="the sentence_transformers backend needs: pip install 'assay[embed]'"
)

from sentence_transformers import SentenceTransformer

from assay import TaskConfig, run_task
from assay.errors import UserError
from assay.models import EmbeddingModel, get_model_api
from assay.models.sentence_transformers_backend import SentenceTransformersModel
from assay.types import GenerateConfig

pytestmark = pytest.mark.slow

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
HIDDEN = 32


def doc_texts() -> list[str]:
    return [f"{title} {text}".strip() if title else text for title, text in DOCS.values()]


@pytest.fixture(scope="module")
def st_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT with mean pooling, saved as a sentence-transformers folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers.models import Pooling, Transformer

    root = tmp_path_factory.mktemp("tiny_st")
    bert = root / "bert"
    bert.mkdir()
    words = sorted(set(re.findall(r"\w+", " ".join([*doc_texts(), *QUERIES.values()]).lower())))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "?", *words]
    (bert / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(bert / "vocab.txt")).save_pretrained(str(bert))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(str(bert))
    path = root / "model"
    SentenceTransformer(modules=[Transformer(str(bert)), Pooling(HIDDEN, pooling_mode="mean")]).save(str(path))
    return path


def direct_vectors(path: Path, texts: list[str]) -> np.ndarray:
    """The vectors sentence-transformers itself gives, without Assay."""
    return np.asarray(SentenceTransformer(str(path), device="cpu").encode(texts, convert_to_numpy=True))


def embed_all(model: SentenceTransformersModel, texts: list[str], config: GenerateConfig) -> list[Any]:
    async def run() -> list[Any]:
        try:
            await model.check()
            return await model.embed_batch(texts, config)
        finally:
            await model.aclose()

    return asyncio.run(run())


def test_embed_batch_equals_sentence_transformers_encode(st_path: Path) -> None:
    texts = doc_texts()
    outputs = embed_all(SentenceTransformersModel(str(st_path), device="cpu", batch_size=3), texts, GenerateConfig())
    assert [o.error for o in outputs] == [None] * len(texts)
    got = np.array([o.embedding for o in outputs])
    assert got.shape == (len(texts), HIDDEN)
    np.testing.assert_allclose(got, direct_vectors(st_path, texts), atol=1e-6)
    assert outputs[0].usage is not None and outputs[0].usage.prompt_tokens > len(texts)  # each text has [CLS]/[SEP]
    assert all(o.usage is None for o in outputs[1:])


def test_embed_gives_the_same_vector_as_embed_batch_and_twice_the_same(st_path: Path) -> None:
    model = SentenceTransformersModel(str(st_path), device="cpu")
    text = QUERIES["q1"]

    async def run() -> list[Any]:
        try:
            singles = await asyncio.gather(*(model.embed(t, GenerateConfig()) for t in [text, text, "German cities"]))
            batch = await model.embed_batch([text], GenerateConfig())
            return [*singles, *batch]
        finally:
            await model.aclose()

    first, again, other, batched = asyncio.run(run())
    assert isinstance(model, EmbeddingModel)
    assert first.embedding == again.embedding
    np.testing.assert_allclose(first.embedding, batched.embedding, atol=1e-6)
    np.testing.assert_allclose(first.embedding, direct_vectors(st_path, [text])[0], atol=1e-6)
    assert not np.allclose(first.embedding, other.embedding)


def test_dimensions_truncate_and_normalize_scales_the_truncated_vector(st_path: Path) -> None:
    text = [DOCS["d1"][1]]
    full = direct_vectors(st_path, text)[0]
    model = SentenceTransformersModel(str(st_path), device="cpu", normalize=True)
    (out,) = embed_all(model, text, GenerateConfig(dimensions=8))  # type: ignore[call-arg]
    assert len(out.embedding) == 8
    np.testing.assert_allclose(out.embedding, full[:8] / np.linalg.norm(full[:8]), atol=1e-6)


@pytest.mark.parametrize("dimensions", [HIDDEN + 1, 0, "8"])
def test_dimensions_the_model_cannot_give_are_a_user_error(st_path: Path, dimensions: object) -> None:
    model = SentenceTransformersModel(str(st_path), device="cpu")
    with pytest.raises(UserError, match="dimensions"):
        embed_all(model, ["text"], GenerateConfig(dimensions=dimensions))  # type: ignore[call-arg]


def expected_ndcg_at_10(path: Path) -> float:
    """nDCG@10 computed by hand: trec_eval's gain = relevance, log2 discount, ties by doc id descending."""
    doc_ids = list(DOCS)
    docs = direct_vectors(path, doc_texts()).astype(np.float64)
    queries = direct_vectors(path, list(QUERIES.values())).astype(np.float64)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    judged = {q: {d: r for qq, d, r in QRELS if qq == q} for q in QUERIES}
    ndcgs = []
    for row, query_id in enumerate(QUERIES):
        cosines = docs @ queries[row]
        ranking = sorted(doc_ids, key=lambda d: (cosines[doc_ids.index(d)], d), reverse=True)[:10]
        dcg = sum(judged[query_id].get(d, 0) / math.log2(rank + 2) for rank, d in enumerate(ranking))
        ideal = sorted((r for r in judged[query_id].values() if r > 0), reverse=True)
        ndcgs.append(dcg / sum(r / math.log2(rank + 2) for rank, r in enumerate(ideal)))
    return sum(ndcgs) / len(ndcgs)


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": doc_id, "title": title, "text": text} for doc_id, (title, text) in DOCS.items()]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    rows = "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return folder


def test_embedding_run_on_a_local_folder_uses_the_model_and_scores_an_independent_ndcg(
    st_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    config = TaskConfig(
        model=str(st_path),
        eval_type="embedding",
        datasets=["custom_retrieval"],
        dataset_args={"custom_retrieval": {"local_path": str(write_beir(tmp_path / "beir"))}},
        model_args={"device": "cpu"},
        work_dir=str(tmp_path / "out"),
        no_timestamp=True,
    )
    report = run_task(config, show_progress=False)["custom_retrieval"]
    assert report.metrics[0].name == "ndcg_at_10"
    assert report.score == pytest.approx(expected_ndcg_at_10(st_path), abs=1e-9)
    assert report.counts.scored == len(QUERIES)
    assert report.timing.prompt_tokens > 0


def test_backend_named_in_model_args_is_built_for_an_embedding_run(st_path: Path, tmp_path: Path) -> None:
    from assay.embed.runner import _embedding_backend

    named = TaskConfig(model="some/hub-id", eval_type="embedding", model_args={"backend": "sentence_transformers"})
    served = TaskConfig(model=str(st_path), api_url="http://127.0.0.1:1/v1", eval_type="embedding")
    assert _embedding_backend(named) == "sentence_transformers"
    assert _embedding_backend(TaskConfig(model=str(st_path), eval_type="embedding")) == "sentence_transformers"
    assert _embedding_backend(served) == "openai_api"
    assert _embedding_backend(TaskConfig(model=str(tmp_path), eval_type="embedding")) == "openai_api"
    with pytest.raises(UserError, match="backend"):
        _embedding_backend(TaskConfig(model="m", eval_type="embedding", model_args={"backend": "sentence-bert"}))
    assert get_model_api("sentence_transformers") is SentenceTransformersModel


def test_missing_package_is_a_user_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    with pytest.raises(UserError, match=r"pip install 'assay\[embed\]'"):
        asyncio.run(SentenceTransformersModel("any-model").check())


def test_a_folder_that_is_no_model_is_one_user_error(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text("not json")
    with pytest.raises(UserError, match="cannot load sentence-transformers model"):
        asyncio.run(SentenceTransformersModel(str(tmp_path), device="cpu").check())


def test_a_url_or_a_generate_call_is_refused(st_path: Path) -> None:
    with pytest.raises(UserError, match="in-process"):
        SentenceTransformersModel(str(st_path), api_url="http://host/v1")
    with pytest.raises(UserError, match="embedding model"):
        asyncio.run(SentenceTransformersModel(str(st_path)).generate("hi", GenerateConfig()))
