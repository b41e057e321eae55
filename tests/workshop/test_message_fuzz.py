"""The WebSocket message schema under arbitrary input (hypothesis): each check returns
well-typed values within its bounds or refuses with a reason, never another error; and
through the real consumers, a phone's and the facilitator's malformed (or, while the vote
is open, refused) messages are each answered with an error, the schema's own reason where
the schema refuses, on a connection that stays open, and nothing is stored."""

import asyncio
import contextlib
import json
import string
import threading

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.asgi import application
from duels.models import Generation, Prompt
from duels.pairs import MODES
from tests.live_fixtures import phone
from workshop import live, messages, participants
from workshop.live import Ballot
from workshop.models import Answer, HandCount, Proposal, Round, Vote, Workshop

# Every field name the schema knows, so that generated messages reach past "unknown field".
FIELDS = [
    "type",
    "round",
    "choice",
    "reasons",
    "comment_a",
    "comment_b",
    "client_id",
    "command",
    "step",
    "text",
    "room",
    "a",
    "b",
    "both_equal",
    "mode",
    "models",
    "proposal",
    "decision",
]
TYPES = ["vote", "answer", "propose", "command", "hands", "live_question", "proposal"]

# Values a real screen sends, and their neighbours across each bound.
PLAUSIBLE = st.sampled_from(
    [
        *Vote.Choice.values,
        *Vote.REASONS,
        *MODES,
        *live.COMMANDS,
        "approve",
        "reject",
        "ask",
        "",
        " ",
        0,
        1,
        -1,
        1000,
        1001,
        100_000,
        100_001,
        2**31 - 1,
        2**31,
        2**63,
        True,
        False,
        1.0,
        float("nan"),
    ]
)
# Any text, lone surrogates and NUL included: "\ud800" is a legal JSON escape.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT | PLAUSIBLE,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | ANY_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)
NUMBER = st.integers() | PLAUSIBLE
CLIENT_IDS = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
REASON_LISTS = st.lists(st.sampled_from(Vote.REASONS), max_size=10)
SLUGS = st.lists(ANY_TEXT | PLAUSIBLE, max_size=3)
MODE = st.sampled_from(MODES) | PLAUSIBLE

# A message of each type as a screen would send it, values drawn near and across bounds...
TEMPLATES = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("vote"),
            "round": NUMBER,
            "choice": st.sampled_from(Vote.Choice.values) | PLAUSIBLE,
            "reasons": st.dictionaries(st.sampled_from(["a", "b"]), REASON_LISTS | JSON),
            "comment_a": ANY_TEXT,
            "comment_b": ANY_TEXT,
            "client_id": CLIENT_IDS | ANY_TEXT,
        }
    ),
    st.fixed_dictionaries({"type": st.just("command"), "command": PLAUSIBLE | ANY_TEXT}),
    st.fixed_dictionaries(
        {"type": st.just("answer"), "step": NUMBER, "choice": st.none() | NUMBER, "text": ANY_TEXT}
    ),
    st.fixed_dictionaries(
        {"type": st.just("hands"), "room": NUMBER, "a": NUMBER, "b": NUMBER, "both_equal": NUMBER}
    ),
    st.fixed_dictionaries(
        {"type": st.just("live_question"), "text": ANY_TEXT, "mode": MODE, "models": SLUGS}
    ),
    st.fixed_dictionaries({"type": st.just("propose"), "text": ANY_TEXT | PLAUSIBLE}),
    st.fixed_dictionaries(
        {
            "type": st.just("proposal"),
            "proposal": NUMBER,
            "decision": st.sampled_from(["approve", "reject", "ask"]) | PLAUSIBLE,
            "mode": MODE,
            "models": SLUGS,
        }
    ),
)
# ... then broken a few ways: a field dropped, replaced by anything, or one more field.
MUTATIONS = st.lists(
    st.tuples(st.sampled_from(FIELDS) | ANY_TEXT, st.none() | JSON | PLAUSIBLE), max_size=3
)


def mutate(message: dict, mutations: list) -> dict:
    message = dict(message)
    for key, value in mutations:
        if value is None and key in message:
            del message[key]
        else:
            message[key] = value
    return message


MESSAGES = st.builds(mutate, TEMPLATES, MUTATIONS)

SCHEMA = [
    messages.ballot,
    messages.command,
    messages.answer,
    messages.hands,
    messages.live_question,
    messages.proposal_text,
    messages.proposal_decision,
]


def storable(text: str) -> bool:
    return not messages.UNSTORABLE.search(text)


def whole(value, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def obeys_bounds(check, value, decoded: bool) -> bool:
    """What each check promises about what it returns. `decoded`: the message came
    through `decode`, so its text is also storable."""
    texts: list[str]
    if check is messages.ballot:
        reasons_ok = isinstance(value.reasons, dict) and set(value.reasons) <= {"a", "b"}
        for names in value.reasons.values():
            reasons_ok = reasons_ok and names and names == sorted(set(names))
            reasons_ok = reasons_ok and all(name in Vote.REASONS for name in names)
        texts = [value.comment_a, value.comment_b, value.client_id]
        ok = (
            isinstance(value, Ballot)
            and whole(value.round_id, 1, messages.MAX_ROUND_ID)
            and value.choice in Vote.Choice.values
            and reasons_ok
            and all(isinstance(text, str) for text in texts)
            and all(len(c) <= messages.MAX_COMMENT for c in texts[:2])
            and all(c == c.strip() for c in texts[:2])
            and messages.CLIENT_ID.match(value.client_id) is not None
        )
    elif check is messages.command:
        texts = [value]
        ok = isinstance(value, str) and len(value) <= 40
    elif check is messages.answer:
        step, choice, text = value
        texts = [text]
        ok = (
            whole(step, 0, 2**31)
            and (choice is None or whole(choice, 0, 1000))
            and isinstance(text, str)
            and len(text) <= messages.MAX_ANSWER
        )
    elif check is messages.hands:
        texts = []
        ok = len(value) == 4 and whole(value[0], 0, 2**31)
        ok = ok and all(whole(count, 0, messages.MAX_HANDS) for count in value[1:])
    elif check is messages.live_question:
        text, mode, models = value
        texts = [text, *models]
        ok = isinstance(text, str) and mode in MODES and len(models) <= 2
        ok = ok and all(isinstance(slug, str) and 0 < len(slug) <= 100 for slug in models)
    elif check is messages.proposal_text:
        texts = [value]
        ok = isinstance(value, str) and len(value) <= 500
    else:
        proposal, decision, mode, models = value
        texts = models
        ok = whole(proposal, 0, 2**31) and decision in ("approve", "reject", "ask")
        ok = ok and mode in MODES and len(models) <= 2
        ok = ok and all(isinstance(slug, str) and 0 < len(slug) <= 100 for slug in models)
    return bool(ok) and (not decoded or all(storable(text) for text in texts))


def refused_with_a_reason(call) -> bool:
    """True if `call` refused with a reason; False if it returned. Any other error fails."""
    try:
        call()
    except messages.Invalid as error:
        assert isinstance(error.reason, str) and error.reason.strip()
        return True
    return False


# The pure functions ----------------------------------------------------------------------


@settings(max_examples=600, deadline=None)
@given(message=MESSAGES, check=st.sampled_from(SCHEMA))
def test_each_check_returns_bounded_values_or_refuses_with_a_reason(message, check):
    result = []
    if not refused_with_a_reason(lambda: result.append(check(message))):
        assert obeys_bounds(check, result[0], decoded=False), result[0]


@settings(max_examples=600, deadline=None)
@given(value=JSON | MESSAGES, check=st.sampled_from(SCHEMA))
def test_a_decoded_frame_is_a_typed_message_of_storable_text_or_refused(value, check):
    frame = json.dumps(value)
    decoded = []
    if refused_with_a_reason(lambda: decoded.append(messages.decode(frame))):
        return
    message = decoded[0]
    assert isinstance(message, dict) and isinstance(message["type"], str)
    result = []
    if not refused_with_a_reason(lambda: result.append(check(message))):
        assert obeys_bounds(check, result[0], decoded=True), result[0]


@settings(max_examples=300, deadline=None)
@given(frame=st.text(max_size=200) | st.binary(max_size=50).map(lambda b: b.decode("latin-1")))
def test_any_text_frame_is_decoded_or_refused(frame):
    result = []
    if not refused_with_a_reason(lambda: result.append(messages.decode(frame))):
        assert isinstance(result[0], dict) and isinstance(result[0]["type"], str)


def test_a_binary_frame_is_refused():
    # Channels gives a binary frame as bytes_data, and text_data=None.
    with pytest.raises(messages.Invalid, match="texte"):
        messages.decode(None)


@settings(max_examples=50, deadline=None)
@given(depth=st.integers(5, 8000), opener=st.sampled_from(["[", '{"a":']))
def test_deep_nesting_is_refused_not_a_recursion_error(depth, opener):
    closer = "]" if opener == "[" else "}"
    frame = '{"type": "vote", "reasons": ' + opener * depth + "1" + closer * depth + "}"
    assume(len(frame) <= messages.MAX_MESSAGE_BYTES)
    with pytest.raises(messages.Invalid, match=messages.TOO_DEEP):
        messages.decode(frame)
    with pytest.raises(messages.Invalid):
        messages.decode(opener * depth + closer * depth)


@settings(max_examples=30, deadline=None)
@given(extra=st.integers(1, 200), filler=st.sampled_from(["x", "é", "€", "😀"]))
def test_a_frame_over_the_byte_limit_is_refused_however_few_its_characters(extra, filler):
    # Counted in bytes: 4,097 "é" are 4,097 characters but 8,194 bytes.
    padding = filler * ((messages.MAX_MESSAGE_BYTES + extra) // len(filler.encode()) + 1)
    frame = json.dumps({"type": "vote", "comment_a": padding}, ensure_ascii=False)
    assert len(frame.encode()) > messages.MAX_MESSAGE_BYTES
    with pytest.raises(messages.Invalid, match="trop long"):
        messages.decode(frame)


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff", "a\\udc80b"])
@pytest.mark.parametrize("where", ["comment_a", "client_id", "key"])
def test_text_that_no_database_stores_is_refused(escape, where):
    body = f'"{escape}": 1' if where == "key" else f'"{where}": "{escape}"'
    with pytest.raises(messages.Invalid, match="caractère interdit"):
        messages.decode('{"type": "vote", "round": 1, "choice": "a", ' + body + "}")


def test_an_astral_character_written_as_a_surrogate_pair_is_kept():
    message = messages.decode('{"type": "propose", "text": "\\ud83d\\ude00 ?"}')
    assert messages.proposal_text(message) == "😀 ?"


@pytest.mark.parametrize("round_id", [0, -1, 2**31, 2**63, 10**30])
def test_a_round_id_beyond_postgresqls_lock_keys_is_refused(round_id):
    # pg_advisory_xact_lock_shared(int, int) has no bigint form: it would raise, not refuse.
    with pytest.raises(messages.Invalid, match="vote sans duel"):
        messages.ballot({"type": "vote", "round": round_id, "choice": "a", "client_id": "x"})


@settings(max_examples=300, deadline=None)
@given(
    round_id=st.integers(1, messages.MAX_ROUND_ID),
    choice=st.sampled_from(Vote.Choice.values),
    reasons=st.dictionaries(st.sampled_from(["a", "b"]), REASON_LISTS),
    comment_a=st.text(max_size=messages.MAX_COMMENT),
    comment_b=st.text(max_size=40),
    client_id=CLIENT_IDS,
)
def test_a_valid_ballot_round_trips(round_id, choice, reasons, comment_a, comment_b, client_id):
    sent = {
        "type": "vote",
        "round": round_id,
        "choice": choice,
        "reasons": reasons,
        "comment_a": comment_a,
        "comment_b": comment_b,
        "client_id": client_id,
    }
    frame = json.dumps(sent, ensure_ascii=False)
    assume(len(frame.encode()) <= messages.MAX_MESSAGE_BYTES)
    assume(storable(comment_a) and storable(comment_b))

    assert messages.ballot(messages.decode(frame)) == Ballot(
        round_id=round_id,
        choice=choice,
        reasons={side: sorted(set(names)) for side, names in reasons.items() if names},
        comment_a=comment_a.strip(),
        comment_b=comment_b.strip(),
        client_id=client_id,
    )


# Through the real consumers -------------------------------------------------------------

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
DUEL_WALK = ["next_step", "next_step", "show_question", "show_answers", "open_vote"]
# What each screen's consumer checks each message type with (workshop/consumers.py).
PHONE_SCHEMA = {
    "vote": messages.ballot,
    "answer": messages.answer,
    "propose": messages.proposal_text,
}
PANEL_SCHEMA = {
    "command": messages.command,
    "hands": messages.hands,
    "live_question": messages.live_question,
    "proposal": messages.proposal_decision,
}
ANY_REASON = object()  # a type the screen may not send: refused, in the consumer's words


def no_raw_surrogate(frame: str) -> bool:
    # A WebSocket text frame is UTF-8: it can carry "\\ud800" escaped, never the character.
    return not any("\ud800" <= character <= "\udfff" for character in frame)


# Well-formed messages that the live rules must refuse while the vote is open: a vote on
# another duel, an unknown command, an answer with no question on screen...
WELL_FORMED = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("vote"),
            "round": st.integers(1, messages.MAX_ROUND_ID),
            "choice": st.sampled_from(Vote.Choice.values),
            "client_id": CLIENT_IDS,
        },
        optional={"reasons": st.dictionaries(st.sampled_from(["a", "b"]), REASON_LISTS)},
    ),
    st.fixed_dictionaries({"type": st.just("command"), "command": st.text(max_size=40)}),
    st.fixed_dictionaries(
        {
            "type": st.just("hands"),
            "room": st.integers(0, 2**31),
            "a": st.integers(0, messages.MAX_HANDS),
            "b": st.integers(0, messages.MAX_HANDS),
            "both_equal": st.integers(0, messages.MAX_HANDS),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("answer"),
            "step": st.integers(0, 2**31),
            "choice": st.none() | st.integers(0, 1000),
            "text": st.text(max_size=messages.MAX_ANSWER),
        }
    ),
    st.fixed_dictionaries({"type": st.just("propose"), "text": st.text(max_size=500)}),
    st.fixed_dictionaries(
        {
            "type": st.just("live_question"),
            "text": st.text(max_size=200),
            "mode": st.sampled_from(MODES),
            "models": st.lists(st.text(min_size=1, max_size=100), max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("proposal"),
            "proposal": st.integers(0, 2**31),
            "decision": st.sampled_from(["approve", "reject", "ask"]),
            "mode": st.sampled_from(MODES),
            "models": st.lists(st.text(min_size=1, max_size=100), max_size=2),
        }
    ),
)

FRAMES = st.one_of(
    st.builds(json.dumps, MESSAGES),
    st.builds(json.dumps, WELL_FORMED),
    st.builds(json.dumps, JSON),
    st.builds(lambda m: json.dumps(m, ensure_ascii=False), MESSAGES).filter(no_raw_surrogate),
    st.text(max_size=100),
    st.binary(max_size=100),  # a binary frame
    st.integers(1, 300).map(
        lambda n: json.dumps({"type": "vote", "comment_a": "é" * (4096 + n)}, ensure_ascii=False)
    ),
    st.integers(5, 4000).map(lambda n: '{"type": "vote", "reasons": ' + "[" * n + "]" * n + "}"),
)


def schema_refusal(schema: dict, frame: str | bytes):
    """The reason the schema refuses the frame with, ANY_REASON for a type this screen may
    not send, or None when the message is well-formed (the live rules then decide)."""
    try:
        message = messages.decode(frame if isinstance(frame, str) else None)
        if message["type"] not in schema:
            return ANY_REASON
        schema[message["type"]](message)
    except messages.Invalid as error:
        return error.reason
    return None


def would_be_accepted(schema: dict, frame, round_id: int, rooms: set[int]) -> bool:
    """Well-formed and allowed while the vote is open: this test sends only what is refused."""
    if schema_refusal(schema, frame) is not None:
        return False
    message = messages.decode(frame)
    if schema is PHONE_SCHEMA:
        return message["type"] == "vote" and message["round"] == round_id
    if message["type"] == "command":
        return message["command"] in live.COMMANDS
    return message["type"] == "hands" and message["room"] in rooms


class Screen:
    """One WebSocket kept open across hypothesis' examples, on an event loop that keeps
    running in a thread of its own: a loop paused between examples would stall the
    consumer's reads from Redis, as no server ever does."""

    def __init__(self, loop, path: str, *headers):
        self.loop, self.path, self.headers = loop, path, [ORIGIN, *headers]
        self.communicator = None
        self.connections = 0

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=15)

    async def reply(self) -> dict:
        while True:
            message = await self.communicator.receive_json_from(timeout=5)
            if message["type"] != "presence":  # any phone's arrival, broadcast to all
                return message

    def open(self) -> None:
        async def connect():
            self.communicator = WebsocketCommunicator(application, self.path, self.headers)
            connected, _ = await self.communicator.connect(timeout=5)
            assert connected
            assert (await self.reply())["type"] == "state"

        self.run(connect())
        self.connections += 1

    def send(self, frame: str | bytes) -> dict:
        """The screen's reply to one frame. A connection that an earlier example broke is
        opened again, so that hypothesis pins the failure on the frame that broke it."""
        if self.communicator is None:
            self.open()

        async def exchange():
            # As the server hands a frame over; send_to() would refuse an empty one.
            key = "bytes" if isinstance(frame, bytes) else "text"
            await self.communicator.send_input({"type": "websocket.receive", key: frame})
            return await self.reply()

        try:
            return self.run(exchange())
        except BaseException:
            self.close()
            raise

    def still_open(self) -> bool:
        """Running, not closing, and with nothing more to say than presence news."""

        async def quiet():
            while not await self.communicator.receive_nothing(timeout=0.01):
                if (await self.communicator.receive_json_from())["type"] != "presence":
                    return False
            return True

        return not self.communicator.future.done() and self.run(quiet())

    def close(self) -> None:
        if self.communicator is not None:
            # A broken one raises its error again here; the test has already said why.
            with contextlib.suppress(BaseException):
                self.run(self.communicator.disconnect())
            self.communicator = None


def stored_state(workshop_id: int) -> dict:
    workshop = Workshop.objects.get(pk=workshop_id)
    return {
        "workshop": (
            workshop.phase,
            workshop.phase_changed_at,
            workshop.current_step_id,
            workshop.live_round_id,
            workshop.status,
        ),
        **{
            model.__name__: model.objects.count()
            for model in (Vote, Answer, Proposal, HandCount, Round, Prompt, Generation)
        },
    }


@pytest.mark.django_db(transaction=True)
def test_fuzzed_messages_are_refused_on_an_open_connection_and_change_nothing(
    live_workshop, settings
):
    # Far past the flood limits: this test is about content, test_limits.py about floods.
    settings.WEBSOCKET_BURST = 100_000
    settings.WEBSOCKET_MESSAGES_PER_SECOND = 100_000
    for name in DUEL_WALK:
        live.transition(live_workshop.pk, name)
    round_id = Round.objects.get().pk
    rooms = {live_workshop.room_a.pk, live_workshop.room_b.pk}
    joined = phone(live_workshop.room_a)
    client = Client()
    client.force_login(live_workshop.facilitator_user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    before = stored_state(live_workshop.pk)

    loop = asyncio.new_event_loop()
    running = threading.Thread(target=loop.run_forever, daemon=True)
    running.start()
    screens = {
        "phone": (
            Screen(
                loop,
                f"/ws/salle/{live_workshop.room_a.join_code}/",
                (b"cookie", f"{participants.COOKIE}={joined.token}".encode()),
            ),
            PHONE_SCHEMA,
        ),
        "panel": (
            Screen(
                loop,
                f"/ws/animation/{live_workshop.pk}/",
                (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode()),
            ),
            PANEL_SCHEMA,
        ),
    }
    sent = {"phone": 0, "panel": 0}

    @hypothesis_settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(batch=st.lists(st.tuples(st.sampled_from(sorted(screens)), FRAMES), max_size=8))
    def fuzz(batch):
        for who, frame in batch:
            screen, schema = screens[who]
            if would_be_accepted(schema, frame, round_id, rooms):
                continue
            expected = schema_refusal(schema, frame)

            reply = screen.send(frame)
            sent[who] += 1

            assert reply["type"] == "error", reply
            assert isinstance(reply["reason"], str) and reply["reason"].strip()
            if expected is not None and expected is not ANY_REASON:
                assert reply["reason"] == expected  # refused by the schema, with its reason
            assert screen.still_open()
            assert stored_state(live_workshop.pk) == before

    try:
        fuzz()
        # One connection each carried the whole batch: none was closed or re-opened.
        assert [screen.connections for screen, _ in screens.values()] == [1, 1]
        assert sent["phone"] > 100 and sent["panel"] > 100
    finally:
        for screen, _ in screens.values():
            screen.close()
        loop.call_soon_threadsafe(loop.stop)
        running.join(10)
    assert stored_state(live_workshop.pk) == before
