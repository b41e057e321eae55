"""The channel layer keeps an idle WebSocket's listener alive.

channels_redis waits for a screen's next message with a blocking pop of
`brpop_timeout` seconds (5), then asks again. redis-py 8 gives every connection a
5-second read timeout by default, so the reply and the timeout raced, and an idle
screen's consumer died every few seconds (django/channels_redis#422)."""

import asyncio

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
