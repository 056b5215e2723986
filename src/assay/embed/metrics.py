"""Retrieval metrics with the exact semantics MTEB reports: trec_eval's, as called through pytrec_eval.

MTEB scores retrieval with ``pytrec_eval`` (``ndcg_cut``, ``map_cut``, ``recall``) plus its own
MRR@k. Numbers only compare across frameworks if every detail matches, so this module copies the
details of trec_eval's C sources (``form_res_rels.c``, ``m_ndcg_cut.c``, ``m_map_cut.c``,
``m_recall.c``, ``m_recip_rank.c``) and MTEB's ``_evaluators/retrieval_metrics.py``:

- **Ranking.** Documents are sorted by score descending; equal scores are ordered by doc id
  *descending* (trec_eval's ``comp_sim_docno`` compares ``strcmp(p2->docno, p1->docno)``; MTEB's MRR
  sorts by ``(score, doc_id)`` reversed for the same reason). Python's string order equals
  ``strcmp`` on UTF-8 bytes, so the order is identical for any id.
- **Relevance.** A document is relevant when its qrels value is ``>= 1`` (trec_eval's default
  ``relevance_level``). Values ``<= 0`` and documents absent from the qrels count as non-relevant.
- **nDCG@k.** Gain is the relevance value itself (not ``2**rel - 1``), discounted by
  ``log2(rank + 1)``. The ideal DCG sorts *all* of the query's judged relevances (retrieved or not)
  descending and cuts at ``k``.
- **MAP@k.** Precision at each relevant document in the top ``k``, summed and divided by the number
  of relevant documents in the qrels (not by ``min(k, n_relevant)``).
- **Recall@k.** Relevant documents in the top ``k`` over relevant documents in the qrels.
- **MRR@k.** ``1 / rank`` of the first relevant document in the top ``k``, else 0.
- ``k`` larger than the ranking: the missing positions count as non-relevant documents.
- **Which queries count.** MTEB drops queries whose qrels are empty before retrieving
  (``_filter_queries_without_positives``); pytrec_eval skips run queries absent from the qrels.
  Both are skipped here. A query whose judged documents are all ``<= 0`` stays and scores 0 on
  every metric, as in pytrec_eval. A judged query missing from the run scores 0 as an empty ranking
  (trec_eval's ``-c``): MTEB always ranks every query, so this never differs from MTEB, and a
  backend that drops a query cannot raise the mean by doing so.

Means are plain averages over the evaluated queries, unrounded (MTEB rounds to 5 places for display).

Example:
    >>> qrels = {"q1": {"d1": 1, "d2": 2}}
    >>> run = {"q1": {"d1": 0.9, "d3": 0.5, "d2": 0.1}}
    >>> round(recall_at_k(qrels, run, 2).mean, 3), mrr_at_k(qrels, run, 10).mean
    (0.5, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import fsum

__all__ = [
    "RetrievalScores",
    "evaluate_retrieval",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "rank_documents",
    "recall_at_k",
]

Qrels = Mapping[str, Mapping[str, int]]
"""Query id -> doc id -> graded relevance (``>= 1`` relevant, ``<= 0`` judged non-relevant)."""
Run = Mapping[str, Mapping[str, float]]
"""Query id -> doc id -> retrieval score (higher is better)."""

METRIC_NAMES = ("ndcg", "map", "recall", "mrr")


@dataclass(frozen=True)
class RetrievalScores:
    """One metric at one cutoff, for every evaluated query and on average."""

    name: str
    """``"<metric>_at_<k>"``, e.g. ``"ndcg_at_10"``."""
    per_query: dict[str, float]
    """Query id -> value in [0, 1], for each evaluated query (see the module docstring for which)."""
    mean: float
    """Average of ``per_query``; 0.0 when no query was evaluated (``per_query`` then says so)."""


def rank_documents(doc_scores: Mapping[str, float]) -> list[str]:
    """Doc ids in trec_eval's rank order: score descending, ties by doc id descending.

    Raises:
        ValueError: a score is NaN, which has no place in an order (trec_eval's ``qsort`` would give
            an arbitrary one).

    Example:
        >>> rank_documents({"a": 1.0, "b": 1.0, "c": 2.0})
        ['c', 'b', 'a']
    """
    for doc_id, score in doc_scores.items():
        if math.isnan(score):
            raise ValueError(f"document {doc_id!r} has a NaN score; retrieval scores must be numbers")
    return [doc_id for doc_id, _ in sorted(doc_scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def _evaluated_query_ids(qrels: Qrels) -> list[str]:
    # Empty qrels carry no judgement at all: MTEB removes such queries before retrieval.
    return [query_id for query_id, judged in qrels.items() if judged]


def _discounted_gain(gains: Iterable[int]) -> float:
    # Added one by one in rank order, as m_ndcg_cut.c does (no compensated sum), so the result is
    # the same floating-point number trec_eval prints.
    total = 0.0
    for rank, gain in enumerate(gains):
        if gain > 0:
            total += gain / math.log2(rank + 2)
    return total


def _ndcg(relevances: Sequence[int], judged: Iterable[int], k: int) -> float:
    ideal = sorted((rel for rel in judged if rel > 0), reverse=True)[:k]
    ideal_dcg = _discounted_gain(ideal)
    return _discounted_gain(relevances[:k]) / ideal_dcg if ideal_dcg > 0 else 0.0


def _average_precision(relevances: Sequence[int], n_relevant: int, k: int) -> float:
    if n_relevant == 0:
        return 0.0
    found, precision_sum = 0, 0.0
    for rank, rel in enumerate(relevances[:k]):
        if rel >= 1:
            found += 1
            precision_sum += found / (rank + 1)
    return precision_sum / n_relevant


def _recall(relevances: Sequence[int], n_relevant: int, k: int) -> float:
    if n_relevant == 0:
        return 0.0
    return sum(1 for rel in relevances[:k] if rel >= 1) / n_relevant


def _reciprocal_rank(relevances: Sequence[int], k: int) -> float:
    for rank, rel in enumerate(relevances[:k]):
        if rel >= 1:
            return 1.0 / (rank + 1)
    return 0.0


def _query_metric(metric: str, relevances: Sequence[int], judged: Mapping[str, int], k: int) -> float:
    n_relevant = sum(1 for rel in judged.values() if rel >= 1)
    if metric == "ndcg":
        return _ndcg(relevances, judged.values(), k)
    if metric == "map":
        return _average_precision(relevances, n_relevant, k)
    if metric == "recall":
        return _recall(relevances, n_relevant, k)
    return _reciprocal_rank(relevances, k)


def evaluate_retrieval(
    qrels: Qrels, run: Run, k_values: Sequence[int] = (1, 3, 5, 10, 20, 100, 1000)
) -> dict[str, RetrievalScores]:
    """nDCG, MAP, recall and MRR at every cutoff, ranking each query once.

    Args:
        qrels: query id -> doc id -> graded relevance.
        run: query id -> doc id -> score, e.g. the top-k of a dense retriever.
        k_values: cutoffs; MTEB's defaults are ``(1, 3, 5, 10, 20, 100, 1000)``.

    Returns:
        ``"<metric>_at_<k>"`` -> scores, for metric in ``ndcg``, ``map``, ``recall``, ``mrr``.

    Raises:
        ValueError: a cutoff below 1, or a NaN score in the run.

    Example:
        >>> scores = evaluate_retrieval({"q": {"a": 1}}, {"q": {"a": 0.2, "b": 0.7}}, k_values=[1, 2])
        >>> scores["mrr_at_1"].mean, scores["mrr_at_2"].mean
        (0.0, 0.5)
    """
    if not k_values or min(k_values) < 1:
        raise ValueError(f"cutoffs must be positive integers, got {list(k_values)}")
    per_query: dict[str, dict[str, float]] = {f"{metric}_at_{k}": {} for metric in METRIC_NAMES for k in k_values}
    for query_id in _evaluated_query_ids(qrels):
        judged = qrels[query_id]
        ranking = rank_documents(run.get(query_id, {}))
        relevances = [judged.get(doc_id, 0) for doc_id in ranking[: max(k_values)]]
        for metric in METRIC_NAMES:
            for k in k_values:
                per_query[f"{metric}_at_{k}"][query_id] = _query_metric(metric, relevances, judged, k)
    return {
        name: RetrievalScores(name, values, fsum(values.values()) / len(values) if values else 0.0)
        for name, values in per_query.items()
    }


def ndcg_at_k(qrels: Qrels, run: Run, k: int) -> RetrievalScores:
    """nDCG@k as trec_eval's ``ndcg_cut.k``: gain = relevance, discount ``log2(rank + 1)``.

    Example:
        >>> round(ndcg_at_k({"q": {"a": 2, "b": 1}}, {"q": {"b": 0.9, "a": 0.1}}, 2).mean, 4)
        0.8597
    """
    return evaluate_retrieval(qrels, run, [k])[f"ndcg_at_{k}"]


def map_at_k(qrels: Qrels, run: Run, k: int) -> RetrievalScores:
    """MAP@k as trec_eval's ``map_cut.k``: divided by all relevant documents, not ``min(k, R)``.

    Example:
        >>> map_at_k({"q": {"a": 1, "b": 1}}, {"q": {"a": 0.9, "c": 0.5}}, 1).mean
        0.5
    """
    return evaluate_retrieval(qrels, run, [k])[f"map_at_{k}"]


def recall_at_k(qrels: Qrels, run: Run, k: int) -> RetrievalScores:
    """Recall@k as trec_eval's ``recall.k``: relevant in the top k over relevant in the qrels.

    Example:
        >>> recall_at_k({"q": {"a": 1, "b": 1}}, {"q": {"a": 0.9, "c": 0.5}}, 2).mean
        0.5
    """
    return evaluate_retrieval(qrels, run, [k])[f"recall_at_{k}"]


def mrr_at_k(qrels: Qrels, run: Run, k: int) -> RetrievalScores:
    """MRR@k as MTEB's ``mrr``: ``1 / rank`` of the first relevant document in the top k, else 0.

    Example:
        >>> mrr_at_k({"q": {"b": 1}}, {"q": {"a": 0.9, "b": 0.5}}, 2).mean
        0.5
    """
    return evaluate_retrieval(qrels, run, [k])[f"mrr_at_{k}"]
