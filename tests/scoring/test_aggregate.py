"""Aggregations over repeats: EvalScope's names and numbers, exact estimators, defined edge cases."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest

from assay.errors import UserError
from assay.scoring.aggregate import (
    AGGREGATIONS,
    AggregateValue,
    SampleRepeats,
    aggregate,
    aggregate_with_counts,
    pass_at_k,
    pass_hat_k,
)

# Five samples x four repeats. The expected numbers below were produced by EvalScope 1.14.1's
# MeanPassAtK / MeanVoteAtK / MeanPassHatK on the same scores (group_id = sample,
# generation_index = repeat, extracted_prediction = answer).
FOUR_REPEATS = [
    SampleRepeats([1.0, 0.0, 1.0, 1.0], ["7", "8", "7", "7"]),
    SampleRepeats([0.0, 0.0, 0.0, 1.0], ["1", "2", "2", "3"]),
    SampleRepeats([0.0, 1.0, 0.0, 1.0], ["5", "4", "5", "4"]),
    SampleRepeats([1.0, 1.0, 1.0, 1.0], ["9", "9", None, " "]),
    SampleRepeats([0.0, 0.0, 0.0, 0.0], [None, None, None, None]),
]

# Repeats without a score (None): they count neither as right nor wrong. Also checked against
# EvalScope 1.14.1, with the missing repeats given no 'acc' value.
WITH_GAPS = [
    SampleRepeats([1.0, None, 1.0], ["7", None, "7"]),
    SampleRepeats([0.0, 1.0, 1.0], ["1", "2", "2"]),
    SampleRepeats([None, 1.0, 0.0], [None, "4", "5"]),
    SampleRepeats([0.0, 0.0, 1.0], ["5", "4", "4"]),
]


def _approx(expected: dict[str, tuple[float, int]]) -> dict[str, object]:
    return {key: (pytest.approx(score), num) for key, (score, num) in expected.items()}


def _with_counts(name: str, samples: list[SampleRepeats]) -> dict[str, tuple[float, int]]:
    return {key: (value.score, value.num) for key, value in aggregate_with_counts(name, samples).items()}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mean", {"mean_acc": (0.5, 20)}),
        (
            "mean_and_pass_at_k",
            {
                "mean_acc": (0.5, 20),
                "mean_acc_pass@1": (0.5, 5),
                "mean_acc_pass@2": (2 / 3, 5),
                "mean_acc_pass@3": (0.75, 5),
                "mean_acc_pass@4": (0.8, 5),
            },
        ),
        (
            "mean_and_vote_at_k",
            {
                "mean_acc": (0.5, 20),
                "mean_acc_vote@1": (0.4, 5),
                "mean_acc_vote@2": (0.4, 5),
                "mean_acc_vote@3": (0.4, 5),
                "mean_acc_vote@4": (0.4, 5),
            },
        ),
        (
            "mean_and_pass_hat_k",
            {
                "mean_acc": (0.5, 20),
                "mean_acc_pass^1": (0.5, 5),
                "mean_acc_pass^2": (1 / 3, 5),
                "mean_acc_pass^3": (0.25, 5),
                "mean_acc_pass^4": (0.2, 5),
            },
        ),
    ],
)
def test_aggregations_match_evalscope_names_and_values(name: str, expected: dict[str, tuple[float, int]]) -> None:
    assert _with_counts(name, FOUR_REPEATS) == _approx(expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "mean_and_pass_at_k",
            {
                "mean_acc": (0.6, 10),
                "mean_acc_pass@1": (2 / 3, 3),
                "mean_acc_pass@2": (5 / 6, 2),
                "mean_acc_pass@3": (1.0, 2),
            },
        ),
        (
            "mean_and_vote_at_k",
            {
                "mean_acc": (0.6, 10),
                "mean_acc_vote@1": (1 / 3, 3),
                "mean_acc_vote@2": (0.0, 2),
                "mean_acc_vote@3": (1.0, 2),
            },
        ),
        (
            "mean_and_pass_hat_k",
            {
                "mean_acc": (0.6, 10),
                "mean_acc_pass^1": (2 / 3, 3),
                "mean_acc_pass^2": (1 / 6, 2),
                "mean_acc_pass^3": (0.0, 2),
            },
        ),
    ],
)
def test_unscored_repeats_drop_a_sample_from_k_at_and_beyond_the_gap(
    name: str, expected: dict[str, tuple[float, int]]
) -> None:
    assert _with_counts(name, WITH_GAPS) == _approx(expected)


def test_k_runs_to_the_fewest_planned_repeats() -> None:
    samples = [SampleRepeats([1.0, 0.0, 1.0]), SampleRepeats([0.0, 1.0])]
    assert set(aggregate("mean_and_pass_at_k", samples)) == {"mean_acc", "mean_acc_pass@1", "mean_acc_pass@2"}


def test_metric_name_is_used_in_keys() -> None:
    result = aggregate("mean_and_pass_at_k", [SampleRepeats([1.0])], metric="math_acc")
    assert result == {"mean_math_acc": 1.0, "mean_math_acc_pass@1": 1.0}


def test_nothing_scored_gives_no_numbers_rather_than_zero() -> None:
    assert aggregate("mean_and_pass_at_k", []) == {}
    assert aggregate("mean", [SampleRepeats([None, None])]) == {}


def test_single_repeat_pass_at_1_equals_the_mean() -> None:
    samples = [SampleRepeats([v]) for v in (1.0, 0.0, 1.0, 1.0)]
    assert aggregate("mean_and_pass_at_k", samples) == {"mean_acc": 0.75, "mean_acc_pass@1": 0.75}


# --- estimators ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 11))
def test_pass_at_k_equals_the_binomial_formula(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            exact = 1 - Fraction(comb(n - c, k), comb(n, k))
            assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)


@pytest.mark.parametrize("n", range(1, 11))
def test_pass_hat_k_equals_the_binomial_formula(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_hat_k(n, c, k) == pytest.approx(comb(c, k) / comb(n, k), abs=1e-12)


def test_estimators_stay_finite_for_many_samples() -> None:
    # C(2000, 1000) has 600 digits and overflows a float; the product forms never build it.
    exact = 1 - Fraction(comb(1990, 1000), comb(2000, 1000))
    assert pass_at_k(2000, 10, 1000) == pytest.approx(float(exact), rel=1e-12)
    assert pass_hat_k(2000, 1990, 1000) == pytest.approx(float(Fraction(comb(1990, 1000), comb(2000, 1000))))


def test_estimators_reject_impossible_counts() -> None:
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_hat_k(3, 1, 4)


def test_partial_scores_do_not_count_as_passes() -> None:
    # EvalScope would count int(0.5 + 0.5) = 1 pass here; a pass means a fully correct attempt.
    assert aggregate("mean_and_pass_at_k", [SampleRepeats([0.5, 0.5])])["mean_acc_pass@2"] == 0.0


# --- vote@k -------------------------------------------------------------------------------------


def test_vote_ties_go_to_the_answer_seen_first() -> None:
    first_wrong = SampleRepeats([0.0, 1.0], ["3", "4"])
    first_right = SampleRepeats([1.0, 0.0], ["4", "3"])
    assert aggregate("mean_and_vote_at_k", [first_wrong])["mean_acc_vote@2"] == 0.0
    assert aggregate("mean_and_vote_at_k", [first_right])["mean_acc_vote@2"] == 1.0


def test_vote_ignores_missing_and_blank_answers() -> None:
    sample = SampleRepeats([0.0, 0.0, 1.0], [None, " ", "5"])
    assert aggregate("mean_and_vote_at_k", [sample])["mean_acc_vote@3"] == 1.0
    assert aggregate("mean_and_vote_at_k", [SampleRepeats([0.0], [None])])["mean_acc_vote@1"] == 0.0


def test_voted_answer_is_correct_if_any_repeat_giving_it_scored_one() -> None:
    # Same extracted answer, different verdicts (e.g. the full reply differed): one hit suffices.
    sample = SampleRepeats([0.0, 1.0, 0.0], ["12", "12", "7"])
    assert aggregate("mean_and_vote_at_k", [sample])["mean_acc_vote@3"] == 1.0


def test_vote_needs_extracted_answers() -> None:
    with pytest.raises(UserError, match="mean_and_pass_at_k"):
        aggregate("mean_and_vote_at_k", [SampleRepeats([1.0, 0.0])])


# --- API ----------------------------------------------------------------------------------------


def test_aggregation_names_are_evalscopes() -> None:
    assert AGGREGATIONS == ("mean", "mean_and_pass_at_k", "mean_and_vote_at_k", "mean_and_pass_hat_k")


def test_unknown_aggregation_suggests_the_closest_name() -> None:
    with pytest.raises(UserError, match="did you mean 'mean_and_pass_at_k'"):
        aggregate("mean_and_pass_at_kk", FOUR_REPEATS)


def test_answers_must_align_with_repeats() -> None:
    with pytest.raises(ValueError, match="2 answers for 3 repeats"):
        SampleRepeats([1.0, 0.0, 1.0], ["a", "b"])


def test_sample_repeats_is_immutable() -> None:
    sample = SampleRepeats([1.0], ["x"])
    assert sample.values == (1.0,)
    with pytest.raises(AttributeError):
        sample.values = (0.0,)  # type: ignore[misc]


def test_counts_are_reported_with_values() -> None:
    assert aggregate_with_counts("mean", FOUR_REPEATS) == {"mean_acc": AggregateValue(0.5, 20)}
