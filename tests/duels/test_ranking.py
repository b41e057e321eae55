"""Bradley-Terry: compar:IA's conventions, agreement with an independent computation,
recovery of known strengths, bootstrap intervals, and the frugal front."""

import math
import random

import numpy as np
import pytest

from duels import ranking

TRUE_SCORES = {"alpha": 1200.0, "bravo": 1100.0, "charlie": 1000.0, "delta": 900.0, "echo": 800.0}


def synthetic_tournament(games_per_pair: int = 300, seed: int = 7) -> list[ranking.Outcome]:
    """Every pair plays; A wins with the Bradley-Terry probability of the true scores."""
    rng = random.Random(seed)  # noqa: S311 - a synthetic tournament
    outcomes = []
    models = list(TRUE_SCORES)
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            p = 1 / (1 + 10 ** ((TRUE_SCORES[b] - TRUE_SCORES[a]) / 400))
            for game in range(games_per_pair):
                first, second, p_first = (a, b, p) if game % 2 else (b, a, 1 - p)
                outcome = ranking.A_WINS if rng.random() < p_first else ranking.B_WINS
                outcomes.append((first, second, outcome, 1))
    return outcomes


def zermelo(outcomes: list[ranking.Outcome], iterations: int = 5000) -> dict[str, float]:
    """Hunter's MM algorithm for Bradley-Terry, written independently of duels.ranking."""
    models = sorted({m for a, b, _, _ in outcomes for m in (a, b)})
    wins = {m: 0.0 for m in models}
    games: dict[tuple[str, str], float] = {}
    for a, b, outcome, weight in outcomes:
        wins[a] += weight * outcome / 2
        wins[b] += weight * (2 - outcome) / 2
        key = tuple(sorted((a, b)))
        games[key] = games.get(key, 0) + weight
    strength = {m: 1.0 for m in models}
    for _ in range(iterations):
        updated = {}
        for m in models:
            denominator = sum(
                n / (strength[x] + strength[y]) for (x, y), n in games.items() if m in (x, y)
            )
            updated[m] = wins[m] / denominator
        mean_log = sum(math.log10(v) for v in updated.values()) / len(models)
        strength = {m: v / 10**mean_log for m, v in updated.items()}
    return {m: 400 * math.log10(v) + 1000 for m, v in strength.items()}


def test_scores_agree_with_an_independent_computation():
    outcomes = synthetic_tournament()
    ours = ranking.scores(outcomes)
    theirs = zermelo(outcomes)
    for model in TRUE_SCORES:
        assert ours[model] == pytest.approx(theirs[model], abs=0.5)


def test_the_true_ranking_is_recovered_on_compar_ia_s_scale():
    ours = ranking.scores(synthetic_tournament())
    assert list(ours) == list(TRUE_SCORES)
    assert np.mean(list(ours.values())) == pytest.approx(1000, abs=1e-6)
    for model, true in TRUE_SCORES.items():
        assert ours[model] == pytest.approx(true, abs=40)


def test_a_vote_for_a_is_two_a_tie_one_and_weights_count_like_repeated_votes():
    single = [("x", "y", ranking.A_WINS, 1)] * 6 + [("x", "y", ranking.B_WINS, 1)] * 3
    single += [("x", "y", ranking.TIE, 1)] * 2
    weighted = [
        ("x", "y", ranking.A_WINS, 6),
        ("x", "y", ranking.B_WINS, 3),
        ("x", "y", ranking.TIE, 2),
    ]
    assert ranking.scores(single) == pytest.approx(ranking.scores(weighted))
    # 6 + 1 wins of 11 against 3 + 1: the odds are 7/4, so 400 log10(7/4) apart.
    scores = ranking.scores(weighted)
    assert scores["x"] - scores["y"] == pytest.approx(400 * math.log10(7 / 4), abs=0.5)


def test_only_ties_give_equal_scores():
    scores = ranking.scores([("x", "y", ranking.TIE, 10)])
    assert scores["x"] == pytest.approx(1000) and scores["y"] == pytest.approx(1000)


def test_a_model_that_never_lost_still_gets_a_finite_score():
    scores = ranking.scores([("x", "y", ranking.A_WINS, 30)])
    assert math.isfinite(scores["x"]) and scores["x"] > scores["y"]


def test_an_outcome_other_than_two_one_or_zero_is_refused():
    with pytest.raises(ValueError, match="2, 1 or 0"):
        ranking.scores([("x", "y", 3, 1)])


def test_the_bootstrap_gives_intervals_around_the_scores_and_ranks():
    standings = ranking.leaderboard(synthetic_tournament(60), samples=50, seed=1)
    assert [s.model for s in standings] == list(TRUE_SCORES)
    for position, standing in enumerate(standings, start=1):
        assert standing.score_low <= standing.score_median <= standing.score_high
        assert standing.score_low < standing.score < standing.score_high
        assert standing.rank == position
        assert standing.rank_best <= standing.rank_median <= standing.rank_worst
        assert standing.matches == 240
    # A clear favourite: first in nearly every resampling.
    assert standings[0].rank_median == 1


def test_the_bootstrap_is_reproducible_with_a_seed():
    outcomes = synthetic_tournament(20)
    first = ranking.leaderboard(outcomes, samples=20, seed=3)
    assert first == ranking.leaderboard(outcomes, samples=20, seed=3)


def test_no_outcomes_no_standings():
    assert ranking.leaderboard([], samples=10) == []
    assert ranking.scores([("x", "x", ranking.A_WINS, 1)]) == {}


def test_the_frugal_front_keeps_models_no_other_beats_on_score_and_energy():
    points = {"big": (10.0, 1100.0), "mid": (3.0, 1050.0), "small": (0.5, 950.0)}
    points["wasteful"] = (12.0, 1000.0)
    points["dominated"] = (4.0, 1000.0)
    assert ranking.frugal_front(points) == ["small", "mid", "big"]
