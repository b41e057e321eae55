"""Ranking models from pairwise outcomes: Bradley-Terry by maximum likelihood, as compar:IA.

Pure functions on outcomes, nothing about people or rooms. An outcome is
(model_a, model_b, outcome, weight), where outcome is compar:IA's match score:
2 when A was preferred, 1 for a tie, 0 when B was; weight is how many times it
happened (1 for one vote; the count of raised hands for a room's hand count).

The model: P(A preferred to B) = 1 / (1 + 10 ** ((s_B - s_A) / 400)), a tie counting
as half a win for each side, and score = 400 x coefficient + 1000 with coefficients
centred on zero, so an average model scores 1000. The likelihood is maximised by
scipy's L-BFGS with a very weak Gaussian prior on the coefficients: without it, a
model that never lost (frequent in one workshop) would have an infinite score. The
confidence intervals come from `samples` bootstrap resamplings of the outcomes
(compar:IA uses 1,000): median and 2.5/97.5 percentiles of each model's score and rank.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

A_WINS, TIE, B_WINS = 2, 1, 0
SCALE = 400.0
BASE_SCORE = 1000.0
DEFAULT_SAMPLES = 1000
# Prior precision on coefficients (log10 odds): negligible against a handful of votes.
PRIOR = 1e-3

Outcome = tuple[str, str, int, float]


@dataclass(frozen=True)
class Standing:
    model: str
    score: float  # on all the outcomes
    score_median: float
    score_low: float  # 2.5th percentile of the bootstrap
    score_high: float  # 97.5th percentile
    rank: int  # 1 is best, on all the outcomes
    rank_median: float
    rank_best: float  # 2.5th percentile of the rank (a small number)
    rank_worst: float  # 97.5th percentile
    matches: float  # total weight of the outcomes the model took part in


@dataclass(frozen=True)
class _Pairs:
    """Outcomes summed per ordered pair: A's share of wins and the total weight."""

    models: list[str]
    first: np.ndarray
    second: np.ndarray
    wins: np.ndarray  # weight x outcome / 2
    totals: np.ndarray


def _pairs(outcomes: Iterable[Outcome]) -> _Pairs:
    wins: dict[tuple[str, str], float] = defaultdict(float)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for model_a, model_b, outcome, weight in outcomes:
        if model_a == model_b or weight <= 0:
            continue
        if outcome not in (A_WINS, TIE, B_WINS):
            raise ValueError(f"an outcome is 2, 1 or 0, not {outcome!r}")
        wins[model_a, model_b] += weight * outcome / 2
        totals[model_a, model_b] += weight
    models = sorted({m for pair in totals for m in pair})
    index = {model: i for i, model in enumerate(models)}
    keys = list(totals)
    return _Pairs(
        models=models,
        first=np.array([index[a] for a, _ in keys], dtype=np.intp),
        second=np.array([index[b] for _, b in keys], dtype=np.intp),
        wins=np.array([wins[k] for k in keys], dtype=float),
        totals=np.array([totals[k] for k in keys], dtype=float),
    )


def _fit(pairs: _Pairs, wins: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Maximum-likelihood coefficients (log10 odds), centred on zero."""
    count = len(pairs.models)
    ln10 = math.log(10)

    def loss_and_gradient(beta: np.ndarray) -> tuple[float, np.ndarray]:
        x = ln10 * (beta[pairs.first] - beta[pairs.second])
        # log p = -log(1 + e^-x), log(1 - p) = -log(1 + e^x): stable for any x.
        loss = np.sum(wins * np.logaddexp(0, -x) + (totals - wins) * np.logaddexp(0, x))
        p = 0.5 * (1 + np.tanh(x / 2))  # the logistic function, without overflow
        residual = ln10 * (totals * p - wins)
        gradient = np.zeros(count)
        np.add.at(gradient, pairs.first, residual)
        np.add.at(gradient, pairs.second, -residual)
        loss += 0.5 * PRIOR * float(beta @ beta)
        gradient += PRIOR * beta
        return float(loss), gradient

    result = minimize(
        loss_and_gradient,
        np.zeros(count),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 1000, "gtol": 1e-9},
    )
    beta = result.x
    return beta - beta.mean()


def scores(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """Each model's score (400 x coefficient + 1000) on all the outcomes, best first."""
    pairs = _pairs(outcomes)
    if not pairs.models:
        return {}
    beta = _fit(pairs, pairs.wins, pairs.totals)
    ranked = sorted(zip(pairs.models, SCALE * beta + BASE_SCORE, strict=True), key=lambda x: -x[1])
    return {model: float(score) for model, score in ranked}


def _ranks(values: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest score; equal scores share the best rank."""
    return np.array([1 + np.sum(values > v + 1e-9) for v in values], dtype=float)


def leaderboard(
    outcomes: Iterable[Outcome], samples: int = DEFAULT_SAMPLES, seed: int = 0
) -> list[Standing]:
    """Scores with bootstrap intervals of score and rank, best first.

    The bootstrap draws as many outcomes as there were, with replacement: with
    outcomes summed per pair, that is one multinomial draw over the pairs' weights.
    """
    outcomes = list(outcomes)
    pairs = _pairs(outcomes)
    if not pairs.models:
        return []
    beta = _fit(pairs, pairs.wins, pairs.totals)
    point = SCALE * beta + BASE_SCORE

    # Resample votes: each (pair, outcome) cell is drawn with its share of the weight.
    cells = defaultdict(float)
    index = {model: i for i, model in enumerate(pairs.models)}
    for model_a, model_b, outcome, weight in outcomes:
        if model_a != model_b and weight > 0:
            cells[index[model_a], index[model_b], outcome] += weight
    keys = list(cells)
    weights = np.array([cells[k] for k in keys])
    total = int(np.rint(weights.sum()))
    rng = np.random.default_rng(seed)
    cell_first = np.array([k[0] for k in keys], dtype=np.intp)
    cell_second = np.array([k[1] for k in keys], dtype=np.intp)
    cell_share = np.array([k[2] / 2 for k in keys])
    boot_scores = np.empty((samples, len(pairs.models)))
    for sample in range(samples):
        drawn = rng.multinomial(total, weights / weights.sum()).astype(float)
        resampled = _Pairs(pairs.models, cell_first, cell_second, drawn * cell_share, drawn)
        boot_scores[sample] = SCALE * _fit(resampled, resampled.wins, resampled.totals)
    boot_scores += BASE_SCORE
    boot_ranks = np.array([_ranks(row) for row in boot_scores]) if samples else None

    matches = np.zeros(len(pairs.models))
    np.add.at(matches, pairs.first, pairs.totals)
    np.add.at(matches, pairs.second, pairs.totals)
    point_ranks = _ranks(point)
    standings = []
    for i, model in enumerate(pairs.models):
        if samples:
            s_low, s_median, s_high = np.percentile(boot_scores[:, i], [2.5, 50, 97.5])
            r_best, r_median, r_worst = np.percentile(boot_ranks[:, i], [2.5, 50, 97.5])
        else:
            s_low = s_median = s_high = point[i]
            r_best = r_median = r_worst = point_ranks[i]
        standings.append(
            Standing(
                model=model,
                score=float(point[i]),
                score_median=float(s_median),
                score_low=float(s_low),
                score_high=float(s_high),
                rank=int(point_ranks[i]),
                rank_median=float(r_median),
                rank_best=float(r_best),
                rank_worst=float(r_worst),
                matches=float(matches[i]),
            )
        )
    return sorted(standings, key=lambda s: (-s.score, s.model))


def frugal_front(points: dict[str, tuple[float, float]]) -> list[str]:
    """Models that no other model beats on both counts: a higher score for less energy.

    `points` maps a model to (energy, score); the front is returned from least energy up.
    """
    front = []
    best_score = -math.inf
    for model, (_energy, score) in sorted(
        points.items(), key=lambda item: (item[1][0], -item[1][1])
    ):
        if score > best_score:
            front.append(model)
            best_score = score
    return front
