"""The leaderboard: which models the votes prefer, and at what energy cost.

Outcomes are gathered from every vote the viewer may see (one organisation, or all
for a superuser), hand counts included as the outcomes they count; duels/ranking.py
does the mathematics. A board is cached and recomputed in the background
(workshop/tasks.py): a page never waits for a bootstrap, except the very first time.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from duels import ranking
from duels.impact import estimate_for
from duels.models import AIModel
from workshop.models import HandCount, Vote

FRESH_SECONDS = 300  # older than this, a board is shown and recomputed behind the page
KEEP_SECONDS = 7 * 24 * 3600
OUTCOME_OF_CHOICE = {
    Vote.Choice.A: ranking.A_WINS,
    Vote.Choice.BOTH_EQUAL: ranking.TIE,
    Vote.Choice.B: ranking.B_WINS,
}


def samples() -> int:
    return getattr(settings, "LEADERBOARD_SAMPLES", ranking.DEFAULT_SAMPLES)


def outcomes(
    organisation_ids: tuple[int, ...] | None, include_simulated: bool = False
) -> list[ranking.Outcome]:
    """Pairwise outcomes, summed in the database: one tuple per pair and outcome."""
    where = Q(participant__removed_at__isnull=True)
    hands = Q()
    if organisation_ids is not None:
        where &= Q(round__workshop__organisation_id__in=organisation_ids)
        hands &= Q(round__workshop__organisation_id__in=organisation_ids)
    if not include_simulated:
        where &= Q(participant__simulated=False)
    rows = (
        Vote.objects.filter(where)
        .values(a=F("round__generation_a__model__slug"), b=F("round__generation_b__model__slug"))
        .annotate(
            n_a=Count("pk", filter=Q(choice=Vote.Choice.A)),
            n_b=Count("pk", filter=Q(choice=Vote.Choice.B)),
            n_tie=Count("pk", filter=Q(choice=Vote.Choice.BOTH_EQUAL)),
        )
    )
    result: list[ranking.Outcome] = []
    for row in rows:
        result += _three(row["a"], row["b"], row["n_a"], row["n_tie"], row["n_b"])
    counts = HandCount.objects.filter(hands).select_related(
        "round__generation_a__model", "round__generation_b__model"
    )
    for count in counts.iterator(chunk_size=500):
        round_ = count.round
        result += _three(
            round_.generation_a.model.slug,
            round_.generation_b.model.slug,
            count.a,
            count.both_equal,
            count.b,
        )
    return result


def _three(a: str, b: str, wins_a: int, ties: int, wins_b: int) -> list[ranking.Outcome]:
    return [
        (a, b, outcome, weight)
        for outcome, weight in (
            (ranking.A_WINS, wins_a),
            (ranking.TIE, ties),
            (ranking.B_WINS, wins_b),
        )
        if weight
    ]


@dataclass(frozen=True)
class Row:
    standing: ranking.Standing
    name: str
    maker: str
    size: str
    energy_min: float | None  # Wh per 1,000 output tokens
    energy_max: float | None
    frugal: bool = False

    @property
    def energy(self) -> float | None:
        if self.energy_min is None or self.energy_max is None:
            return None
        return (self.energy_min + self.energy_max) / 2


@dataclass(frozen=True)
class Board:
    rows: list[Row]
    votes: float
    computed_at: datetime
    samples: int
    scope: str
    front: list[str] = field(default_factory=list)


def compute(organisation_ids: tuple[int, ...] | None, scope: str, bootstrap: int) -> Board:
    from duels.impact import size_text

    gathered = outcomes(organisation_ids)
    standings = ranking.leaderboard(gathered, samples=bootstrap)
    models = {
        m.slug: m
        for m in AIModel.objects.select_related("maker", "endpoint").filter(
            slug__in=[s.model for s in standings]
        )
    }
    rows = []
    for standing in standings:
        model = models.get(standing.model)
        estimate = estimate_for(model, 1000) if model is not None else None
        rows.append(
            Row(
                standing=standing,
                name=model.name if model else standing.model,
                maker=model.maker.name if model else "",
                size=size_text(model) if model else "",
                energy_min=estimate.energy_wh.min if estimate else None,
                energy_max=estimate.energy_wh.max if estimate else None,
            )
        )
    front = ranking.frugal_front(
        {row.standing.model: (row.energy, row.standing.score) for row in rows if row.energy}
    )
    rows = [Row(**{**row.__dict__, "frugal": row.standing.model in front}) for row in rows]
    return Board(
        rows=rows,
        votes=sum(weight for *_, weight in gathered),
        computed_at=timezone.now(),
        samples=bootstrap,
        scope=scope,
        front=front,
    )


# Cached boards, refreshed in the background ---------------------------------------------------


def scope_key(organisation_id: int | None) -> str:
    return "global" if organisation_id is None else f"organisation-{organisation_id}"


def _cache_key(scope: str) -> str:
    return f"duels:leaderboard:v1:{scope}"


def refresh(organisation_id: int | None) -> Board:
    """Compute a board now and keep it (the background task calls this)."""
    scope = scope_key(organisation_id)
    ids = None if organisation_id is None else (organisation_id,)
    board = compute(ids, scope, samples())
    cache.set(_cache_key(scope), board, KEEP_SECONDS)
    cache.delete(_cache_key(scope) + ":queued")
    return board


def board(organisation_id: int | None) -> Board:
    """The cached board; computed now if there is none, recomputed behind if it is old."""
    scope = scope_key(organisation_id)
    cached = cache.get(_cache_key(scope))
    if cached is None:
        return refresh(organisation_id)
    age = (timezone.now() - cached.computed_at).total_seconds()
    if age > FRESH_SECONDS and cache.add(_cache_key(scope) + ":queued", 1, FRESH_SECONDS):
        from workshop.tasks import refresh_leaderboard

        transaction.on_commit(lambda: refresh_leaderboard.delay(organisation_id))
    return cached


# The chart: score against energy per 1,000 tokens, as SVG drawn on the server ----------------

WIDTH, HEIGHT = 1000, 620
LEFT, RIGHT, TOP, BOTTOM = 110, 40, 70, 90
FRONT_COLOUR = "#000091"  # the French state's blue; printed, the front is also a solid line
OTHER_COLOUR = "#666666"


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    step = 10 ** math.floor(math.log10(max((high - low) / count, 1e-9)))
    for factor in (1, 2, 5, 10):
        if (high - low) / (step * factor) <= count:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _number(value: float) -> str:
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 1:
        text = f"{value:.1f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.2g}"
    return text.replace(",", "\u202f").replace(".", ",")


def chart_svg(board: Board) -> str:
    """One point per model (score, with its 95 % interval), energy on a log scale."""
    points = [row for row in board.rows if row.energy]
    title = "Score des votes selon l'énergie pour 1 000 jetons"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="chart-title" font-family="system-ui, sans-serif">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<text x="{LEFT}" y="40" font-size="26" font-weight="bold">{escape(title)}</text>'
    )
    if not points:
        return (
            head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="26" text-anchor="middle">'
            "Pas encore assez de votes pour un classement.</text></svg>"
        )
    energies = [e for row in points for e in (row.energy_min, row.energy_max)]
    x_low, x_high = math.log10(min(energies)) - 0.15, math.log10(max(energies)) + 0.15
    scores = [s for row in points for s in (row.standing.score_low, row.standing.score_high)]
    y_low, y_high = min(scores) - 20, max(scores) + 20
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(energy: float) -> float:
        return LEFT + (math.log10(energy) - x_low) / (x_high - x_low) * plot_w

    def y(score: float) -> float:
        return TOP + (y_high - score) / (y_high - y_low) * plot_h

    parts = [head]
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="#333" stroke-width="1.5"/>'
    )
    for tick in _ticks(y_low, y_high):
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/><text x="{LEFT - 12}" y="{y(tick) + 7:.1f}" font-size="20" '
            f'text-anchor="end">{_number(tick)}</text>'
        )
    for power in range(math.floor(x_low), math.ceil(x_high) + 1):
        for factor in (1, 2, 5):
            energy = factor * 10**power
            if x_low <= math.log10(energy) <= x_high:
                parts.append(
                    f'<line x1="{x(energy):.1f}" x2="{x(energy):.1f}" y1="{TOP}" '
                    f'y2="{TOP + plot_h}" stroke="#ddd"/><text x="{x(energy):.1f}" '
                    f'y="{TOP + plot_h + 28}" font-size="20" text-anchor="middle">'
                    f"{_number(energy)}</text>"
                )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 22}" font-size="19" text-anchor="middle">'
        "Énergie pour 1 000 jetons produits (Wh, échelle logarithmique) · plus frugal à gauche"
        "</text>"
        f'<text transform="translate(30 {TOP + plot_h / 2}) rotate(-90)" font-size="22" '
        'text-anchor="middle">Score (400 × coefficient + 1 000) · préféré en haut</text>'
    )
    front = [row for row in points if row.frugal]
    if len(front) > 1:
        path = " ".join(
            f"{x(row.energy):.1f},{y(row.standing.score):.1f}"
            for row in sorted(front, key=lambda r: r.energy)
        )
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{FRONT_COLOUR}" stroke-width="3"/>'
        )
    for row in points:
        colour = FRONT_COLOUR if row.frugal else OTHER_COLOUR
        cx, cy = x(row.energy), y(row.standing.score)
        parts.append(
            f"<g><title>{escape(row.name)} : score {row.standing.score:.0f} "
            f"[{row.standing.score_low:.0f} ; {row.standing.score_high:.0f}], "
            f"{_number(row.energy)} Wh</title>"
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(row.standing.score_high):.1f}" '
            f'y2="{y(row.standing.score_low):.1f}" stroke="{colour}" stroke-width="3"/>'
            f'<line x1="{x(row.energy_min):.1f}" x2="{x(row.energy_max):.1f}" y1="{cy:.1f}" '
            f'y2="{cy:.1f}" stroke="{colour}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        if row.frugal:
            parts.append(
                f'<rect x="{cx - 9:.1f}" y="{cy - 9:.1f}" width="18" height="18" '
                f'fill="{colour}" transform="rotate(45 {cx:.1f} {cy:.1f})"/>'
            )
        else:
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="8" fill="#fff" stroke="{colour}" '
                f'stroke-width="3"/>'
            )
        weight = ' font-weight="bold"' if row.frugal else ""
        # Names near the right edge are written leftwards, so none runs off the chart.
        right_side = cx > LEFT + 0.65 * plot_w
        label_x, anchor = (cx - 14, "end") if right_side else (cx + 14, "start")
        parts.append(
            f'<text x="{label_x:.1f}" y="{cy - 12:.1f}" font-size="20" fill="{colour}"'
            f' text-anchor="{anchor}"{weight}>{escape(row.name)}</text></g>'
        )
    parts.append(
        f'<g font-size="18"><rect x="{LEFT + 12}" y="{TOP + 12}" width="18" height="18" '
        f'fill="{FRONT_COLOUR}" transform="rotate(45 {LEFT + 21} {TOP + 21})"/>'
        f'<text x="{LEFT + 40}" y="{TOP + 28}">Front frugal : aucun autre modèle n\'est '
        "à la fois préféré et plus sobre</text>"
        f'<text x="{LEFT + 12}" y="{TOP + 54}">Barres : intervalle de confiance à 95 % '
        "du score ; pointillés : fourchette d'énergie</text></g>"
    )
    parts.append("</svg>")
    return "".join(parts)
