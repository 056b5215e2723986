"""AlpacaEval's win rate and its length-controlled win rate, from preferences a judge already gave.

Pure functions; nothing here calls a model. They follow AlpacaEval's ``src/alpaca_eval/metrics/
winrate.py``, ``metrics/helpers.py`` and ``metrics/glm_winrate.py`` (tatsu-lab/alpaca_eval), and state
every difference where it happens. Rates are fractions in [0, 1]. scikit-learn is imported only
inside the fit (through :func:`assay.judge.pairwise_stats.fit_logistic`).

Example:
    >>> win_rate([1.0, 0.0, 0.5, 1.0]).win_rate
    0.625
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assay.judge.pairwise_stats import fit_logistic, logistic
from assay.scoring.stats import mean_and_stderr

__all__ = ["LengthControlled", "WinRate", "length_controlled_win_rate", "win_rate"]


@dataclass(frozen=True)
class WinRate:
    """AlpacaEval's win rate (``metrics/winrate.py`` ``get_winrate``) over samples with a preference."""

    win_rate: float
    """Mean preference for the model, in [0, 1]; a tie counts 0.5."""
    stderr: float
    """Standard error of that mean, ``s / sqrt(n)`` with the n - 1 sample std (pandas ``sem``)."""
    n: int
    """Samples with a preference."""
    n_wins: int
    """Samples with preference above 0.5."""
    n_losses: int
    """Samples with preference below 0.5 (upstream ``n_wins_base``)."""
    n_draws: int
    """Samples with preference exactly 0.5."""
    discrete_win_rate: float
    """``(n_wins + n_draws / 2) / n``: the win rate with each preference rounded to a win, tie or loss."""


@dataclass(frozen=True)
class LengthControlled:
    """AlpacaEval 2.0's length-controlled win rate, for one model without the leaderboard's tables."""

    lc_win_rate: float
    """The GLM's predicted win rate with the length term at 0, in [0, 1]."""
    n: int
    """Samples with a preference (those the GLM is fitted on)."""
    length_coef: float
    """Coefficient of ``tanh((baseline_len - model_len) / std)``; negative means the judge favours the
    longer output (upstream's sign)."""
    win_rate: float
    """The raw win rate of the same samples, for comparison."""
    length_scale_chars: float
    """The std (n - 1) of ``baseline_len - model_len`` in characters, over all samples given."""
    is_extreme_change: bool
    """Upstream's ``get_is_extreme_changes`` warning: the LC rate moved by more than max(10 points, a
    quarter of the room) from the raw rate, a sign the GLM may have failed."""


def win_rate(preferences: Sequence[float | None]) -> WinRate:
    """The mean preference for the model and its standard error, as AlpacaEval ``get_winrate``.

    A preference is the probability (or indicator) that the model's output beats the baseline's:
    1 win, 0 loss, 0.5 tie; AlpacaEval's raw encoding is ours plus 1 (1 baseline, 2 model, 1.5 or 0
    tie). ``None`` or NaN means no preference and excludes the sample, as upstream drops NaN.
    Deviations: a value outside [0, 1] raises instead of being dropped with a log line; one sample
    has stderr 0.0, not NaN (as :func:`assay.scoring.stats.mean_and_stderr`).

    Raises:
        ValueError: a preference outside [0, 1], or no sample with a preference.

    Example:
        >>> result = win_rate([1.0, 0.0, 0.5, 1.0, None])
        >>> result.win_rate, result.n, result.n_draws
        (0.625, 4, 1)
    """
    included = _included_preferences(preferences)
    mean, stderr = mean_and_stderr(included.tolist())
    wins, losses = int((included > 0.5).sum()), int((included < 0.5).sum())
    draws = len(included) - wins - losses
    return WinRate(
        win_rate=mean,
        stderr=stderr,
        n=len(included),
        n_wins=wins,
        n_losses=losses,
        n_draws=draws,
        discrete_win_rate=(wins + draws / 2) / len(included),
    )


def length_controlled_win_rate(
    preferences: Sequence[float | None], model_lengths: Sequence[int], baseline_lengths: Sequence[int]
) -> LengthControlled:
    """AlpacaEval 2.0's length-controlled win rate (``glm_winrate.py`` ``get_length_controlled_winrate``).

    Lengths are characters, as upstream's ``output.str.len()``. The GLM predicts the preference from
    ``tanh(delta / std(delta))`` with ``delta = baseline_len - model_len`` (upstream's
    ``std_delta_len``, std with n - 1 over every sample given, including those without a preference,
    as upstream computes it before dropping them) plus a constant column for the model's strength; the
    soft preferences are fitted as upstream does, each sample twice, labelled 1 with weight ``p`` and
    0 with weight ``1 - p``. The LC win rate is the prediction with the length term at 0.

    Deviations, against ``GLM_INFO["length_controlled_v1"]``: upstream's formula also has an
    ``instruction_difficulty`` term, a per-instruction table fitted across the leaderboard's models,
    and regularizes towards the baseline with the leaderboard's "gamed" baselines' annotations
    (``df_gamed.csv``, lambda 0.2); both are downloads tied to AlpacaEval's 805 instructions and
    judge, so we fit ``GLM_INFO["length_controlled_minimal"]``'s formula, which omits both. Upstream
    fits that with ``LogisticRegressionCV`` (L1, liblinear, C chosen by 5-fold grouped CV on log
    loss); we fit the unpenalized maximum-likelihood GLM (the same likelihood with ``C = inf``), which
    is deterministic and checkable against any GLM library. (On one simulated run of 805 samples, an
    emulation of upstream's CV chose C = 1292 from its grid and the two LC rates agreed to 1e-5; in
    that run a strong penalty, C <= 0.006, would have shrunk upstream's rate to exactly 0.5.)
    Upstream's ``lc_standard_error`` is the spread of per-sample predictions, which is 0 without the
    instruction term, so we report none.

    Edge cases: every preference 1 (or 0) has no MLE, and gives its limit, an LC rate of 1.0 (0.0)
    with ``length_coef`` 0.0. If every sample has the same length difference there is nothing to
    fit the length term on: when that difference is 0 the LC rate is the raw win rate, else it
    raises, since the length effect cannot be separated from the model's strength.

    Raises:
        ValueError: mismatched sequence lengths, a preference outside [0, 1], no sample with a
            preference, or a length difference that is the same nonzero value for every sample.
    """
    if not len(preferences) == len(model_lengths) == len(baseline_lengths):
        raise ValueError(
            f"{len(preferences)} preferences, {len(model_lengths)} model lengths and "
            f"{len(baseline_lengths)} baseline lengths: they must match"
        )
    raw = win_rate(preferences)
    delta = np.asarray(baseline_lengths, dtype=np.float64) - np.asarray(model_lengths, dtype=np.float64)
    scale = float(np.std(delta, ddof=1)) if len(delta) > 1 else 0.0
    if scale == 0.0 and delta.any():
        raise ValueError(
            "the length difference is the same for every sample, so the length effect cannot be "
            "separated from the model's strength"
        )
    has_preference = np.array([p is not None and not math.isnan(p) for p in preferences], dtype=bool)
    p = _included_preferences(preferences)
    length_coef, lc = 0.0, raw.win_rate
    if np.all(p == p[0]) and p[0] in (0.0, 1.0):
        lc = float(p[0])
    elif scale > 0.0:
        length_term = np.tanh(delta[has_preference] / scale)
        design = np.column_stack([length_term, np.ones(len(p))])
        x = np.vstack([design, design])
        y = np.concatenate([np.ones(len(p)), np.zeros(len(p))])
        coef = fit_logistic(x, y, np.concatenate([p, 1.0 - p]))
        length_coef, lc = float(coef[0]), logistic(float(coef[1]))
    return LengthControlled(
        lc_win_rate=lc,
        n=raw.n,
        length_coef=length_coef,
        win_rate=raw.win_rate,
        length_scale_chars=scale,
        is_extreme_change=_is_extreme_change(raw.win_rate, lc),
    )


def _included_preferences(preferences: Sequence[float | None]) -> NDArray[np.float64]:
    """The preferences that are not ``None``/NaN, checked to lie in [0, 1]."""
    included = []
    for i, p in enumerate(preferences):
        if p is None or math.isnan(p):
            continue
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"preference {i} is {p}; a preference is the model's win probability in [0, 1]")
        included.append(float(p))
    if not included:
        raise ValueError(f"no judged samples: none of the {len(preferences)} samples has a preference")
    return np.array(included, dtype=np.float64)


def _is_extreme_change(before: float, after: float) -> bool:
    """Upstream ``get_is_extreme_changes`` (abs_diff=10 points, rel_diff=4), on fractions."""
    too_small = after < min(before - before / 4, before - 0.10)
    too_large = after > max(before + (1.0 - before) / 4, before + 0.10)
    return too_small or too_large
