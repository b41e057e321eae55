"""The state machine: every transition, allowed and refused; votes and tallies."""

import copy
import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from duels import concurrency
from duels.models import AIModel, Generation
from tests.live_fixtures import phone
from workshop import live, snapshots
from workshop.live import Ballot, Refused, cast_vote, transition
from workshop.models import Round, Vote, Workshop
from workshop.snapshots import FACILITATOR, PARTICIPANT, PRESENTER, Broadcast, snapshot

DUEL_WALK = ["next_step", "next_step", "show_question", "show_answers", "open_vote"]


def walk(workshop, commands):
    for name in commands:
        workshop = transition(workshop.pk, name)
    return workshop


def ballot(round_id, choice="a", client_id="c1", **extra):
    return Ballot(
        round_id=round_id,
        choice=choice,
        reasons=extra.get("reasons", {}),
        comment_a=extra.get("comment_a", ""),
        comment_b="",
        client_id=client_id,
    )


def test_a_whole_duel_walks_through_its_phases(live_workshop):
    phases = []
    for name in [*DUEL_WALK, "close_vote", "reveal", "next_step", "next_step"]:
        phases.append(transition(live_workshop.pk, name).phase)
    assert phases == [
        "slide",
        "duel_intro",
        "duel_question",
        "duel_answers",
        "vote_open",
        "vote_closed",
        "reveal",
        "slide",
        "ended",
    ]
    live_workshop.refresh_from_db()
    assert live_workshop.status == Workshop.Status.FINISHED
    round_ = Round.objects.get()
    assert round_.question_at and round_.answers_at and round_.vote_opened_at
    assert round_.vote_closed_at and round_.revealed_at


@pytest.mark.parametrize(
    ("done_commands", "refused"),
    [
        ([], "open_vote"),
        ([], "reveal"),
        (["next_step"], "show_answers"),
        (["next_step", "next_step"], "close_vote"),
        (DUEL_WALK, "show_question"),
        ([*DUEL_WALK, "close_vote"], "open_vote"),
    ],
)
def test_a_command_out_of_its_phase_is_refused_and_changes_nothing(
    live_workshop, done_commands, refused
):
    workshop = walk(live_workshop, done_commands)
    before = Workshop.objects.values().get(pk=workshop.pk)
    with pytest.raises(Refused, match="n'est pas possible pendant la phase"):
        transition(workshop.pk, refused)
    assert Workshop.objects.values().get(pk=workshop.pk) == before


def test_the_facilitator_can_skip_a_step_and_go_back(live_workshop):
    assert walk(live_workshop, ["next_step", "next_step"]).phase == "duel_intro"
    workshop = transition(live_workshop.pk, "next_step")  # skip the duel
    assert (workshop.phase, workshop.current_step.order) == ("slide", 3)
    workshop = transition(live_workshop.pk, "previous_step")
    assert (workshop.phase, workshop.current_step.order) == ("duel_intro", 2)
    walk(workshop, ["previous_step"])
    with pytest.raises(Refused, match="première étape"):
        transition(live_workshop.pk, "previous_step")


def test_going_back_to_a_played_duel_shows_how_it_ended(live_workshop):
    walk(live_workshop, [*DUEL_WALK, "close_vote", "reveal", "next_step"])
    assert transition(live_workshop.pk, "previous_step").phase == "reveal"


def test_an_unknown_command_is_refused(live_workshop):
    with pytest.raises(Refused, match="commande inconnue"):
        transition(live_workshop.pk, "drop_database")


def test_answers_that_are_not_ready_are_not_shown(live_workshop):
    walk(live_workshop, ["next_step", "next_step", "show_question"])
    Round.objects.get().generation_b.__class__.objects.filter(
        pk=Round.objects.get().generation_b_id
    ).update(status="running")
    with pytest.raises(Refused, match="pas encore prêtes"):
        transition(live_workshop.pk, "show_answers")
    assert Workshop.objects.get().phase == "duel_question"


def test_a_vote_on_answers_no_longer_complete_is_not_opened(live_workshop):
    """An answer asked again after it was shown (not complete any more): no vote on it."""
    walk(live_workshop, DUEL_WALK[:4])
    round_ = Round.objects.get()
    Generation.objects.filter(pk=round_.generation_a_id).update(status="running")
    with pytest.raises(Refused, match="pas encore complètes"):
        transition(live_workshop.pk, "open_vote")
    assert Workshop.objects.get().phase == "duel_answers"
    Generation.objects.filter(pk=round_.generation_a_id).update(status="done")
    assert transition(live_workshop.pk, "open_vote").phase == "vote_open"


def test_skipping_the_replay_keeps_the_phase(live_workshop):
    walk(live_workshop, DUEL_WALK[:4])
    workshop = transition(live_workshop.pk, "skip_replay")
    assert workshop.phase == "duel_answers" and Round.objects.get().replay_skipped


# Votes ---------------------------------------------------------------------------------------


def test_a_vote_before_the_vote_opens_is_refused(live_workshop):
    walk(live_workshop, DUEL_WALK[:4])
    joined = phone(live_workshop.room_a)
    with pytest.raises(Refused, match="pas ouvert"):
        cast_vote(joined.participant.pk, ballot(Round.objects.get().pk))
    assert not Vote.objects.exists()


def test_one_vote_per_participant_changeable_until_closed(live_workshop):
    walk(live_workshop, DUEL_WALK)
    round_id = Round.objects.get().pk
    joined = phone(live_workshop.room_a)
    cast_vote(joined.participant.pk, ballot(round_id, "a", "v1"))
    first = Vote.objects.get()
    cast_vote(joined.participant.pk, ballot(round_id, "b", "v2", reasons={"b": ["useful"]}))
    vote = Vote.objects.get()
    assert (vote.choice, vote.reasons, vote.client_id) == ("b", {"b": ["useful"]}, "v2")
    # Changed, not voted anew: when it was first cast is kept (the dataset's timestamp).
    assert vote.created_at == first.created_at and vote.updated_at > first.updated_at
    assert abs(vote.updated_at - timezone.now()) < timedelta(minutes=1)  # stored in UTC
    transition(live_workshop.pk, "close_vote")
    with pytest.raises(Refused, match="pas ouvert"):
        cast_vote(joined.participant.pk, ballot(round_id, "a", "v3"))
    assert Vote.objects.get().choice == "b"


def test_a_vote_sent_twice_counts_once(live_workshop):
    walk(live_workshop, DUEL_WALK)
    round_ = Round.objects.get()
    joined = phone(live_workshop.room_a)
    for _ in range(3):
        cast_vote(joined.participant.pk, ballot(round_.pk, "a", "same"))
    assert Vote.objects.count() == 1 and live.tally(round_).a == 1


def test_a_vote_for_another_round_is_refused(live_workshop):
    walk(live_workshop, DUEL_WALK)
    joined = phone(live_workshop.room_a)
    with pytest.raises(Refused, match="duel en cours"):
        cast_vote(joined.participant.pk, ballot(Round.objects.get().pk + 999))


def test_during_a_live_question_a_vote_goes_to_its_round_not_the_steps(live_workshop):
    workshop = walk(live_workshop, DUEL_WALK)
    step_round = Round.objects.get()
    live_round = Round.objects.create(
        workshop=workshop,
        step=None,
        generation_a=step_round.generation_a,
        generation_b=step_round.generation_b,
    )
    Workshop.objects.filter(pk=workshop.pk).update(live_round=live_round)
    voter = phone(live_workshop.room_a).participant.pk
    with pytest.raises(Refused, match="duel en cours"):
        cast_vote(voter, ballot(step_round.pk))
    cast_vote(voter, ballot(live_round.pk, "b"))
    assert list(Vote.objects.values_list("round", "choice")) == [(live_round.pk, "b")]


def test_a_removed_participant_cannot_vote(live_workshop):
    walk(live_workshop, DUEL_WALK)
    joined = phone(live_workshop.room_a)
    joined.participant.removed_at = timezone.now()
    joined.participant.save()
    with pytest.raises(Refused, match="ne faites plus partie"):
        cast_vote(joined.participant.pk, ballot(Round.objects.get().pk))


def test_tallies_per_room_and_in_total_and_the_winner(live_workshop):
    walk(live_workshop, DUEL_WALK)
    round_ = Round.objects.get()
    for room, choice in [
        ("room_a", "a"),
        ("room_a", "a"),
        ("room_b", "b"),
        ("room_b", "both_equal"),
    ]:
        cast_vote(phone(getattr(live_workshop, room)).participant.pk, ballot(round_.pk, choice))
    counts = live.tallies(round_)
    assert counts["rooms"][live_workshop.room_a.pk] == {
        "a": 2,
        "b": 0,
        "both_equal": 0,
        "total": 2,
        "hands": 0,
    }
    assert counts["total"] == {"a": 2, "b": 1, "both_equal": 1, "total": 4, "hands": 0}
    walk(live_workshop, ["close_vote", "reveal"])
    assert Round.objects.get().winner == "a"


def test_tallies_leave_out_removed_participants_and_add_raised_hands(live_workshop):
    walk(live_workshop, DUEL_WALK)
    round_ = Round.objects.get()
    stays, leaves = phone(live_workshop.room_a), phone(live_workshop.room_a)
    phone(live_workshop.room_b)  # in the room, not voting
    cast_vote(stays.participant.pk, ballot(round_.pk, "b"))
    cast_vote(leaves.participant.pk, ballot(round_.pk, "a"))
    leaves.participant.removed_at = timezone.now()
    leaves.participant.save()
    live.record_hands(live_workshop.pk, live_workshop.room_b.pk, 3, 1, 2)
    counts = live.tallies(round_)
    assert counts["rooms"] == {
        live_workshop.room_a.pk: {"a": 0, "b": 1, "both_equal": 0, "total": 1, "hands": 0},
        live_workshop.room_b.pk: {"a": 3, "b": 1, "both_equal": 2, "total": 6, "hands": 6},
    }
    assert counts["total"] == {"a": 3, "b": 2, "both_equal": 2, "total": 7, "hands": 6}


def test_presence_counts_each_rooms_participants_still_there(live_workshop):
    stays, leaves = phone(live_workshop.room_a), phone(live_workshop.room_a)
    leaves.participant.removed_at = timezone.now()
    leaves.participant.save()
    assert stays.participant.removed_at is None
    assert live.presence(live_workshop.pk) == {
        str(live_workshop.room_a.pk): 1,
        str(live_workshop.room_b.pk): 0,  # an empty room is still shown
    }


def test_a_tie_is_recorded_as_a_tie(live_workshop):
    walk(live_workshop, DUEL_WALK)
    round_ = Round.objects.get()
    cast_vote(phone(live_workshop.room_a).participant.pk, ballot(round_.pk, "a"))
    cast_vote(phone(live_workshop.room_b).participant.pk, ballot(round_.pk, "b"))
    walk(live_workshop, ["close_vote", "reveal"])
    assert Round.objects.get().winner == "tie"


# What each screen may see ---------------------------------------------------------------------


def test_names_stay_hidden_until_the_reveal(live_workshop):
    workshop = walk(live_workshop, DUEL_WALK)
    room = live_workshop.room_a
    for audience in (PRESENTER, PARTICIPANT):
        text = json.dumps(snapshot(workshop, audience, room))
        assert "Llama" not in text and "Gemma" not in text and "Meta" not in text
    workshop = walk(workshop, ["close_vote", "reveal"])
    reveal = snapshot(workshop, PRESENTER, room)["round"]["reveal"]
    sides = {reveal["a"]["model"], reveal["b"]["model"]}
    assert sides == {"Llama 3.3 70B", "Gemma 3 4B"}
    for side in ("a", "b"):
        assert "Wh" in reveal[side]["line"] and reveal[side]["method"].startswith("EcoLogits")
        assert reveal[side]["equivalences"] and reveal[side]["size"]


def test_the_split_is_hidden_while_voting(live_workshop):
    workshop = walk(live_workshop, DUEL_WALK)
    round_ = Round.objects.get()
    cast_vote(phone(live_workshop.room_a).participant.pk, ballot(round_.pk, "a"))
    tally = snapshot(workshop, PRESENTER, live_workshop.room_a)["round"]["tally"]
    assert isinstance(tally.pop("as_of"), int)  # when it was read: the newest read wins
    assert tally == {"room": {"total": 1}, "total": {"total": 1}}
    workshop = transition(workshop.pk, "close_vote")
    tally = snapshot(workshop, PRESENTER, live_workshop.room_a)["round"]["tally"]
    assert tally["room"]["a"] == 1 and tally["total"]["a"] == 1


def test_speaker_notes_reach_the_facilitator_only(live_workshop):
    workshop = walk(live_workshop, ["next_step"])
    assert "Secret" in snapshot(workshop, FACILITATOR)["step"]["notes_html"]
    assert "Secret" not in json.dumps(snapshot(workshop, PRESENTER, live_workshop.room_a))


def test_the_panel_lists_the_models_for_a_live_question_only_when_one_may_be_asked(
    live_workshop,
):
    walk(live_workshop, DUEL_WALK)
    transition(live_workshop.pk, "close_vote")
    closed = snapshot(Workshop.objects.get(pk=live_workshop.pk), FACILITATOR)
    assert not closed["can_ask_live"] and closed["models"] == []
    transition(live_workshop.pk, "reveal")
    revealed = snapshot(Workshop.objects.get(pk=live_workshop.pk), FACILITATOR)
    assert revealed["can_ask_live"]
    assert revealed["models"] and revealed["models"] == snapshots._askable_models()


def test_a_model_taken_out_of_the_catalogue_leaves_the_panels_list_at_once(live_workshop):
    """The list is kept a few seconds per process (forty reveals read it once); a curator's
    change saved in this process shows at the next state all the same."""
    walk(live_workshop, [*DUEL_WALK, "close_vote", "reveal"])
    listed = snapshot(Workshop.objects.get(pk=live_workshop.pk), FACILITATOR)["models"]
    model = AIModel.objects.get(slug=listed[0]["slug"])
    model.status = AIModel.Status.DISABLED
    model.save()
    after = snapshot(Workshop.objects.get(pk=live_workshop.pk), FACILITATOR)["models"]
    assert after == [entry for entry in listed if entry["slug"] != model.slug]


def test_answers_are_rendered_and_sanitized(live_workshop):
    workshop = walk(live_workshop, DUEL_WALK[:4])
    answers = snapshot(workshop, PRESENTER, live_workshop.room_a)["round"]["answers"]
    html = answers["a"]["html"] + answers["b"]["html"]
    assert "<strong>calculent</strong>" in html or "<strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert answers["a"]["tokens_per_second"] == 20.0  # 60 tokens in 3 s after the first


def test_a_broadcast_sends_each_phone_its_own_state_as_json(live_workshop):
    """The shared part is encoded once and each phone's vote added to that text: the text
    must be the phone's own state, exactly, and never carry another phone's vote."""
    workshop = walk(live_workshop, DUEL_WALK)
    round_ = Round.objects.get()
    room = live_workshop.room_a
    voter, silent = phone(room).participant, phone(room).participant
    cast_vote(voter.pk, ballot(round_.pk, "b", comment_a='« "guillemets" »\n</script>'))
    broadcast = Broadcast(workshop.pk)
    for who in (voter, silent, voter):  # the shared text, encoded once, then reused
        state, text = broadcast.message(PARTICIPANT, room, who)
        own = snapshot(workshop, PARTICIPANT, room, who)
        assert json.loads(text) == state == own | {"server_time": state["server_time"]}
    mine = json.loads(broadcast.message(PARTICIPANT, room, voter)[1])["my_vote"]
    assert mine["choice"] == "b" and mine["comment_a"] == '« "guillemets" »\n</script>'
    assert json.loads(broadcast.message(PARTICIPANT, room, silent)[1])["my_vote"] is None
    state, text = broadcast.message(PRESENTER, room, None)
    assert json.loads(text) == state and "my_vote" not in state


def test_a_state_change_is_built_once_for_every_web_process(
    live_workshop, django_assert_num_queries
):
    """The first process builds every screen's part and leaves it in Redis; another reads
    it there, without a query, and sends each screen exactly what it would have built."""
    workshop = walk(live_workshop, DUEL_WALK)
    room = live_workshop.room_a
    voter, silent = phone(room).participant, phone(room).participant
    cast_vote(voter.pk, ballot(Round.objects.get().pk, "a"))
    version = uuid.uuid4().hex
    first = snapshots.shared_broadcast(version, workshop.pk)
    with django_assert_num_queries(0):
        other = snapshots.shared_broadcast(version, workshop.pk)
        screens = [(FACILITATOR, None, None), (PRESENTER, room, None)]
        screens += [(PARTICIPANT, room, voter), (PARTICIPANT, room, silent)]
        for screen in screens:
            assert other.built(*screen)
            assert other.message(*screen)[1] == first.message(*screen)[1]
    assert json.loads(other.message(PARTICIPANT, room, voter)[1])["my_vote"]["choice"] == "a"
    assert json.loads(other.message(PARTICIPANT, room, silent)[1])["my_vote"] is None


def test_a_process_builds_its_own_state_when_the_claimed_one_never_comes(
    live_workshop, monkeypatch
):
    """The process that claimed the build died: the others wait a moment, then read the
    database themselves."""
    workshop = walk(live_workshop, DUEL_WALK)
    version = uuid.uuid4().hex
    key = snapshots._shared_key(version, workshop.pk)
    concurrency.client().set(f"{key}:claim", 1, px=60_000)  # claimed, never delivered
    monkeypatch.setattr(snapshots, "SHARED_WAIT_SECONDS", 0.05)
    built = snapshots.shared_broadcast(version, workshop.pk)
    assert built.message(PRESENTER, live_workshop.room_a, None)[0]["phase"] == "vote_open"


def apply_change(state: dict, news: dict) -> dict:
    """What static/js/live.js does with a change: the state shown, with what it changes."""
    assert news["type"] == "change" and state["round"]["id"] == news["round"]
    skip = ("type", "round", "round_changes")
    changed = {key: value for key, value in news.items() if key not in skip}
    return state | changed | {"round": state["round"] | news["round_changes"]}


def screen_news(told: dict, audience: str, room) -> dict:
    group = live.PHONES if audience == PARTICIPANT else live.SCREENS
    return json.loads(snapshots.news_for(told[group], audience, room))


@pytest.mark.parametrize("audience", [PARTICIPANT, PRESENTER, FACILITATOR])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_opening_a_close_and_a_reveal_sent_alone_show_what_the_whole_state_would(
    live_workshop, audience, language
):
    """Every screen is sent the opening, the close and the reveal alone
    (snapshots.open_news, close_news, reveal_news), each applied to the state it shows:
    the result is the whole state, the phone's own vote, each room's count and split, the
    models' cards and the panel's commands included, in the workshop's language."""
    Workshop.objects.filter(pk=live_workshop.pk).update(language=language)
    room, elsewhere = live_workshop.room_a, live_workshop.room_b
    screen_room = room if audience != FACILITATOR else None
    voter = phone(room).participant if audience == PARTICIPANT else None
    answered = snapshot(walk(live_workshop, DUEL_WALK[:-1]), audience, screen_room, voter)
    opened = snapshot(transition(live_workshop.pk, "open_vote"), audience, screen_room, voter)
    committed = Round.objects.select_related("workshop")
    opening = screen_news(snapshots.open_news(committed.get()), audience, screen_room)
    round_ = Round.objects.get()
    for choice, client_id, where in (("b", "v1", room), ("b", "v2", room), ("a", "v3", room)):
        someone = voter if client_id == "v1" and voter else phone(where).participant
        cast_vote(someone.pk, ballot(round_.pk, choice, client_id))
    cast_vote(phone(elsewhere).participant.pk, ballot(round_.pk, "b", "v4"))
    # A phone's state shows its own vote once acknowledged (live.js keeps the ballot).
    voted = snapshot(Workshop.objects.get(pk=live_workshop.pk), audience, screen_room, voter)
    closed = snapshot(transition(live_workshop.pk, "close_vote"), audience, screen_room, voter)
    close = screen_news(snapshots.close_news(committed.get()), audience, screen_room)
    revealed = snapshot(transition(live_workshop.pk, "reveal"), audience, screen_room, voter)
    reveal = screen_news(snapshots.reveal_news(committed.get()), audience, screen_room)

    assert reveal["round_changes"]["reveal"]["winner"] == "b"
    pairs = [
        (apply_change(answered, opening), opened),
        (apply_change(voted, close), closed),
        (apply_change(closed, reveal), revealed),
    ]
    for applied, whole in pairs:
        applied, whole = copy.deepcopy(applied), copy.deepcopy(whole)
        for state in (applied, whole):
            state.pop("server_time")
            if state["round"]["tally"]:
                state["round"]["tally"].pop("as_of")
        assert applied == whole
    assert opened["phase"] == "vote_open" and opening["phase"] == "vote_open"
    # While the vote is open, the count and never the split; on phones, nothing.
    if audience == PARTICIPANT:
        assert opened["round"]["tally"] is None
    else:
        assert opened["round"]["tally"]["total"] == {"total": 0}
    split = closed["round"]["tally"]
    assert split["total"]["total"] == 4 and split["total"]["a"] == 1
    if audience != FACILITATOR:
        assert split["room"]["total"] == 3 and split["room"]["b"] == 2
    assert revealed["round"]["reveal"]["a"]["model"] and revealed["phase"] == "reveal"
    if audience == FACILITATOR:
        assert answered["allowed"] != opened["allowed"] != closed["allowed"]
        assert closed["allowed"] != revealed["allowed"]
        assert revealed["models"]
    if voter:
        assert closed["my_vote"]["client_id"] == "v1" == revealed["my_vote"]["client_id"]
