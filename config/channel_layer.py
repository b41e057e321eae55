"""channels_redis's channel layer, with one reader per web process for its screens.

All the screens of a web process share one inbox in Redis ("specific.<process>!"); a
group message reaches it once, naming every screen of the process it is for. Upstream,
every screen waiting for its next message races for the right to read that inbox: each
message wakes every waiting screen, and each of them sets up its race again (two tasks and
a wait apiece), twice the work of delivering the message to a thousand phones
(bench/RESULTS.md). Here one task per process reads the inbox and puts each message in the
buffers of the screens it names; a screen waits on its own buffer alone.

The reader takes what waits in the inbox in batches, in one trip to Redis (`_TAKE`).
Upstream takes one message at a time, in four trips (put the backup back, pop, back it up,
then clean the backup); when forty workshops close and reveal at once, a process's inbox
holds a hundred and more messages, and each of those trips waits for an event loop busy
sending the earlier ones to the phones (bench/RESULTS.md, ninth series). With nothing
waiting, it blocks in Redis for the next message as upstream does.

What upstream guarantees is kept: the inbox is read only while a screen waits with nothing
in its buffer, so a busy process leaves what it has not asked for in Redis (its capacity,
not the screens' buffers of 100, bounds it); a message is taken off the inbox's backup
only once delivered; and if Redis fails, every screen's next receive raises, its consumer
ends and its page reconnects and reads its state again (the fault drills rely on it).
"""

import asyncio
import logging
import time

from channels_redis import core

logger = logging.getLogger(__name__)


# Puts the backup of what was taken but not delivered (a reader cancelled) back in front of
# the inbox, as upstream's cleanup does; then moves up to ARGV[3] messages, oldest first,
# from the inbox to its backup and returns them. KEYS: none, as upstream's cleanup (the
# inbox and its backup are ARGV[1] and ARGV[2]).
_TAKE = """
local backed_up = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
for i = #backed_up, 1, -2 do
    redis.call('ZADD', ARGV[1], backed_up[i], backed_up[i - 1])
end
redis.call('DEL', ARGV[2])
local taken = redis.call('ZRANGE', ARGV[1], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
if #taken == 0 then
    return taken
end
redis.call('ZREMRANGEBYRANK', ARGV[1], 0, #taken / 2 - 1)
local members = {}
for i = 1, #taken, 2 do
    redis.call('ZADD', ARGV[2], taken[i + 1], taken[i])
    members[#members + 1] = taken[i]
end
return members
"""


# Upstream's group send (channels_redis 4.3, a string inside its group_send): each channel
# key gets its message, unless its inbox is at capacity. Returns how many were at capacity.
_GROUP_SEND = """
local over_capacity = 0
local current_time = ARGV[#ARGV - 1]
local expiry = ARGV[#ARGV]
for i=1,#KEYS do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


def _honour_lost_cancel() -> None:
    """Raise the cancel of this task if redis-py lost it in a read (see _brpop_with_clean):
    each of the reader's trips to Redis may lose it, not only the pop."""
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError


class _Failed:
    """Put in every screen's buffer when the inbox cannot be read: raised by its receive."""

    def __init__(self, error: Exception):
        self.error = error


class RedisChannelLayer(core.RedisChannelLayer):
    # How long the reader's pop waits in Redis before it asks again (upstream: 5 s): the
    # longest a lost cancel keeps it (see _brpop_with_clean).
    brpop_timeout = 1
    # The most messages the reader takes in one trip: half what a screen's buffer holds
    # (100, then it drops the oldest), so that a batch never pushes a screen's news out.
    read_batch = 50

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reader: asyncio.Task | None = None
        self._wanted: asyncio.Event | None = None
        # Screens waiting with an empty buffer: the inbox is read while there are any.
        self._hungry = 0
        # Screens that have received here and not ended: the reader stops with the last.
        # Their buffers (receive_buffer) last as long.
        self._listening: set[str] = set()
        # The receive of each screen waiting with an empty buffer, by channel.
        self._waiting: dict[str, asyncio.Future] = {}

    async def receive(self, channel: str) -> dict:
        if "!" not in channel:  # a channel of no process: upstream's plain pop
            return await super().receive(channel)
        self._listening.add(channel)
        while self.receive_buffer[channel].empty():
            self._start_reader(self.non_local_name(channel))
            # Woken by the reader (_wake). Not by waiting on the buffer itself: an asyncio
            # queue belongs to the event loop it first waited in, and a screen may next
            # wait in another (async_to_sync gives each call a loop of its own); upstream
            # drops a buffer once empty, and making one anew for each message was a sixth
            # of a reveal's cost (bench/RESULTS.md, tenth series).
            waiting = self._waiting[channel] = asyncio.get_running_loop().create_future()
            self._hungry += 1
            self._wanted.set()
            try:
                await waiting
            except asyncio.CancelledError:  # the consumer ends
                self._forget(channel)
                raise
            finally:
                self._hungry -= 1
                if self._waiting.get(channel) is waiting:
                    del self._waiting[channel]
        message = self.receive_buffer[channel].get_nowait()
        if isinstance(message, _Failed):
            self._forget(channel)
            raise message.error
        return message

    def _wake(self, channel: str) -> None:
        waiting = self._waiting.pop(channel, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def group_send(self, group: str, message: dict) -> None:
        await self.group_send_many([(group, message)])

    async def group_send_many(self, news: list[tuple[str, dict]]) -> None:
        """Each (group, message) sent to its group, all in two trips to Redis: one reads
        every group's members, one gives each member's inbox its message.

        Upstream sends one group in four trips (drop expired members, read members, drop
        expired messages, send), each waiting for a busy event loop; a web process sends
        the counts of forty workshops' votes four times a second (bench/RESULTS.md, tenth
        series). What each trip does is upstream's, in the same order."""
        for group, _message in news:
            self.require_valid_group_name(group)  # raises TypeError, as upstream's does
        if not news:
            return
        if self.ring_size > 1:  # groups on several Redis servers: upstream's, one by one
            for group, message in news:
                await super().group_send(group, message)
            return
        connection = self.connection(0)
        now = time.time()
        members = connection.pipeline(transaction=False)
        for group, _message in news:
            key = self._group_key(group)
            members.zremrangebyscore(key, min=0, max=int(now) - self.group_expiry)
            members.zrange(key, 0, -1)
        replies = await members.execute()
        sends = connection.pipeline(transaction=False)
        counted = []  # the replies that count inboxes at capacity (the others: expired)
        for (_group, message), names in zip(news, replies[1::2], strict=True):
            if not names:
                continue
            _, to_message, to_capacity = self._map_channel_keys_to_connection(
                [name.decode("utf8") for name in names], message
            )
            keys = list(to_message)
            for key in keys:
                sends.zremrangebyscore(key, min=0, max=int(now) - int(self.expiry))
            arguments = [to_message[key] for key in keys] + [to_capacity[key] for key in keys]
            sends.eval(_GROUP_SEND, len(keys), *keys, *arguments, now, self.expiry)
            counted.append(len(sends))
        replies = await sends.execute()
        over_capacity = sum(replies[position - 1] for position in counted)
        if over_capacity:
            logger.info("%s inboxes over capacity in %s group sends", over_capacity, len(news))

    def _start_reader(self, inbox: str) -> None:
        loop = asyncio.get_running_loop()
        reader = self._reader
        if reader is not None and not reader.done():
            if reader.get_loop() is loop:
                return
            if not reader.get_loop().is_closed():
                raise RuntimeError("Two event loops are trying to receive() on one channel layer")
        self._wanted = asyncio.Event()
        self._reader = loop.create_task(self._read(inbox))

    async def _read(self, inbox: str) -> None:
        index = self.consistent_hash(inbox)
        key = self.prefix + inbox
        backup = self._backup_channel_name(key)
        connection = self.connection(index)
        try:
            while True:
                _honour_lost_cancel()  # lost in the last trip to Redis (_brpop_with_clean)
                while not self._hungry:
                    self._wanted.clear()
                    await self._wanted.wait()
                taken = await connection.eval(_TAKE, 0, key, backup, self.read_batch)
                if not taken:
                    # Nothing waits: block in Redis for the next message (upstream's pop).
                    member = await self._brpop_with_clean(index, key, self.brpop_timeout)
                    if member is None:
                        continue
                    taken = [member]
                for member in taken:
                    message = self.deserialize(member)
                    channels = message.pop("__asgi_channel__", inbox)
                    for channel in channels if isinstance(channels, list) else [channels]:
                        self.receive_buffer[channel].put_nowait(message)
                        self._wake(channel)
                # All delivered: none of it to put back. (Cancelled before this, the next
                # read delivers it again, as upstream's reader would.)
                await connection.delete(backup)
                # The screens just given a message take it before the reader counts who
                # still waits with nothing.
                await asyncio.sleep(0)
        except Exception as error:
            logger.warning("channel layer inbox unreadable: %r; its screens end", error)
            for channel, buffer in self.receive_buffer.items():
                buffer.put_nowait(_Failed(error))
                self._wake(channel)

    async def _brpop_with_clean(self, index, channel, timeout):
        member = await super()._brpop_with_clean(index, channel, timeout)
        # A cancel can be lost in redis-py's blocking read (seen with redis-py 8.1 on
        # Python 3.11: the task stays in BZPOPMIN, cancelled, and upstream's receive
        # pops again for ever, so that a closing event loop waits for it). The pop
        # returns within `brpop_timeout`: honour the cancel then. What it popped stays
        # in the backup, put back by the next read.
        _honour_lost_cancel()
        return member

    def _forget(self, channel: str) -> None:
        self._listening.discard(channel)
        self.receive_buffer.pop(channel, None)
        self._waiting.pop(channel, None)
        if not self._listening:
            self._stop_reader()  # the reader ends with the last screen

    def _stop_reader(self) -> None:
        # Nothing is lost: a message popped but not delivered stays in the backup, which
        # the next read puts back first.
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None

    async def close_pools(self):
        self._stop_reader()
        await super().close_pools()
