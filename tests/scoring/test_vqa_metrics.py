"""ANLS, ChartQA's relaxed accuracy and OCRBench's match: hand-computed values, EvalScope's quirks kept."""

from __future__ import annotations

import random

import pytest
from nltk.metrics.distance import edit_distance

from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.scoring.scorers.vqa import anls, answer_line, levenshtein, ocr_bench_match, relaxed_correctness
from assay.types import Sample
from tests.benchmarks.helpers import score


# ---------------------------------------------------------------------------------------------- Levenshtein
@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0), ("flaw", "lawn", 2), ("ab", "ba", 2)],
)
def test_levenshtein_counts_insertions_deletions_and_substitutions(first: str, second: str, distance: int) -> None:
    assert levenshtein(first, second) == distance


def test_levenshtein_equals_nltks_edit_distance_on_random_texts() -> None:
    rng = random.Random(7)
    for _ in range(300):
        first = "".join(rng.choice("ab c\u00df") for _ in range(rng.randint(0, 12)))
        second = "".join(rng.choice("ab c\u00df") for _ in range(rng.randint(0, 12)))
        assert levenshtein(first, second) == edit_distance(first, second)


# ---------------------------------------------------------------------------------------------- ANLS
def test_anls_ignores_case_and_surrounding_or_repeated_whitespace() -> None:
    assert anls("  Pinterest ", ["pinterest"]) == 1.0
    assert anls("new  york", ["New York"]) == 1.0


def test_anls_is_one_minus_distance_over_the_longer_text() -> None:
    # 'pintrest' -> 'pinterest': one insertion; longer text 9 characters.
    assert anls("pintrest", ["pinterest"]) == pytest.approx(1 - 1 / 9)


def test_anls_takes_the_closest_gold_answer() -> None:
    # 'acme corporation' (16): distance 7 -> 9/16; 'acme corp.' (10): distance 1 -> 9/10.
    assert anls("acme corp", ["ACME CORPORATION"]) == pytest.approx(9 / 16)
    assert anls("acme corp", ["ACME CORPORATION", "ACME CORP."]) == pytest.approx(0.9)


def test_anls_below_the_threshold_is_zero_and_exactly_the_threshold_is_kept() -> None:
    # '1998' vs '12/03/1998': distance 6 of 10 -> 0.4 < 0.5 -> 0; 'ab' vs 'abcd': 2 of 4 -> 0.5 kept.
    assert anls("1998", ["12/03/1998"]) == 0.0
    assert anls("1998", ["12/03/1998"], threshold=0.3) == pytest.approx(0.4)
    assert anls("ab", ["abcd"]) == 0.5


def test_anls_divides_by_the_raw_lengths_as_evalscope_does() -> None:
    # Distance on normalized texts ('a b' vs 'a c': 1) but length of the raw gold 'a  b' (4): 0.75, not 2/3.
    assert anls("a c", ["a  b"]) == pytest.approx(0.75)
    # 'ß' upper-cases to 'SS', so the length is 2: 1 - 1/2 = 0.5, kept.
    assert anls("s", ["\u00df"]) == 0.5


def test_anls_edge_cases_no_gold_answer_and_two_empty_texts() -> None:
    assert anls("anything", []) == 0.0
    assert anls("", [""]) == 1.0
    assert anls("", ["x"]) == 0.0


def _evalscope_anls(prediction: str, answers: list[str], threshold: float) -> float:
    """EvalScope's ``ANLS.apply`` for one sample, written out plainly (NLTK's distance)."""
    values = []
    for answer in answers:
        gold = " ".join(answer.strip().lower().split())
        det = " ".join(prediction.strip().lower().split())
        length = max(len(answer.upper()), len(prediction.upper()))
        values.append(0.0 if length == 0 else edit_distance(gold, det) / length)
    result = 1 - min(values) if values else 0.0
    return 0.0 if result < threshold else result


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.9])
def test_anls_equals_evalscopes_formula_on_random_answers(threshold: float) -> None:
    # Ours skips the distance when the length difference alone rules an answer out; the result
    # must still be EvalScope's for every input.
    rng = random.Random(threshold)
    alphabet = "abAB  1."
    for _ in range(400):
        prediction = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        answers = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(0, 3))]
        assert anls(prediction, answers, threshold) == _evalscope_anls(prediction, answers, threshold)


# ---------------------------------------------------------------------------------------------- relaxed accuracy
@pytest.mark.parametrize(
    ("prediction", "target", "correct"),
    [
        ("10.4", "10", True),  # 4 % off
        ("10.6", "10", False),  # 6 % off
        ("105", "100", True),  # exactly 5 % is within
        ("-10.3", "-10", True),  # relative to |gold|
        ("52%", "50%", True),  # both percentages: 0.52 vs 0.5
        ("25%", "0.25", True),  # a trailing % divides by 100
        ("50%", "50", False),  # ... so 50% is 0.5, not 50 (kept from EvalScope)
        ("1,000", "1000", False),  # commas are not parsed: compared as text
        ("1,000", "1,000", True),
        ("0", "0", True),  # a gold 0 is compared as text
        ("0.0", "0", False),
        ("Yes", "yes", True),  # text: case-insensitive exact match
        ("yes.", "yes", False),
        ("about 10", "10", False),
        ("10", "ten", False),
    ],
)
def test_relaxed_correctness_matches_evalscope(prediction: str, target: str, correct: bool) -> None:
    assert relaxed_correctness(prediction, target) is correct


# ---------------------------------------------------------------------------------------------- OCRBench
@pytest.mark.parametrize(
    ("reply", "answers", "dataset", "matched"),
    [
        ("The sign says CENTRE.", ["centre"], "IIIT5K", True),  # substring, case-insensitive
        ("CENTER", ["centre"], "IIIT5K", False),
        ("hello", ["bye", "ell"], "IIIT5K", True),  # any gold answer
        ("line one\nline two", ["one line"], "IIIT5K", True),  # newlines are spaces
        ("a b", ["a\nb"], "FUNSD", True),
        ("x ^ 2", ["x^2"], "IIIT5K", False),  # spaces count outside HME100k
        ("x ^ { 2 }", ["x^{2}"], "HME100k", True),  # HME100k: every space removed
        ("X^{2}", ["x^{2}"], "HME100k", False),  # ... and case kept
        ("anything", [""], "IIIT5K", True),  # an empty gold answer matches anything, as upstream
        ("abc", "b", None, True),  # a single gold string
    ],
)
def test_ocr_bench_match_follows_the_official_rule(
    reply: str, answers: str | list[str], dataset: str | None, matched: bool
) -> None:
    assert ocr_bench_match(reply, answers, dataset) is matched


# ---------------------------------------------------------------------------------------------- extraction
def test_answer_line_takes_the_last_marker_to_the_end_of_its_line() -> None:
    assert answer_line("ANSWER: 3\nthinking again...\nANSWER:  42 \nbye") == "42"
    assert answer_line("ANSWER:\n42") == "42"  # the space after the marker may be a newline
    assert answer_line("answer: 42") is None  # case-sensitive, as EvalScope
    assert answer_line("ANSWER:") == ""


# ---------------------------------------------------------------------------------------------- scorers in benchmarks
def _sample(target: str | list[str], **metadata: object) -> Sample:
    return Sample(id="1", input="?", target=target, metadata=dict(metadata))


def test_anls_scorer_reads_the_answer_line_or_falls_back_to_the_whole_reply() -> None:
    adapter = build_adapter("docvqa")
    verdict = score(adapter, _sample(["pinterest"]), "It is the red one.\nANSWER: Pinterest")
    assert (verdict.value, verdict.extracted) == ({"anls": 1.0}, "Pinterest")
    verdict = score(adapter, _sample(["pinterest"]), "  pintrest \n")
    assert verdict.value == {"anls": 1 - 1 / 9} and verdict.extracted == "pintrest"


def test_anls_threshold_comes_from_evalscopes_metric_options() -> None:
    adapter = build_adapter("infovqa", {"metric_list": [{"anls": {"thresh_hold": 0.3}}]})
    assert score(adapter, _sample(["12/03/1998"]), "ANSWER: 1998").value == {"anls": pytest.approx(0.4)}
    with pytest.raises(UserError, match="thresh_hold"):
        build_adapter("docvqa", {"metric_list": [{"anls": {"cutoff": 0.3}}]})
    with pytest.raises(UserError, match=r"\[0, 1\]"):
        build_adapter("docvqa", {"metric_list": [{"anls": {"thresh_hold": 2}}]})


def test_relaxed_acc_scorer_scores_a_reply_without_answer_line_as_an_extraction_failure() -> None:
    adapter = build_adapter("chartqa")
    verdict = score(adapter, _sample("42"), "The bar reaches 41.\nANSWER: 41")
    assert (verdict.value, verdict.extracted) == ({"relaxed_acc": 1.0}, "41")
    verdict = score(adapter, _sample("42"), "42")
    assert (verdict.value, verdict.extracted) == ({"relaxed_acc": 0.0}, None)


def test_ocr_bench_scorer_picks_the_rule_by_the_records_source_dataset() -> None:
    adapter = build_adapter("ocr_bench")
    assert score(adapter, _sample(["x+1"], dataset="HME100k"), "x + 1").value == {"acc": 1.0}
    assert score(adapter, _sample(["x+1"], dataset="IIIT5K"), "x + 1").value == {"acc": 0.0}
    assert score(adapter, _sample(["X+1"], dataset="HME100k"), "x + 1").value == {"acc": 0.0}
