"""Playing a workshop without an audience: simulated phones vote through workshop/live.py.

Every vote goes through `live.cast_vote` and every phase change through
`live.transition`, exactly as a real room's would. Simulated participants are marked
(`Participant.simulated`) and left out of exports and rankings unless asked for.

The mix is meant to look like a real room: most people pick a side, some call it a
tie, about half give reasons (positive ones for the side they chose, sometimes a
negative one for the other), and a few change their mind before the vote closes.
"""

import random
import secrets
import uuid
from dataclasses import dataclass, field

from workshop import live
from workshop.models import Participant, Room, Vote, Workshop
from workshop.participants import digest

TIE_SHARE = 0.12
REASONS_SHARE = 0.55
NEGATIVE_SHARE = 0.35
CHANGE_OF_MIND_SHARE = 0.05


@dataclass
class Simulated:
    participants: int = 0
    duels: int = 0
    votes: int = 0
    refused: list[str] = field(default_factory=list)


def add_participants(room: Room, count: int) -> list[Participant]:
    """Simulated phones in a room (its capacity does not limit them: nobody sits)."""
    return Participant.objects.bulk_create(
        [
            Participant(room=room, token_digest=digest(secrets.token_urlsafe(32)), simulated=True)
            for _ in range(count)
        ]
    )


def ballot_for(round_id: int, rng: random.Random, lean_a: float) -> live.Ballot:
    """One phone's ballot: a side (leaning `lean_a` towards A), a tie now and then, reasons."""
    if rng.random() < TIE_SHARE:
        choice = Vote.Choice.BOTH_EQUAL.value
    else:
        choice = Vote.Choice.A.value if rng.random() < lean_a else Vote.Choice.B.value
    reasons: dict[str, list[str]] = {}
    if rng.random() < REASONS_SHARE:
        preferred = {"a": ["a"], "b": ["b"], "both_equal": ["a", "b"]}[choice]
        for side in preferred:
            reasons[side] = rng.sample(Vote.POSITIVE_REASONS, rng.randint(1, 2))
        other = {"a": "b", "b": "a"}.get(choice)
        if other and rng.random() < NEGATIVE_SHARE:
            reasons[other] = rng.sample(Vote.NEGATIVE_REASONS, 1)
    return live.Ballot(
        round_id=round_id,
        choice=choice,
        reasons=reasons,
        comment_a="",
        comment_b="",
        client_id=uuid.uuid4().hex,
    )


def advance_to(workshop_id: int, phases: set[str]) -> Workshop:
    """Send the commands that lead, one at a time, to one of `phases` (or to the end)."""
    # A duel's own commands first: "next_step" is allowed in every phase, and skips.
    order = ["show_question", "show_answers", "open_vote", "close_vote", "reveal", "next_step"]
    workshop = Workshop.objects.get(pk=workshop_id)
    while workshop.phase not in phases and workshop.phase != live.ENDED:
        allowed = live.allowed_commands(workshop)
        command = next(name for name in order if name in allowed)
        workshop = live.transition(workshop_id, command)
    return workshop


def play(workshop: Workshop, participants: int, seed: int | None = None) -> Simulated:
    """Play every remaining duel of the workshop with `participants` simulated phones,
    spread over its rooms; other steps are simply passed."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, no secret
    result = Simulated()
    rooms = list(workshop.rooms.order_by("pk"))
    if not rooms:
        rooms = [Room.objects.create_with_code(workshop=workshop)]
    phones: list[Participant] = []
    for index, room in enumerate(rooms):
        share = participants // len(rooms) + (index < participants % len(rooms))
        phones += add_participants(room, share)
    result.participants = len(phones)
    while True:
        current = advance_to(workshop.pk, {live.VOTE_OPEN})
        if current.phase == live.ENDED:
            break
        round_ = live.current_round(current)
        # Each duel gets its own taste: some answers are clearly better, some are close.
        lean_a = min(0.9, max(0.1, rng.gauss(0.5, 0.2)))
        for phone in phones:
            ballot = ballot_for(round_.pk, rng, lean_a)
            try:
                live.cast_vote(phone.pk, ballot)
                if rng.random() < CHANGE_OF_MIND_SHARE:
                    live.cast_vote(phone.pk, ballot_for(round_.pk, rng, lean_a))
                result.votes += 1
            except live.Refused as refusal:
                result.refused.append(refusal.reason)
        result.duels += 1
        advance_to(workshop.pk, {live.REVEAL})
    return result
