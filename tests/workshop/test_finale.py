"""The finale: a duel's winner is that duel's, never a model's name; a tie is settled by
the facilitator before the finale's vote."""

import pytest

from tests.live_fixtures import done, phone
from workshop import live
from workshop.live import Ballot, Refused, answer, cast_vote, transition
from workshop.models import Round, Step, Workshop
from workshop.snapshots import FACILITATOR, PRESENTER, snapshot

TO_VOTE = ["show_question", "show_answers", "open_vote"]


def add_second_duel_and_finale(workshop):
    """A second duel where the same big model meets the small one again, then the finale."""
    script = workshop.script
    first = Step.objects.get(script=script, kind="duel")
    second = Step.objects.create(
        script=script,
        order=4,
        kind="duel",
        title="Duel n°2",
        prompt=first.prompt,
        model_a=workshop.big,
        model_b=workshop.small,
    )
    Round.objects.create(
        workshop=workshop,
        step=second,
        generation_a=done(workshop.big, first.prompt, "Une autre réponse A."),
        generation_b=done(workshop.small, first.prompt, "Une autre réponse B."),
    )
    return Step.objects.create(script=script, order=5, kind="finale", title="IA gagnante")


def play_duel(workshop, choices: list[str]) -> Round:
    """From the duel's intro to its reveal, the room voting `choices` (one phone each)."""
    for name in TO_VOTE:
        transition(workshop.pk, name)
    round_ = live.shown_round(Workshop.objects.get(pk=workshop.pk))
    for n, choice in enumerate(choices):
        voter = phone(workshop.room_b).participant
        cast_vote(voter.pk, Ballot(round_.pk, choice, {}, "", "", f"v{n}"))
    transition(workshop.pk, "close_vote")
    transition(workshop.pk, "reveal")
    return Round.objects.get(pk=round_.pk)


def test_one_model_winning_two_duels_is_two_candidates_and_only_the_chosen_one_wins(
    live_workshop,
):
    finale = add_second_duel_and_finale(live_workshop)
    transition(live_workshop.pk, "next_step")  # the slide
    transition(live_workshop.pk, "next_step")  # duel 1
    assert play_duel(live_workshop, ["a", "a", "b"]).winner == "a"
    transition(live_workshop.pk, "next_step")  # the slide
    transition(live_workshop.pk, "next_step")  # duel 2
    assert play_duel(live_workshop, ["a", "a", "a"]).winner == "a"
    transition(live_workshop.pk, "next_step")
    transition(live_workshop.pk, "open_finale_vote")
    voters = list(live_workshop.room_b.participants.order_by("pk"))
    answer(voters[0].pk, finale.pk, 1, "")
    answer(voters[1].pk, finale.pk, 1, "")
    answer(voters[2].pk, finale.pk, 0, "")
    workshop = transition(live_workshop.pk, "close_finale_vote")

    state = snapshot(workshop, PRESENTER, live_workshop.room_a)["finale"]
    assert [c["model"] for c in state["candidates"]] == ["Llama 3.3 70B", "Llama 3.3 70B"]
    assert [c["duel"] for c in state["candidates"]] == ["Duel n°1", "Duel n°2"]
    assert state["winners"] == [1]  # the second duel's, not "every Llama"
    assert state["results"]["total"] == [1, 2]

    recap = snapshot(transition(live_workshop.pk, "next_step"), PRESENTER)["recap"]
    assert recap["winners"] == ["Llama 3.3 70B (Duel n°2)"]


def test_a_tied_duel_is_settled_by_the_facilitator_before_the_finale(live_workshop):
    finale = add_second_duel_and_finale(live_workshop)
    transition(live_workshop.pk, "next_step")
    workshop = transition(live_workshop.pk, "next_step")
    # A duel with a winner offers nothing to settle.
    won = play_duel(live_workshop, ["b"])
    workshop = Workshop.objects.get(pk=live_workshop.pk)
    assert won.winner == "b" and "finalists_a" not in live.allowed_commands(workshop)
    with pytest.raises(Refused, match="égalité"):
        transition(live_workshop.pk, "finalists_a")

    transition(live_workshop.pk, "next_step")
    transition(live_workshop.pk, "next_step")
    tied = play_duel(live_workshop, ["a", "b"])
    assert tied.winner == "tie"
    workshop = Workshop.objects.get(pk=live_workshop.pk)
    panel = snapshot(workshop, FACILITATOR)
    assert {"finalists_a", "finalists_b", "finalists_ab"} <= set(panel["allowed"])
    assert panel["tie"] == {
        "duel": "Duel n°2",
        "a": "Llama 3.3 70B",
        "b": "Gemma 3 4B",
        "finalists": "",
    }

    # Unsettled, the finale's vote waits, and says why.
    workshop = transition(live_workshop.pk, "next_step")
    assert workshop.phase == "finale"
    assert snapshot(workshop, FACILITATOR)["tie"]["duel"] == "Duel n°2"
    with pytest.raises(Refused, match="Duel n°2"):
        transition(live_workshop.pk, "open_finale_vote")
    assert Workshop.objects.get(pk=live_workshop.pk).phase == "finale"

    # Settled from the finale itself: side B alone goes on.
    transition(live_workshop.pk, "finalists_b")
    workshop = Workshop.objects.get(pk=live_workshop.pk)
    assert "finalists_b" not in live.allowed_commands(workshop)  # nothing left to settle
    found = live.candidates(workshop)
    assert [(c.step_title, c.model_name) for c in found] == [
        ("Duel n°1", "Gemma 3 4B"),
        ("Duel n°2", "Gemma 3 4B"),
    ]
    assert transition(live_workshop.pk, "open_finale_vote").phase == "finale_vote"
    with pytest.raises(Refused, match="choix inconnu"):
        answer(live_workshop.room_b.participants.first().pk, finale.pk, 2, "")


def test_settling_changes_no_phase_and_can_be_changed_at_the_reveal(live_workshop):
    transition(live_workshop.pk, "next_step")
    transition(live_workshop.pk, "next_step")
    tied = play_duel(live_workshop, ["a", "b"])
    before = Workshop.objects.get(pk=live_workshop.pk).phase_changed_at
    transition(live_workshop.pk, "finalists_a")
    transition(live_workshop.pk, "finalists_ab")
    workshop = Workshop.objects.get(pk=live_workshop.pk)
    assert workshop.phase == "reveal" and workshop.phase_changed_at == before
    assert Round.objects.get(pk=tied.pk).finalists == "ab"
    assert len(live.candidates(workshop)) == 2
