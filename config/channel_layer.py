"""channels_redis's channel layer, reading a web process's inbox in batches.

Every screen of a web process shares one inbox in Redis. channels_redis reads it one
message at a time, in four round trips each (restore the backup, blocking pop, back the
message up, drop the backup), and each round trip waits for the event loop's next turn.
When forty workshops reveal at once, a turn of the loop is long (hundreds of screens get
their state in it): the inbox was read at a few dozen messages a second, and a reveal's
news waited behind count news for half a second before any screen heard of it
(bench/RESULTS.md).

Here, whatever waits in the inbox is taken in one round trip (up to BATCH messages), with
the same safety as channels_redis's own: what is taken is first moved to the backup, which
the next read puts back if this one was cancelled before handing the messages out, and
which is dropped once they are all in the screens' buffers. With nothing waiting, the
read is channels_redis's own blocking one.
"""

import asyncio

from channels_redis import core

# Restore what a cancelled read backed up, take up to ARGV[1] messages, back them up.
_TAKE = """
local backed_up = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = #backed_up, 1, -2 do
    redis.call('ZADD', KEYS[1], backed_up[i], backed_up[i - 1])
end
redis.call('DEL', KEYS[2])
local taken = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
for i = 1, #taken, 2 do
    redis.call('ZADD', KEYS[2], taken[i + 1], taken[i])
end
return taken
"""

# Well under what each screen buffers (the setting CHANNEL_LAYER_SCREEN_BUFFER, 1,000):
# a burst taken at once must not push a slow screen's oldest news out.
BATCH = 100


class RedisChannelLayer(core.RedisChannelLayer):
    async def receive_single(self, channel):
        if "!" not in channel:  # not a process's inbox: as channels_redis does
            return await super().receive_single(channel)
        index = self.consistent_hash(channel)
        channel_key = self.prefix + channel
        backup = self._backup_channel_name(channel_key)
        connection = self.connection(index)
        await self.receive_clean_locks.acquire(channel_key)
        try:
            taken = await connection.eval(_TAKE, 2, channel_key, backup, BATCH)
        except BaseException:
            self.receive_clean_locks.release(channel_key)
            raise
        if not taken:  # nothing waiting: wait for the next one, as channels_redis does
            self.receive_clean_locks.release(channel_key)
            return await super().receive_single(channel)
        # From here to the return, no await: the messages reach their screens' buffers
        # (the last one through channels_redis's receive, which called this), in order.
        messages = [self._unpack(channel, content) for content in taken[0::2]]
        for names, message in messages[:-1]:
            for name in names if isinstance(names, list) else [names]:
                self.receive_buffer[name].put_nowait(message)
        cleaner = asyncio.ensure_future(connection.delete(backup))
        self.receive_cleaners.append(cleaner)

        def cleaned(cleaner):
            self.receive_cleaners.remove(cleaner)
            self.receive_clean_locks.release(channel_key)

        cleaner.add_done_callback(cleaned)
        return messages[-1]

    def _unpack(self, channel: str, content: bytes) -> tuple:
        message = self.deserialize(content)
        return message.pop("__asgi_channel__", channel), message
