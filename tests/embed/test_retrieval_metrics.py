"""Retrieval metrics agree with trec_eval (via pytrec_eval, as MTEB calls it) to the last digits.

Expected values marked "pytrec_eval" were produced once with ``pytrec-eval-terrier`` 0.5.11 in a
throwaway virtual environment (it is not a dependency) from exactly the inputs written here.
"""

from __future__ import annotations

import math
import random

import pytest

from assay.embed.metrics import (
    evaluate_retrieval,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    rank_documents,
    recall_at_k,
)

# q1: graded relevance, a score tie that decides the order, a judged non-relevant doc at rank 1, a
# negative (unjudged) doc, a relevant doc never retrieved. q2: judged, but nothing relevant. q3: not
# in the qrels at all. q4: a run shorter than every cutoff.
QRELS = {
    "q1": {"d1": 2, "d2": 1, "d3": 0, "d4": 1, "d5": -1},
    "q2": {"d1": 0},
    "q4": {"d7": 1, "d8": 3},
}
RUN = {
    "q1": {"d3": 0.9, "d1": 0.5, "d2": 0.5, "d5": 0.4, "d6": 0.3},
    "q2": {"d1": 1.0},
    "q3": {"d1": 1.0},
    "q4": {"d8": 0.2},
}


def test_ties_are_broken_by_doc_id_descending_like_trec_eval() -> None:
    assert rank_documents({"d1": 0.5, "d2": 0.5, "d10": 0.5, "d3": 0.9}) == ["d3", "d2", "d10", "d1"]


def test_nan_score_is_rejected() -> None:
    with pytest.raises(ValueError, match="NaN"):
        rank_documents({"d1": float("nan")})


def test_graded_ndcg_uses_relevance_as_gain_and_the_tie_order() -> None:
    # Ranking d3(0) d2(1) d1(2): DCG = 1/log2(3) + 2/log2(4); ideal over 2, 1, 1 = 2 + 1/log2(3) + 1/2.
    expected = (1 / math.log2(3) + 1.0) / (2 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(QRELS, RUN, 3).per_query["q1"] == pytest.approx(expected, abs=1e-15)
    assert ndcg_at_k(QRELS, RUN, 3).per_query["q1"] == pytest.approx(0.5209090851403014, abs=1e-15)  # pytrec_eval


def test_hand_computed_values_match_pytrec_eval() -> None:
    scores = evaluate_retrieval(QRELS, RUN, k_values=[1, 3, 5, 10])
    q1 = {name: value.per_query["q1"] for name, value in scores.items()}
    assert q1["map_at_1"] == 0.0
    assert q1["map_at_10"] == pytest.approx(0.38888888888888884, abs=1e-15)  # (1/2 + 2/3) / 3 relevant
    assert q1["recall_at_3"] == pytest.approx(0.6666666666666666, abs=1e-15)
    assert q1["mrr_at_1"] == 0.0
    assert q1["mrr_at_3"] == 0.5


def test_query_with_only_non_relevant_judgements_scores_zero_and_counts_in_the_mean() -> None:
    scores = evaluate_retrieval(QRELS, RUN, k_values=[10])
    assert {name: value.per_query["q2"] for name, value in scores.items()} == {
        "ndcg_at_10": 0.0,
        "map_at_10": 0.0,
        "recall_at_10": 0.0,
        "mrr_at_10": 0.0,
    }
    assert scores["recall_at_10"].mean == pytest.approx((2 / 3 + 0.0 + 0.5) / 3)


def test_run_query_without_judgements_is_skipped() -> None:
    assert set(ndcg_at_k(QRELS, RUN, 10).per_query) == {"q1", "q2", "q4"}


def test_query_with_empty_qrels_is_skipped_as_mteb_filters_it() -> None:
    assert ndcg_at_k({"q": {}, "r": {"a": 1}}, {"q": {"a": 1.0}, "r": {"a": 1.0}}, 5).per_query == {"r": 1.0}


def test_k_larger_than_the_run_counts_missing_positions_as_non_relevant() -> None:
    assert ndcg_at_k(QRELS, RUN, 10).per_query["q4"] == pytest.approx(0.8262346571285599, abs=1e-15)  # pytrec_eval
    assert ndcg_at_k(QRELS, RUN, 1).per_query["q4"] == 1.0
    assert map_at_k(QRELS, RUN, 1000).per_query["q4"] == 0.5
    assert recall_at_k(QRELS, RUN, 1000).per_query["q4"] == 0.5
    assert mrr_at_k(QRELS, RUN, 1000).per_query["q4"] == 1.0


def test_map_divides_by_all_relevant_documents_not_by_k() -> None:
    qrels = {"q": {"a": 1, "b": 1, "c": 1, "d": 1}}
    assert map_at_k(qrels, {"q": {"a": 0.9, "b": 0.8}}, 2).mean == 0.5


def test_judged_query_missing_from_the_run_scores_zero() -> None:
    scores = evaluate_retrieval({"q": {"a": 1}, "r": {"a": 1}}, {"q": {"a": 1.0}}, k_values=[5])
    assert scores["ndcg_at_5"].per_query == {"q": 1.0, "r": 0.0}
    assert scores["ndcg_at_5"].mean == 0.5


def test_no_evaluated_query_gives_a_zero_mean_and_no_rows() -> None:
    scores = evaluate_retrieval({}, {"q": {"a": 1.0}}, k_values=[5])
    assert scores["ndcg_at_5"].per_query == {}
    assert scores["ndcg_at_5"].mean == 0.0


def test_cutoff_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        evaluate_retrieval(QRELS, RUN, k_values=[0])


def random_case(seed: int, n_queries: int = 200) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """Qrels and a run with many score ties and ids whose string order is not numeric order.

    Only the standard library, so the generator that produced the pytrec_eval values below can be
    rerun anywhere.
    """
    rng = random.Random(seed)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in range(n_queries):
        docs = [f"d{n}" for n in range(40)]
        judged = rng.sample(docs, rng.randint(1, 12))
        qrels[f"q{q}"] = {doc: rng.choice([-1, 0, 0, 1, 1, 2, 3]) for doc in judged}
        retrieved = rng.sample(docs, rng.randint(1, 30))
        run[f"q{q}"] = {doc: round(rng.random(), 1) for doc in retrieved}
    return qrels, run


def reference_metrics(judged: dict[str, int], doc_scores: dict[str, float], k: int) -> dict[str, float]:
    """trec_eval's definitions written as plain loops, independently of the module under test."""
    ranked = sorted(doc_scores, key=lambda doc: (-doc_scores[doc], [-ord(c) for c in doc] + [1]))
    rels = [judged.get(doc, 0) for doc in ranked]
    n_relevant = len([rel for rel in judged.values() if rel >= 1])
    dcg, hits, precision_sum, first_hit = 0.0, 0, 0.0, 0
    for i in range(min(k, len(rels))):
        if rels[i] > 0:
            dcg += rels[i] / math.log2(i + 2)
            hits += 1
            precision_sum += hits / (i + 1)
            first_hit = first_hit or i + 1
    ideal_gains = sorted([rel for rel in judged.values() if rel > 0], reverse=True)
    ideal = 0.0
    for i in range(min(k, len(ideal_gains))):
        ideal += ideal_gains[i] / math.log2(i + 2)
    return {
        "ndcg": dcg / ideal if ideal > 0 else 0.0,
        "map": precision_sum / n_relevant if n_relevant else 0.0,
        "recall": hits / n_relevant if n_relevant else 0.0,
        "mrr": 1 / first_hit if first_hit else 0.0,
    }


def test_reference_sort_key_is_doc_id_descending() -> None:
    scores = {"d1": 0.5, "d10": 0.5, "d2": 0.5}
    assert sorted(scores, key=lambda doc: (-scores[doc], [-ord(c) for c in doc] + [1])) == ["d2", "d10", "d1"]


@pytest.mark.parametrize("k", [1, 3, 5, 10, 100])
def test_random_queries_match_an_independent_implementation(k: int) -> None:
    qrels, run = random_case(seed=7)
    scores = evaluate_retrieval(qrels, run, k_values=[k])
    for query_id in qrels:
        expected = reference_metrics(qrels[query_id], run[query_id], k)
        for metric, value in expected.items():
            assert scores[f"{metric}_at_{k}"].per_query[query_id] == pytest.approx(value, abs=1e-12), (query_id, metric)


# Means over random_case(seed=7), all 200 queries, from pytrec_eval (mrr from recip_rank, which
# equals MRR@k once k covers every retrieved document).
PYTREC_EVAL_MEANS = {
    "map_at_1": 0.017761904761904763,
    "map_at_10": 0.07613015951751075,
    "map_at_100": 0.09387858513246748,
    "map_at_3": 0.04759623015873015,
    "mrr_at_100": 0.19775371717206083,
    "ndcg_at_1": 0.05916666666666667,
    "ndcg_at_10": 0.13540947114611535,
    "ndcg_at_100": 0.18042406219944143,
    "ndcg_at_3": 0.08587220423595116,
    "recall_at_1": 0.017761904761904763,
    "recall_at_10": 0.1955734126984127,
    "recall_at_100": 0.340561507936508,
    "recall_at_3": 0.08219444444444443,
}


@pytest.mark.parametrize(("name", "expected"), sorted(PYTREC_EVAL_MEANS.items()))
def test_random_queries_match_pytrec_eval_means(name: str, expected: float) -> None:
    qrels, run = random_case(seed=7)
    assert evaluate_retrieval(qrels, run, k_values=[1, 3, 10, 100])[name].mean == pytest.approx(expected, abs=1e-12)
