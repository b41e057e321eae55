"""Fault drills: what happens on the day, with real web processes and real WebSockets.

Phones are the load harness's own (bench/room_load.py): they join over HTTP, vote over a
WebSocket, and a phone that loses its connection reconnects (to the next web process)
and sends its unacknowledged vote again, as the page's script does. Each drill ends
with the same three counts: every phone acknowledged, the database holding exactly one
vote per phone (the one acknowledged), and the projector showing that count.
(A Celery worker killed during a generation: tests/duels/test_background.py.)
"""

import asyncio
import contextlib
import random
import socket
import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from bench.room_load import Phone, Presenter, RoomPlan, Screen, is_state, join
from tests.servers import RedisServer, WebServer, free_port
from workshop.live import transition
from workshop.models import Round, Vote

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = 24
TO_THE_ANSWERS = ["next_step", "next_step", "show_question", "show_answers"]


def start(tmp_path, count: int = 2, **env) -> list[WebServer]:
    servers = [WebServer(tmp_path / f"daphne-{i}.log", **env).start() for i in range(count)]
    return servers


def plan_of(room) -> RoomPlan:
    return RoomPlan(room.pk, room.join_code, room.presenter_secret)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def phones_for(workshop, bases: list[str]) -> list[Phone]:
    room = workshop.room_b
    room.capacity = PHONES
    room.save()
    phones = []
    for index in range(PHONES):
        token, _ = join(bases[index % len(bases)], room.join_code)
        phones.append(Phone(bases, index, plan_of(room), token))
    return phones


async def connect_all(screens: list[Screen]) -> None:
    states = [screen.expect(lambda m: m.get("type") == "state") for screen in screens]
    for screen in screens:
        await screen.connect()
    await asyncio.wait_for(asyncio.gather(*states), 30)


async def vote_all(phones: list[Phone], round_id: int, window: float) -> None:
    async def vote(phone):
        await asyncio.sleep(random.uniform(0, window))  # noqa: S311 - not a secret
        await phone.vote(round_id)

    await asyncio.wait_for(asyncio.gather(*(vote(p) for p in phones)), 120)


async def presenter_count(presenter: Presenter, expected: int, timeout: float = 15) -> int:
    """The count the projector shows once it settles (bounded wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if presenter.counts and presenter.counts[-1][1] == expected:
            break
        if presenter.socket is None or presenter.socket.state.name == "CLOSED":
            await presenter.reconnect()
        await asyncio.sleep(0.1)
    return presenter.counts[-1][1] if presenter.counts else -1


def assert_nothing_lost(phones: list[Phone], round_id: int) -> None:
    assert [p.refused for p in phones if p.refused] == []
    assert all(p.acked_at is not None for p in phones)
    stored = {vote.client_id: vote.choice for vote in Vote.objects.filter(round_id=round_id)}
    # Exactly one row per phone, holding the vote the phone was told was stored.
    assert stored == {p.client_id: p.choice for p in phones}


async def close_all(screens: list[Screen]) -> None:
    for screen in screens:
        await screen.close()


async def finish(voting: asyncio.Future, presenter: Presenter, screens: list[Screen]) -> int:
    """Every vote answered, then the count the projector settles on; every screen closed."""
    await voting
    shown = await presenter_count(presenter, PHONES)
    await close_all(screens)
    return shown


# A web process killed during the vote ---------------------------------------------------------


def test_a_web_process_killed_during_the_vote_loses_no_vote_and_counts_none_twice(
    live_workshop, tmp_path
):
    for command in [*TO_THE_ANSWERS, "open_vote"]:
        transition(live_workshop.pk, command)
    round_id = Round.objects.get(workshop=live_workshop).pk
    servers = start(tmp_path)
    bases = [server.url for server in servers]
    phones = phones_for(live_workshop, bases)
    presenter = Presenter([bases[1]], 0, plan_of(live_workshop.room_b))

    async def drill():
        await connect_all([presenter, *phones])
        voting = asyncio.ensure_future(vote_all(phones, round_id, window=3))
        await asyncio.sleep(1)
        servers[0].process.kill()  # SIGKILL: no goodbye to anyone
        killed_at = time.monotonic()
        return await finish(voting, presenter, [presenter, *phones]), killed_at

    try:
        shown, killed_at = asyncio.run(drill())
    finally:
        for server in servers:
            server.stop()
    assert_nothing_lost(phones, round_id)
    # The phones of the killed process (every other one) that voted after it died came
    # back through the other process.
    late = [p for p in phones[::2] if p.sent_at > killed_at]
    assert late and all(p.reconnects >= 1 for p in late)
    assert shown == PHONES


# Redis restarted during a round ---------------------------------------------------------------


def test_redis_restarted_during_a_round_loses_no_vote_and_screens_resync(live_workshop, tmp_path):
    redis_server = RedisServer(tmp_path).start()
    servers = start(tmp_path, REDIS_URL=redis_server.url)
    bases = [server.url for server in servers]
    for command in TO_THE_ANSWERS:
        transition(live_workshop.pk, command)
    round_id = Round.objects.get(workshop=live_workshop).pk
    phones = phones_for(live_workshop, bases)
    presenter = Presenter(bases, 0, plan_of(live_workshop.room_b))
    facilitator = Screen(
        bases,
        1,
        f"/ws/animation/{live_workshop.pk}/",
        session_cookie(live_workshop.facilitator_user),
    )

    async def drill():
        await connect_all([facilitator, presenter, *phones])
        opened = [p.expect(is_state("vote_open")) for p in phones]
        await facilitator.send({"type": "command", "command": "open_vote"})
        await asyncio.wait_for(asyncio.gather(*opened), 30)
        voting = asyncio.ensure_future(vote_all(phones, round_id, window=3))
        await asyncio.sleep(1)
        redis_server.stop()  # everything in Redis is gone: groups, queues, flush keys
        await asyncio.sleep(1)
        redis_server.start()
        return await finish(voting, presenter, [facilitator, presenter, *phones])

    try:
        shown = asyncio.run(drill())
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()
    assert_nothing_lost(phones, round_id)
    assert shown == PHONES


# PostgreSQL unreachable for a few seconds -----------------------------------------------------


class CuttableProxy:
    """A TCP relay in front of PostgreSQL whose line the drill cuts: open connections are
    dropped and new ones refused until it is mended (what a network fault looks like)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.cut = threading.Event()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            self.close(end)

    def close(self, end: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(end)
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def sever(self) -> None:
        self.cut.set()
        with self.lock:
            ends = list(self.sockets)
        for end in ends:
            self.close(end)

    def mend(self) -> None:
        self.cut.clear()

    def stop(self) -> None:
        self.sever()
        self.listener.close()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a drill of PostgreSQL's network (CI runs the suite on PostgreSQL too)",
)
def test_postgresql_away_for_seconds_refuses_votes_with_a_retry_and_loses_none(
    live_workshop, tmp_path
):
    for command in [*TO_THE_ANSWERS, "open_vote"]:
        transition(live_workshop.pk, command)
    round_id = Round.objects.get(workshop=live_workshop).pk
    db = connection.settings_dict
    proxy = CuttableProxy(int(db["PORT"] or 5432))
    through_proxy = f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    servers = start(tmp_path, DATABASE_URL=through_proxy, DATABASE_POOL_SIZE="5")
    bases = [server.url for server in servers]
    phones = phones_for(live_workshop, bases)
    presenter = Presenter(bases, 0, plan_of(live_workshop.room_b))

    async def drill():
        await connect_all([presenter, *phones])
        voting = asyncio.ensure_future(vote_all(phones, round_id, window=4))
        await asyncio.sleep(1)
        proxy.sever()
        await asyncio.sleep(3)
        proxy.mend()
        return await finish(voting, presenter, [presenter, *phones])

    try:
        shown = asyncio.run(drill())
    finally:
        for server in servers:
            server.stop()
        proxy.stop()
    assert_nothing_lost(phones, round_id)
    # Some phones voted while the database was away: told to try again, not acknowledged.
    assert sum(p.retries + p.reconnects for p in phones) > 0
    assert shown == PHONES
