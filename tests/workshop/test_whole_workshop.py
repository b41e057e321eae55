"""The whole default script played through the state module, with hands and a finale."""

import pytest

from tests.live_fixtures import default_workshop_with_answers, phone
from workshop import live
from workshop.live import Ballot, Refused, answer, cast_vote, record_hands, transition
from workshop.models import Room, Round, Step, Workshop
from workshop.snapshots import PRESENTER, snapshot


@pytest.fixture
def default_workshop(db, settings, tmp_path, task_queue):
    """The demo workshop of the default script, two rooms, its answers already done."""
    return default_workshop_with_answers(
        settings,
        tmp_path,
        "Salle B",
        text="Une réponse.",
        output_tokens=120,
        duration_ms=4000,
        energy_wh_min=0.1,
        energy_wh_max=0.2,
    )


def vote(participant, round_id, choice, client_id="v"):
    cast_vote(participant.pk, Ballot(round_id, choice, {}, "", "", client_id))


def test_the_whole_default_script_is_played_to_its_recap(default_workshop):
    rooms = list(default_workshop.rooms.order_by("pk"))
    phones = [phone(rooms[0]).participant for _ in range(3)]
    steps = list(default_workshop.script.steps.order_by("order"))
    workshop = default_workshop
    seen = []
    for step in steps:
        workshop = transition(workshop.pk, "next_step")
        assert workshop.current_step == step
        seen.append(step.kind)
        if step.kind == Step.Kind.DUEL:
            for name in ["show_question", "show_answers", "open_vote"]:
                transition(workshop.pk, name)
            round_ = Round.objects.get(workshop=workshop, step=step)
            for participant, choice in zip(phones, ["a", "a", "b"], strict=True):
                vote(participant, round_.pk, choice)
            record_hands(workshop.pk, rooms[1].pk, a=4, b=9, both_equal=1)
            transition(workshop.pk, "close_vote")
            workshop = transition(workshop.pk, "reveal")
            # 2 phones + 4 hands for A, 1 phone + 9 hands for B: B wins overall.
            assert Round.objects.get(pk=round_.pk).winner == "b"
        elif step.kind == Step.Kind.QUESTION:
            for participant, choice in zip(phones, [0, 0, 1], strict=True):
                answer(participant.pk, step.pk, choice, "")
            workshop = transition(workshop.pk, "show_results")
            results = snapshot(workshop, PRESENTER, rooms[0])["question"]["results"]
            assert results["total"][:2] == [2, 1]
        elif step.kind == Step.Kind.FINALE:
            state = snapshot(workshop, PRESENTER, rooms[0])["finale"]
            assert len(state["candidates"]) == 3
            assert all(c["share"] == 59 for c in state["candidates"])  # 10 of 17 counts
            transition(workshop.pk, "open_finale_vote")
            for participant, choice in zip(phones, [2, 2, 0], strict=True):
                answer(participant.pk, step.pk, choice, "")
            workshop = transition(workshop.pk, "close_finale_vote")
            finale = snapshot(workshop, PRESENTER, rooms[0])["finale"]
            assert finale["winners"] == [2]  # the third duel's winner, by its place
    assert seen.count("duel") == 3 and "question" in seen and "finale" in seen
    workshop = transition(workshop.pk, "next_step")
    assert workshop.phase == "ended" and workshop.status == Workshop.Status.FINISHED
    recap = snapshot(workshop, PRESENTER, rooms[0])["recap"]
    assert len(recap["duels"]) == 3 and recap["answers_shown"] == 6
    assert recap["energy"] == "0,6 à 1,2 Wh" and "EcoLogits" in recap["energy_note"]
    assert recap["winners"] and recap["advice"]


def test_hand_counts_and_phone_votes_add_up(live_workshop):
    for name in ["next_step", "next_step", "show_question", "show_answers", "open_vote"]:
        transition(live_workshop.pk, name)
    round_ = Round.objects.get()
    vote(phone(live_workshop.room_a).participant, round_.pk, "a")
    vote(phone(live_workshop.room_b).participant, round_.pk, "b")
    record_hands(live_workshop.pk, live_workshop.room_b.pk, a=3, b=1, both_equal=2)
    record_hands(live_workshop.pk, live_workshop.room_b.pk, a=5, b=1, both_equal=2)  # corrected
    counts = live.tallies(round_)
    assert counts["rooms"][live_workshop.room_b.pk] == {
        "a": 5,
        "b": 2,
        "both_equal": 2,
        "total": 9,
        "hands": 8,
    }
    assert counts["total"]["total"] == 10 and counts["total"]["hands"] == 8
    assert live.tally(round_).a == 6


def test_hands_are_refused_outside_the_vote_and_for_another_workshops_room(live_workshop, org):
    with pytest.raises(Refused, match="pendant le vote"):
        record_hands(live_workshop.pk, live_workshop.room_a.pk, 1, 2, 3)
    for name in ["next_step", "next_step", "show_question", "show_answers", "open_vote"]:
        transition(live_workshop.pk, name)
    other = Workshop.objects.create(organisation=org, script=live_workshop.script, title="x")
    stranger = Room.objects.create_with_code(workshop=other, name="Ailleurs")
    with pytest.raises(Refused, match="pas dans l'atelier"):
        record_hands(live_workshop.pk, stranger.pk, 1, 2, 3)


def test_a_tied_duel_sends_both_models_to_the_finale(live_workshop):
    for name in ["next_step", "next_step", "show_question", "show_answers", "open_vote"]:
        transition(live_workshop.pk, name)
    round_ = Round.objects.get()
    vote(phone(live_workshop.room_a).participant, round_.pk, "a")
    vote(phone(live_workshop.room_a).participant, round_.pk, "b")
    transition(live_workshop.pk, "close_vote")
    workshop = transition(live_workshop.pk, "reveal")
    found = live.candidates(workshop)
    assert {c.model_name for c in found} == {"Llama 3.3 70B", "Gemma 3 4B"}
    assert all(c.share == 0.5 for c in found)


def test_a_finale_without_winners_cannot_open(live_workshop):
    script = live_workshop.script
    Step.objects.create(script=script, order=4, kind="finale", title="IA gagnante")
    for _ in range(4):
        workshop = transition(live_workshop.pk, "next_step")
    assert workshop.phase == "finale"
    with pytest.raises(Refused, match="pas de finale"):
        transition(live_workshop.pk, "open_finale_vote")


def test_answers_only_when_a_question_waits_and_within_its_choices(live_workshop):
    script = live_workshop.script
    question = Step.objects.create(
        script=script,
        order=4,
        kind="question",
        title="Et vous ?",
        question_kind="poll",
        choices="Oui\nNon\nJe ne sais pas",
    )
    participant = phone(live_workshop.room_a).participant
    with pytest.raises(Refused, match="aucune question"):
        answer(participant.pk, question.pk, 0, "")
    for _ in range(3):
        transition(live_workshop.pk, "next_step")
    transition(live_workshop.pk, "next_step")
    with pytest.raises(Refused, match="choix inconnu"):
        answer(participant.pk, question.pk, 3, "")
    answer(participant.pk, question.pk, 2, "")
    answer(participant.pk, question.pk, 1, "")  # changed
    assert live.answer_counts(Workshop.objects.get(), question, 3)["total"] == [0, 1, 0]


def test_a_slide_shows_its_image_with_its_description(live_workshop):
    Step.objects.filter(order=1).update(image_url="/static/img/centre.png", image_alt="Un centre")
    workshop = transition(live_workshop.pk, "next_step")
    assert snapshot(workshop, PRESENTER, live_workshop.room_a)["step"]["image"] == {
        "url": "/static/img/centre.png",
        "alt": "Un centre",
    }


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://insecure.example/x.png", "a b"])
def test_an_image_address_must_be_https_or_the_sites_own(live_workshop, url):
    from django.core.exceptions import ValidationError

    step = Step.objects.get(order=1)
    step.image_url = url
    with pytest.raises(ValidationError):
        step.full_clean()


def test_a_finale_tie_names_every_winner(live_workshop):
    for name in ["next_step", "next_step", "show_question", "show_answers", "open_vote"]:
        transition(live_workshop.pk, name)
    round_ = Round.objects.get()
    vote(phone(live_workshop.room_a).participant, round_.pk, "a")
    vote(phone(live_workshop.room_a).participant, round_.pk, "b")
    transition(live_workshop.pk, "close_vote")
    transition(live_workshop.pk, "reveal")
    transition(live_workshop.pk, "finalists_ab")  # the facilitator sends both
    finale = Step.objects.create(
        script=live_workshop.script, order=4, kind="finale", title="IA gagnante"
    )
    for _ in range(2):
        workshop = transition(live_workshop.pk, "next_step")
    workshop = transition(live_workshop.pk, "open_finale_vote")
    voters = [p for p in phone_participants(live_workshop)]
    answer(voters[0].pk, finale.pk, 0, "")
    answer(voters[1].pk, finale.pk, 1, "")
    workshop = transition(live_workshop.pk, "close_finale_vote")
    state = snapshot(workshop, PRESENTER, live_workshop.room_a)["finale"]
    assert state["winners"] == [0, 1]
    assert {state["candidates"][i]["model"] for i in (0, 1)} == {"Gemma 3 4B", "Llama 3.3 70B"}


def phone_participants(workshop):
    from workshop.models import Participant

    return list(Participant.objects.filter(room__workshop=workshop).order_by("pk"))
