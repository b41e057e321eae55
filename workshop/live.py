"""The live workshop: its phases, every transition, votes and tallies. One module owns them.

Phases, step by step:

    lobby -> [slide | duel | question | finale]* -> ended
    duel:  duel_intro -> duel_question -> duel_answers -> vote_open -> vote_closed -> reveal

Each transition is a database transaction on the workshop row; its broadcast is
sent once it commits, and carries no state: every screen then reads its own
snapshot from the database (`snapshot`), which is also what it gets on connect
and reconnect. A vote is stored in a transaction that holds the round against a
concurrent close, and acknowledged only after it commits.
"""

import logging
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duels import generation as fetching
from duels import pairs
from duels.impact import estimate_for
from duels.models import AIModel, Generation, Prompt
from workshop.models import Answer, HandCount, Participant, Room, Round, Step, Vote, Workshop
from workshop.preparation import prepare

logger = logging.getLogger(__name__)

LOBBY = "lobby"
SLIDE = "slide"
DUEL_INTRO = "duel_intro"
DUEL_QUESTION = "duel_question"
DUEL_ANSWERS = "duel_answers"
VOTE_OPEN = "vote_open"
VOTE_CLOSED = "vote_closed"
REVEAL = "reveal"
QUESTION = "question"
QUESTION_RESULTS = "question_results"
FINALE = "finale"
FINALE_VOTE = "finale_vote"
FINALE_RESULT = "finale_result"
ENDED = "ended"

DUEL_PHASES = [DUEL_INTRO, DUEL_QUESTION, DUEL_ANSWERS, VOTE_OPEN, VOTE_CLOSED, REVEAL]
ALL_PHASES = {
    LOBBY,
    SLIDE,
    *DUEL_PHASES,
    QUESTION,
    QUESTION_RESULTS,
    FINALE,
    FINALE_VOTE,
    FINALE_RESULT,
    ENDED,
}

PHASE_OF_STEP = {
    Step.Kind.SLIDE: SLIDE,
    Step.Kind.DUEL: DUEL_INTRO,
    Step.Kind.QUESTION: QUESTION,
    Step.Kind.FINALE: FINALE,
}


class Refused(Exception):
    """A command or a vote that is not allowed now; its message says why, in French."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def workshop_group(workshop_id: int) -> str:
    return f"workshop.{workshop_id}"


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def broadcast(
    workshop_id: int,
    audience: str | None = None,
    *,
    opened: Round | None = None,
    closed: Round | None = None,
    revealed: Round | None = None,
) -> None:
    """Tell the workshop's screens that their state changed (they reload it): all of them,
    or only one audience (SCREENS, PHONES) when the change shows on no other. `opened`,
    `closed`, `revealed`: the round (its `workshop` as committed) whose vote was just
    opened or closed, or whose models were just revealed; the screens are sent what that
    changes, read here once for them all and carried in the broadcast
    (snapshots.open_news, close_news, reveal_news)."""
    event = _state_changed()
    told = _told(opened, closed, revealed) if audience is None else {}
    if told:
        # {"texts": {screen: text}}: each group its own (phones, screens).
        sends = [(audience_group(workshop_id, a), event | {"texts": t}) for a, t in told.items()]
    else:
        group = audience_group(workshop_id, audience) if audience else workshop_group(workshop_id)
        sends = [(group, event)]
    # One trip to the event loop, and two to Redis, for them all (the thread waits for
    # each: a web process's event loop is busy with its sockets).
    async_to_sync(get_channel_layer().group_send_many)(sends)


def _told(
    opened: Round | None, closed: Round | None, revealed: Round | None
) -> dict[str, dict[str, str]]:
    """What an opening, a close or a reveal tells each group of screens; nothing when it
    cannot be read (they then read their whole state)."""
    from workshop import snapshots  # the screens' module imports this one

    try:
        if opened is not None:
            return snapshots.open_news(opened)
        if closed is not None:
            return snapshots.close_news(closed)
        if revealed is not None:
            return snapshots.reveal_news(revealed)
    except (DatabaseError, KeyError):
        logger.warning("change not read: the screens read their whole state", exc_info=True)
    return {}


def _state_changed() -> dict:
    # Each change has its own version: a web process builds the screens' state once for it.
    return {"type": "state.changed", "version": uuid.uuid4().hex}


def _shown_round(workshop_id: int, live_round_id: int | None, step_id: int | None) -> dict:
    """Which round a workshop shows, as a filter: its live question's, else its step's
    (empty when it shows none)."""
    if live_round_id is not None:
        return {"pk": live_round_id}
    if step_id is not None:
        return {"workshop_id": workshop_id, "step_id": step_id}
    return {}


def shown_round(workshop: Workshop) -> Round | None:
    """The round the workshop shows, alone: what a close or a reveal needs (its id)."""
    if workshop.phase not in DUEL_PHASES:
        return None
    shown = _shown_round(workshop.pk, workshop.live_round_id, workshop.current_step_id)
    if not shown:
        return None
    # One round at most: no ordering (Round's default one joins two more tables).
    round_ = next(iter(Round.objects.filter(**shown).order_by()[:1]), None)
    if round_ is not None and round_.step_id and round_.step_id == workshop.current_step_id:
        round_.step = workshop.current_step
    return round_


def current_round(workshop: Workshop) -> Round | None:
    """The round the workshop shows, with its two answers, their models and the prompt.

    Every screen's state reads it after each transition: two small queries (the round,
    then both answers with what they need), not one join of a dozen tables, which
    PostgreSQL took longer to plan (2.4 ms) than to run (bench/RESULTS.md)."""
    round_ = shown_round(workshop)
    return None if round_ is None else read_answers(round_)


def read_answers(round_: Round) -> Round:
    """The round given its two answers, their models and the prompt, in one query."""
    generations = Generation.objects.select_related("model__maker", "model__endpoint", "prompt")
    found = generations.in_bulk([round_.generation_a_id, round_.generation_b_id])
    round_.generation_a = found[round_.generation_a_id]
    round_.generation_b = found[round_.generation_b_id]
    return round_


# Transitions ------------------------------------------------------------------------------


def _enter(workshop: Workshop, step: Step | None) -> None:
    """Go to a step (None: the end, which shows the recap)."""
    workshop.live_round = None  # a live question's duel ends with it
    if step is None:
        workshop.current_step = None
        workshop.phase = ENDED
        workshop.status = Workshop.Status.FINISHED
        return
    workshop.current_step = step
    workshop.status = Workshop.Status.LIVE
    workshop.phase = PHASE_OF_STEP[step.kind]
    if step.kind == Step.Kind.DUEL:
        round_ = Round.objects.filter(workshop=workshop, step=step).first()
        if round_ is None:
            # Not prepared ahead: its answers are asked for now, and shown when they arrive.
            prepare(workshop)
        elif round_.revealed_at is not None:
            workshop.phase = REVEAL  # a duel already played is shown as it ended


def _next_step(workshop: Workshop) -> None:
    steps = workshop.script.steps.order_by("order")
    if workshop.current_step_id is not None:
        steps = steps.filter(order__gt=workshop.current_step.order)
    _enter(workshop, steps.first())


def _previous_step(workshop: Workshop) -> None:
    steps = workshop.script.steps.order_by("-order")
    if workshop.current_step_id is not None:
        steps = steps.filter(order__lt=workshop.current_step.order)
    step = steps.first()
    if step is None:
        raise Refused("c'est déjà la première étape")
    _enter(workshop, step)


def _show_question(workshop: Workshop) -> None:
    Round.objects.filter(pk=_round_or_refuse(workshop).pk).update(question_at=timezone.now())
    workshop.phase = DUEL_QUESTION


def _show_answers(workshop: Workshop) -> None:
    round_ = _round_or_refuse(workshop)
    if not _answers_done(round_):
        raise Refused("les réponses ne sont pas encore prêtes (voir la préparation)")
    Round.objects.filter(pk=round_.pk).update(answers_at=timezone.now())
    workshop.phase = DUEL_ANSWERS


def _skip_replay(workshop: Workshop) -> None:
    Round.objects.filter(pk=_round_or_refuse(workshop).pk).update(replay_skipped=True)


def _page_answers(step: int):
    def apply(workshop: Workshop) -> None:
        round_ = _round_or_refuse(workshop)
        page = max(0, min(round_.answers_page + step, MAX_ANSWERS_PAGE))
        Round.objects.filter(pk=round_.pk).update(answers_page=page)

    return apply


# An answer of 300 tokens fills two or three pages of a projector; this only bounds a
# facilitator's repeated presses (each projector stops at its last page).
MAX_ANSWERS_PAGE = 20


def _open_vote(workshop: Workshop) -> dict:
    round_ = _round_or_refuse(workshop)
    if not _answers_done(round_):
        raise Refused("les réponses ne sont pas encore complètes")
    Round.objects.filter(pk=round_.pk).update(vote_opened_at=timezone.now())
    workshop.phase = VOTE_OPEN
    # The screens are sent the opening alone (snapshots.open_news, in live.broadcast).
    round_.workshop = workshop
    return {"opened": round_}


def _close_vote(workshop: Workshop) -> dict:
    round_ = _round_or_refuse(workshop)
    # Waits for the votes being stored, and keeps new ones out, until this commits.
    with _round_lock(round_.pk, shared=False):
        Round.objects.filter(pk=round_.pk).update(vote_closed_at=timezone.now())
        workshop.phase = VOTE_CLOSED
    # The screens are sent the split alone (snapshots.close_news, in live.broadcast).
    round_.workshop = workshop
    return {"closed": round_}


def _reveal(workshop: Workshop) -> dict:
    round_ = _round_or_refuse(workshop)
    total = tally(round_)
    winner = "a" if total.a > total.b else "b" if total.b > total.a else "tie"
    Round.objects.filter(pk=round_.pk).update(revealed_at=timezone.now(), winner=winner)
    workshop.phase = REVEAL
    # The screens are sent the reveal alone (snapshots.reveal_news, in live.broadcast).
    round_.workshop, round_.winner = workshop, winner
    return {"revealed": round_}


def _show_results(workshop: Workshop) -> None:
    workshop.phase = QUESTION_RESULTS


def tie_to_settle(workshop: Workshop) -> Round | None:
    """The tied duel whose finalists the facilitator chooses now: at its reveal, the duel
    shown (settled or not: a choice may be changed); in the finale, the first tie of the
    script still unsettled. None for a live question's duel, which has no finale."""
    if workshop.phase == REVEAL:
        round_ = shown_round(workshop)
        if round_ is not None and round_.step_id and round_.winner == "tie":
            return round_
        return None
    if workshop.phase == FINALE:
        return (
            Round.objects.filter(workshop=workshop, step__isnull=False, winner="tie", finalists="")
            .select_related("step")
            .order_by("step__order")
            .first()
        )
    return None


def has_tie_to_settle(workshop: Workshop) -> bool:
    return tie_to_settle(workshop) is not None


def _settle(finalists: str):
    def apply(workshop: Workshop) -> None:
        round_ = tie_to_settle(workshop)
        if round_ is None:
            raise Refused("aucun duel à égalité n'attend d'être départagé")
        Round.objects.filter(pk=round_.pk).update(finalists=finalists)

    return apply


def _open_finale_vote(workshop: Workshop) -> None:
    if (tie := tie_to_settle(workshop)) is not None:
        raise Refused(
            f"le duel « {tie.step.title} » est à égalité : choisissez d'abord qui va en "
            "finale (A, B ou les deux)"
        )
    if not candidates(workshop):
        raise Refused("aucun duel n'a encore de gagnant : pas de finale possible")
    workshop.phase = FINALE_VOTE


def _close_finale_vote(workshop: Workshop) -> None:
    workshop.phase = FINALE_RESULT


# Whether a round's two answers are complete, in one statement: all that showing them or
# opening the vote needs of them (reading them whole through the ORM was most of an
# opening's CPU when forty workshops opened at once, bench/RESULTS.md tenth series).
_ANSWERS_DONE_SQL = """
    SELECT COUNT(*) FROM duels_generation WHERE id IN (%s, %s) AND status = %s
"""


def _answers_done(round_: Round) -> bool:
    answers = [round_.generation_a_id, round_.generation_b_id]
    with connection.cursor() as cursor:
        cursor.execute(_ANSWERS_DONE_SQL, [*answers, Generation.Status.DONE])
        (done,) = cursor.fetchone()
    return done == len(set(answers))


def _round_or_refuse(workshop: Workshop) -> Round:
    """The round shown, without its answers: a command needs its id (reading the answers
    through the ORM is a quarter of a transition's time, bench/RESULTS.md)."""
    round_ = shown_round(workshop)
    if round_ is None:
        raise Refused("ce duel n'a pas de réponses préparées")
    return round_


@dataclass(frozen=True)
class Command:
    label: str
    allowed_from: frozenset[str]
    # Changes the workshop (not saved); may return what the broadcast tells (`broadcast`).
    apply: object
    # A command that changes no phase (skip the replay) keeps phase_changed_at.
    changes_phase: bool = True
    # Offered on the panel only when this also holds (the phase is not all it needs).
    available: object = None


COMMANDS: dict[str, Command] = {
    "next_step": Command("étape suivante", frozenset(ALL_PHASES - {ENDED}), _next_step),
    "previous_step": Command("étape précédente", frozenset(ALL_PHASES - {LOBBY}), _previous_step),
    "show_question": Command("montrer la question", frozenset({DUEL_INTRO}), _show_question),
    "show_answers": Command("montrer les réponses", frozenset({DUEL_QUESTION}), _show_answers),
    "skip_replay": Command(
        "passer la relecture", frozenset({DUEL_ANSWERS, VOTE_OPEN}), _skip_replay, False
    ),
    "page_up": Command(
        "page précédente des réponses",
        frozenset({DUEL_ANSWERS, VOTE_OPEN}),
        _page_answers(-1),
        False,
    ),
    "page_down": Command(
        "page suivante des réponses",
        frozenset({DUEL_ANSWERS, VOTE_OPEN}),
        _page_answers(+1),
        False,
    ),
    "open_vote": Command("ouvrir le vote", frozenset({DUEL_ANSWERS}), _open_vote),
    "close_vote": Command("clore le vote", frozenset({VOTE_OPEN}), _close_vote),
    "reveal": Command("révéler les modèles", frozenset({VOTE_CLOSED}), _reveal),
    "show_results": Command("montrer les résultats", frozenset({QUESTION}), _show_results),
    "open_finale_vote": Command("ouvrir le vote final", frozenset({FINALE}), _open_finale_vote),
    "close_finale_vote": Command(
        "clore le vote final", frozenset({FINALE_VOTE}), _close_finale_vote
    ),
    **{
        f"finalists_{side}": Command(
            "départager le duel",
            frozenset({REVEAL, FINALE}),
            _settle(side),
            False,
            available=has_tie_to_settle,
        )
        for side in ("a", "b", "ab")
    },
}

PHASE_LABELS = {
    LOBBY: _("accueil"),
    SLIDE: _("explication"),
    DUEL_INTRO: _("présentation du duel"),
    DUEL_QUESTION: _("question affichée"),
    DUEL_ANSWERS: _("réponses affichées"),
    VOTE_OPEN: _("vote ouvert"),
    VOTE_CLOSED: _("vote clos"),
    REVEAL: _("révélation"),
    QUESTION: _("question à la salle"),
    QUESTION_RESULTS: _("résultats de la question"),
    FINALE: _("finale"),
    FINALE_VOTE: _("vote final"),
    FINALE_RESULT: _("IA gagnante"),
    ENDED: _("terminé"),
}


def allowed_commands(workshop: Workshop) -> list[str]:
    allowed = [name for name, c in COMMANDS.items() if workshop.phase in c.allowed_from]
    # A condition read once for the commands that share it (the tie's three choices).
    checked = {}
    for name in list(allowed):
        condition = COMMANDS[name].available
        if condition is not None:
            if condition not in checked:
                checked[condition] = condition(workshop)
            if not checked[condition]:
                allowed.remove(name)
    return allowed


def transition(workshop_id: int, name: str) -> Workshop:
    """Apply a facilitator's command, or refuse it with a reason; broadcast on commit."""
    command = COMMANDS.get(name)
    if command is None:
        raise Refused(f"commande inconnue : {name[:40]}")
    with transaction.atomic():
        workshop = (
            Workshop.objects.select_for_update(of=("self",))
            .select_related("current_step", "script")
            .get(pk=workshop_id)
        )
        if workshop.phase not in command.allowed_from:
            raise Refused(
                f"« {command.label} » n'est pas possible pendant la phase "
                f"« {PHASE_LABELS.get(workshop.phase, workshop.phase)} »"
            )
        previous = workshop.phase
        news = command.apply(workshop) or {}
        if command.changes_phase:
            workshop.phase_changed_at = timezone.now()
        workshop.save(
            update_fields=["phase", "phase_changed_at", "current_step", "status", "live_round"]
        )
        transaction.on_commit(lambda: broadcast(workshop_id, **news))
    logger.info(
        "workshop %s: %s, %s -> %s",
        workshop_id,
        name,
        previous,
        workshop.phase,
        extra={"workshop": workshop_id, "command": name, "phase": workshop.phase},
    )
    return workshop


# A question asked live ------------------------------------------------------------------------

LIVE_QUESTION_PHASES = frozenset(
    ALL_PHASES - {DUEL_QUESTION, DUEL_ANSWERS, VOTE_OPEN, VOTE_CLOSED, ENDED}
)
MAX_LIVE_QUESTION = 1000


def ask_live_question(
    workshop_id: int, text: str, mode: str, model_slugs: list[str] | None = None
) -> Round:
    """Both answers are generated now, in the background, and stream onto the screens;
    the duel then runs like any other, in place of the current step's."""
    text = text.strip()
    if not text or len(text) > MAX_LIVE_QUESTION:
        raise Refused(f"la question doit faire de 1 à {MAX_LIVE_QUESTION} caractères")
    chosen = [AIModel.objects.enabled().filter(slug=slug).first() for slug in model_slugs or []]
    if any(model is None for model in chosen):
        raise Refused("modèle inconnu ou désactivé")
    with transaction.atomic():
        workshop = (
            Workshop.objects.select_for_update(of=("self",))
            .select_related("current_step")
            .get(pk=workshop_id)
        )
        if workshop.phase not in LIVE_QUESTION_PHASES:
            raise Refused("finissez d'abord le duel en cours")
        try:
            first, second = pairs.draw(mode, chosen)
        except pairs.NoPair as error:
            raise Refused(str(error)) from None
        prompt = Prompt.objects.create(
            slug=f"{Prompt.LIVE_SLUG_PREFIX}{uuid.uuid4().hex[:12]}",
            title=text[:60],
            text=text,
            language=workshop.language,
            source=f"question posée en direct ({workshop.title})",
        )
        generations = [
            fetching.obtain(model, prompt, "", fetching.default_sampling(model), fresh=True)[0]
            for model in (first, second)
        ]
        random.shuffle(generations)  # which one is "Modèle A"
        now = timezone.now()
        round_ = Round.objects.create(
            workshop=workshop,
            step=None,
            generation_a=generations[0],
            generation_b=generations[1],
            question_at=now,
            answers_at=now,
            replay_skipped=True,  # it streams as it comes: nothing to replay
        )
        workshop.live_round = round_
        workshop.phase = DUEL_ANSWERS
        workshop.phase_changed_at = now
        workshop.save(update_fields=["live_round", "phase", "phase_changed_at"])
        transaction.on_commit(lambda: broadcast(workshop_id))
    logger.info(
        "workshop %s: live question, round %s (%s)",
        workshop_id,
        round_.pk,
        mode,
        extra={"workshop": workshop_id, "round": round_.pk, "phase": DUEL_ANSWERS},
    )
    return round_


# Votes --------------------------------------------------------------------------------------


@contextmanager
def _round_lock(round_id: int, *, shared: bool):
    """Votes hold a round in shared mode, the close in exclusive mode (PostgreSQL).

    Votes never wait for one another; a close waits for the votes in flight and keeps
    new ones out until it commits. SQLite writes one transaction at a time anyway.
    """
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s, %s)", [7001, round_id])
    yield


@dataclass(frozen=True)
class Ballot:
    """A vote as a phone sends it, already checked against the schema."""

    round_id: int
    choice: str
    reasons: dict[str, list[str]]
    comment_a: str
    comment_b: str
    client_id: str


def cast_vote(participant_id: int, ballot: Ballot) -> Vote:
    """Store (or change) a participant's vote; refuse it with a reason when it is not allowed.

    Sending the same vote twice stores it once: it is one row per participant and round.
    """
    try:
        return _store_vote(participant_id, ballot)
    except Refused as refusal:
        logger.info(
            "vote refused: %s",
            refusal.reason,
            extra={"participant": participant_id, "round": ballot.round_id},
        )
        raise


# Where a vote goes, read in one statement: whether the participant is still in the room,
# the workshop's phase, and the round it shows (its live question's, else its step's: the
# rule of _shown_round). A hall's votes come within seconds; Django took longer to compile
# the two queries this replaces than the database to run them (bench/RESULTS.md).
_BALLOT_BOX_SQL = """
    SELECT participant.removed_at IS NULL, workshop.phase, COALESCE(
        workshop.live_round_id,
        (
            SELECT shown.id FROM workshop_round shown
            WHERE shown.workshop_id = workshop.id AND shown.step_id = workshop.current_step_id
            ORDER BY shown.id LIMIT 1
        )
    )
    FROM workshop_participant participant
    JOIN workshop_room room ON room.id = participant.room_id
    JOIN workshop_workshop workshop ON workshop.id = room.workshop_id
    WHERE participant.id = %s
"""


def _store_vote(participant_id: int, ballot: Ballot) -> Vote:
    # A hall votes within seconds: one reading and one upsert, under the round's shared
    # lock (taken first, so the phase read below is the one the close will see).
    with transaction.atomic(), _round_lock(ballot.round_id, shared=True):
        with connection.cursor() as cursor:
            cursor.execute(_BALLOT_BOX_SQL, [participant_id])
            found = cursor.fetchone()
        if found is None or not found[0]:
            raise Refused("vous ne faites plus partie de cette salle")
        _, phase, round_id = found
        if phase != VOTE_OPEN:
            raise Refused("le vote n'est pas ouvert")
        if round_id is None or round_id != ballot.round_id:
            raise Refused("ce vote ne porte pas sur le duel en cours")
        now = timezone.now()
        vote = Vote(
            round_id=round_id,
            participant_id=participant_id,
            choice=ballot.choice,
            reasons=ballot.reasons,
            comment_a=ballot.comment_a,
            comment_b=ballot.comment_b,
            client_id=ballot.client_id,
            created_at=now,
            updated_at=now,
        )
        # One row per participant and round: a second vote (or the same one sent again
        # after a reconnection) updates it.
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT_VOTE_SQL, _vote_params(vote))
    return vote


# A vote stored, or changed, in one statement (PostgreSQL and SQLite alike). Django's
# bulk_create(update_conflicts=True) said the same, but compiling it was a third of the
# vote's time (bench/RESULTS.md).
_UPSERT_VOTE_SQL = """
    INSERT INTO workshop_vote
        (round_id, participant_id, choice, reasons, comment_a, comment_b, client_id,
         created_at, updated_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (round_id, participant_id) DO UPDATE SET
        choice = excluded.choice, reasons = excluded.reasons,
        comment_a = excluded.comment_a, comment_b = excluded.comment_b,
        client_id = excluded.client_id, updated_at = excluded.updated_at
"""


# The upsert's fields, in the order of its columns.
_VOTE_FIELDS = [
    Vote._meta.get_field(name)
    for name in (
        "round",
        "participant",
        "choice",
        "reasons",
        "comment_a",
        "comment_b",
        "client_id",
        "created_at",
        "updated_at",
    )
]


def _vote_params(vote: Vote) -> list:
    """The upsert's values, as each field writes them for this database (the reasons as
    JSON, the moments in UTC)."""
    return [
        field.get_db_prep_save(getattr(vote, field.attname), connection) for field in _VOTE_FIELDS
    ]


@dataclass(frozen=True)
class Tally:
    a: int = 0
    b: int = 0
    both_equal: int = 0

    @property
    def total(self) -> int:
        return self.a + self.b + self.both_equal

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "both_equal": self.both_equal, "total": self.total}


def tally(round_: Round) -> Tally:
    """The round's result over the whole workshop: phone votes and raised hands together."""
    total = tallies(round_)["total"]
    return Tally(a=total["a"], b=total["b"], both_equal=total["both_equal"])


# Rounds' counts room by room, in one statement: the votes of the participants still in
# their room, then the raised hands. Read by every state, and for the running counts of the
# rounds whose vote is open (a web process reads all of them in one go, four times a
# second): Django took longer to compile the three queries this replaces than the database
# to run them (bench/RESULTS.md).
_TALLY_SQL = """
    SELECT round.id, room.id, vote.choice, COUNT(vote.id), 0, 0, 0
    FROM workshop_round round
    JOIN workshop_room room ON room.workshop_id = round.workshop_id
    LEFT JOIN workshop_participant participant
        ON participant.room_id = room.id AND participant.removed_at IS NULL
    LEFT JOIN workshop_vote vote
        ON vote.participant_id = participant.id AND vote.round_id = round.id
    WHERE round.id IN ({rounds})
    GROUP BY round.id, room.id, vote.choice
    UNION ALL
    SELECT hands.round_id, hands.room_id, NULL, 0, hands.a, hands.b, hands.both_equal
    FROM workshop_handcount hands
    WHERE hands.round_id IN ({rounds})
"""


def tallies(round_: Round) -> dict:
    """The round's counts for each room and for the whole workshop, hands included.

    Each room also says how many of its counts are raised hands (`hands`). `as_of` (ms) is
    when they were read: each web process sends its own news of the counts, and news read
    earlier may arrive later; a screen keeps the newest.
    """
    return tallies_of([round_.pk])[round_.pk]


def _placeholders(values: list) -> str:
    """As many SQL parameters as values, for an IN (...)."""
    return ", ".join(["%s"] * len(values))


def tallies_of(round_ids: list[int]) -> dict[int, dict]:
    """tallies() of several rounds, by round, read in one statement."""
    as_of = int(time.time() * 1000)
    rounds = _placeholders(round_ids)
    with connection.cursor() as cursor:
        cursor.execute(_TALLY_SQL.format(rounds=rounds), [*round_ids, *round_ids])
        rows = cursor.fetchall()
    keys = [*Tally().as_dict(), "hands"]
    by_round: dict[int, dict[int, dict]] = {round_id: {} for round_id in round_ids}
    for round_id, room_id, choice, votes, a, b, both_equal in rows:
        room = by_round[round_id].setdefault(room_id, dict.fromkeys(keys, 0))
        if choice is not None:
            room[choice] += votes
            room["total"] += votes
        counted = a + b + both_equal
        if counted:
            room["a"] += a
            room["b"] += b
            room["both_equal"] += both_equal
            room["total"] += counted
            room["hands"] += counted
    return {
        round_id: {
            "round": round_id,
            "rooms": rooms,
            "total": {key: sum(room[key] for room in rooms.values()) for key in keys},
            "as_of": as_of,
        }
        for round_id, rooms in by_round.items()
    }


def record_hands(workshop_id: int, room_id: int, a: int, b: int, both_equal: int) -> HandCount:
    """The facilitator types a room's raised hands; they count like votes, as counts."""
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
        if workshop.phase not in (VOTE_OPEN, VOTE_CLOSED):
            raise Refused(
                "les mains se comptent pendant le vote ou juste après, avant la révélation"
            )
        room = Room.objects.filter(pk=room_id, workshop=workshop).first()
        if room is None:
            raise Refused("cette salle n'est pas dans l'atelier")
        round_ = _round_or_refuse(workshop)
        with _round_lock(round_.pk, shared=True):
            hands, _created = HandCount.objects.update_or_create(
                round=round_, room=room, defaults={"a": a, "b": b, "both_equal": both_equal}
            )
        transaction.on_commit(lambda: broadcast(workshop_id))
    return hands


# Questions to the room and the finale -------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A duel's winner, in the finale: its utility (share of its duel's votes) and frugality."""

    round_id: int
    model_name: str
    maker: str
    step_title: str
    share: float
    energy_wh: float | None
    energy_per_thousand_wh: float | None
    generation_id: int


def candidates(workshop: Workshop) -> list[Candidate]:
    """Every duel's winner, in the order of the script; both sides of a tie."""
    found = []
    rounds = (
        Round.objects.filter(workshop=workshop, revealed_at__isnull=False, step__isnull=False)
        .select_related(
            "step",
            "generation_a__model__maker",
            "generation_b__model__maker",
            "generation_a__model__endpoint",
            "generation_b__model__endpoint",
        )
        .order_by("step__order")
    )
    for round_ in rounds:
        counts = tallies(round_)["total"]
        if round_.winner == "tie":
            # As the facilitator settled it; both sides while unsettled.
            sides = {"a": ["a"], "b": ["b"]}.get(round_.finalists, ["a", "b"])
        else:
            sides = [round_.winner] if round_.winner in ("a", "b") else []
        for side in sides:
            generation = getattr(round_, f"generation_{side}")
            per_thousand = estimate_for(generation.model, 1000)
            energy = None
            if generation.energy_wh_min is not None:
                energy = (generation.energy_wh_min + generation.energy_wh_max) / 2
            found.append(
                Candidate(
                    round_id=round_.pk,
                    model_name=generation.model.name,
                    maker=generation.model.maker.name,
                    step_title=round_.step.title,
                    share=counts[side] / counts["total"] if counts["total"] else 0.0,
                    energy_wh=energy,
                    energy_per_thousand_wh=per_thousand.energy_wh.mid if per_thousand else None,
                    generation_id=generation.pk,
                )
            )
    return found


def finale_winners(found: list[Candidate], totals: list[int]) -> list[int]:
    """The indices of the candidates with the most votes in the finale (several on a tie;
    none unvoted). Indices, not models: one model may win two duels, and only the duel
    whose answer the room chose in the finale is the winner."""
    best = max(totals, default=0)
    return [index for index, count in enumerate(totals[: len(found)]) if best and count == best]


def answer(participant_id: int, step_id: int, choice: int | None, text: str) -> Answer:
    """A participant answers the question on screen, or votes in the finale; changeable."""
    with transaction.atomic():
        participant = (
            Participant.objects.select_related("room__workshop").filter(pk=participant_id).first()
        )
        if participant is None or participant.removed_at is not None:
            raise Refused("vous ne faites plus partie de cette salle")
        workshop = Workshop.objects.select_related("current_step").get(
            pk=participant.room.workshop_id
        )
        step = workshop.current_step
        if step is None or step.pk != step_id or workshop.phase not in (QUESTION, FINALE_VOTE):
            raise Refused("aucune question n'attend de réponse")
        if workshop.phase == FINALE_VOTE:
            options = len(candidates(workshop))
        elif step.question_kind == Step.QuestionKind.OPEN:
            options = 0
        else:
            options = len(step.choice_list)
        if options:
            if choice is None or not 0 <= choice < options:
                raise Refused("choix inconnu")
            text = ""
        else:
            if not text.strip():
                raise Refused("réponse vide")
            choice = None
        found, _created = Answer.objects.update_or_create(
            workshop=workshop,
            step=step,
            participant=participant,
            defaults={"choice": choice, "text": text.strip()},
        )
    return found


def answer_counts(workshop: Workshop, step: Step, options: int) -> dict:
    """How many chose each option, per room and in total; open answers listed apart."""
    rows = (
        Answer.objects.filter(
            workshop=workshop,
            step=step,
            participant__removed_at__isnull=True,
            choice__isnull=False,
        )
        .values("participant__room_id", "choice")
        .annotate(count=Count("pk"))
    )
    rooms = {room: [0] * options for room in workshop.rooms.values_list("pk", flat=True)}
    for row in rows:
        if row["choice"] < options:
            rooms.setdefault(row["participant__room_id"], [0] * options)[row["choice"]] += row[
                "count"
            ]
    total = [sum(room[index] for room in rooms.values()) for index in range(options)]
    return {"rooms": rooms, "total": total}


# Tallies and presence: coalesced, a few broadcasts a second at most ------------------------

# The projector and the facilitator's panel follow the count of votes four times a second
# (each web process's news of its own votes; twice a second left forty workshops'
# projectors right 1.0-1.1 s after the last vote, over the 1 s target: bench/RESULTS.md);
# phones get no running count (a thousand of them would each get it: measured in
# bench/RESULTS.md, that fan-out doubled the time to acknowledge a vote), only the news
# of the room's arrivals, every two seconds.
SCREENS, PHONES = "screens", "phones"
FLUSH_INTERVAL_SECONDS = {SCREENS: 0.25, PHONES: 2.0}


def audience_group(workshop_id: int, audience: str) -> str:
    """The workshop's presenters and facilitator (SCREENS), or its phones (PHONES)."""
    return f"workshop.{workshop_id}.{audience}"


# The rounds among some whose vote is open, with their workshops. Read before the running
# counts (four times a second per web process): the ORM's query, ordered by Round's
# default ordering, took a quarter of the pool threads' time while forty workshops voted
# (bench/RESULTS.md).
_OPEN_ROUNDS_SQL = """
    SELECT round.id, round.workshop_id
    FROM workshop_round round
    JOIN workshop_workshop workshop ON workshop.id = round.workshop_id
    WHERE round.id IN ({rounds}) AND workshop.phase = %s
"""


# News: a group and its message, read in a thread of the pool and sent by the event loop
# (consumers.schedule_flush), which coalesces the events of a kind: a reader of news is
# given the ids of every object with events since the last news, and returns the news.
News = tuple[str, dict]


def tally_news(round_ids: list[int], audience: str) -> list[News]:
    """The running counts of those rounds whose vote is open, for the audience's screens."""
    rounds = _placeholders(round_ids)
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_ROUNDS_SQL.format(rounds=rounds), [*round_ids, VOTE_OPEN])
        workshops = dict(cursor.fetchall())
    if not workshops:
        return []
    news = []
    for round_id, counts in tallies_of(list(workshops)).items():
        counts["rooms"] = {str(room): value for room, value in counts["rooms"].items()}
        group = audience_group(workshops[round_id], audience)
        news.append((group, {"type": "tally.update", **counts}))
    return news


# Each room's participants, in one statement: read at every arrival (coalesced) and by
# every state.
_PRESENCE_SQL = """
    SELECT room.id, COUNT(participant.id)
    FROM workshop_room room
    LEFT JOIN workshop_participant participant
        ON participant.room_id = room.id AND participant.removed_at IS NULL
    WHERE room.workshop_id = %s
    GROUP BY room.id, room.name
    ORDER BY room.name
"""


def presence(workshop_id: int) -> dict[str, int]:
    """How many participants each room of the workshop has."""
    with connection.cursor() as cursor:
        cursor.execute(_PRESENCE_SQL, [workshop_id])
        return {str(room): count for room, count in cursor.fetchall()}


def state_news(workshop_ids: list[int], audience: str) -> list[News]:
    # The count of answers shows on every screen, phones included: all are told, whichever
    # audience's flush this was.
    return [(workshop_group(workshop_id), _state_changed()) for workshop_id in workshop_ids]


def presence_news(workshop_ids: list[int], audience: str) -> list[News]:
    return [
        (
            audience_group(workshop_id, audience),
            {"type": "presence.update", "rooms": presence(workshop_id)},
        )
        for workshop_id in workshop_ids
    ]
