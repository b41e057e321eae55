"""WebSocket consumers of the live pages. Thin: they authenticate, join their groups,
check each message against workshop/messages.py and call workshop/live.py."""

import asyncio
import contextlib
import functools
import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext_noop
from redis.exceptions import RedisError

from duels import streaming
from workshop import live, messages, participants, proposals, tenancy
from workshop.limits import TokenBucket
from workshop.models import Room, Workshop
from workshop.snapshots import (
    FACILITATOR,
    PARTICIPANT,
    PRESENTER,
    built_for_broadcast,
    for_broadcast,
    news_for,
    screen_key,
    snapshot,
)

logger = logging.getLogger(__name__)

# States after a broadcast being built in this process, by (version, workshop, audience,
# room): the screens that follow wait for them rather than build them again.
_building: dict[tuple, asyncio.Future] = {}

# News being coalesced in this process, by (kind, audience): the ids of the objects with
# events since the last news (rounds voted in, workshops joined), the task that will send
# it, and when the last news went (kept for one interval). Each web process coalesces its
# own events, with no shared claim: a process killed with news pending loses only that
# news, never another's.
_events: dict[tuple[str, str], set[int]] = {}
_flushes: dict[tuple[str, str], asyncio.Task] = {}
_sent_at: dict[tuple[str, str], float] = {}


def schedule_flush(kind: str, object_id: int, read_news, audience: str) -> None:
    """News at most once an interval: at once after a quiet interval, else when the
    interval opened by the last news ends, with every event of the meantime.

    The last vote of a round is then on the projector within one interval, often at
    once, and a burst still costs one news an interval. The events of all the objects of
    a kind go together: forty workshops voting cost a web process one read and two trips
    to Redis an interval, not forty of each (bench/RESULTS.md, tenth series).
    `read_news(object_ids, audience)` reads the news in a thread of the pool
    (live.News); the event loop sends it. (Sent from the thread, through async_to_sync,
    news in flight when the loop shut down waited forever for a task the shutdown had
    cancelled, and so did the loop.)"""
    key = (kind, audience)
    pending = _flushes.get(key)
    if pending is None or pending.done() or pending.get_loop().is_closed():
        _events[key] = set()  # none pending: any left were a closed event loop's
        pending = None
    _events[key].add(object_id)
    if pending is not None:
        return  # news not read yet: it will tell this event too
    interval = live.FLUSH_INTERVAL_SECONDS[audience]
    loop = asyncio.get_running_loop()
    delay = max(0.0, _sent_at.get(key, -interval) + interval - loop.time())

    async def flush():
        await asyncio.sleep(delay)
        # Released before reading: an event during the read schedules the next news.
        _flushes.pop(key, None)
        object_ids = sorted(_events.pop(key))
        sent_at = _sent_at[key] = loop.time()
        loop.call_later(interval, _forget, key, sent_at)
        try:
            read = database_sync_to_async(read_news, thread_sensitive=False)
            news = await read(object_ids, audience)
            await get_channel_layer().group_send_many(news)
        except (DatabaseError, RedisError):
            # The events themselves are stored; screens read them again on reconnecting.
            logger.warning("no %s news: database or Redis unavailable", kind, exc_info=True)

    # Kept referenced until done; it outlives the connection that scheduled it.
    _flushes[key] = asyncio.ensure_future(flush())


def _forget(key: tuple[str, str], sent_at: float) -> None:
    """A quiet interval has passed: the next news may go at once."""
    if _sent_at.get(key) == sent_at:
        del _sent_at[key]


def schedule_flushes(kind: str, object_id: int, read_news) -> None:
    """News for the screens (soon) and for the phones (a little later)."""
    for audience in (live.SCREENS, live.PHONES):
        schedule_flush(kind, object_id, read_news, audience)


async def serve(sources, dispatch) -> None:
    """Each message of each source (the socket, the channel layer) to `dispatch`, one
    message at a time, until a handler stops the consumer (StopConsumer) or fails.

    Channels' await_many_dispatch makes a task and an asyncio.wait for every message: a
    thousand phones told of a close and a reveal paid them two thousand times, on the same
    event loop as the votes (bench/RESULTS.md, tenth series). Here each source has one task
    for the consumer's life, which takes the next message once it has dispatched the last,
    and a lock keeps the handlers one at a time, as Channels does."""
    turn = asyncio.Lock()

    async def pump(source):
        while True:
            message = await source()
            async with turn:
                await dispatch(message)

    pumps = [asyncio.ensure_future(pump(source)) for source in sources]
    try:
        done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        for pump_done in done:
            pump_done.result()  # StopConsumer, or what went wrong
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError, StopConsumer):
                await task


UNAVAILABLE = gettext_noop(
    "enregistrement impossible pour l'instant : nouvel essai dans un instant"
)

# Refused at the handshake: not who they say they are (WebSocket close codes 4000+).
FORBIDDEN = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    audience = ""
    # How many times the usual message allowance this screen gets.
    limit_factor = 1

    async def connect(self):
        self.workshop = self.room = self.participant = None
        self.bucket = TokenBucket(
            settings.WEBSOCKET_BURST * self.limit_factor,
            settings.WEBSOCKET_MESSAGES_PER_SECOND * self.limit_factor,
        )
        if not await database_sync_to_async(self.authenticate)():
            await self.close(code=FORBIDDEN)
            return
        self.groups_joined = [
            live.workshop_group(self.workshop.pk),
            live.audience_group(
                self.workshop.pk, live.PHONES if self.audience == PARTICIPANT else live.SCREENS
            ),
        ]
        if self.room is not None:
            self.groups_joined.append(live.room_group(self.room.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_state()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.follow_streams({})

    def authenticate(self) -> bool:
        raise NotImplementedError

    async def __call__(self, scope, receive, send):
        """Channels' own (AsyncConsumer.__call__), with serve() for its dispatch loop."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            await serve([receive, self.channel_receive], self.dispatch)

    async def dispatch(self, message):
        """Channels' own, without its hop to the database thread before every message.

        Channels closes stale database connections before each handler; here the
        database is reached only through database_sync_to_async, which does so itself.
        A thousand screens receiving counts a few times a second must not queue behind
        those hops (the votes wait in the same thread).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.bucket.take():
            await self.refuse(gettext_noop("trop de messages : ralentissez"))
            return
        try:
            message = messages.decode(text_data)
            await self.handle(message)
        except messages.Invalid as error:
            await self.refuse(error.reason)
        except live.Refused as error:
            # Said to the screen; logged too, so that a run's log tells what was refused.
            logger.info("%s message refused: %s", self.audience, error.reason)
            await self.refuse(error.reason)
        except DatabaseError:
            # Nothing was stored (the transaction rolled back): say so, and to try again.
            logger.warning("database unavailable for a %s message", self.audience, exc_info=True)
            await self.refuse(UNAVAILABLE, retry=True)

    async def handle(self, message: dict) -> None:
        raise messages.Invalid("cet écran n'envoie rien")

    async def refuse(self, reason: str, **extra) -> None:
        await self.send_json({"type": "error", "reason": reason, **extra})

    async def send_state(self, version: str | None = None) -> None:
        """The whole state: read for this screen alone, or shared with the other screens
        of this process when it follows a broadcast state change (`version`)."""
        if version is None:
            state = await database_sync_to_async(snapshot)(
                self.workshop, self.audience, self.room, self.participant
            )
            text = await self.encode_json(state)
        else:
            state, text = await self.broadcast_state(version)
        await self.follow_streams((state.get("round") or {}).get("streams") or {})
        await self.send(text_data=text)

    async def broadcast_state(self, version: str) -> tuple[dict, str]:
        """After a broadcast, the first screen of its kind in this process has the shared
        state built (in the thread pool, so that forty workshops' screens are served side
        by side); the others wait for it, then take theirs from it without a query."""
        who = (self.workshop.pk, self.audience, self.room, self.participant)
        message = built_for_broadcast(version, *who)
        if message is not None:
            return message
        key = (version, self.workshop.pk, *screen_key(self.audience, self.room))
        building = _building.get(key)
        if building is None:
            build = database_sync_to_async(for_broadcast, thread_sensitive=False)
            building = _building[key] = asyncio.ensure_future(build(version, *who))
            building.add_done_callback(lambda _: _building.pop(key, None))
            # The builder's own message (its result) is for this screen alone.
            return await asyncio.shield(building)
        with contextlib.suppress(Exception):
            await asyncio.shield(building)  # its result is another screen's: not used
        message = built_for_broadcast(version, *who)
        if message is None:  # the build failed, or was for another phone's own part
            message = await database_sync_to_async(for_broadcast)(version, *who)
        return message

    async def follow_streams(self, streams: dict) -> None:
        """Listen to the answers being generated for the screen (a live question)."""
        wanted = {generation_id: side for side, generation_id in streams.items()}
        current = getattr(self, "streams", {})
        for generation_id in current.keys() - wanted.keys():
            await self.channel_layer.group_discard(
                streaming.group_name(generation_id), self.channel_name
            )
        for generation_id in wanted.keys() - current.keys():
            await self.channel_layer.group_add(
                streaming.group_name(generation_id), self.channel_name
            )
        self.streams = wanted

    async def generation_progress(self, event):
        side = getattr(self, "streams", {}).get(event["generation"])
        if side is None:
            return
        if event.get("done"):
            # The whole answer, rendered, and the vote may open: one version per answer done.
            await self.send_state(f"generation-{event['generation']}-done")
            return
        # Text only: the screen shows it as text until the rendered answer arrives.
        await self.send_json({"type": "stream", "side": side, "text": event["text"]})

    # Group messages -----------------------------------------------------------------------

    async def state_changed(self, event):
        # A change told in the broadcast itself (a close, a reveal): this screen's text,
        # read once where the change was made; otherwise the whole state.
        text = news_for(event.get("texts", {}), self.audience, self.room)
        if text is not None:
            await self.send(text_data=text)
            return
        await self.send_state(event.get("version"))

    async def presence_update(self, event):
        await self.send_json({"type": "presence", "rooms": event["rooms"]})

    async def tally_update(self, event):
        # While the vote is open, only how many have voted: never the split.
        room = event["rooms"].get(str(self.room.pk)) if self.room else None
        await self.send_json(
            {
                "type": "tally",
                "round": event["round"],
                "room": {"total": room["total"]} if room else None,
                "total": {"total": event["total"]["total"]},
                "as_of": event["as_of"],
            }
        )


class ParticipantConsumer(LiveConsumer):
    audience = PARTICIPANT

    def authenticate(self) -> bool:
        self.room = participants.find_room(self.scope["url_route"]["kwargs"]["code"])
        if self.room is None:
            return False
        token = self.scope.get("cookies", {}).get(participants.COOKIE)
        self.participant = participants.participant_for(self.room, token)
        self.workshop = self.room.workshop
        return self.participant is not None

    async def handle(self, message: dict) -> None:
        if message["type"] == "answer":
            await self.handle_answer(message)
            return
        if message["type"] == "propose":
            text = messages.proposal_text(message)
            await database_sync_to_async(proposals.propose)(self.participant.pk, text)
            await self.send_json({"type": "proposal.ack"})
            return
        if message["type"] != "vote":
            raise messages.Invalid("un téléphone ne peut que voter ou répondre")
        ballot = messages.ballot(message)
        try:
            # In a thread of the pool, not the consumers' shared one: a hall's votes are
            # stored side by side, never queued behind the screens' state.
            await database_sync_to_async(live.cast_vote, thread_sensitive=False)(
                self.participant.pk, ballot
            )
        except live.Refused as error:
            await self.refuse(error.reason, client_id=ballot.client_id)
            return
        except DatabaseError:
            # Not stored, so not acknowledged: the phone keeps the vote and sends it again.
            logger.warning("vote not stored: database unavailable", exc_info=True)
            await self.refuse(UNAVAILABLE, client_id=ballot.client_id, retry=True)
            return
        # Committed: now, and only now, the phone is told.
        await self.send_json(
            {
                "type": "vote.ack",
                "client_id": ballot.client_id,
                "round": ballot.round_id,
                "choice": ballot.choice,
            }
        )
        schedule_flush("tally", ballot.round_id, live.tally_news, live.SCREENS)

    async def handle_answer(self, message: dict) -> None:
        step_id, choice, text = messages.answer(message)
        await database_sync_to_async(live.answer)(self.participant.pk, step_id, choice, text)
        await self.send_json({"type": "answer.ack", "step": step_id})
        # The count of answers on every screen, a few times a second at most.
        schedule_flush("answers", self.workshop.pk, live.state_news, live.SCREENS)

    async def connect(self):
        await super().connect()
        if self.participant is not None:
            # The room's count of participants, on every screen, coalesced.
            schedule_flushes("presence", self.workshop.pk, live.presence_news)


class PresenterConsumer(LiveConsumer):
    audience = PRESENTER

    def authenticate(self) -> bool:
        secret = self.scope["url_route"]["kwargs"]["secret"]
        self.room = Room.objects.select_related("workshop").filter(presenter_secret=secret).first()
        self.workshop = self.room.workshop if self.room else None
        return self.room is not None


class FacilitatorConsumer(LiveConsumer):
    audience = FACILITATOR
    # A logged-in facilitator clicks through a workshop quickly; still not without end.
    limit_factor = 10

    def authenticate(self) -> bool:
        user = self.scope.get("user")
        workshop = Workshop.objects.filter(pk=self.scope["url_route"]["kwargs"]["pk"]).first()
        if user is None or not user.is_authenticated or workshop is None:
            return False
        self.workshop = workshop
        return tenancy.may(user, tenancy.CHANGE, "workshop", workshop.organisation_id)

    async def handle(self, message: dict) -> None:
        if message["type"] == "proposal":
            proposal, decision, mode, models = messages.proposal_decision(message)
            await database_sync_to_async(proposals.decide)(
                self.workshop.pk, proposal, decision, mode, models
            )
            return
        if message["type"] == "live_question":
            text, mode, models = messages.live_question(message)
            await database_sync_to_async(live.ask_live_question)(
                self.workshop.pk, text, mode, models
            )
            return
        if message["type"] == "hands":
            room, a, b, both_equal = messages.hands(message)
            await database_sync_to_async(live.record_hands)(
                self.workshop.pk, room, a, b, both_equal
            )
            return
        if message["type"] != "command":
            raise messages.Invalid("type de message inconnu")
        name = messages.command(message)
        await database_sync_to_async(live.transition, thread_sensitive=False)(
            self.workshop.pk, name
        )
        # Everyone, this panel included, gets the new state through the broadcast.
