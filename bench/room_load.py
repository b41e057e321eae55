"""A hall full of phones against a running platform: joins, one vote each, the reveal.

    .venv/bin/python bench/room_load.py --base-url http://127.0.0.1:8001 \\
        --base-url http://127.0.0.1:8002 --phones 1000 --rooms 1 [--workshops 1] [--window 5]

It starts nothing: the platform runs already (bench/production.py starts the production
setup on this machine). Through the platform's own database it creates an organisation,
a facilitator, and `--workshops` workshops of `--rooms` rooms, each at a duel whose two
answers are there. Then, for each workshop, `--phones` phones (spread over its rooms):

- join over HTTP (GET /j/<code>/, the cookie the platform sets) and open their WebSocket
  with that cookie; one presenter screen per room and the facilitator's panel (with a
  session of the facilitator) connect too;
- the facilitator opens the vote; every phone votes once, at a random moment within
  `--window` seconds of the opening, and waits for the acknowledgement;
- when every phone has its answer, the facilitator closes the vote and reveals.

With several `--base-url`, phones take them in turn (as a load balancer would); a phone
whose connection drops reconnects to the next one and sends its unacknowledged vote again
(same client id: the platform stores one vote per phone and round).

It prints one JSON object: join times, `open_ms` (from the command opening the vote to
each phone's seeing it open), vote acknowledgement latency (ms: p50, p95, p99, max),
`tally_ms` (from the last vote sent to the moment every presenter shows the right count),
`reveal_ms` (from the reveal command to each phone's reveal screen), the counts `sent`,
`acked`, `refused` and `stored` (votes in the database), and whether each presenter's
split after the close equals the acknowledged votes. Every wait is bounded. Latencies end
when the kernel received the message on the phone's socket (StampedSocket,
TimedConnection); the harness's own delay in reading it is reported apart
(`harness_lag_ms`).
"""

import argparse
import asyncio
import collections
import contextlib
import functools
import gc
import json
import os
import random
import resource
import secrets
import socket
import struct
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.frames import DATA_OPCODES

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from production import production_env  # noqa: E402

COOKIE = "duels_participant"
CONNECT_TIMEOUT = 30
STEP_TIMEOUT = 60
VOTE_ATTEMPTS = 20
RETRY_DELAY = 0.5
# A screen's phase comes with its whole state, or with a change (a close, a reveal, which
# carries only what it changes: workshop/snapshots.change_texts).
SHOWN_PHASE = ("state", "change")

ANSWER = """Les centres de données consomment de l'électricité pour **calculer** et pour se
**refroidir** : les processeurs chauffent, et il faut évacuer cette chaleur.

1. Les serveurs tournent jour et nuit.
2. La climatisation et l'eau servent à les garder à bonne température.
3. Plus un modèle est grand, plus chaque réponse demande de calculs.

| Poste | Part |
|---|---|
| Calcul | la plus grande |
| Refroidissement | une part importante |

En résumé : *une réponse courte d'un petit modèle coûte bien moins qu'une longue réponse
d'un très grand modèle*.
"""


# Setting up, through the platform's own database -------------------------------------------


@dataclass
class RoomPlan:
    id: int
    join_code: str
    presenter_secret: str


@dataclass
class WorkshopPlan:
    id: int
    round_id: int
    rooms: list[RoomPlan]


def setup_django() -> None:
    os.environ.update(production_env())
    import django

    django.setup()


def create_workshops(workshops: int, rooms: int, phones: int) -> tuple[str, list[WorkshopPlan]]:
    """An organisation, its facilitator (a session cookie) and workshops at a duel's answers."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from duels.generation import paste
    from duels.models import AIModel, Generation, Prompt
    from workshop import live
    from workshop.models import Membership, Organisation, Role, Room, Round, Script, Step, Workshop

    run = uuid.uuid4().hex[:8]
    org = Organisation.objects.create(name=f"Banc d'essai {run}", slug=f"bench-{run}")
    user = get_user_model().objects.create_user(
        username=f"bench-{run}", password=secrets.token_urlsafe(24)
    )
    Membership.objects.create(user=user, organisation=org, role=Role.ADMIN)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    models = list(AIModel.objects.enabled().filter(total_params_b__isnull=False)[:2])
    prompt = Prompt.objects.first()
    if len(models) < 2 or prompt is None:
        sys.exit("the catalogue is empty: run `manage.py load_defaults` on the platform first")
    script = Script.objects.create(organisation=org, slug=f"bench-{run}", title="Banc d'essai")
    step = Step.objects.create(
        script=script,
        order=1,
        kind=Step.Kind.DUEL,
        title="Duel du banc d'essai",
        prompt=prompt,
        model_a=models[0],
        model_b=models[1],
    )
    answers = [paste(Generation(model=m, prompt=prompt, text=ANSWER)) for m in models]
    per_room = -(-phones // rooms)
    plans = []
    for index in range(workshops):
        workshop = Workshop.objects.create(
            organisation=org, script=script, title=f"Banc d'essai {run} n°{index + 1}"
        )
        room_rows = [
            Room.objects.create_with_code(
                workshop=workshop, name=f"Salle {r + 1}", capacity=per_room
            )
            for r in range(rooms)
        ]
        round_ = Round.objects.create(
            workshop=workshop, step=step, generation_a=answers[0], generation_b=answers[1]
        )
        for command in ("next_step", "show_question", "show_answers", "skip_replay"):
            live.transition(workshop.pk, command)
        plans.append(
            WorkshopPlan(
                workshop.pk,
                round_.pk,
                [RoomPlan(r.pk, r.join_code, r.presenter_secret) for r in room_rows],
            )
        )
    return session.session_key, plans


def stored_votes(round_ids: list[int]) -> int:
    from workshop.models import Vote

    return Vote.objects.filter(round_id__in=round_ids).count()


# The screens ---------------------------------------------------------------------------------


def ws_url(base: str, path: str) -> str:
    return base.replace("http", "ws", 1).rstrip("/") + path


# Linux: a socket option and the ancillary message that carry the moment the kernel
# received a packet (socket(7), SO_TIMESTAMP), as seconds and microseconds.
SO_TIMESTAMP = SCM_TIMESTAMP = 29
TIMEVAL = struct.Struct("qq")


class StampedSocket(socket.socket):
    """A TCP socket that says when the kernel received the last bytes each read returns
    (SO_TIMESTAMP): the moment they reached the phone, whatever this process was busy
    with. asyncio reads a protocol's socket with `recv`; here it is a `recvmsg`."""

    arrived: float | None = None  # time.time() of the last packet read

    def recv(self, size: int, flags: int = 0) -> bytes:
        data, ancillary, _, _ = self.recvmsg(size, socket.CMSG_SPACE(TIMEVAL.size), flags)
        self.arrived = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMP:
                seconds, microseconds = TIMEVAL.unpack(payload[: TIMEVAL.size])
                self.arrived = seconds + microseconds / 1e6
        return data


async def open_stamped_socket(url: str) -> StampedSocket:
    address = urlsplit(url)
    sock = StampedSocket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (address.hostname, address.port))
    except BaseException:
        sock.close()
        raise
    return sock


class TimedConnection(ClientConnection):
    """A simulated phone's socket that notes when each message arrived.

    A thousand phones live in this one process: a burst of states (a reveal) is read by
    the harness one after the other, the last a hundred milliseconds or more after it
    arrived. That wait is the harness's, not the platform's (a real phone reads its one
    message at once): latencies are measured to the moment the kernel received the
    message's last frame (StampedSocket), and the harness's own delay, from then to its
    reading the message, is reported apart (`harness_lag_ms`). Where the kernel gave no
    moment, the moment the harness read the bytes stands for it (counted: `unstamped`)."""

    unstamped = 0  # reads without the kernel's moment, over all connections

    def __init__(self, *args, stamped: StampedSocket, **kwargs):
        super().__init__(*args, **kwargs)
        self.stamped = stamped
        self.arrivals: collections.deque[float] = collections.deque()
        self.data_at = 0.0

    def data_received(self, data: bytes) -> None:
        now, arrived = time.monotonic(), self.stamped.arrived
        if arrived is None:
            TimedConnection.unstamped += 1
            self.data_at = now
        else:
            self.data_at = min(now, arrived - (time.time() - now))
        super().data_received(data)

    def process_event(self, event) -> None:
        if self.response is not None and event.opcode in DATA_OPCODES and event.fin:
            self.arrivals.append(self.data_at)
        super().process_event(event)


class Screen:
    """One WebSocket screen: it connects (to the next base URL after a drop) and keeps the
    latest state; what it receives is timestamped when it arrived (TimedConnection)."""

    def __init__(self, bases: list[str], first: int, path: str, cookie: str):
        self.bases, self.index, self.path, self.cookie = bases, first, path, cookie
        self.socket = None
        self.phase = None
        self.reconnects = 0
        self.errors: list[str] = []
        self.waiters: list[tuple[callable, asyncio.Future]] = []
        self.lags: list[float] = []  # from a message's arrival to the harness reading it

    @property
    def origin(self) -> str:
        return self.bases[self.index % len(self.bases)]

    async def connect(self) -> None:
        stamped = await asyncio.wait_for(open_stamped_socket(self.origin), CONNECT_TIMEOUT)
        self.socket = await websockets.connect(
            ws_url(self.origin, self.path),
            sock=stamped,
            additional_headers={"Cookie": self.cookie, "Origin": self.origin},
            open_timeout=CONNECT_TIMEOUT,
            max_size=2**22,
            ping_interval=None,
            create_connection=functools.partial(TimedConnection, stamped=stamped),
        )
        self.reader = asyncio.ensure_future(self.read())

    async def reconnect(self) -> None:
        self.reconnects += 1
        self.index += 1
        for attempt in range(10):
            try:
                await self.connect()
                return
            except (TimeoutError, OSError, websockets.InvalidHandshake):
                await asyncio.sleep(0.2 * (attempt + 1))
        raise ConnectionError(f"no server took {self.path} back")

    async def read(self) -> None:
        try:
            async for frame in self.socket:
                arrived, read_at = self.socket.arrivals.popleft(), time.monotonic()
                self.lags.append(read_at - arrived)
                self.received(json.loads(frame), arrived, read_at)
        except websockets.ConnectionClosed:
            pass
        self.closed()

    def closed(self) -> None:
        for _, future in self.waiters:
            if not future.done():
                future.set_exception(ConnectionError("closed"))
        self.waiters = []

    def received(self, message: dict, at: float, read_at: float) -> None:
        if message.get("type") in SHOWN_PHASE:
            self.phase = message["phase"]
        elif message.get("type") == "error":
            self.errors.append(message.get("reason", ""))
        for test, future in list(self.waiters):
            if not future.done() and test(message):
                future.set_result((message, at, read_at))
                self.waiters.remove((test, future))

    def expect(self, test) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((test, future))
        return future

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def is_state(phase: str):
    return lambda message: message.get("type") in SHOWN_PHASE and message.get("phase") == phase


class Phone(Screen):
    def __init__(self, bases, first, room: RoomPlan, token: str):
        super().__init__(bases, first, f"/ws/salle/{room.join_code}/", f"{COOKIE}={token}")
        self.room = room
        self.choice = random.choice(["a", "b", "both_equal"])  # noqa: S311 - not a secret
        self.client_id = uuid.uuid4().hex
        self.due_at = None  # its random moment to vote (it waits for the opening, if later)
        self.opened_at = self.sent_at = self.acked_at = None
        self.reveal_at = self.reveal_read_at = None
        self.refused = ""
        self.retries = 0

    async def vote(self, round_id: int) -> None:
        """Send the vote until it is acknowledged or refused; re-send after a drop."""
        message = {
            "type": "vote",
            "round": round_id,
            "choice": self.choice,
            "client_id": self.client_id,
        }
        for _attempt in range(VOTE_ATTEMPTS):
            answer = self.expect(lambda m: m.get("client_id") == self.client_id)
            try:
                if self.sent_at is None:
                    self.sent_at = time.monotonic()
                await self.send(message)
                reply, at, _ = await asyncio.wait_for(answer, STEP_TIMEOUT)
            except (ConnectionError, websockets.ConnectionClosed):
                await self.reconnect()
                continue
            if reply["type"] == "vote.ack":
                self.acked_at = at
                return
            if reply.get("retry"):
                # Not stored for a passing reason: the same vote again, a moment later.
                self.retries += 1
                await asyncio.sleep(RETRY_DELAY)
                continue
            self.refused = reply.get("reason", "refused")
            return
        self.refused = "no answer after reconnecting"


class Presenter(Screen):
    def __init__(self, bases, first, room: RoomPlan):
        super().__init__(bases, first, f"/ws/presentateur/{room.presenter_secret}/", "")
        self.room = room
        self.counts: list[tuple[float, int, int]] = []  # (when, room's count, workshop's)
        self.split = None
        self.as_of = 0  # when the count shown was read: older news is not shown (live.js)

    def received(self, message, at, read_at):
        # The running count, while the vote is open (the split after the close is apart).
        if message.get("type") == "tally":
            tally = message
        elif message.get("type") == "change":
            tally = message["round_changes"].get("tally")
        else:
            tally = (message.get("round") or {}).get("tally")
        if tally and tally.get("room") is not None:
            if message.get("phase") in ("vote_closed", "reveal"):
                self.split = tally["room"]
            elif tally["as_of"] >= self.as_of:
                self.as_of = tally["as_of"]
                self.counts.append((at, tally["room"]["total"], tally["total"]["total"]))
        super().received(message, at, read_at)

    def correct_since(self, room_total: int, workshop_total: int) -> float | None:
        """When this screen last started showing the right counts (None: it does not)."""
        since = None
        for at, here, everywhere in self.counts:
            right = (here, everywhere) == (room_total, workshop_total)
            since = (since or at) if right else None
        return since


# The run -------------------------------------------------------------------------------------


def join(base: str, code: str) -> tuple[str, float]:
    started = time.monotonic()
    response = requests.get(f"{base}/j/{code}/", timeout=CONNECT_TIMEOUT, allow_redirects=False)
    response.raise_for_status()
    return response.cookies[COOKIE], (time.monotonic() - started) * 1000


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None, "count": 0}
    ordered = sorted(values)

    def at(share):
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 1),
        "count": len(ordered),
    }


@dataclass
class Run:
    plan: WorkshopPlan
    facilitator: Screen
    presenters: list[Presenter]
    phones: list[Phone] = field(default_factory=list)
    open_sent_at: float | None = None
    reveal_sent_at: float | None = None


async def play(run: Run, window: float) -> None:
    """Open the vote, let every phone vote within the window, close, reveal."""
    opened = [phone.expect(is_state("vote_open")) for phone in run.phones]
    run.open_sent_at = time.monotonic()
    await run.facilitator.send({"type": "command", "command": "open_vote"})
    started = time.monotonic()

    async def vote(phone: Phone, opened: asyncio.Future):
        await asyncio.sleep(random.uniform(0, window))  # noqa: S311 - not a secret
        phone.due_at = time.monotonic()
        # It may have missed the broadcast while reconnecting: the vote's answer says.
        with contextlib.suppress(TimeoutError, ConnectionError):
            _, phone.opened_at, _ = await asyncio.wait_for(opened, STEP_TIMEOUT)
        await phone.vote(run.plan.round_id)

    await asyncio.wait_for(
        asyncio.gather(*(vote(p, o) for p, o in zip(run.phones, opened, strict=True))),
        window + STEP_TIMEOUT * 2,
    )
    run.voting_s = time.monotonic() - started
    # Every presenter must show the right count before the close is sent.
    await settle(run)
    closed = run.facilitator.expect(is_state("vote_closed"))
    splits = [p.expect(is_state("vote_closed")) for p in run.presenters]
    await run.facilitator.send({"type": "command", "command": "close_vote"})
    await asyncio.wait_for(asyncio.gather(closed, *splits), STEP_TIMEOUT)
    revealed = [phone.expect(is_state("reveal")) for phone in run.phones]
    run.reveal_sent_at = time.monotonic()
    await run.facilitator.send({"type": "command", "command": "reveal"})
    for phone, future in zip(run.phones, revealed, strict=True):
        try:
            _, phone.reveal_at, phone.reveal_read_at = await asyncio.wait_for(future, STEP_TIMEOUT)
        except (TimeoutError, ConnectionError):
            phone.reveal_at = phone.reveal_read_at = None


async def settle(run: Run, timeout: float = 10) -> None:
    """Wait (bounded) until every presenter shows the acknowledged counts."""
    run.expected = expected_counts(run)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(p.correct_since(*run.expected[p.room.id]) is not None for p in run.presenters):
            return
        await asyncio.sleep(0.05)


def expected_counts(run: Run) -> dict[int, tuple[int, int]]:
    acked = [phone for phone in run.phones if phone.acked_at is not None]
    return {
        room.id: (sum(1 for p in acked if p.room.id == room.id), len(acked))
        for room in run.plan.rooms
    }


async def join_all(bases: list[str], rooms: list[RoomPlan], concurrency: int) -> list:
    """A phone joined to each room given, over HTTP, taking the base URLs in turn: a pool
    of threads stands for phones arriving together. Each phone's (cookie, join time)."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(concurrency) as pool:
        return await asyncio.gather(
            *(
                loop.run_in_executor(pool, join, bases[i % len(bases)], room.join_code)
                for i, room in enumerate(rooms)
            )
        )


async def connect_all(screens: list[Screen]) -> None:
    """Every screen connected, a hundred at a time, and with its first state."""
    initial = [screen.expect(lambda m: m.get("type") == "state") for screen in screens]
    for batch in range(0, len(screens), 100):
        await asyncio.gather(*(s.connect() for s in screens[batch : batch + 100]))
    await asyncio.wait_for(asyncio.gather(*initial), STEP_TIMEOUT)


async def main_async(args, session_key: str, plans: list[WorkshopPlan]) -> dict:
    bases = args.base_url
    runs = []
    for w, plan in enumerate(plans):
        facilitator = Screen(bases, w, f"/ws/animation/{plan.id}/", f"sessionid={session_key}")
        presenters = [Presenter(bases, w + r, room) for r, room in enumerate(plan.rooms)]
        runs.append(Run(plan, facilitator, presenters))

    # Joins, over HTTP: a pool of threads stands for phones arriving together.
    started = time.monotonic()
    seats = [
        (run, run.plan.rooms[i % len(run.plan.rooms)]) for run in runs for i in range(args.phones)
    ]
    joined = await join_all(bases, [room for _, room in seats], args.join_concurrency)
    join_s = time.monotonic() - started
    for i, ((run, room), (token, _)) in enumerate(zip(seats, joined, strict=True)):
        run.phones.append(Phone(bases, i, room, token))

    started = time.monotonic()
    screens = [s for run in runs for s in (run.facilitator, *run.presenters, *run.phones)]
    await connect_all(screens)
    connect_s = time.monotonic() - started
    # Two thousand sockets' objects, alive to the end: out of the collector's sight, so
    # that its full collections do not stop the harness in the middle of a measurement
    # (as config/collector.py does for the platform's processes).
    gc.collect()
    gc.freeze()

    await asyncio.gather(*(play(run, args.window) for run in runs))

    phones = [phone for run in runs for phone in run.phones]
    acked = [p for p in phones if p.acked_at is not None]
    last_sent = {id(run): max(p.sent_at for p in run.phones) for run in runs}
    tally = []
    tally_wrong = []  # presenters left on a wrong count: what they showed, what was right
    splits_right = True
    for run in runs:
        counts = run.expected
        for presenter in run.presenters:
            since = presenter.correct_since(*counts[presenter.room.id])
            tally.append(None if since is None else max(0.0, since - last_sent[id(run)]) * 1000)
            if since is None:
                shown = [c[1:] for c in presenter.counts[-3:]]
                tally_wrong.append({"expected": counts[presenter.room.id], "last_shown": shown})
            votes = [
                p for p in run.phones if p.acked_at is not None and p.room.id == presenter.room.id
            ]
            want = {c: sum(1 for p in votes if p.choice == c) for c in ("a", "b", "both_equal")}
            got = {c: (presenter.split or {}).get(c) for c in want}
            splits_right &= want == got
    reveal, reveal_read = [], []
    for run in runs:
        for p in run.phones:
            if p.reveal_at is not None:
                reveal.append((p.reveal_at - run.reveal_sent_at) * 1000)
                reveal_read.append((p.reveal_read_at - run.reveal_sent_at) * 1000)
    reveal_500 = sum(1 for ms in reveal if ms <= 500) / len(phones)
    for screen in screens:
        await screen.close()
    return {
        "phones": len(phones),
        "workshops": len(runs),
        "rooms_per_workshop": len(plans[0].rooms),
        "window_s": args.window,
        "base_urls": bases,
        "join_s": round(join_s, 2),
        "join_ms": percentiles([ms for _, ms in joined]),
        "connect_s": round(connect_s, 2),
        "voting_s": round(max(run.voting_s for run in runs), 2),
        "sent": sum(1 for p in phones if p.sent_at is not None),
        "acked": len(acked),
        "refused": sum(1 for p in phones if p.refused),
        "refusals": sorted({p.refused for p in phones if p.refused})[:5],
        "open_ms": percentiles(
            [
                (p.opened_at - run.open_sent_at) * 1000
                for run in runs
                for p in run.phones
                if p.opened_at
            ]
        ),
        "ack_ms": percentiles([(p.acked_at - p.sent_at) * 1000 for p in acked]),
        # The votes whose phone's moment to vote came before the vote's opening reached it:
        # sent as it arrived, while it was still reaching the others.
        "ack_ms_at_opening": percentiles(
            [
                (p.acked_at - p.sent_at) * 1000
                for p in acked
                if p.opened_at is not None and p.due_at < p.opened_at
            ]
        ),
        "tally_ms": None if None in tally else round(max(tally), 1),
        "tally_correct": None not in tally,
        "tally_wrong": tally_wrong[:5],
        "split_correct": splits_right,
        "reveal_ms": percentiles(reveal),
        "reveal_within_500ms": round(reveal_500, 4),
        "reveal_read_ms": percentiles(reveal_read),
        "harness_lag_ms": percentiles([lag * 1000 for s in screens for lag in s.lags]),
        "unstamped_reads": TimedConnection.unstamped,
        "reconnects": sum(s.reconnects for s in screens),
        "retries": sum(p.retries for p in phones),
    }


def python_speed_s() -> float:
    """How fast this machine runs Python, to compare runs on machines of the same kind:
    seconds for ten million additions, the best of three (bench/RESULTS.md: machines of
    one kind, and one machine over an evening, differed by up to four times)."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for n in range(10_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def raise_open_files_limit() -> None:
    """A thousand sockets and more: this process's own limit, as far as it may go."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url",
        action="append",
        required=True,
        help="a web process of the platform (repeat for several)",
    )
    parser.add_argument("--phones", type=int, default=100, help="phones per workshop")
    parser.add_argument("--rooms", type=int, default=1, help="rooms per workshop")
    parser.add_argument("--workshops", type=int, default=1)
    parser.add_argument("--window", type=float, default=5.0, help="seconds in which all vote")
    parser.add_argument("--join-concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    if args.phones < 1 or args.rooms < 1 or args.workshops < 1 or args.window < 0:
        parser.error("--phones, --rooms and --workshops are at least 1; --window at least 0")
    random.seed(args.seed)
    raise_open_files_limit()

    speed = python_speed_s()
    setup_django()
    session_key, plans = create_workshops(args.workshops, args.rooms, args.phones)
    result = asyncio.run(main_async(args, session_key, plans))
    result["stored"] = stored_votes([plan.round_id for plan in plans])
    result["date"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    result["python_speed_s"] = speed
    print(json.dumps(result))


if __name__ == "__main__":
    main()
