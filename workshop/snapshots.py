"""What each screen shows, read from the database: the facilitator's panel, a room's
presenter screen, a participant's phone. Sent whole on connect, on reconnect and after
every transition, so a screen is never left half-updated; but for a close and a reveal,
which every screen is sent alone (`close_news`, `reveal_news`), applied to the state it
shows.

Nothing here reveals more than the phase allows: the answers appear with "answers",
the split of the vote after it closes, the models' names at the reveal.
"""

import contextlib
import json
import threading
import time
from collections import OrderedDict

from django.db import connection
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from duels import concurrency, pairs
from duels.impact import answer_figures, size_text
from duels.models import AIModel, Generation
from impacts import wording
from impacts.estimate import Range
from workshop import live, proposals, slide_images
from workshop.markup import render, render_slide
from workshop.models import Answer, HandCount, Participant, Room, Round, Step, Vote, Workshop

FACILITATOR, PRESENTER, PARTICIPANT = "facilitator", "presenter", "participant"

_AFTER_ANSWERS = {live.DUEL_ANSWERS, live.VOTE_OPEN, live.VOTE_CLOSED, live.REVEAL}
_SPLIT_SHOWN = {live.VOTE_CLOSED, live.REVEAL}


def _ms(moment) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def snapshot(
    workshop: Workshop,
    audience: str,
    room: Room | None = None,
    participant: Participant | None = None,
) -> dict:
    """The screen's state, in the workshop's language."""
    reading = Reading.of(workshop.pk)
    with translation.override(reading.workshop.language):
        state = _snapshot(reading, audience, room)
        if audience == PARTICIPANT and participant is not None:
            personal = Personal.read(reading, participant)
            state = personalise(state, personal, participant.pk)
        return state


def screen_key(audience: str, room: Room | None) -> tuple[str, int | None]:
    """Which screens share one state: those of an audience, in one room (or none)."""
    return (audience, room.pk if room else None)


class Broadcast:
    """One state change as every screen of a web process sees it.

    A thousand phones reload their state after each transition: what screens share (one
    state per audience and room) is read once here, and what is a phone's own (its vote,
    its answer) is read for every phone of the workshop in one query; each screen then
    costs no query at all. Built after the change committed, so it is as fresh as a
    screen's own snapshot would be.
    """

    def __init__(self, workshop_id: int):
        self.workshop_id = workshop_id
        self.shared: dict[tuple[str, int | None], dict] = {}
        self.encoded: dict[tuple[str, int | None], str] = {}
        self.personal: Personal | None = None

    @cached_property
    def reading(self) -> "Reading":
        return Reading.of(self.workshop_id)

    def complete(self) -> "Broadcast":
        """Every screen's part: the panel's, each room's presenter's and phones', and
        every phone's own (what another web process reads instead of the database)."""
        self.state(FACILITATOR, None, None)
        for room in self.reading.rooms:
            self.state(PRESENTER, room, None)
            self.state(PARTICIPANT, room, None)
        if self.personal is None:
            self.personal = Personal.read(self.reading)
        return self

    def dumps(self) -> str:
        personal = self.personal
        return json.dumps(
            {
                "shared": [
                    [audience, room, state] for (audience, room), state in self.shared.items()
                ],
                "votes": personal.votes,
                "answers": personal.answers,
                "has_round": personal.has_round,
            }
        )

    @classmethod
    def loads(cls, workshop_id: int, text: str | bytes) -> "Broadcast":
        data = json.loads(text)
        broadcast = cls(workshop_id)
        broadcast.shared = {(audience, room): state for audience, room, state in data["shared"]}
        broadcast.personal = Personal(
            {int(who): vote for who, vote in data["votes"].items()},
            {int(who): answer for who, answer in data["answers"].items()},
            data["has_round"],
        )
        return broadcast

    # No lock: several threads of the pool may serve one broadcast, and the event loop
    # reads what is built. At worst two of them build the same part, and one is kept.

    def built(self, audience: str, room: Room | None, participant: Participant | None) -> bool:
        """Whether `state()` would read nothing more from the database."""
        shared = screen_key(audience, room) in self.shared
        needs_personal = audience == PARTICIPANT and participant is not None
        return shared and (self.personal is not None or not needs_personal)

    def state(self, audience: str, room: Room | None, participant: Participant | None) -> dict:
        key = screen_key(audience, room)
        state = self.shared.get(key)
        if state is None:
            with translation.override(self.reading.workshop.language):
                state = self.shared.setdefault(key, _snapshot(self.reading, audience, room))
        if audience != PARTICIPANT or participant is None:
            return state
        if self.personal is None:
            self.personal = Personal.read(self.reading)
        return personalise(state, self.personal, participant.pk)

    def message(
        self, audience: str, room: Room | None, participant: Participant | None
    ) -> tuple[dict, str]:
        """The screen's state and the text sent for it (its JSON). What the screens share
        is encoded once; a phone's own vote is added to that text, so that a thousand
        phones cost one encoding, not a thousand (the same JSON as `state()`'s)."""
        key = screen_key(audience, room)
        state = self.state(audience, room, participant)
        shared = self.shared[key]
        if state is not shared and ("question" in state or "finale" in state):
            return state, json.dumps(state)  # a phone's answer is inside: encoded whole
        text = self.encoded.get(key)
        if text is None:
            text = self.encoded.setdefault(key, json.dumps(shared))
        if "my_vote" in state:
            text = f'{text[:-1]}, "my_vote": {json.dumps(state["my_vote"])}}}'
        return state, text


# Forty workshops revealing at once are forty broadcasts being served side by side.
_RECENT = 256
_recent: "OrderedDict[tuple[str, int], _Recent]" = OrderedDict()
_recent_lock = threading.Lock()


class _Recent:
    """A state change in this process: its broadcast once read or built (under `lock`,
    by the first thread that needs it)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.broadcast: Broadcast | None = None


# A state change is built once for all web processes: the first to claim it builds every
# screen's part and leaves it in Redis, where the others read it instead of the database.
# If the one that claimed it dies (or Redis fails), the others build their own after
# SHARED_WAIT_SECONDS at most.
SHARED_SECONDS = 60
SHARED_WAIT_SECONDS = 1.0
SHARED_POLL_SECONDS = 0.003


def _shared_key(version: str, workshop_id: int) -> str:
    return f"duels:broadcast:{workshop_id}:{version}"


def shared_broadcast(version: str, workshop_id: int) -> Broadcast:
    """The state change `version` of a workshop, built here or read from Redis."""
    key = _shared_key(version, workshop_id)
    redis = concurrency.client()
    try:
        text = redis.get(key)
        if text is None and redis.set(f"{key}:claim", 1, nx=True, px=SHARED_SECONDS * 1000):
            built = Broadcast(workshop_id).complete()
            with contextlib.suppress(RedisError):
                redis.set(key, built.dumps(), px=SHARED_SECONDS * 1000)
            return built
        deadline = time.monotonic() + SHARED_WAIT_SECONDS
        while text is None and time.monotonic() < deadline:
            time.sleep(SHARED_POLL_SECONDS)
            text = redis.get(key)
    except RedisError:
        text = None
    # Not shared in time: built here, part by part as screens need them.
    return Broadcast(workshop_id) if text is None else Broadcast.loads(workshop_id, text)


def built_for_broadcast(
    version: str,
    workshop_id: int,
    audience: str,
    room: Room | None = None,
    participant: Participant | None = None,
) -> tuple[dict, str] | None:
    """The screen's state and text if this process has built them already (no query),
    else None.

    Safe to call from the event loop: the other screens of the process are then served
    without a trip to the database thread each."""
    with _recent_lock:
        found = _recent.get((version, workshop_id))
    broadcast = found.broadcast if found else None
    if broadcast is None or not broadcast.built(audience, room, participant):
        return None
    return broadcast.message(audience, room, participant)


def for_broadcast(
    version: str,
    workshop_id: int,
    audience: str,
    room: Room | None = None,
    participant: Participant | None = None,
) -> tuple[dict, str]:
    """A screen's state and its text after the state change `version`, built once for
    all web processes (`shared_broadcast`)."""
    with _recent_lock:
        found = _recent.get((version, workshop_id))
        if found is None:
            found = _recent[version, workshop_id] = _Recent()
            while len(_recent) > _RECENT:
                _recent.popitem(last=False)
    with found.lock:
        if found.broadcast is None:
            found.broadcast = shared_broadcast(version, workshop_id)
    return found.broadcast.message(audience, room, participant)


# What a close or a reveal changes: the phase, the split of the vote or the models' cards,
# and on the panel its commands. The rest of every screen's state (the answers, a phone's
# own vote, the split at a reveal) is what the state before showed, so these changes are
# sent alone, read once where the command was given (live.broadcast) and carried to every
# screen in the broadcast itself, rather than as every screen's whole state rebuilt: forty
# workshops closing and revealing at once were forty such builds competing with the sockets
# they feed (bench/RESULTS.md). A screen that cannot apply a change (not showing that
# round) reconnects and is sent its whole state.


def open_news(round_: Round) -> dict[str, dict[str, str]]:
    """The opening of a round's vote (its `workshop` as committed) as each screen is sent
    it: the phase, and on the projectors and the panel how many have voted
    (`change_texts`). Opening forty workshops' votes at once, each phone read its whole
    state again, answers included: the last saw the vote open seconds later
    (bench/RESULTS.md, ninth series)."""
    changes = _tally_changes(live.tallies(round_), (PRESENTER,), _count)
    changes[PARTICIPANT, None] = {}
    return change_texts(round_.workshop, round_.pk, live.VOTE_OPEN, changes)


def close_news(round_: Round) -> dict[str, dict[str, str]]:
    """The close of a round's vote (its `workshop` as committed) as each screen is sent
    it: the split, its room's and the whole workshop's (`change_texts`)."""
    changes = _tally_changes(live.tallies(round_), (PARTICIPANT, PRESENTER), lambda split: split)
    return change_texts(round_.workshop, round_.pk, live.VOTE_CLOSED, changes)


def _tally_changes(counts: dict, audiences: tuple[str, ...], shown) -> dict[tuple, dict]:
    """The round's counts as each screen shows them (`shown`, from its split): for each
    of `audiences` in each room (and in none), and for the panel."""
    changes = {
        (audience, room_id): {"tally": shown(_split(counts, audience, room_id))}
        for room_id in [None, *counts["rooms"]]
        for audience in audiences
    }
    changes[FACILITATOR, None] = {"tally": shown(_split(counts, FACILITATOR, None))}
    return changes


def reveal_news(round_: Round) -> dict[str, dict[str, str]]:
    """The reveal of a round (its `workshop` and `winner` as committed) as each screen is
    sent it: the models' cards and the winner."""
    language = round_.workshop.language
    cards = {side: _revealed(g, language) for side, g in _revealed_sides(round_)}
    reveal = {"reveal": cards | {"winner": round_.winner}}
    changes = {(audience, None): reveal for audience in (PARTICIPANT, PRESENTER, FACILITATOR)}
    return change_texts(round_.workshop, round_.pk, live.REVEAL, changes)


def change_texts(
    workshop: Workshop, round_id: int, phase: str, changes: dict[tuple, dict]
) -> dict[str, dict[str, str]]:
    """A round's new phase as the screens are sent it: by the group that carries it
    (live.PHONES, live.SCREENS), by screen (`news_key`), the JSON text. `changes`: by
    (audience, room id or None for any room), what the round shows anew; the panel is sent
    its commands too."""
    with translation.override(workshop.language):
        common = {
            "type": "change",
            "server_time": _ms(timezone.now()),
            "round": round_id,
            "phase": phase,
            "phase_label": str(live.PHASE_LABELS[phase]),
        }
    told = {live.PHONES: {}, live.SCREENS: {}}
    for (audience, room_id), round_changes in changes.items():
        news = common | {"round_changes": round_changes}
        if audience == FACILITATOR:
            news |= _controls(workshop)
        group = live.PHONES if audience == PARTICIPANT else live.SCREENS
        told[group][news_key(audience, room_id)] = json.dumps(news)
    return told


def news_key(audience: str, room_id: int | None) -> str:
    return audience if room_id is None else f"{audience}.{room_id}"


def news_for(texts: dict[str, str], audience: str, room: Room | None) -> str | None:
    """A screen's text among a change's (its room's, else its audience's), or None."""
    mine = texts.get(news_key(audience, room.pk)) if room is not None else None
    return mine or texts.get(audience)


class Personal:
    """What each phone alone sees: its vote on the round shown, its answer to the step's
    question. For one participant, or for the whole workshop at once."""

    def __init__(self, votes: dict[int, dict], answers: dict[int, dict], has_round: bool):
        self.votes, self.answers, self.has_round = votes, answers, has_round

    @classmethod
    def read(cls, reading: "Reading", participant: Participant | None = None) -> "Personal":
        workshop, round_ = reading.workshop, reading.round
        who = {"participant": participant} if participant else {}
        votes = {}
        if round_ is not None:
            fields = ("choice", "reasons", "comment_a", "comment_b", "client_id")
            rows = Vote.objects.filter(round=round_, **who).values_list("participant", *fields)
            for participant_id, *values in rows:
                votes[participant_id] = dict(zip(fields, values, strict=True))
        answers = {}
        step = workshop.current_step
        if step is not None and step.kind in (Step.Kind.QUESTION, Step.Kind.FINALE):
            rows = Answer.objects.filter(workshop=workshop, step=step, **who)
            for participant_id, choice, text in rows.values_list("participant", "choice", "text"):
                answers[participant_id] = {"choice": choice, "text": text}
        return cls(votes, answers, round_ is not None)


def personalise(shared: dict, personal: Personal, participant_id: int) -> dict:
    """A copy of a phone's shared state with its own vote and answer: never another's."""
    state = dict(shared)
    if personal.has_round:
        state["my_vote"] = personal.votes.get(participant_id)
    mine = personal.answers.get(participant_id)
    if "question" in state:
        state["question"] = state["question"] | {"my_answer": mine}
    if "finale" in state:
        state["finale"] = state["finale"] | {
            "my_answer": {"choice": mine["choice"]} if mine else None
        }
    return state


class Reading:
    """One reading of a workshop's state. What the states of several screens share (the
    rooms' counts, the tallies, the rendered answers, the impact figures) is read or
    computed once, whichever screen asks first."""

    def __init__(self, workshop: Workshop, round_: Round | None):
        self.workshop, self.round = workshop, round_

    @classmethod
    def of(cls, workshop_id: int) -> "Reading":
        """The workshop as it is now in the database, and the round it shows."""
        workshop = Workshop.objects.select_related("current_step", "script").get(pk=workshop_id)
        return cls(workshop, live.current_round(workshop))

    @cached_property
    def presence(self) -> dict[str, int]:
        return live.presence(self.workshop.pk)

    @cached_property
    def rooms(self) -> list[Room]:
        return list(self.workshop.rooms.all())

    @cached_property
    def step_count(self) -> int:
        return self.workshop.script.steps.count()

    @cached_property
    def tallies(self) -> dict:
        return live.tallies(self.round)

    @cached_property
    def answers(self) -> dict:
        return {side: _answer(g) for side, g in _sides(self.round)}

    @cached_property
    def revealed(self) -> dict:
        return {side: _revealed(g, self.workshop.language) for side, g in _sides(self.round)}


def _snapshot(reading: Reading, audience: str, room: Room | None) -> dict:
    """What every screen of this audience (and room) shows alike."""
    workshop, round_ = reading.workshop, reading.round
    step = workshop.current_step
    state = {
        "type": "state",
        "audience": audience,
        "server_time": _ms(timezone.now()),
        "workshop": {"id": workshop.pk, "title": workshop.title, "language": workshop.language},
        "phase": workshop.phase,
        "phase_label": str(live.PHASE_LABELS.get(workshop.phase, workshop.phase)),
        "rooms": _rooms(reading, room, audience),
        "step": None,
        "round": None,
    }
    if step is not None:
        state["step"] = {
            "kind": step.kind,
            "order": step.order,
            "count": reading.step_count,
            "title": step.title,
            "body_html": render_slide(step.body) if step.kind != "duel" else "",
            "image": _image(step),
        }
        if audience == FACILITATOR:
            state["step"]["notes_html"] = render(step.speaker_notes)
    if round_ is not None:
        state["round"] = _round(reading, audience, room)
    if step is not None and step.kind == Step.Kind.QUESTION:
        state["question"] = _question(workshop, step, audience, room)
    if step is not None and step.kind == Step.Kind.FINALE:
        state["finale"] = _finale(workshop, step, audience, room)
    if workshop.phase == live.ENDED:
        state["recap"] = recap(workshop)
    if audience == PARTICIPANT:
        state["accepts_proposals"] = workshop.accepts_proposals and workshop.phase != live.ENDED
    if audience == FACILITATOR:
        state |= _controls(workshop)
        state["proposals"] = proposals.for_facilitator(workshop)
    return state


def _controls(workshop: Workshop) -> dict:
    """The panel's commands and the live question's form, as the phase allows them."""
    can_ask_live = workshop.phase in live.LIVE_QUESTION_PHASES
    allowed = live.allowed_commands(workshop)
    tie = None
    if "finalists_ab" in allowed:
        # Which duel the tie's three choices settle, and what each side was.
        round_ = live.tie_to_settle(workshop)
        models = Generation.objects.filter(
            pk__in=[round_.generation_a_id, round_.generation_b_id]
        ).values_list("pk", "model__name")
        names = dict(models)
        tie = {
            "duel": round_.step.title,
            "a": names[round_.generation_a_id],
            "b": names[round_.generation_b_id],
            "finalists": round_.finalists,
        }
    return {
        "allowed": allowed,
        "tie": tie,
        "vote_mode": workshop.vote_mode,
        "can_ask_live": can_ask_live,
        # The models a live question may pit, for its form: read only when it may be asked
        # (a sixth of the state's reading, in every close of forty workshops at once).
        "models": _askable_models() if can_ask_live else [],
    }


# The models a live question may pit, for the panel's form: read once per process and
# kept a few seconds, so that forty workshops revealing at once read them once, not forty
# times (half of a reveal's news, bench/RESULTS.md tenth series). A model, maker or
# endpoint saved or deleted in this process shows at once (forget_askable_models); any
# other change to the catalogue, within ASKABLE_SECONDS. A model chosen in the form is
# checked again when the question is asked (pairs.draw).
ASKABLE_SECONDS = 5
_askable: dict[tuple, tuple[float, list[dict]]] = {}


def _askable_models() -> list[dict]:
    return _kept(_askable, (), ASKABLE_SECONDS, _read_askable_models)


def _read_askable_models() -> list[dict]:
    models = (
        AIModel.objects.enabled()
        .select_related("maker")
        .only("slug", "name", "maker__name", "endpoint__api_style", "endpoint__api_key_env")
    )
    return [{"slug": m.slug, "name": f"{m.maker.name} · {m.name}"} for m in pairs.available(models)]


def forget_askable_models(**_signal) -> None:
    _askable.clear()


def _image(step: Step) -> dict | None:
    # Checked again here: an address saved before the allow-list (or before a host left
    # it) must not make every phone in the room call that host.
    if not slide_images.allowed(step.image_url):
        return None
    return {"url": step.image_url, "alt": step.image_alt}


def _rooms(reading: Reading, room: Room | None, audience: str) -> list[dict]:
    rooms = reading.rooms if audience == FACILITATOR else [room] if room else []
    counts = reading.presence
    return [
        {
            "id": r.pk,
            "name": r.name,
            "join_code": r.join_code,
            "participants": counts.get(str(r.pk), 0),
            "capacity": r.capacity,
        }
        for r in rooms
    ]


def _round(reading: Reading, audience: str, room: Room | None) -> dict:
    workshop, round_ = reading.workshop, reading.round
    phase = workshop.phase
    data = {
        "id": round_.pk,
        "prompt": round_.generation_a.prompt.text if phase != live.DUEL_INTRO else "",
        "title": round_.step.title if round_.step_id else gettext("Question en direct"),
        "offline_demo": round_.offline_demo,
        "answers": None,
        "replay": {"started_at": _ms(round_.answers_at), "skipped": round_.replay_skipped},
        "page": round_.answers_page,
        "tally": None,
        "reveal": None,
    }
    data["live"] = round_.step_id is None
    # Answers still being generated stream to the screens (live questions).
    data["streams"] = {
        side: g.pk for side, g in _sides(round_) if g.status != Generation.Status.DONE
    }
    if audience == FACILITATOR:
        data["ready"] = all(g.status == "done" for g in round_.generations)
        data["hands"] = {
            str(h.room_id): {"a": h.a, "b": h.b, "both_equal": h.both_equal}
            for h in HandCount.objects.filter(round=round_)
        }
    if phase in _AFTER_ANSWERS:
        data["answers"] = reading.answers
    # While the vote is open, the count is on the projector and the panel, not on phones.
    if phase in _SPLIT_SHOWN or (phase == live.VOTE_OPEN and audience != PARTICIPANT):
        split = _split(reading.tallies, audience, room.pk if room else None)
        data["tally"] = split if phase in _SPLIT_SHOWN else _count(split)
    if phase == live.REVEAL:
        data["reveal"] = reading.revealed | {"winner": round_.winner}
    return data


def _split(counts: dict, audience: str, room_id: int | None) -> dict:
    """The vote's counts (live.tallies) as a screen shows them: its room's (on the panel,
    how many voted in all) and the whole workshop's."""
    here = counts["rooms"].get(room_id) if room_id is not None else None
    if audience == FACILITATOR:
        here = {"total": counts["total"]["total"]}
    return {"room": here, "total": counts["total"], "as_of": counts["as_of"]}


def _count(split: dict) -> dict:
    """A split as the screens show it while the vote is open: only how many have voted,
    so that the room is not herded."""
    here = split["room"]
    return {
        "room": {"total": here["total"]} if here else None,
        "total": {"total": split["total"]["total"]},
        "as_of": split["as_of"],
    }


def _sides(round_: Round):
    return [("a", round_.generation_a), ("b", round_.generation_b)]


def _answer(generation) -> dict:
    """An anonymous answer, with what a screen needs to replay it at the model's speed."""
    duration = generation.duration_ms or 0
    ttft = generation.time_to_first_token_ms or 0
    generating = max(1, duration - ttft)
    tokens = generation.output_tokens or 0
    return {
        "html": render(generation.text),
        "text": generation.text,
        "generating": generation.status in (Generation.Status.PENDING, Generation.Status.RUNNING),
        "failed": generation.error if generation.status == Generation.Status.FAILED else "",
        "reasoning": bool(generation.reasoning_text),
        "reasoning_tokens": generation.reasoning_tokens or 0,
        "output_tokens": tokens,
        "ttft_ms": ttft,
        "tokens_per_second": round(tokens / (generating / 1000), 1) if tokens else None,
    }


# What a reveal's cards need of a round's two answers, in one statement (not their texts,
# nor their prompt): the ORM's query of the whole answers, with their models, makers and
# endpoints, was half the CPU of a reveal (bench/RESULTS.md, tenth series). The models are
# kept in the process (_catalogue_model).
_REVEALED_SQL = """
    SELECT generation.id, generation.output_tokens, generation.duration_ms,
        generation.token_source, generation.model_id, model.updated_at
    FROM duels_generation generation
    JOIN duels_aimodel model ON model.id = generation.model_id
    WHERE generation.id IN (%s, %s)
"""


def _revealed_sides(round_: Round) -> list[tuple[str, Generation]]:
    """A reveal's two answers, with what their cards show (_revealed_card) and no more."""
    with connection.cursor() as cursor:
        cursor.execute(_REVEALED_SQL, [round_.generation_a_id, round_.generation_b_id])
        rows = {row[0]: row for row in cursor.fetchall()}
    sides = []
    for side, generation_id in (("a", round_.generation_a_id), ("b", round_.generation_b_id)):
        _, output_tokens, duration_ms, token_source, model_id, updated_at = rows[generation_id]
        generation = Generation(
            pk=generation_id,
            output_tokens=output_tokens,
            duration_ms=duration_ms,
            token_source=token_source,
            model=_catalogue_model(model_id, updated_at),
        )
        sides.append((side, generation))
    return sides


# The catalogue's models as reveals show them (with maker and endpoint), by (id, when last
# saved): read once per process, kept as the cards are.
_catalogue_models: dict[tuple, tuple[float, AIModel]] = {}


def _catalogue_model(model_id: int, updated_at) -> AIModel:
    return _kept(
        _catalogue_models,
        (model_id, updated_at),
        REVEALED_SECONDS,
        lambda: AIModel.objects.select_related("maker", "endpoint").get(pk=model_id),
    )


# A reveal's card is the same in every workshop that shows this generation: computed once
# per process and kept a minute, so that a curator's edit of the catalogue or of the
# equivalences shows at the next reveal a minute later at most.
REVEALED_SECONDS = 60
_revealed_cards: dict[tuple, tuple[float, dict]] = {}


def _revealed(generation, language: str) -> dict:
    model = generation.model
    key = (
        generation.pk,
        generation.output_tokens,
        generation.duration_ms,
        generation.token_source,
        language,
        model.pk,
        model.updated_at,
    )
    return _kept(
        _revealed_cards, key, REVEALED_SECONDS, lambda: _revealed_card(generation, language)
    )


def _kept(store: dict, key, seconds: float, make):
    """What `make()` gives, kept `seconds` in this process in `store` (by `key`; the store
    is emptied past a thousand)."""
    kept = store.get(key)
    if kept is not None and time.monotonic() - kept[0] < seconds:
        return kept[1]
    value = make()
    if len(store) > 1000:
        store.clear()
    store[key] = (time.monotonic(), value)
    return value


def _revealed_card(generation, language: str) -> dict:
    model = generation.model
    latency = generation.duration_ms / 1000 if generation.duration_ms else None
    figures = answer_figures(model, generation.output_tokens or 0, language, latency)
    return {
        "model": model.name,
        "maker": model.maker.name,
        "size": size_text(model, language),
        "distribution": str(model.get_distribution_display()),
        "license": model.license,
        "line": figures.line,
        "energy": figures.energy,
        "emissions": figures.emissions,
        "water": figures.water,
        "equivalences": [
            {"text": p.text, "source": p.source_title, "url": p.source_url} for p in figures.phrases
        ],
        "method": (
            f"{figures.estimate.method} {figures.estimate.method_version}" if figures.known else ""
        ),
        "tokens_estimated": generation.token_source == Generation.TokenSource.ESTIMATED,
    }


def _question(workshop, step, audience, room) -> dict:
    options = step.choice_list if step.question_kind != Step.QuestionKind.OPEN else []
    data = {
        "step_id": step.pk,
        "kind": "open" if not options else "poll",
        "choices": options,
        "results": None,
        "answered": Answer.objects.filter(workshop=workshop, step=step).count(),
    }
    if workshop.phase == live.QUESTION_RESULTS or audience == FACILITATOR:
        if options:
            counts = live.answer_counts(workshop, step, len(options))
            data["results"] = {
                "room": counts["rooms"].get(room.pk) if room else None,
                "total": counts["total"],
            }
        else:
            texts = Answer.objects.filter(workshop=workshop, step=step).exclude(text="")
            data["results"] = {
                "texts": list(texts.order_by("-updated_at").values_list("text", flat=True)[:40])
            }
    return data


def _finale(workshop, step, audience, room) -> dict:
    found = live.candidates(workshop)
    data = {
        "step_id": step.pk,
        "candidates": [
            {
                "model": c.model_name,
                "maker": c.maker,
                "duel": c.step_title,
                "share": round(100 * c.share),
                "energy": _wh(c.energy_wh, workshop.language),
                "energy_per_thousand": _wh(c.energy_per_thousand_wh, workshop.language),
            }
            for c in found
        ],
        "results": None,
        "winners": [],
        "answered": Answer.objects.filter(workshop=workshop, step=step).count(),
    }
    if workshop.phase == live.FINALE_RESULT:
        counts = live.answer_counts(workshop, step, len(found))
        data["results"] = {
            "room": counts["rooms"].get(room.pk) if room else None,
            "total": counts["total"],
        }
        data["winners"] = live.finale_winners(found, counts["total"])
    return data


def _wh(value: float | None, language: str) -> str:
    return "" if value is None else wording.span(Range(value, value), "Wh", language)


ADVICE = [
    _("Préférer les petits modèles : ils consomment bien moins pour des réponses souvent utiles."),
    _("Pour les faits et l'actualité, un moteur de recherche consomme bien moins qu'une IA."),
    _(
        "Trouver des petits modèles : comparia.beta.gouv.fr, et sur son ordinateur "
        "des outils comme Ollama, LM Studio ou Jan."
    ),
]


def recap(workshop: Workshop) -> dict:
    """The duels, their winners, the finale and the energy of every answer shown."""
    rounds = (
        Round.objects.filter(workshop=workshop, step__isnull=False)
        .select_related("step", "generation_a__model", "generation_b__model")
        .order_by("step__order")
    )
    duels, shown = [], []
    for round_ in rounds:
        if round_.answers_at is not None:
            shown.extend(round_.generations)
        if round_.revealed_at is None:
            continue
        names = {"a": round_.generation_a.model.name, "b": round_.generation_b.model.name}
        duels.append(
            {
                "title": round_.step.title,
                "a": names["a"],
                "b": names["b"],
                "winner": names.get(round_.winner, gettext("égalité")),
            }
        )
    known = [g for g in shown if g.energy_wh_min is not None]
    energy = Range(sum(g.energy_wh_min for g in known), sum(g.energy_wh_max for g in known))
    finale = Step.objects.filter(script=workshop.script, kind=Step.Kind.FINALE).first()
    winners = []
    if finale is not None:
        found = live.candidates(workshop)
        totals = live.answer_counts(workshop, finale, len(found))["total"]
        winners = [
            f"{found[index].model_name} ({found[index].step_title})"
            for index in live.finale_winners(found, totals)
        ]
    return {
        "duels": duels,
        "winners": winners,
        "answers_shown": len(shown),
        "energy": wording.span(energy, "Wh", workshop.language) if known else "",
        "energy_note": (
            gettext("%(known)d réponses sur %(shown)d, %(method)s")
            % {
                "known": len(known),
                "shown": len(shown),
                "method": f"{known[0].impact_method} {known[0].impact_method_version}",
            }
            if known
            else ""
        ),
        "advice": [str(advice) for advice in ADVICE],
    }
