"""What each screen shows, read from the database: the facilitator's panel, a room's
presenter screen, a participant's phone. Sent whole on connect, on reconnect and after
every transition, so a screen is never left half-updated.

Nothing here reveals more than the phase allows: the answers appear with "answers",
the split of the vote after it closes, the models' names at the reveal.
"""

from django.db.models import Count
from django.utils import timezone

from duels.impact import answer_figures, size_text
from duels.models import Generation
from workshop import live
from workshop.markup import render
from workshop.models import Participant, Room, Round, Vote, Workshop

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
    workshop = Workshop.objects.select_related("current_step", "script").get(pk=workshop.pk)
    step = workshop.current_step
    state = {
        "type": "state",
        "audience": audience,
        "server_time": _ms(timezone.now()),
        "workshop": {"id": workshop.pk, "title": workshop.title, "language": workshop.language},
        "phase": workshop.phase,
        "phase_label": live.PHASE_LABELS.get(workshop.phase, workshop.phase),
        "rooms": _rooms(workshop, room, audience),
        "step": None,
        "round": None,
    }
    if step is not None:
        state["step"] = {
            "kind": step.kind,
            "order": step.order,
            "count": workshop.script.steps.count(),
            "title": step.title,
            "body_html": render(step.body) if step.kind != "duel" else "",
        }
        if audience == FACILITATOR:
            state["step"]["notes_html"] = render(step.speaker_notes)
    round_ = live.current_round(workshop)
    if round_ is not None:
        state["round"] = _round(workshop, round_, audience, room)
    if audience == PARTICIPANT and participant is not None and round_ is not None:
        state["my_vote"] = _my_vote(round_, participant)
    if audience == FACILITATOR:
        state["allowed"] = live.allowed_commands(workshop)
    return state


def _rooms(workshop: Workshop, room: Room | None, audience: str) -> list[dict]:
    rooms = workshop.rooms.all() if audience == FACILITATOR else [room] if room else []
    counts = dict(
        Participant.objects.filter(room__in=rooms, removed_at__isnull=True)
        .values_list("room_id")
        .annotate(n=Count("pk"))
    )
    return [
        {
            "id": r.pk,
            "name": r.name,
            "join_code": r.join_code,
            "participants": counts.get(r.pk, 0),
            "capacity": r.capacity,
        }
        for r in rooms
    ]


def _round(workshop: Workshop, round_: Round, audience: str, room: Room | None) -> dict:
    phase = workshop.phase
    data = {
        "id": round_.pk,
        "prompt": round_.generation_a.prompt.text if phase != live.DUEL_INTRO else "",
        "offline_demo": round_.offline_demo,
        "answers": None,
        "replay": {"started_at": _ms(round_.answers_at), "skipped": round_.replay_skipped},
        "tally": None,
        "reveal": None,
    }
    if audience == FACILITATOR:
        data["ready"] = all(g.status == "done" for g in round_.generations)
    if phase in _AFTER_ANSWERS:
        data["answers"] = {side: _answer(g) for side, g in _sides(round_)}
    if phase in (live.VOTE_OPEN, *_SPLIT_SHOWN):
        counts = live.tallies(round_)
        here = counts["rooms"].get(room.pk) if room else None
        if phase in _SPLIT_SHOWN:
            data["tally"] = {"room": here, "total": counts["total"]}
        else:
            # While the vote is open, only how many have voted: the room is not herded.
            data["tally"] = {
                "room": {"total": here["total"]} if here else None,
                "total": {"total": counts["total"]["total"]},
            }
    if phase == live.REVEAL:
        data["reveal"] = {side: _revealed(g) for side, g in _sides(round_)}
        data["reveal"]["winner"] = round_.winner
    return data


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
        "reasoning": bool(generation.reasoning_text),
        "reasoning_tokens": generation.reasoning_tokens or 0,
        "output_tokens": tokens,
        "ttft_ms": ttft,
        "tokens_per_second": round(tokens / (generating / 1000), 1) if tokens else None,
    }


def _revealed(generation) -> dict:
    model = generation.model
    latency = generation.duration_ms / 1000 if generation.duration_ms else None
    figures = answer_figures(model, generation.output_tokens or 0, "fr", latency)
    return {
        "model": model.name,
        "maker": model.maker.name,
        "size": size_text(model),
        "distribution": model.get_distribution_display(),
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


def _my_vote(round_: Round, participant: Participant) -> dict | None:
    vote = Vote.objects.filter(round=round_, participant=participant).first()
    if vote is None:
        return None
    return {
        "choice": vote.choice,
        "reasons": vote.reasons,
        "comment_a": vote.comment_a,
        "comment_b": vote.comment_b,
        "client_id": vote.client_id,
    }
