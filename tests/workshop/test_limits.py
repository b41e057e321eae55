"""Floods are refused: new participants per address, messages per WebSocket."""

import asyncio
import time
import uuid
from types import SimpleNamespace

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from config.asgi import application
from tests.live_fixtures import phone
from workshop import limits
from workshop.limits import TokenBucket
from workshop.models import Participant
from workshop.participants import COOKIE


def test_a_bucket_allows_a_burst_then_a_steady_rate():
    now = [0.0]
    bucket = TokenBucket(capacity=3, rate=1, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 1.0
    assert bucket.take() and not bucket.take()


@pytest.mark.django_db
def test_too_many_new_participants_from_one_address_wait_a_minute(client, live_workshop, settings):
    settings.JOINS_PER_ADDRESS_PER_MINUTE = 2
    room = live_workshop.room_b
    url = reverse("join", args=[room.join_code])
    # An address of this run's own: the counts live in Redis for a minute.
    addresses = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}"}
    for _ in range(2):
        client.cookies.clear()
        assert client.get(url, **addresses).status_code == 200
    returning = client.cookies[COOKIE].value
    client.cookies.clear()
    refused = client.get(url, **addresses)
    assert refused.status_code == 429 and "réessayez" in refused.content.decode()
    assert Participant.objects.filter(room=room).count() == 2
    client.cookies[COOKIE] = returning  # a phone coming back is not a new arrival
    assert client.get(url, **addresses).status_code == 200
    client.cookies.clear()
    assert client.get(url, REMOTE_ADDR=f"2001:db8::{uuid.uuid4().hex[:4]}:1").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_messages_is_refused(live_workshop, settings):
    settings.WEBSOCKET_BURST = 5
    settings.WEBSOCKET_MESSAGES_PER_SECOND = 1
    joined = phone(live_workshop.room_a)

    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            f"/ws/salle/{live_workshop.room_a.join_code}/",
            headers=[
                (b"origin", b"http://127.0.0.1:8000"),
                (b"cookie", f"{COOKIE}={joined.token}".encode()),
            ],
        )
        await communicator.connect(timeout=5)
        await communicator.receive_json_from(timeout=5)
        reasons = []
        for _ in range(8):
            await communicator.send_json_to({"type": "ping"})
            reasons.append((await communicator.receive_json_from(timeout=5))["reason"])
        await communicator.disconnect()
        return reasons

    reasons = asyncio.run(scenario())
    assert reasons[:5] == [reasons[0]] * 5 and "ralentissez" not in reasons[0]
    assert all("ralentissez" in reason for reason in reasons[5:])


@pytest.mark.django_db
def test_a_join_is_let_in_when_redis_cannot_count_it(client, live_workshop, settings, caplog):
    """The join limit is a guard, not a gate: with Redis unreachable the phone joins (and
    the failure is logged) rather than getting a server error."""
    from duels import concurrency

    settings.JOINS_PER_ADDRESS_PER_MINUTE = 1
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    concurrency.client.cache_clear()
    try:
        url = reverse("join", args=[live_workshop.room_b.join_code])
        response = client.get(url, REMOTE_ADDR=f"2001:db8::{uuid.uuid4().hex[:4]}")
    finally:
        concurrency.client.cache_clear()
    assert response.status_code == 200
    assert Participant.objects.filter(room=live_workshop.room_b).count() == 1
    assert "join not counted: Redis unavailable" in caplog.text


@pytest.mark.parametrize(
    "failure",
    [
        ValueError("I/O operation on closed file."),
        AttributeError("'NoneType' object has no attribute 'readline'"),
    ],
)
def test_a_join_is_let_in_when_redis_py_fails_with_a_socket_error(
    client, live_workshop, settings, caplog, monkeypatch, failure
):
    """redis-py lets some socket failures through as they are (seen under load: a
    connection closed under it while connecting, ValueError "I/O operation on closed
    file"; and its reply buffer gone while it read the handshake, AttributeError): the
    phone still joins, as with Redis away. A fault a real Redis does not make on demand:
    the limiter's script call raises it."""
    from redis import Redis

    def closed_under_it(self, *args, **kwargs):
        raise failure

    settings.JOINS_PER_ADDRESS_PER_MINUTE = 1
    monkeypatch.setattr(Redis, "eval", closed_under_it)
    url = reverse("join", args=[live_workshop.room_b.join_code])
    response = client.get(url, REMOTE_ADDR=f"2001:db8::{uuid.uuid4().hex[:4]}")
    assert response.status_code == 200
    assert Participant.objects.filter(room=live_workshop.room_b).count() == 1
    assert "join not counted: Redis unavailable" in caplog.text


def own_address() -> str:
    """An address of this run's own: the buckets live in Redis for a minute."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, moved by the test: [seconds], at the start of a minute."""
    now = [60.0 * (int(time.time()) // 60)]
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.mark.django_db
def test_joins_across_a_minute_boundary_are_refused_the_second_time(settings, clock):
    """A full quota just before a minute turns, then another just after: with a count per
    clock minute both passed (343 joins in 6 s); the window slides, so the second waits."""
    settings.JOINS_PER_ADDRESS_PER_MINUTE = 20
    address, minute = own_address(), clock[0]
    clock[0] = minute + 59
    assert all(limits.allow_join(address) for _ in range(20))
    clock[0] = minute + 61
    # Two seconds refill 20 × 2/60 of a join: none yet.
    assert not any(limits.allow_join(address) for _ in range(20))
    # The quota comes back evenly over the minute, not all at once.
    clock[0] = minute + 62
    assert [limits.allow_join(address) for _ in range(2)] == [True, False]
    clock[0] = minute + 62 + 60
    assert all(limits.allow_join(address) for _ in range(20))


@pytest.mark.django_db
def test_codes_that_name_no_room_are_counted_against_their_own_tighter_limit(settings, clock):
    settings.JOINS_PER_ADDRESS_PER_MINUTE = 300
    settings.JOIN_FAILURES_PER_ADDRESS_PER_MINUTE = 5
    address, start = own_address(), clock[0]
    assert [limits.allow_join(address, failed=True) for _ in range(6)] == [*[True] * 5, False]
    # An address that guessed too much is refused a right code too, for a while.
    clock[0] = start + 1
    assert not limits.allow_join(address)
    assert limits.allow_join(own_address())
    clock[0] = start + 13  # one failure's worth refilled (60/5 s)
    assert limits.allow_join(address)
