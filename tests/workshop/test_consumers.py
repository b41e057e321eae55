"""The consumers with Channels' test communicators, over the Redis channel layer."""

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import DatabaseError
from django.test import Client

from config.asgi import application
from tests.live_fixtures import phone
from workshop import live, participants, snapshots
from workshop.live import transition
from workshop.models import Organisation, Room, Round, Vote, Workshop

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
DUEL_WALK = ["next_step", "next_step", "show_question", "show_answers", "open_vote"]

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine):
    return asyncio.run(coroutine)


def cookie(name, value):
    return (b"cookie", f"{name}={value}".encode())


async def connect(path, *headers):
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        # As a server does after a refusal: the consumer is told the socket is gone, and
        # ends (else it would still be listening when the test's event loop closes).
        await communicator.disconnect()
    return communicator, connected, code


async def receive(communicator, type_=None, timeout=5):
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if type_ is None or message["type"] == type_:
            return message


def phone_cookie(room):
    joined = phone(room)
    return cookie(participants.COOKIE, joined.token), joined


def facilitator_cookie(workshop):
    client = Client()
    client.force_login(workshop.facilitator_user)
    return cookie(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_every_screen_gets_the_state_on_connect(live_workshop):
    header, _ = phone_cookie(live_workshop.room_a)
    session = facilitator_cookie(live_workshop)

    async def scenario():
        screens = [
            await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header),
            await connect(f"/ws/presentateur/{live_workshop.room_a.presenter_secret}/"),
            await connect(f"/ws/animation/{live_workshop.pk}/", session),
        ]
        states = []
        for communicator, connected, _code in screens:
            assert connected
            states.append(await receive(communicator, "state"))
            await communicator.disconnect()
        return states

    states = run(scenario())
    assert [s["audience"] for s in states] == ["participant", "presenter", "facilitator"]
    assert all(s["phase"] == "lobby" for s in states)
    assert states[2]["allowed"] == ["next_step"]


@pytest.mark.parametrize(
    "path",
    ["/ws/salle/{code}/", "/ws/presentateur/not-the-secret/", "/ws/animation/{pk}/"],
)
def test_forged_or_missing_credentials_are_refused(live_workshop, path):
    path = path.format(code=live_workshop.room_a.join_code, pk=live_workshop.pk)

    async def scenario():
        forged = cookie(participants.COOKIE, "forged-token")
        _, connected, code = await connect(path, forged)
        return connected, code

    connected, code = run(scenario())
    assert not connected and code == 4403


def test_a_cookie_from_another_room_is_refused(live_workshop):
    header, _ = phone_cookie(live_workshop.room_b)

    async def scenario():
        _, connected, _ = await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header)
        return connected

    assert not run(scenario())


def test_a_cross_site_origin_is_refused(live_workshop):
    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            f"/ws/presentateur/{live_workshop.room_a.presenter_secret}/",
            headers=[(b"origin", b"https://evil.example")],
        )
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    assert not run(scenario())


def test_an_outsider_cannot_drive_the_workshop(live_workshop, django_user_model):
    from workshop.models import Membership, Organisation

    other = Organisation.objects.create(name="Autre", slug="autre")
    outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    Membership.objects.create(user=outsider, organisation=other, role="admin")
    client = Client()
    client.force_login(outsider)
    session = cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
    )

    async def scenario():
        _, connected, code = await connect(f"/ws/animation/{live_workshop.pk}/", session)
        return connected, code

    assert run(scenario()) == (False, 4403)


def test_a_vote_is_acknowledged_once_stored_and_the_presenter_sees_only_the_count(live_workshop):
    for name in DUEL_WALK:
        transition(live_workshop.pk, name)
    round_id = Round.objects.get().pk
    header, _ = phone_cookie(live_workshop.room_a)

    async def scenario():
        presenter, *_ = await connect(f"/ws/presentateur/{live_workshop.room_a.presenter_secret}/")
        await receive(presenter, "state")
        voter, *_ = await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header)
        state = await receive(voter, "state")
        assert state["phase"] == "vote_open" and state["my_vote"] is None
        await voter.send_json_to(
            {
                "type": "vote",
                "round": round_id,
                "choice": "a",
                "reasons": {"a": ["useful", "clear_formatting"]},
                "client_id": "phone-1-v1",
            }
        )
        ack = await receive(voter, "vote.ack")
        stored = await database_sync_to_async(Vote.objects.filter(client_id="phone-1-v1").count)()
        tally = await receive(presenter, "tally")
        await voter.disconnect()
        await presenter.disconnect()
        return ack, stored, tally

    ack, stored, tally = run(scenario())
    assert ack["client_id"] == "phone-1-v1" and stored == 1
    assert isinstance(tally.pop("as_of"), int)
    assert tally == {
        "type": "tally",
        "round": round_id,
        "room": {"total": 1},
        "total": {"total": 1},
    }


def vote_open_in_room_b(live_workshop, phones: int) -> tuple[int, list]:
    """The vote open, and the cookies of that many phones joined to room B."""
    for name in DUEL_WALK:
        transition(live_workshop.pk, name)
    live_workshop.room_b.capacity = 100
    live_workshop.room_b.save()
    return Round.objects.get().pk, [phone_cookie(live_workshop.room_b)[0] for _ in range(phones)]


async def presenter_and_phones(room, headers) -> tuple:
    """The room's presenter screen and its phones connected, each phone with its first
    state."""
    presenter, *_ = await connect(f"/ws/presentateur/{room.presenter_secret}/")
    await receive(presenter, "state")
    phones = []
    for header in headers:
        communicator, *_ = await connect(f"/ws/salle/{room.join_code}/", header)
        phones.append((communicator, await receive(communicator, "state")))
    return presenter, phones


def test_a_burst_of_votes_costs_a_handful_of_tally_messages(live_workshop):
    round_id, headers = vote_open_in_room_b(live_workshop, phones=12)

    async def scenario():
        presenter, joined = await presenter_and_phones(live_workshop.room_b, headers)
        phones = [communicator for communicator, _ in joined]
        started = time.monotonic()
        for index, communicator in enumerate(phones):
            await communicator.send_json_to(
                {"type": "vote", "round": round_id, "choice": "b", "client_id": f"v{index}"}
            )
        for communicator in phones:
            await receive(communicator, "vote.ack")
        tallies = []
        while not tallies or tallies[-1]["room"]["total"] < len(phones):
            tallies.append(await receive(presenter, "tally"))
        elapsed = time.monotonic() - started
        for communicator in [*phones, presenter]:
            await communicator.disconnect()
        return tallies, elapsed

    tallies, elapsed = run(scenario())
    assert tallies[-1]["total"]["total"] == 12
    # At once, then at most one news an interval: twelve votes, a handful of news.
    assert len(tallies) <= 2 + elapsed / live.FLUSH_INTERVAL_SECONDS[live.SCREENS]
    assert len(tallies) < 12


def test_the_running_count_goes_to_the_projector_not_to_the_phones(live_workshop):
    round_id, headers = vote_open_in_room_b(live_workshop, phones=4)

    async def scenario():
        presenter, phones = await presenter_and_phones(live_workshop.room_b, headers)
        for index, (communicator, _) in enumerate(phones):
            await communicator.send_json_to(
                {"type": "vote", "round": round_id, "choice": "a", "client_id": f"s{index}"}
            )
            await receive(communicator, "vote.ack")
        counts = []
        while not counts or counts[-1] < len(phones):
            counts.append((await receive(presenter, "tally"))["room"]["total"])
        # The phones heard nothing more than their own acknowledgements (and arrivals).
        heard = []
        for communicator, _ in phones:
            while not await communicator.receive_nothing(timeout=0.7):
                heard.append((await communicator.receive_json_from())["type"])
        for communicator, _ in phones:
            await communicator.disconnect()
        await presenter.disconnect()
        return [state for _, state in phones], counts, heard

    states, counts, heard = run(scenario())
    assert counts[-1] == 4 and "tally" not in heard
    assert all(
        state["phase"] == "vote_open" and state["round"]["tally"] is None for state in states
    )


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not json", "illisible"),
        (json.dumps([1, 2]), "sans type"),
        (json.dumps({"type": "vote", "round": 1, "choice": "c", "client_id": "x"}), "choix"),
        (
            json.dumps({"type": "vote", "round": 1, "choice": "a", "client_id": "x" * 100}),
            "identifiant",
        ),
        (
            json.dumps(
                {
                    "type": "vote",
                    "round": 1,
                    "choice": "a",
                    "client_id": "x",
                    "reasons": {"a": ["brilliant"]},
                }
            ),
            "raisons",
        ),
        (
            json.dumps(
                {
                    "type": "vote",
                    "round": 1,
                    "choice": "a",
                    "client_id": "x",
                    "comment_a": "x" * 5000,
                }
            ),
            "trop long",
        ),
        (json.dumps({"type": "command", "command": "reveal"}), "ne peut que voter"),
        (json.dumps({"type": "vote", "padding": "x" * 9000}), "trop long"),
    ],
)
def test_bad_messages_from_a_phone_are_refused_and_change_nothing(live_workshop, message, reason):
    for name in DUEL_WALK:
        transition(live_workshop.pk, name)
    header, _ = phone_cookie(live_workshop.room_a)

    async def scenario():
        voter, *_ = await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header)
        await receive(voter, "state")
        await voter.send_to(text_data=message)
        error = await receive(voter, "error")
        await voter.disconnect()
        return error

    assert reason in run(scenario())["reason"]
    assert not Vote.objects.exists()
    assert Round.objects.get().workshop.phase == "vote_open"


def test_a_vote_when_no_vote_is_open_is_refused(live_workshop):
    header, _ = phone_cookie(live_workshop.room_a)
    round_id = Round.objects.get().pk

    async def scenario():
        voter, *_ = await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header)
        await receive(voter, "state")
        await voter.send_json_to(
            {"type": "vote", "round": round_id, "choice": "a", "client_id": "early"}
        )
        error = await receive(voter, "error")
        await voter.disconnect()
        return error

    error = run(scenario())
    assert error["reason"] == "le vote n'est pas ouvert" and error["client_id"] == "early"
    assert not Vote.objects.exists()


def test_the_presenter_page_cannot_send_commands(live_workshop):
    async def scenario():
        presenter, *_ = await connect(f"/ws/presentateur/{live_workshop.room_a.presenter_secret}/")
        await receive(presenter, "state")
        await presenter.send_json_to({"type": "command", "command": "next_step"})
        error = await receive(presenter, "error")
        await presenter.disconnect()
        return error

    assert "n'envoie rien" in run(scenario())["reason"]
    assert Round.objects.get().workshop.phase == "lobby"


def test_the_facilitator_drives_every_room_at_once(live_workshop):
    session = facilitator_cookie(live_workshop)

    async def scenario():
        panel, *_ = await connect(f"/ws/animation/{live_workshop.pk}/", session)
        await receive(panel, "state")
        rooms = []
        for room in (live_workshop.room_a, live_workshop.room_b):
            communicator, *_ = await connect(f"/ws/presentateur/{room.presenter_secret}/")
            await receive(communicator, "state")
            rooms.append(communicator)
        await panel.send_json_to({"type": "command", "command": "next_step"})
        new_states = [await receive(c, "state") for c in [panel, *rooms]]
        await panel.send_json_to({"type": "command", "command": "reveal"})
        refusal = await receive(panel, "error")
        for communicator in [panel, *rooms]:
            await communicator.disconnect()
        return new_states, refusal

    states, refusal = run(scenario())
    assert [s["phase"] for s in states] == ["slide", "slide", "slide"]
    assert "n'est pas possible" in refusal["reason"]


async def shown(communicator) -> dict:
    """The next message that changes what the screen shows (not a count)."""
    while True:
        message = await receive(communicator)
        if message["type"] not in ("presence", "tally"):
            return message


def test_a_screen_takes_its_messages_without_a_task_for_each(live_workshop):
    """A projector told thirty times: Channels' own loop makes a task to take each next
    message from the channel layer (a thousand phones told of a reveal: a thousand tasks
    more on the votes' event loop); the consumers' loop (consumers.serve) keeps one."""
    group = live.workshop_group(live_workshop.pk)

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        taking = []

        def counting(loop, coroutine, **kwargs):
            if coroutine.__qualname__ == "RedisChannelLayer.receive":
                taking.append(coroutine)
            return asyncio.Task(coroutine, loop=loop, **kwargs)

        communicator, connected, _ = await connect(
            f"/ws/presentateur/{live_workshop.room_a.presenter_secret}/"
        )
        assert connected
        await receive(communicator, "state")
        loop.set_task_factory(counting)
        layer = get_channel_layer()
        for n in range(30):
            await layer.group_send(group, {"type": "presence.update", "rooms": {"n": n}})
        told = [(await receive(communicator, "presence"))["rooms"]["n"] for _ in range(30)]
        loop.set_task_factory(None)
        await communicator.disconnect()
        assert told == list(range(30))
        return len(taking)

    assert run(scenario()) <= 1


def test_every_screen_is_sent_the_close_and_the_reveal_alone(live_workshop):
    """After the close and the reveal commands, each phone and projector gets what changes
    (snapshots.close_news, reveal_news): its own room's split, then the models; the panel
    the same with its new commands; a room of another workshop gets nothing."""
    for name in DUEL_WALK:
        transition(live_workshop.pk, name)
    round_id = Round.objects.get().pk
    header, voter_seat = phone_cookie(live_workshop.room_a)
    live.cast_vote(voter_seat.participant.pk, live.Ballot(round_id, "a", {}, "", "", "v1"))
    live.cast_vote(
        phone(live_workshop.room_b).participant.pk, live.Ballot(round_id, "b", {}, "", "", "v2")
    )
    session = facilitator_cookie(live_workshop)
    elsewhere = Organisation.objects.create(name="Ailleurs", slug="ailleurs")
    other_workshop = Workshop.objects.create(
        organisation=elsewhere, script=live_workshop.script, title="Ailleurs"
    )
    outsider = Room.objects.create_with_code(workshop=other_workshop, name="Salle")

    async def scenario():
        panel, *_ = await connect(f"/ws/animation/{live_workshop.pk}/", session)
        screens = [panel]
        for room in (live_workshop.room_a, live_workshop.room_b):
            screens.append((await connect(f"/ws/presentateur/{room.presenter_secret}/"))[0])
        screens.append((await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header))[0])
        other, *_ = await connect(f"/ws/presentateur/{outsider.presenter_secret}/")
        for communicator in (*screens, other):
            await receive(communicator, "state")
        got = {}
        for command in ("close_vote", "reveal"):
            await panel.send_json_to({"type": "command", "command": command})
            got[command] = [await shown(c) for c in screens]
        nothing = await other.receive_nothing(timeout=0.5)
        for communicator in (*screens, other):
            await communicator.disconnect()
        return got, nothing

    got, nothing = run(scenario())
    for command, phase in (("close_vote", "vote_closed"), ("reveal", "reveal")):
        for news in got[command]:
            assert news["type"] == "change" and news["round"] == round_id
            assert news["phase"] == phase
    (panel, here, there, voter) = got["close_vote"]
    assert panel["allowed"] == ["next_step", "previous_step", "reveal"]
    assert panel["round_changes"]["tally"]["total"] | {"hands": 0} == {
        "a": 1,
        "b": 1,
        "both_equal": 0,
        "total": 2,
        "hands": 0,
    }
    assert (
        here["round_changes"]["tally"]["room"]["a"]
        == 1
        == there["round_changes"]["tally"]["room"]["b"]
    )
    assert here["round_changes"]["tally"]["room"]["b"] == 0
    assert voter["round_changes"] == here["round_changes"] and "allowed" not in voter
    (panel, here, there, voter) = got["reveal"]
    # One vote each: a tie, which the panel is offered to settle for the finale.
    assert panel["allowed"] == [
        "next_step",
        "previous_step",
        "finalists_a",
        "finalists_b",
        "finalists_ab",
    ]
    assert panel["can_ask_live"] and panel["tie"]["duel"] == "Duel n°1"
    for news in (here, there, voter):
        assert news["round_changes"] == panel["round_changes"] and "allowed" not in news
    assert panel["round_changes"]["reveal"]["a"]["model"]
    assert nothing


def test_a_reveal_that_cannot_be_read_sends_every_screen_its_whole_state(
    live_workshop, monkeypatch
):
    """The reveal is committed; if what it changes cannot be read right after (the database
    gone a moment), the screens are told of a change and read their whole state: no screen
    is left on the closed vote, and the facilitator's command is not refused."""

    def unreadable(round_):
        raise DatabaseError("gone a moment")

    monkeypatch.setattr(snapshots, "reveal_news", unreadable)
    for name in [*DUEL_WALK, "close_vote"]:
        transition(live_workshop.pk, name)
    header, _ = phone_cookie(live_workshop.room_a)
    session = facilitator_cookie(live_workshop)

    async def scenario():
        panel, *_ = await connect(f"/ws/animation/{live_workshop.pk}/", session)
        await receive(panel, "state")
        voter, *_ = await connect(f"/ws/salle/{live_workshop.room_a.join_code}/", header)
        await receive(voter, "state")
        await panel.send_json_to({"type": "command", "command": "reveal"})
        got = [await shown(c) for c in (panel, voter)]
        for communicator in (panel, voter):
            await communicator.disconnect()
        return got

    for state in run(scenario()):
        assert state["type"] == "state" and state["phase"] == "reveal"
        assert state["round"]["reveal"]["a"]["model"]
    assert Round.objects.get().revealed_at is not None
