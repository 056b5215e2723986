"""Statistics of pairwise LLM-judge benchmarks: Arena-Hard's Bradley-Terry score with its interval.

Pure functions over verdicts that a judge already gave; nothing here calls a model. The maths follow
the upstream repositories, cited per function, and every place we differ is stated where it happens:

* Arena-Hard v0.1 ``show_result.py`` / ``utils_math.py`` (lmarena/arena-hard-auto, commit 0489bf3):
  ``get_battles_from_row``, ``compute_mle_elo``, ``get_bootstrap_result``, ``predict_win_rate``.
* Arena-Hard v2.0 ``show_result.py`` (``load_judgments``, ``print_leaderboard_with_style_features``),
  ``utils/math_utils.py`` and ``utils/add_markdown_info.py`` for style control.

AlpacaEval's win rates are in :mod:`assay.judge.winrate`.

All rates are fractions in [0, 1], never percent. scikit-learn is imported inside the fitting helper,
so importing this module costs only numpy.

Example:
    >>> result = arena_result([PairJudgment("q1", "B>A", "A=B"), PairJudgment("q2", "A>B", "A>>B")], rounds=10)
    >>> round(result.score, 3), result.games, result.battles
    (0.75, 4, 6)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BASE",
    "INIT_RATING",
    "SCALE",
    "STRONG_VERDICT_WEIGHT",
    "VERDICTS",
    "ArenaResult",
    "PairJudgment",
    "StyleFeatures",
    "arena_result",
    "fit_logistic",
    "logistic",
    "style_features",
]

#: Elo scale of Bradley-Terry ratings, as upstream ``compute_mle_elo``: a 400-point gap is 10:1 odds.
SCALE = 400.0
BASE = 10.0
#: The baseline's rating; upstream anchors gpt-4-0314 at 1000, we anchor whichever baseline is given.
INIT_RATING = 1000.0
#: A strong verdict (``>>``/``<<``) counts as this many battles (upstream ``weight``/``multiplier``).
STRONG_VERDICT_WEIGHT = 3

# Verdict label -> (score of assistant A, battles it counts as). The labels and their meaning are
# v2 ``load_judgments``'s ``label_to_score``. v0.1 knew only the first five and silently gave any
# other label weight 0; v2 fails on an unknown label (KeyError), and so do we (ValueError).
_A_SCORE_AND_WEIGHT: dict[str, tuple[float, int]] = {
    "A>>B": (1.0, STRONG_VERDICT_WEIGHT),
    "A>B": (1.0, 1),
    "A=B": (0.5, 1),
    "B>A": (0.0, 1),
    "B>>A": (0.0, STRONG_VERDICT_WEIGHT),
    "A<<B": (0.0, STRONG_VERDICT_WEIGHT),
    "A<B": (0.0, 1),
    "B=A": (0.5, 1),
    "B<A": (1.0, 1),
    "B<<A": (1.0, STRONG_VERDICT_WEIGHT),
}
#: The verdict labels a judge may give; ``None`` (no parseable verdict) is accepted separately.
VERDICTS: tuple[str, ...] = tuple(_A_SCORE_AND_WEIGHT)

_STYLE_NAMES = ("length", "headers", "lists", "bold")


@dataclass(frozen=True)
class StyleFeatures:
    """What a judge might reward besides content, for one answer (upstream ``conv_metadata``/``metadata``)."""

    tokens: int
    """Answer length: whitespace-separated words from :func:`style_features`, or tokens if the caller counts them."""
    headers: int
    """Markdown header lines (``#`` to ``######`` then whitespace), outside code blocks."""
    lists: int
    """Ordered (``1.``) and unordered (``-``, ``*``, ``+``) list items, outside code blocks."""
    bold: int
    """Bold spans (``**x**`` or ``__x__`` within one line), outside code blocks."""


_CODE_BLOCK = re.compile(r"```([^`]*)```")
# Upstream's patterns. Its six header patterns ``^#{k}\s`` (k = 1..6) are mutually exclusive, so the
# sum of their counts is the count of ``^#{1,6}\s``.
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_ORDERED_ITEM = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
_UNORDERED_ITEM = re.compile(r"^\s*[-*+]\s", re.MULTILINE)
_BOLD_STARS = re.compile(r"\*\*[^*\n]+\*\*")
_BOLD_UNDERSCORES = re.compile(r"__[^_\n]+__")


def style_features(text: str) -> StyleFeatures:
    """Length and markdown counts of one answer, as Arena-Hard's ``utils/add_markdown_info.py``.

    Markdown is counted after removing code blocks the way upstream does: every captured block body
    is deleted wherever it occurs in the answer (``str.replace``), fences stay. Deviation: upstream
    counts length in tiktoken tokens (``gpt-4o`` encoding in v2, ``gpt-3.5-turbo`` in v0.1); tiktoken
    is not a dependency, so ``tokens`` is ``len(text.split())`` whatever is installed, which keeps a
    score reproducible across environments. The length feature is a ratio of the two answers'
    lengths, so a consistent words-to-tokens factor cancels there; it only rescales the markdown
    densities (count per token). Build :class:`StyleFeatures` yourself to use real token counts.

    Example:
        >>> style_features("# Title\\n- **a** b\\n```\\n# not a header\\n```")
        StyleFeatures(tokens=11, headers=1, lists=1, bold=1)
    """
    body = text
    for block in _CODE_BLOCK.findall(text):
        body = body.replace(block, "")
    return StyleFeatures(
        tokens=len(text.split()),
        headers=len(_HEADER.findall(body)),
        lists=len(_ORDERED_ITEM.findall(body)) + len(_UNORDERED_ITEM.findall(body)),
        bold=len(_BOLD_STARS.findall(body)) + len(_BOLD_UNDERSCORES.findall(body)),
    )


@dataclass(frozen=True)
class PairJudgment:
    """The judge's two games on one question: the model against the baseline, once in each position."""

    question_id: str
    baseline_first: str | None
    """Game 1 verdict, baseline shown as assistant A and the model as B; ``None`` = no verdict."""
    model_first: str | None
    """Game 2 verdict, model shown as assistant A and the baseline as B; ``None`` = no verdict."""
    model_style: StyleFeatures | None = None
    """The model's answer features; required for every judged question when style control is on."""
    baseline_style: StyleFeatures | None = None
    """The baseline's answer features; required like ``model_style``."""


@dataclass(frozen=True)
class ArenaResult:
    """An Arena-Hard score: the model's predicted win rate against the baseline, with its bootstrap CI."""

    score: float
    """Win rate vs the baseline in [0, 1] from the Bradley-Terry fit on all battles."""
    ci_low: float
    """Win rate at the ``ci[0]`` quantile of the bootstrap ratings."""
    ci_high: float
    """Win rate at the ``ci[1]`` quantile of the bootstrap ratings."""
    battles: int
    """Weighted battles fitted (a strong verdict counts 3), after dropping games without a verdict."""
    games: int
    """Games with a verdict (at most two per question)."""
    rounds: int
    """Bootstrap rounds."""
    seed: int
    """Seed of the bootstrap's ``numpy.random.default_rng``."""
    style_control: bool
    """Whether length and markdown covariates were fitted (the score is then at equal style)."""
    model: str = "model"
    """The evaluated model's name, as passed."""
    baseline: str = "baseline"
    """The baseline's name, as passed."""
    style_coefficients: tuple[float, ...] = ()
    """With style control: the fitted (length, headers, lists, bold) coefficients, in log-odds per
    standard deviation of each feature; 0.0 for a feature that is zero in every battle. Else empty."""


def arena_result(
    judgments: Sequence[PairJudgment],
    *,
    model: str = "model",
    baseline: str = "baseline",
    rounds: int = 100,
    seed: int = 42,
    style_control: bool = False,
    ci: tuple[float, float] = (0.05, 0.95),
) -> ArenaResult:
    """The model's Arena-Hard win rate against the baseline, from Bradley-Terry ratings, with a bootstrap CI.

    Battles (upstream v0.1 ``get_battles_from_row``): each game with a verdict becomes one battle, or
    :data:`STRONG_VERDICT_WEIGHT` identical battles for a strong verdict; a tie is one tie battle. A
    game whose verdict is ``None`` is skipped on its own, the other game of its question still counts,
    as v0.1 does (weight 0). Deviation: v2 ``load_judgments`` drops the whole question when either
    game lacks a verdict. The battle table lists, per judgment in order, game 1's copies then game 2's.

    Fit (``compute_mle_elo``): logistic regression without intercept or penalty (tol 1e-8) on a
    ``log(BASE)`` column for the model's rating minus the baseline's, every battle twice, a tie once
    as a model win and once as a loss. Upstream's two collinear model columns give the same
    difference; anchoring the baseline at :data:`INIT_RATING` makes the model's rating
    ``INIT_RATING + SCALE * coef``, and ``score`` is ``1 / (1 + BASE ** (-(rating - INIT_RATING) / SCALE))``
    (``predict_win_rate``). With one model against one baseline this MLE is the weighted mean of the
    battle outcomes (ties 0.5); v2's plain leaderboard reports the mean of its bootstrap means of the
    same outcomes, which differs from it only by bootstrap noise.

    Bootstrap (``get_bootstrap_result``), reproducible from the seed: ``rng = np.random.default_rng(seed)``,
    then per round ``idx = rng.integers(0, n, n)`` over the ``n`` battle rows and a refit on those rows.
    As v0.1, the CI bounds are quantiles of the bootstrap ratings (numpy's default linear
    interpolation) converted to win rates. Upstream's RNG is numpy's global seed, so its draws differ.
    The default quantiles ``(0.05, 0.95)`` are v2's; v0.1 printed ``(0.025, 0.975)``.

    Edge cases: when every fitted battle goes the same way the MLE does not exist (the rating
    diverges: upstream, fitting a whole leaderboard at once, gets an arbitrary large rating from
    lbfgs; for one model alone sklearn refuses data with one class), so we use its limit: rating
    difference +/-inf, win rate exactly 1.0 or 0.0, without fitting. This covers both the full data
    (the model wins every battle: score, ci_low and ci_high are all 1.0) and single bootstrap
    resamples. A quantile between two adjacent infinite ratings of opposite signs takes the nearer one.

    Style control (``style_control=True``, v2's ``--control-features length markdown``): the same fit
    with the four covariates of :func:`_style_design`; ``score`` is the fitted win rate at zero style
    difference and the CI is bootstrapped as above. Deviation: v2 prints the median of its bootstrap
    win rates as the score; we report the fit on all battles, as for the plain score. (v0.1's style
    control differed more: an L2 penalty, C=1, and ``(a - b) / (a + b + 1)`` for every feature.)
    With few battles the style covariates can separate wins from losses exactly; the MLE then does
    not exist and the numbers are large and arbitrary, as upstream's would be; this is not detected.

    Raises:
        ValueError: an unknown verdict label, no game with a verdict ("no judged games"), ``rounds < 1``,
            a bad ``ci``, or style control without style features or with an unfittable feature.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    if not 0.0 <= ci[0] <= ci[1] <= 1.0:
        raise ValueError(f"ci must be two quantiles 0 <= low <= high <= 1, got {ci}")
    outcomes, judgment_of_row, games = _battle_table(judgments)
    if games == 0:
        raise ValueError(f"no judged games: none of the {len(judgments)} judgments of {model!r} has a verdict")
    features = _style_design(judgments, judgment_of_row, model, baseline) if style_control else _no_features(outcomes)
    rating_difference, coefficients = _fit_rating_difference(outcomes, features, full_data=True)
    rng = np.random.default_rng(seed)
    n = len(outcomes)
    bootstrap = np.empty(rounds)
    for r in range(rounds):
        idx = rng.integers(0, n, n)
        bootstrap[r] = _fit_rating_difference(outcomes[idx], features[idx], full_data=False)[0]
    bootstrap.sort()
    return ArenaResult(
        score=_win_rate_from_rating_difference(rating_difference),
        ci_low=_win_rate_from_rating_difference(_linear_quantile(bootstrap, ci[0])),
        ci_high=_win_rate_from_rating_difference(_linear_quantile(bootstrap, ci[1])),
        battles=n,
        games=games,
        rounds=rounds,
        seed=seed,
        style_control=style_control,
        model=model,
        baseline=baseline,
        style_coefficients=tuple(float(c) for c in coefficients) if style_control else (),
    )


def _battle_table(judgments: Sequence[PairJudgment]) -> tuple[NDArray[np.float64], NDArray[np.intp], int]:
    """The model's outcome per battle row (1 win, 0.5 tie, 0 loss), the judgment each row comes from, and
    the number of games with a verdict."""
    outcomes: list[float] = []
    judgment_of_row: list[int] = []
    games = 0
    for q, judgment in enumerate(judgments):
        # Game 1 shows the baseline as A, so the model's score is 1 - A's; game 2 shows the model as A.
        for verdict, model_is_a in ((judgment.baseline_first, False), (judgment.model_first, True)):
            if verdict is None:
                continue
            if verdict not in _A_SCORE_AND_WEIGHT:
                raise ValueError(
                    f"unknown verdict {verdict!r} for question {judgment.question_id!r}; expected one of {VERDICTS}"
                )
            a_score, weight = _A_SCORE_AND_WEIGHT[verdict]
            outcomes.extend([a_score if model_is_a else 1.0 - a_score] * weight)
            judgment_of_row.extend([q] * weight)
            games += 1
    return np.array(outcomes, dtype=np.float64), np.array(judgment_of_row, dtype=np.intp), games


def _no_features(outcomes: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.zeros((len(outcomes), 0))


def _style_design(
    judgments: Sequence[PairJudgment], judgment_of_row: NDArray[np.intp], model: str, baseline: str
) -> NDArray[np.float64]:
    """Per battle row, the (length, headers, lists, bold) style differences, model minus baseline.

    As v2 ``print_leaderboard_with_style_features``: length ``(m - b) / (m + b)`` in tokens; each markdown
    count becomes a density ``count / (tokens + 1)`` and its feature ``(dm - db) / (dm + db + 1)``; each
    column is divided by its standard deviation over the battle rows (n - 1, as ``torch.std``),
    computed once on all battles, not per bootstrap round.

    Deviations: (1) upstream also subtracts the column mean. Upstream fits all models against the
    baseline at once, so zero is the average style gap over the leaderboard; with one model the mean
    is that model's own average gap, and centring on it would fold the style advantage back into the
    model's term, undoing the control. We do not centre, so the score is the predicted win rate at
    zero style difference (equal length and markdown densities), the analogue of AlpacaEval's LC.
    (2) Where upstream asserts on NaN we define the value: two empty answers have length feature 0;
    a column that is 0 in every battle carries no information and is left out of the fit (its
    coefficient is reported as 0.0); a column with one nonzero value everywhere cannot be told apart
    from the model's strength, so it raises ValueError.
    """
    rows = []
    for q in judgment_of_row:
        judgment = judgments[q]
        if judgment.model_style is None or judgment.baseline_style is None:
            raise ValueError(
                f"style control needs model_style and baseline_style; question {judgment.question_id!r} "
                f"of {model!r} vs {baseline!r} lacks them"
            )
        rows.append(_style_difference(judgment.model_style, judgment.baseline_style))
    design = np.array(rows, dtype=np.float64).reshape(len(judgment_of_row), len(_STYLE_NAMES))
    for j, name in enumerate(_STYLE_NAMES):
        column = design[:, j]
        if not column.any():
            continue
        spread = float(np.std(column, ddof=1)) if len(column) > 1 else 0.0
        if spread == 0.0:
            raise ValueError(
                f"style feature {name!r} has the same nonzero value in every battle of {model!r} vs {baseline!r}, "
                "so its effect cannot be separated from the model's strength"
            )
        design[:, j] = column / spread
    return design


def _style_difference(m: StyleFeatures, b: StyleFeatures) -> list[float]:
    length_total = m.tokens + b.tokens
    features = [(m.tokens - b.tokens) / length_total if length_total else 0.0]
    for m_count, b_count in ((m.headers, b.headers), (m.lists, b.lists), (m.bold, b.bold)):
        m_density, b_density = m_count / (m.tokens + 1), b_count / (b.tokens + 1)
        features.append((m_density - b_density) / (m_density + b_density + 1))
    return features


def _fit_rating_difference(
    outcomes: NDArray[np.float64], features: NDArray[np.float64], *, full_data: bool
) -> tuple[float, NDArray[np.float64]]:
    """The model's Elo rating minus the baseline's, and the style coefficients, by Bradley-Terry MLE.

    A resample (``full_data=False``) can make a style column constant: a zero column is left out as
    on the full data, and a constant nonzero one too, since that resample cannot separate it from
    the model's term (the full data can, or :func:`_style_design` would have raised).
    """
    coefficients = np.zeros(features.shape[1])
    if np.all(outcomes == outcomes[0]) and outcomes[0] != 0.5:
        return (math.inf if outcomes[0] == 1.0 else -math.inf), coefficients
    columns = range(features.shape[1])
    if full_data:
        used = [j for j in columns if features[:, j].any()]
    else:
        used = [j for j in columns if np.ptp(features[:, j]) > 0.0]
    design = np.column_stack([np.full(len(outcomes), math.log(BASE)), features[:, used]])
    # Upstream duplicates every battle; a tie is a model win in the first copy and a loss in the second.
    x = np.vstack([design, design])
    y = np.concatenate([outcomes >= 0.5, outcomes == 1.0]).astype(np.float64)
    coef = fit_logistic(x, y, None)
    coefficients[used] = coef[1:]
    return SCALE * float(coef[0]), coefficients


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Unpenalized logistic regression without intercept, tol 1e-8, as upstream ``compute_mle_elo``.

    ``C=inf`` is what ``penalty=None`` was before scikit-learn 1.8 deprecated it. The solver is
    Newton-CG rather than upstream's default lbfgs: the same maximum-likelihood estimate, reached
    in a few Newton steps, several times faster for these few columns (which matters over 100
    bootstrap refits). (Newton-Cholesky would be as fast but warns when it starts at the optimum, as
    it does for a resample whose mean outcome is exactly 0.5.)
    """
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=math.inf, fit_intercept=False, tol=1e-8, solver="newton-cg", max_iter=100)
    fit.fit(x, y, sample_weight=weights)
    return np.asarray(fit.coef_[0], dtype=np.float64)


def _win_rate_from_rating_difference(difference: float) -> float:
    """Upstream ``predict_win_rate``: ``1 / (1 + BASE ** (-difference / SCALE))``, stable for any float."""
    return logistic(difference * math.log(BASE) / SCALE)


def logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _linear_quantile(sorted_values: NDArray[np.float64], q: float) -> float:
    """``np.quantile(values, q)`` (linear interpolation), defined for infinite values too.

    Interpolating towards an infinite neighbour gives that infinity (the limit of the linear rule);
    numpy would give NaN. Between -inf and +inf we take the nearer order statistic.
    """
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    a, b = float(sorted_values[low]), float(sorted_values[high])
    if fraction == 0.0 or a == b:
        return a
    if math.isinf(a) and math.isinf(b):
        return b if fraction >= 0.5 else a
    if math.isinf(a) or math.isinf(b):
        return a if math.isinf(a) else b
    return a + fraction * (b - a)
