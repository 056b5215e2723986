"""Arena-Hard and AlpacaEval statistics, checked against seeded simulations with a known truth and against
independent fits (statsmodels) written here from the documented procedure, never through the module."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pytest
import statsmodels.api as sm

from assay.judge.pairwise_stats import VERDICTS, PairJudgment, StyleFeatures, arena_result, style_features
from assay.judge.winrate import length_controlled_win_rate, win_rate

# --- Arena-Hard simulation -------------------------------------------------------------------------

TRUE_RATING_DIFFERENCE = 100.0  # model 1100 vs baseline 1000
TIE_PROBABILITY = 0.15
STRONG_PROBABILITY = 0.3

# The judge's label for the model's outcome, by position; each has two spellings the module accepts.
_MODEL_IS_B = {
    "win": ("B>A", "A<B"),
    "strong win": ("B>>A", "A<<B"),
    "tie": ("A=B", "B=A"),
    "loss": ("A>B", "B<A"),
    "strong loss": ("A>>B", "B<<A"),
}
_MODEL_IS_A = {
    "win": ("A>B", "B<A"),
    "strong win": ("A>>B", "B<<A"),
    "tie": ("A=B", "B=A"),
    "loss": ("B>A", "A<B"),
    "strong loss": ("B>>A", "A<<B"),
}
_OUTCOME = {"win": 1.0, "strong win": 1.0, "tie": 0.5, "loss": 0.0, "strong loss": 0.0}


@dataclass
class SimulatedQuestion:
    """One question as the simulator knows it: the model's outcome in each game (None = no verdict)."""

    games: list[str | None]  # [game 1 (model is B), game 2 (model is A)]
    labels: list[str | None]
    model_style: StyleFeatures
    baseline_style: StyleFeatures

    def judgment(self, qid: int) -> PairJudgment:
        return PairJudgment(str(qid), self.labels[0], self.labels[1], self.model_style, self.baseline_style)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _simulate_outcome(rng: np.random.Generator, p_model_wins: float) -> str:
    if rng.random() < TIE_PROBABILITY:
        return "tie"
    strong = rng.random() < STRONG_PROBABILITY
    if rng.random() < p_model_wins:
        return "strong win" if strong else "win"
    return "strong loss" if strong else "loss"


def _random_style(rng: np.random.Generator, tokens: int) -> StyleFeatures:
    return StyleFeatures(tokens, int(rng.poisson(1.0)), int(rng.poisson(4.0)), int(rng.poisson(2.0)))


def _simulate(n_questions: int, seed: int, win_probability: float | None = None) -> list[SimulatedQuestion]:
    """Two games per question with positions swapped. With ``win_probability`` None the judge ignores
    strength and prefers the longer answer: P(model wins) = logistic(4 * (m - b) / (m + b))."""
    rng = np.random.default_rng(seed)
    questions = []
    for _ in range(n_questions):
        baseline_tokens = int(rng.lognormal(5.5, 0.4))
        model_tokens = int(baseline_tokens * rng.lognormal(0.25, 0.4))  # the model tends to be longer
        length_gap = (model_tokens - baseline_tokens) / (model_tokens + baseline_tokens)
        p = win_probability if win_probability is not None else _logistic(4.0 * length_gap)
        games: list[str | None] = [_simulate_outcome(rng, p), _simulate_outcome(rng, p)]
        labels: list[str | None] = [
            _MODEL_IS_B[str(games[0])][int(rng.integers(2))],
            _MODEL_IS_A[str(games[1])][int(rng.integers(2))],
        ]
        questions.append(
            SimulatedQuestion(games, labels, _random_style(rng, model_tokens), _random_style(rng, baseline_tokens))
        )
    return questions


def _battle_outcomes(questions: list[SimulatedQuestion]) -> tuple[np.ndarray, list[int]]:
    """The documented battle table, from the simulator's own outcomes: per question game 1 then game 2,
    a strong outcome three rows, a tie one 0.5 row, a game without a verdict none."""
    outcomes: list[float] = []
    rows: list[int] = []
    for q, question in enumerate(questions):
        for game in question.games:
            if game is None:
                continue
            copies = 3 if game.startswith("strong") else 1
            outcomes += [_OUTCOME[game]] * copies
            rows += [q] * copies
    return np.array(outcomes), rows


def _statsmodels_rating_difference(outcomes: np.ndarray, features: np.ndarray) -> float:
    """Elo difference by statsmodels Logit on upstream's duplicated data (a tie: one win, one loss)."""
    design = np.column_stack([np.full(len(outcomes), math.log(10.0)), features])
    x = np.vstack([design, design])
    y = np.concatenate([outcomes >= 0.5, outcomes == 1.0]).astype(float)
    fit = sm.Logit(y, x).fit(disp=0, tol=1e-12)
    return 400.0 * float(fit.params[0])


def _to_win_rate(rating_difference: float) -> float:
    return 1.0 / (1.0 + math.pow(10.0, -rating_difference / 400.0))


def _independent_arena(
    outcomes: np.ndarray, features: np.ndarray, rounds: int, seed: int
) -> tuple[float, float, float]:
    """Score and 5%/95% CI as documented: fit on all rows; per round ``rng.integers(0, n, n)``; quantiles
    of the bootstrap Elo differences (numpy linear), converted to win rates."""
    score = _to_win_rate(_statsmodels_rating_difference(outcomes, features))
    rng = np.random.default_rng(seed)
    n = len(outcomes)
    bootstrap = []
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        bootstrap.append(_statsmodels_rating_difference(outcomes[idx], features[idx]))
    low, high = np.quantile(bootstrap, [0.05, 0.95])
    return score, _to_win_rate(float(low)), _to_win_rate(float(high))


@contextmanager
def _no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_arena_recovers_the_true_win_rate_and_matches_an_independent_statsmodels_fit() -> None:
    true_p = _to_win_rate(TRUE_RATING_DIFFERENCE)  # 0.640
    questions = _simulate(300, seed=7, win_probability=true_p)
    with _no_warnings():
        result = arena_result([q.judgment(i) for i, q in enumerate(questions)], rounds=100, seed=42)

    # What the weighted battle table estimates: ties are one 0.5 battle, strong verdicts three battles.
    mean_weight = 1 + 2 * STRONG_PROBABILITY
    target = (0.5 * TIE_PROBABILITY + (1 - TIE_PROBABILITY) * true_p * mean_weight) / (
        TIE_PROBABILITY + (1 - TIE_PROBABILITY) * mean_weight
    )
    assert result.score == pytest.approx(target, abs=0.05)
    assert result.score == pytest.approx(true_p, abs=0.06)
    assert result.ci_low < result.score < result.ci_high

    outcomes, _ = _battle_outcomes(questions)
    assert (result.games, result.battles) == (600, len(outcomes))
    expected = _independent_arena(outcomes, np.zeros((len(outcomes), 0)), rounds=100, seed=42)
    assert (result.score, result.ci_low, result.ci_high) == pytest.approx(expected, abs=1e-6)
    # One model against one baseline the BT MLE is the weighted mean outcome (ties 0.5), what v2 averages.
    assert result.score == pytest.approx(float(outcomes.mean()), abs=1e-9)


def test_games_without_a_verdict_are_skipped_not_counted_as_ties_or_losses() -> None:
    questions = _simulate(200, seed=11, win_probability=0.6)
    rng = np.random.default_rng(3)
    for question in questions:
        for game in (0, 1):
            if rng.random() < 0.1:
                question.games[game] = None
                question.labels[game] = None
    judgments = [q.judgment(i) for i, q in enumerate(questions)]
    missing = sum(label is None for q in questions for label in q.labels)
    assert missing > 0
    assert any(q.labels == [None, None] for q in questions)  # some questions lose both games

    result = arena_result(judgments, rounds=50, seed=5)
    assert result.games == 400 - missing

    # Same as the battle table built with those games removed (questions with no verdict dropped).
    outcomes, _ = _battle_outcomes(questions)
    expected = _independent_arena(outcomes, np.zeros((len(outcomes), 0)), rounds=50, seed=5)
    assert (result.score, result.ci_low, result.ci_high) == pytest.approx(expected, abs=1e-6)
    kept = [j for j in judgments if (j.baseline_first, j.model_first) != (None, None)]
    assert arena_result(kept, rounds=50, seed=5) == result

    as_ties = [
        replace(j, baseline_first=j.baseline_first or "A=B", model_first=j.model_first or "A=B") for j in judgments
    ]
    assert arena_result(as_ties, rounds=50, seed=5).score != pytest.approx(result.score, abs=1e-4)


def _independent_style_features(questions: list[SimulatedQuestion], rows: list[int]) -> np.ndarray:
    """The documented v2 features per battle row, scaled by their n - 1 std, not centred."""
    table = []
    for q in rows:
        m, b = questions[q].model_style, questions[q].baseline_style
        row = [(m.tokens - b.tokens) / (m.tokens + b.tokens)]
        for mc, bc in ((m.headers, b.headers), (m.lists, b.lists), (m.bold, b.bold)):
            dm, db = mc / (m.tokens + 1), bc / (b.tokens + 1)
            row.append((dm - db) / (dm + db + 1))
        table.append(row)
    features = np.array(table)
    scaled: np.ndarray = features / features.std(axis=0, ddof=1)
    return scaled


def test_style_control_removes_a_judge_length_bias() -> None:
    questions = _simulate(300, seed=21)  # equal strength; the judge rewards length only
    judgments = [q.judgment(i) for i, q in enumerate(questions)]
    with _no_warnings():
        plain = arena_result(judgments, rounds=30, seed=1)
        controlled = arena_result(judgments, rounds=30, seed=1, style_control=True)
    assert plain.score > 0.56
    assert controlled.score == pytest.approx(0.5, abs=0.05)
    assert controlled.style_control and len(controlled.style_coefficients) == 4
    assert controlled.style_coefficients[0] > 0  # longer answers win

    outcomes, rows = _battle_outcomes(questions)
    features = _independent_style_features(questions, rows)
    expected = _independent_arena(outcomes, features, rounds=30, seed=1)
    assert (controlled.score, controlled.ci_low, controlled.ci_high) == pytest.approx(expected, abs=1e-6)


def test_style_control_without_style_features_raises() -> None:
    with pytest.raises(ValueError, match="style control needs"):
        arena_result([PairJudgment("q", "A>B", "B>A")], style_control=True)


def test_model_winning_every_battle_scores_exactly_one_without_warnings() -> None:
    judgments = [PairJudgment(str(i), "B>A", "A>>B") for i in range(20)]
    with _no_warnings():
        result = arena_result(judgments)
    assert (result.score, result.ci_low, result.ci_high) == (1.0, 1.0, 1.0)


def test_bootstrap_resamples_with_a_single_outcome_stay_finite() -> None:
    # Two battles, one win and one loss: about half the resamples hold a single outcome (rating +-inf).
    judgments = [PairJudgment("a", "B>A", None), PairJudgment("b", "A>B", None)]
    with _no_warnings():
        result = arena_result(judgments, rounds=100, seed=0)
    assert result.score == pytest.approx(0.5, abs=1e-9)
    assert (result.ci_low, result.ci_high) == (0.0, 1.0)


def test_unknown_verdict_and_no_verdicts_raise() -> None:
    with pytest.raises(ValueError, match="unknown verdict 'A>>>B'"):
        arena_result([PairJudgment("q", "A>>>B", "A>B")])
    with pytest.raises(ValueError, match="no judged games"):
        arena_result([PairJudgment("q", None, None)])
    assert set(VERDICTS) == {"A>>B", "A>B", "A=B", "B>A", "B>>A", "A<<B", "A<B", "B=A", "B<A", "B<<A"}


def test_style_features_counts_markdown_outside_code_blocks() -> None:
    text = (
        "# Title\n"
        "## Section\n"
        "###### Deep\n"
        "####### seven hashes is no header\n"
        "#no-space is no header\n"
        "Text with **bold one** and __bold two__ and **unclosed\n"
        "1. first\n"
        "2. second\n"
        "- dash\n"
        "  * nested star\n"
        "+ plus\n"
        "-no-space is no item\n"
        "```python\n# comment, not a header\n- not an item\n**not bold**\n```\n"
        "Done."
    )
    assert style_features(text) == StyleFeatures(tokens=len(text.split()), headers=3, lists=5, bold=2)


# --- AlpacaEval ------------------------------------------------------------------------------------


def test_win_rate_matches_a_hand_computed_table() -> None:
    # Included: 1, 0, 0.5, 1, 0.75 (None and NaN excluded). Mean 3.25 / 5 = 0.65; squared deviations
    # 0.1225 + 0.4225 + 0.0225 + 0.1225 + 0.01 = 0.7; variance 0.7 / 4; stderr sqrt(0.175 / 5).
    result = win_rate([1.0, 0.0, 0.5, 1.0, None, 0.75, math.nan])
    assert result.win_rate == pytest.approx(0.65)
    assert result.stderr == pytest.approx(math.sqrt(0.035))
    assert (result.n, result.n_wins, result.n_losses, result.n_draws) == (5, 3, 1, 1)
    assert result.discrete_win_rate == pytest.approx(0.7)


def test_win_rate_rejects_out_of_range_and_empty_input() -> None:
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        win_rate([0.5, 2.0])
    with pytest.raises(ValueError, match="no judged samples"):
        win_rate([None])


def _simulate_length_only_judge(n: int, seed: int) -> tuple[list[float | None], list[int], list[int]]:
    """A judge that looks only at length: P(model wins) = logistic(-2.5 tanh(delta / std)), delta =
    baseline - model characters; the model writes longer. Preferences: 10% ties, 5% missing, some soft."""
    rng = np.random.default_rng(seed)
    baseline = rng.lognormal(7.0, 0.5, n).astype(int)
    model = (baseline * rng.lognormal(0.3, 0.4, n)).astype(int)
    delta = baseline - model
    p = 1.0 / (1.0 + np.exp(2.5 * np.tanh(delta / delta.std(ddof=1))))
    preferences: list[float | None] = []
    for p_i in p:
        u = rng.random()
        if u < 0.05:
            preferences.append(None)
        elif u < 0.15:
            preferences.append(0.5)
        elif u < 0.25:
            preferences.append(float(p_i))  # a soft (probability) verdict
        else:
            preferences.append(float(rng.random() < p_i))
    return preferences, model.tolist(), baseline.tolist()


def test_length_controlled_win_rate_removes_a_pure_length_preference() -> None:
    preferences, model_lengths, baseline_lengths = _simulate_length_only_judge(805, seed=4)
    with _no_warnings():
        result = length_controlled_win_rate(preferences, model_lengths, baseline_lengths)
    assert result.win_rate > 0.62
    assert result.lc_win_rate == pytest.approx(0.5, abs=0.05)
    assert result.length_coef < 0  # upstream's sign: the judge favours the longer (model) output
    assert result.n == sum(p is not None for p in preferences)
    assert result.is_extreme_change is False


def test_length_controlled_fit_matches_an_independent_statsmodels_glm() -> None:
    preferences, model_lengths, baseline_lengths = _simulate_length_only_judge(805, seed=9)
    result = length_controlled_win_rate(preferences, model_lengths, baseline_lengths)

    delta = np.array(baseline_lengths, dtype=float) - np.array(model_lengths, dtype=float)
    scale = delta.std(ddof=1)  # over every sample, those without a preference too, as upstream
    keep = np.array([p is not None for p in preferences])
    y = np.array([p for p in preferences if p is not None])
    x = np.column_stack([np.tanh(delta[keep] / scale), np.ones(keep.sum())])
    glm = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-12)
    assert result.length_scale_chars == pytest.approx(scale)
    assert result.length_coef == pytest.approx(float(glm.params[0]), abs=1e-6)
    assert result.lc_win_rate == pytest.approx(_logistic(float(glm.params[1])), abs=1e-6)


def test_length_controlled_edge_cases() -> None:
    with _no_warnings():
        all_wins = length_controlled_win_rate([1.0, 1.0, 1.0], [10, 200, 35], [40, 50, 60])
    assert (all_wins.lc_win_rate, all_wins.length_coef) == (1.0, 0.0)
    same_lengths = length_controlled_win_rate([1.0, 0.0, 1.0], [50, 60, 70], [50, 60, 70])
    assert same_lengths.lc_win_rate == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="same for every sample"):
        length_controlled_win_rate([1.0, 0.0], [60, 70], [50, 60])
    with pytest.raises(ValueError, match="must match"):
        length_controlled_win_rate([1.0, 0.0], [60], [50, 60])


def test_importing_the_module_does_not_load_sklearn_or_scipy() -> None:
    code = (
        "import sys, assay.judge.pairwise_stats, assay.judge.winrate; "
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
