"""The channel layer as the settings make it, over the real Redis.

It keeps an idle WebSocket's listener alive:

channels_redis waits for a screen's next message with a blocking pop of
`brpop_timeout` seconds (5), then asks again. redis-py 8 gives every connection a
5-second read timeout by default, so the reply and the timeout raced, and an idle
screen's consumer died every few seconds (django/channels_redis#422)."""

import asyncio
import uuid

from channels.layers import get_channel_layer
from django.conf import settings


def test_the_read_timeout_outlasts_the_channel_layers_blocking_pop():
    layer = get_channel_layer()
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] > layer.brpop_timeout


def test_a_listener_idle_past_the_blocking_pop_still_gets_its_next_message():
    async def idle_then_message():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        listening = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(layer.brpop_timeout + 1.5)
        assert not listening.done(), listening  # a TimeoutError would have ended it
        await layer.send(channel, {"type": "still.here"})
        return await asyncio.wait_for(listening, timeout=5)

    assert asyncio.run(idle_then_message()) == {"type": "still.here"}


NEWS = 400


def test_a_burst_of_news_to_a_busy_process_all_arrives():
    """All the screens of a web process share one inbox in Redis. channels_redis drops,
    silently, what arrives once that inbox holds `capacity` messages (100 by default):
    under load, forty workshops' count news outran a process and projectors stayed on an
    old count. A burst well past 100 must all arrive, in order, to every screen; and a
    screen gone without leaving its groups holds no more than 100 of them in the process."""
    layer = get_channel_layer()
    group = f"burst-{uuid.uuid4().hex}"

    async def burst() -> dict[str, list[int]]:
        screens = [await layer.new_channel() for _ in range(3)]  # one process: one inbox
        gone = await layer.new_channel()  # its consumer was killed: it never reads
        for screen in [*screens, gone]:
            await layer.group_add(group, screen)
        for n in range(NEWS):  # sent before anyone reads, as when the process is busy
            await layer.group_send(group, {"type": "news", "n": n})

        async def read(screen) -> list[int]:  # each screen's consumer reads its own
            return [(await asyncio.wait_for(layer.receive(screen), 5))["n"] for _ in range(NEWS)]

        received = dict(zip(screens, await asyncio.gather(*map(read, screens)), strict=True))
        for screen in [*screens, gone]:
            await layer.group_discard(group, screen)
        return received, layer.receive_buffer[gone].qsize()

    received, kept_for_the_gone = asyncio.run(burst())
    assert all(news == list(range(NEWS)) for news in received.values())
    assert kept_for_the_gone == 100
