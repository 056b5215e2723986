"""Embedding tasks: what to encode for a dataset and how its vectors are scored.

A task reads its data when built (so a missing file is reported before any request), then
:meth:`EmbeddingTask.run` encodes through the run's :class:`Encoders` and returns a
:class:`TaskResult`: metric values and one :class:`ItemRecord` per query or pair. Writing files
and reports is the runner's job (:mod:`assay.embed.runner`).

- ``custom_retrieval``: a BEIR folder (``local_path``); every document is encoded with the passage
  prefix and every judged query with the query prefix, documents are ranked by exact cosine
  similarity, and nDCG / MAP / recall / MRR are computed at each cutoff with trec_eval's semantics.
- ``custom_sts``: ``<local_path>/<split>.jsonl`` of ``sentence1``, ``sentence2``, ``score``; both
  sentences are encoded with the query prefix (e5's rule for symmetric tasks) and the pair cosines
  are correlated with the gold scores.

Reranking tasks (``eval_type: rerank``) live in :mod:`assay.embed.rerank_tasks` and share this
module's records and :func:`score_rankings`.

Example:
    >>> sorted(EMBEDDING_TASKS)
    ['custom_classification', 'custom_clustering', 'custom_pair_classification', 'custom_retrieval', 'custom_sts']
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from assay.embed.beir import BeirDataset, BeirQuery, document_text, load_beir
from assay.embed.encoder import Encoder
from assay.embed.metrics import evaluate_retrieval, rank_documents
from assay.embed.search import cosine_normalize, top_k
from assay.embed.sts import sts_scores
from assay.errors import UserError, did_you_mean

__all__ = [
    "EMBEDDING_TASKS",
    "EmbeddingTask",
    "Encoders",
    "ItemRecord",
    "MetricResult",
    "TaskResult",
    "dense_run",
    "get_task",
    "k_values_option",
    "score_rankings",
    "task_folder",
]

#: Documents listed per query in the predictions file.
SHOWN_DOCUMENTS = 10


@dataclass(frozen=True)
class Encoders:
    """The run's encoders: one per prefix role (they share the backend, the cache and the counters)."""

    query: Encoder
    passage: Encoder


@dataclass(frozen=True)
class MetricResult:
    """One metric of a task."""

    name: str
    score: float
    per_item: list[float] | None
    """The per-query values ``score`` is the mean of; None for a corpus metric (a correlation)."""
    method: str | None = None


@dataclass(frozen=True)
class ItemRecord:
    """One query or pair, as the predictions and reviews files show it."""

    sample_id: str
    input: Any
    target: Any
    output: dict[str, Any]
    value: dict[str, float]
    extracted: Any
    prediction: str


@dataclass(frozen=True)
class TaskResult:
    """Everything a task measured on one split."""

    split: str
    location: str
    headline: str
    metrics: list[MetricResult]
    items: list[ItemRecord]


def task_folder(name: str, options: frozenset[str], args: Mapping[str, Any], dataset_dir: str | None) -> Path:
    """The data folder of task ``name``: ``local_path``, else ``<dataset_dir>/<name>``; ``args`` checked.

    Raises:
        UserError: an option not in ``options``, or neither ``local_path`` nor ``dataset_dir``.
    """
    for key in args:
        if key not in options:
            raise UserError(
                f"dataset_args.{name}: unknown option {key!r}{did_you_mean(key, options)}; "
                f"known: {', '.join(sorted(options))}"
            )
    local_path = args.get("local_path") or (str(Path(dataset_dir) / name) if dataset_dir else None)
    if not local_path:
        raise UserError(f"{name} reads local files: pass dataset_args.{name}.local_path (a folder)")
    return Path(str(local_path)).expanduser()


def k_values_option(name: str, args: Mapping[str, Any], default: list[int], *required: int) -> list[int]:
    """The sorted cutoffs of ``dataset_args.<name>.k_values`` (else ``default``), plus ``required``.

    Raises:
        UserError: ``k_values`` is not a non-empty list of positive integers.
    """
    k_values = args.get("k_values", default)
    if not isinstance(k_values, list) or not k_values or not all(type(k) is int and k >= 1 for k in k_values):
        raise UserError(f"dataset_args.{name}.k_values must be a list of positive integers, got {k_values!r}")
    return sorted(set(k_values) | set(required))


def score_rankings(
    qrels: Mapping[str, Mapping[str, int]],
    queries: Mapping[str, BeirQuery],
    run: Mapping[str, Mapping[str, float]],
    k_values: list[int],
) -> tuple[list[MetricResult], list[ItemRecord]]:
    """nDCG / MAP / recall / MRR at each cutoff of a run over ``queries``, and one record per query.

    Shared by dense retrieval and reranking: both end in a scored list of documents per query.
    """
    scores = evaluate_retrieval(qrels, run, k_values)
    metric_order = [f"{m}_at_{k}" for m in ("ndcg", "map", "recall", "mrr") for k in k_values]
    metrics = [MetricResult(n, scores[n].mean, [scores[n].per_query[q] for q in queries]) for n in metric_order]
    items = []
    for query_id, query in queries.items():
        ranking = rank_documents(run[query_id])[:SHOWN_DOCUMENTS]
        relevant = [doc for doc, rel in qrels[query_id].items() if rel >= 1]
        items.append(
            ItemRecord(
                sample_id=query_id,
                input=query.text,
                target=relevant,
                output={"retrieved": ranking, "scores": [run[query_id][doc] for doc in ranking]},
                value={name: scores[name].per_query[query_id] for name in metric_order},
                extracted=ranking[0] if ranking else None,
                prediction=" ".join(ranking),
            )
        )
    return metrics, items


async def dense_run(
    data: BeirDataset, queries: Mapping[str, BeirQuery], encoders: Encoders, k: int
) -> dict[str, dict[str, float]]:
    """The ``k`` documents of ``data``'s corpus nearest each query by cosine, ``{query: {doc: score}}``.

    Every document is encoded with the passage prefix and every query with the query prefix. Shared
    by ``custom_retrieval`` and the first stage of a two-stage ``custom_reranking``.
    """
    doc_ids = list(data.corpus)
    doc_vectors = await encoders.passage.encode([document_text(d) for d in data.corpus.values()])
    query_vectors = await encoders.query.encode([q.text for q in queries.values()])
    hits = top_k(query_vectors, doc_vectors, k)
    return {
        query_id: {doc_ids[int(i)]: float(s) for i, s in zip(hits.indices[row], hits.scores[row], strict=True)}
        for row, query_id in enumerate(queries)
    }


class EmbeddingTask:
    """Base of the tasks: option checking and the data location; subclasses read and score."""

    name: str
    """The ``--datasets`` name; a class attribute, except for MTEB tasks (one class, many names)."""
    pretty_name: str
    options: ClassVar[frozenset[str]] = frozenset({"local_path", "split"})

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        self.folder = task_folder(self.name, self.options, args, dataset_dir)
        self.split = str(args.get("split", "test"))

    async def run(self, encoders: Encoders) -> TaskResult:
        """Encode, score, and describe every item."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the task will encode, for ``--dry-run``."""
        raise NotImplementedError


class CustomRetrieval(EmbeddingTask):
    """Dense retrieval over a BEIR folder, scored as MTEB does."""

    name = "custom_retrieval"
    pretty_name = "Custom retrieval (BEIR folder)"
    options = frozenset({"local_path", "split", "k_values"})

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        super().__init__(args, dataset_dir)
        self.k_values = k_values_option(self.name, args, [1, 3, 5, 10, 100], SHOWN_DOCUMENTS)
        self.data: BeirDataset = load_beir(self.folder, self.split)
        if not self.data.corpus:
            raise UserError(f"{self.folder / 'corpus.jsonl'}: no documents; a retrieval task needs a corpus")
        if not self.data.qrels:
            raise UserError(f"{self.folder / 'qrels' / (self.split + '.tsv')}: no judgements; nothing to score")

    def describe(self) -> str:
        queries = len(self.data.judged_queries())
        return f"{len(self.data.corpus)} documents, {queries} judged queries ({self.split} split of {self.folder})"

    async def run(self, encoders: Encoders) -> TaskResult:
        queries = self.data.judged_queries()
        run = await dense_run(self.data, queries, encoders, max(self.k_values))
        metrics, items = score_rankings(self.data.qrels, queries, run, self.k_values)
        return TaskResult(self.split, str(self.folder), f"ndcg_at_{SHOWN_DOCUMENTS}", metrics, items)


@dataclass(frozen=True)
class _Pair:
    sentence1: str
    sentence2: str
    score: float


class CustomSts(EmbeddingTask):
    """Semantic textual similarity from a JSONL file of scored sentence pairs."""

    name = "custom_sts"
    pretty_name = "Custom STS (sentence pairs)"

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        super().__init__(args, dataset_dir)
        self.path = self.folder / f"{self.split}.jsonl"
        self.pairs = _read_pairs(self.path)
        if len(self.pairs) < 2:
            raise UserError(f"{self.path}: {len(self.pairs)} pairs; a correlation needs at least 2")

    def describe(self) -> str:
        return f"{len(self.pairs)} sentence pairs ({self.path})"

    async def run(self, encoders: Encoders) -> TaskResult:
        n = len(self.pairs)
        vectors = await encoders.query.encode([p.sentence1 for p in self.pairs] + [p.sentence2 for p in self.pairs])
        first, second = vectors[:n], vectors[n:]
        scores = sts_scores(first, second, [p.score for p in self.pairs])
        cosines = np.einsum(
            "ij,ij->i", cosine_normalize(first).astype(np.float64), cosine_normalize(second).astype(np.float64)
        )
        method = "correlation over all pairs (no per-pair standard error)"
        metrics = [
            MetricResult("cosine_spearman", scores.cosine_spearman, None, f"Spearman {method}"),
            MetricResult("cosine_pearson", scores.cosine_pearson, None, f"Pearson {method}"),
        ]
        items = [
            ItemRecord(
                sample_id=str(index),
                input={"sentence1": pair.sentence1, "sentence2": pair.sentence2},
                target=pair.score,
                output={"cosine": float(cosine)},
                value={"cosine": float(cosine)},
                extracted=float(cosine),
                prediction=f"{float(cosine):.6f}",
            )
            for index, (pair, cosine) in enumerate(zip(self.pairs, cosines, strict=True))
        ]
        return TaskResult(self.split, str(self.path), "cosine_spearman", metrics, items)


def _read_pairs(path: Path) -> list[_Pair]:
    if not path.is_file():
        raise UserError(f"{path}: file not found; an STS folder needs <split>.jsonl of sentence1, sentence2, score")
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UserError(f"{path}:{line_number}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise UserError(f"{path}:{line_number}: expected a JSON object, got {type(record).__name__}")
            first, second, score = record.get("sentence1"), record.get("sentence2"), record.get("score")
            if not isinstance(first, str) or not isinstance(second, str):
                raise UserError(f"{path}:{line_number}: 'sentence1' and 'sentence2' must be strings")
            if not isinstance(score, (int, float)) or isinstance(score, bool) or score != score:
                raise UserError(f"{path}:{line_number}: 'score' must be a number, got {score!r}")
            pairs.append(_Pair(first, second, float(score)))
    return pairs


#: Task name (as in ``--datasets``) -> task class.
EMBEDDING_TASKS: dict[str, type[EmbeddingTask]] = {task.name: task for task in (CustomRetrieval, CustomSts)}
# Adds custom_pair_classification, custom_classification and custom_clustering. Below the classes it
# subclasses, and registering by update: so the import works whichever of the two modules comes first.
from assay.embed import more_tasks  # noqa: E402, F401


def get_task(name: str, args: Mapping[str, Any], dataset_dir: str | None) -> EmbeddingTask:
    """Build the task ``name`` with its ``dataset_args`` (its data is read now).

    Raises:
        UserError: an unknown name, an unknown option, or data that is missing or malformed.
    """
    if name.startswith("mteb:"):
        from assay.embed.mteb_task import MtebTask

        return MtebTask(name, args)
    task = EMBEDDING_TASKS.get(name)
    if task is None:
        raise UserError(
            f"unknown embedding task {name!r}{did_you_mean(name, EMBEDDING_TASKS)} for eval_type embedding; "
            f"known: {', '.join(sorted(EMBEDDING_TASKS))}, or mteb:<Task> for an MTEB task"
        )
    return task(args, dataset_dir)
