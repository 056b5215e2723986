"""``eval_type: rerank``: score a reranker's order of each query's candidate documents, as MTEB does.

MTEB's reranking tasks are retrieval tasks with a fixed candidate list per query (``top_ranked``):
the model scores only those documents, and the scores are evaluated like a retrieval run against
the full qrels (so a relevant document missing from the candidates counts as not found). Here:

- ``custom_reranking``: a BEIR folder (``local_path``: corpus.jsonl, queries.jsonl,
  qrels/<split>.tsv). Each judged query's candidates come from ``candidates``, a JSONL file of
  ``{"query_id": ..., "doc_ids": [...]}`` (sent in the order listed), or else are the query's judged
  documents plus ``negatives`` (default 10) others: the first ones by sorted doc id that are not
  judged for it, sent in sorted doc id order (so a relevant document's position tells the model
  nothing). Each query is ONE ``/rerank`` request with its candidates' texts
  (:func:`~assay.embed.beir.document_text`); the scores become a run ``{doc_id: score}`` and are
  scored with :func:`~assay.embed.metrics.evaluate_retrieval` at MTEB's cutoffs. The headline is
  ``map_at_1000`` (MAP over the whole candidate list), the ``main_score`` of MTEB's classic
  reranking tasks (AskUbuntuDupQuestions, SciDocsRR, StackOverflowDupQuestions).
- Two stages, retrieve then rerank: with ``retriever`` (``{"model", "api_url", "top_k",
  "query_prefix", "passage_prefix"}``) each judged query's candidates are the ``top_k`` (default
  100) documents an embedding model behind ``/embeddings`` ranks nearest by cosine
  (:func:`~assay.embed.tasks.dense_run`, through the vector cache, so a corpus an embedding run
  already encoded is not sent again), sent in that rank order. The report adds the first stage's
  own scores as ``first_stage_<metric>``, so what the reranker added is read off one report.

Reranking scores are not cached: every run asks the reranker again.

Example:
    >>> sorted(RERANK_TASKS)
    ['custom_reranking']
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from assay.embed.beir import BeirDataset, BeirQuery, document_text, load_beir
from assay.embed.metrics import rank_documents
from assay.embed.tasks import (
    SHOWN_DOCUMENTS,
    MetricResult,
    TaskResult,
    k_values_option,
    score_rankings,
    task_folder,
)
from assay.errors import UserError, did_you_mean
from assay.types import GenerateConfig, ModelOutput

__all__ = [
    "RERANK_TASKS",
    "CustomReranking",
    "RerankModel",
    "RerankStats",
    "Reranker",
    "RetrieverSpec",
    "get_rerank_task",
]

#: MTEB's retrieval and reranking cutoffs.
MTEB_K_VALUES = [1, 3, 5, 10, 20, 100, 1000]
#: The cutoff of the headline ``map_at_1000``.
HEADLINE_K = 1000
#: Unjudged documents added to each query's candidates when no ``candidates`` file is given.
DEFAULT_NEGATIVES = 10
#: Documents the first stage of a two-stage run keeps per query when ``retriever.top_k`` is unset.
DEFAULT_RETRIEVER_TOP_K = 100
_RETRIEVER_KEYS = frozenset({"model", "api_url", "top_k", "query_prefix", "passage_prefix"})


@dataclass(frozen=True)
class RetrieverSpec:
    """The first stage of a two-stage run: an embedding model behind an OpenAI-compatible ``/embeddings``."""

    model: str
    api_url: str
    top_k: int
    query_prefix: str = ""
    passage_prefix: str = ""


def _retriever_spec(task: str, value: Any) -> RetrieverSpec:
    """``dataset_args.<task>.retriever`` checked.

    Raises:
        UserError: not an object, an unknown key, no ``model`` or ``api_url``, or a bad ``top_k``.
    """
    where = f"dataset_args.{task}.retriever"
    if not isinstance(value, dict):
        raise UserError(f'{where} must be an object such as {{"model": "e5", "api_url": "http://host:8000/v1"}}')
    for key in value:
        if key not in _RETRIEVER_KEYS:
            raise UserError(
                f"{where}: unknown key {key!r}{did_you_mean(key, _RETRIEVER_KEYS)}; "
                f"known: {', '.join(sorted(_RETRIEVER_KEYS))}"
            )
    missing = [key for key in ("model", "api_url") if not isinstance(value.get(key), str) or not value[key]]
    if missing:
        raise UserError(f"{where} needs {' and '.join(missing)} (the embedding model that retrieves first)")
    top_k = value.get("top_k", DEFAULT_RETRIEVER_TOP_K)
    if type(top_k) is not int or top_k < 1:
        raise UserError(f"{where}.top_k must be a positive integer, got {top_k!r}")
    return RetrieverSpec(
        model=value["model"],
        api_url=value["api_url"],
        top_k=top_k,
        query_prefix=str(value.get("query_prefix") or ""),
        passage_prefix=str(value.get("passage_prefix") or ""),
    )


@runtime_checkable
class RerankModel(Protocol):
    """A backend that scores documents against a query (the openai_api backend's ``/rerank``)."""

    async def rerank(
        self, query: str, documents: list[str], *, top_n: int | None = None, config: GenerateConfig
    ) -> ModelOutput:
        """Each document's score in ``rerank_scores``, in the order sent (``error`` set on failure)."""
        ...


@dataclass
class RerankStats:
    """What reranking cost, summed over a run."""

    requests: int = 0
    """Rerank calls made (one per query; the backend's retries are not counted again)."""
    prompt_tokens: int = 0
    """Tokens the server reported reading."""
    latency_s: float = 0.0
    """Summed wall time of the successful requests, seconds."""


class Reranker:
    """Sends one rerank request per query, at most ``concurrency`` in flight.

    Example:
        >>> class Lengths:
        ...     async def rerank(self, query, documents, *, top_n=None, config):
        ...         return ModelOutput(rerank_scores=[float(len(d)) for d in documents])
        >>> reranker = Reranker(Lengths(), GenerateConfig(), concurrency=2)
        >>> asyncio.run(reranker.score({"q1": ("hi", ["a", "bbb"])})), reranker.stats.requests
        ({'q1': [1.0, 3.0]}, 1)
    """

    def __init__(
        self, model: RerankModel, config: GenerateConfig, concurrency: int, stats: RerankStats | None = None
    ) -> None:
        self.model = model
        self.config = config
        self.concurrency = max(1, concurrency)
        self.stats = stats if stats is not None else RerankStats()

    async def score(self, requests: Mapping[str, tuple[str, list[str]]]) -> dict[str, list[float]]:
        """Query id -> the score of each of its documents, in order, for ``{query_id: (query, documents)}``.

        Raises:
            UserError: some requests failed after the backend's retries; names the first failing query.
        """
        slots = asyncio.Semaphore(self.concurrency)

        async def ask(query: str, documents: list[str]) -> ModelOutput:
            async with slots:
                output = await self.model.rerank(query, documents, config=self.config)
            self.stats.requests += 1
            if output.usage is not None:
                self.stats.prompt_tokens += output.usage.prompt_tokens
            if output.error is None:
                self.stats.latency_s += output.latency_s
            return output

        outputs = await asyncio.gather(*(ask(query, documents) for query, documents in requests.values()))
        failed = [(query_id, out.error) for query_id, out in zip(requests, outputs, strict=True) if out.error]
        if failed:
            query_id, error = failed[0]
            raise UserError(
                f"{len(failed)} of {len(requests)} rerank requests failed after retries; "
                f"first: query {query_id!r}: {error}"
            )
        scores = {}
        for query_id, output in zip(requests, outputs, strict=True):
            values = output.rerank_scores or []
            if len(values) != len(requests[query_id][1]) or any(value is None for value in values):
                raise UserError(f"the rerank answer for query {query_id!r} does not score every candidate")
            scores[query_id] = [float(value) for value in values if value is not None]
        return scores


class CustomReranking:
    """Reranking of each judged query's candidates from a BEIR folder, scored as MTEB does."""

    name: ClassVar[str] = "custom_reranking"
    pretty_name: ClassVar[str] = "Custom reranking (BEIR folder)"
    options: ClassVar[frozenset[str]] = frozenset(
        {"local_path", "split", "k_values", "candidates", "negatives", "retriever"}
    )

    def __init__(self, args: Mapping[str, Any], dataset_dir: str | None) -> None:
        self.folder = task_folder(self.name, self.options, args, dataset_dir)
        self.split = str(args.get("split", "test"))
        self.k_values = k_values_option(self.name, args, MTEB_K_VALUES, SHOWN_DOCUMENTS, HEADLINE_K)
        negatives = args.get("negatives", DEFAULT_NEGATIVES)
        if type(negatives) is not int or negatives < 0:
            raise UserError(f"dataset_args.{self.name}.negatives must be a non-negative integer, got {negatives!r}")
        self.data: BeirDataset = load_beir(self.folder, self.split)
        if not self.data.qrels:
            raise UserError(f"{self.folder / 'qrels' / (self.split + '.tsv')}: no judgements; nothing to score")
        self.queries: dict[str, BeirQuery] = self.data.judged_queries()
        candidates = args.get("candidates")
        self.retriever: RetrieverSpec | None = None
        self.first_stage: dict[str, dict[str, float]] | None = None
        if args.get("retriever") is not None:
            if candidates:
                raise UserError(
                    f"dataset_args.{self.name}: give candidates or retriever, not both (the candidates are "
                    "either listed or retrieved)"
                )
            self.retriever = _retriever_spec(self.name, args["retriever"])
            spec = self.retriever
            self.source = f"the top {spec.top_k} of {spec.model} at {spec.api_url}"
            self.candidates: dict[str, list[str]] = {}
        elif candidates:
            self.source = f"candidates from {candidates}"
            self.candidates = _read_candidates(Path(str(candidates)).expanduser(), self.data)
        else:
            self.source = f"judged documents + {negatives} unjudged by sorted id"
            self.candidates = _default_candidates(self.data, negatives)

    def use_first_stage(self, run: Mapping[str, Mapping[str, float]]) -> None:
        """Take each judged query's candidates from a first-stage ``{query: {doc: score}}``, in rank order."""
        self.first_stage = {query_id: dict(run[query_id]) for query_id in self.queries}
        self.candidates = {query_id: rank_documents(docs) for query_id, docs in self.first_stage.items()}

    def describe(self) -> str:
        """What the task will ask, for ``--dry-run``."""
        if self.retriever is not None and not self.candidates:
            spec = self.retriever
            return (
                f"{len(self.queries)} rerank requests (one per judged query) of {spec.top_k} documents at most, "
                f"retrieved first from {len(self.data.corpus)} by {spec.model} at {spec.api_url} "
                f"({self.split} split of {self.folder})"
            )
        sizes = [len(self.candidates[query_id]) for query_id in self.queries]
        return (
            f"{len(self.queries)} rerank requests (one per judged query), {sum(sizes)} candidate documents "
            f"({min(sizes)}-{max(sizes)} per query; {self.source}; {self.split} split of {self.folder})"
        )

    async def run(self, reranker: Reranker) -> TaskResult:
        """Rerank every judged query's candidates and score the orders (and the first stage's, if any).

        Raises:
            RuntimeError: a two-stage task whose first stage has not run (the runner's job).
        """
        if self.retriever is not None and self.first_stage is None:
            raise RuntimeError("use_first_stage() must run before a two-stage task reranks")
        requests = {
            query_id: (query.text, [document_text(self.data.corpus[d]) for d in self.candidates[query_id]])
            for query_id, query in self.queries.items()
        }
        scores = await reranker.score(requests)
        run = {query_id: dict(zip(self.candidates[query_id], scores[query_id], strict=True)) for query_id in scores}
        metrics, items = score_rankings(self.data.qrels, self.queries, run, self.k_values)
        if self.first_stage is not None:
            first, _ = score_rankings(self.data.qrels, self.queries, self.first_stage, self.k_values)
            metrics += [MetricResult(f"first_stage_{m.name}", m.score, m.per_item, m.method) for m in first]
        return TaskResult(self.split, str(self.folder), f"map_at_{HEADLINE_K}", metrics, items)


def _default_candidates(data: BeirDataset, negatives: int) -> dict[str, list[str]]:
    """Each judged query's judged documents plus the first ``negatives`` unjudged ones, all by sorted id."""
    by_id = sorted(data.corpus)
    candidates = {}
    for query_id, judged in data.qrels.items():
        others = [doc_id for doc_id in by_id if doc_id not in judged][:negatives]
        candidates[query_id] = sorted([*judged, *others])
    return candidates


def _read_candidates(path: Path, data: BeirDataset) -> dict[str, list[str]]:
    """``{"query_id", "doc_ids"}`` lines; every judged query needs one, lines for unjudged ones are unused.

    Raises:
        UserError: the file is missing or malformed, a query or document id is unknown, a query has
            two lines, a list is empty or repeats an id, or a judged query has no line.
    """
    if not path.is_file():
        raise UserError(f"{path}: candidates file not found; write one {{query_id, doc_ids}} object per line")
    candidates: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if line.strip():
                query_id, doc_ids = _candidate_line(line, f"{path}:{line_number}", data)
                if query_id in candidates:
                    raise UserError(f"{path}:{line_number}: query_id {query_id!r} has two lines; keep one")
                candidates[query_id] = doc_ids
    missing = [query_id for query_id in data.qrels if query_id not in candidates]
    if missing:
        raise UserError(
            f"{path}: {len(missing)} judged queries have no candidates (first: {missing[0]!r}); "
            "add a line for each or drop their judgements"
        )
    return candidates


def _candidate_line(line: str, where: str, data: BeirDataset) -> tuple[str, list[str]]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise UserError(f"{where}: not valid JSON ({error.msg}); write one object per line") from None
    query_id = record.get("query_id") if isinstance(record, dict) else None
    doc_ids = record.get("doc_ids") if isinstance(record, dict) else None
    if not isinstance(query_id, str) or not isinstance(doc_ids, list) or not all(isinstance(d, str) for d in doc_ids):
        raise UserError(f'{where}: expected {{"query_id": str, "doc_ids": [str, ...]}}')
    if query_id not in data.queries:
        raise UserError(f"{where}: query_id {query_id!r} is not in queries.jsonl")
    if not doc_ids:
        raise UserError(f"{where}: query {query_id!r} has no candidate documents")
    unknown = [doc_id for doc_id in doc_ids if doc_id not in data.corpus]
    if unknown:
        raise UserError(f"{where}: doc id {unknown[0]!r} of query {query_id!r} is not in corpus.jsonl")
    if len(set(doc_ids)) != len(doc_ids):
        raise UserError(f"{where}: query {query_id!r} lists a doc id twice; keep one")
    return query_id, list(doc_ids)


#: Task name (as in ``--datasets``) -> task class, for ``eval_type: rerank``.
RERANK_TASKS: dict[str, type[CustomReranking]] = {CustomReranking.name: CustomReranking}


def get_rerank_task(name: str, args: Mapping[str, Any], dataset_dir: str | None) -> CustomReranking:
    """Build the rerank task ``name`` with its ``dataset_args`` (its data is read now).

    Raises:
        UserError: an unknown name, an unknown option, or data that is missing or malformed.
    """
    task = RERANK_TASKS.get(name)
    if task is None:
        raise UserError(
            f"unknown rerank task {name!r}{did_you_mean(name, RERANK_TASKS)} for eval_type rerank; "
            f"known: {', '.join(sorted(RERANK_TASKS))}"
        )
    return task(args, dataset_dir)
