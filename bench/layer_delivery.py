"""One group message to a thousand screens of one process: the channel layer's own cost.

    .venv/bin/python bench/layer_delivery.py [--screens 1000] [--messages 5]

Runs in this process, against the settings' Redis: `--screens` listeners, each in a
consumer's dispatch loop (minus the socket), join one group; `--messages` group messages
are sent one at a time, each once every screen has the one before. For channels_redis's
layer and for the platform's (config/channel_layer.py), both in Channels' own loop
(await_many_dispatch), and for the platform as its consumers run (its layer and their
loop, consumers.serve), it prints as JSON the CPU per screen (ms) and the time until the
last screen has it (ms).
"""

import argparse
import asyncio
import json
import os
import time
import uuid

import django
from channels.utils import await_many_dispatch


async def deliver(layer, screens: int, messages: int, loop=await_many_dispatch) -> list[dict]:
    group = f"bench-{uuid.uuid4().hex}"
    channels = [await layer.new_channel() for _ in range(screens)]
    for channel in channels:
        await layer.group_add(group, channel)
    received = 0
    everyone = asyncio.Event()

    async def dispatch(message):
        nonlocal received
        received += 1
        if received == screens:
            everyone.set()

    listeners = [
        asyncio.ensure_future(loop([asyncio.Queue().get, lambda c=c: layer.receive(c)], dispatch))
        for c in channels
    ]
    await asyncio.sleep(1)  # every listener waits
    results = []
    for _ in range(messages):
        received = 0
        everyone.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        await layer.group_send(group, {"type": "news", "text": "x" * 2000})
        await asyncio.wait_for(everyone.wait(), 30)
        results.append(
            {
                "cpu_ms_per_screen": round((time.process_time() - cpu) * 1000 / screens, 4),
                "all_ms": round((time.perf_counter() - wall) * 1000, 1),
            }
        )
        await asyncio.sleep(0.2)
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    for channel in channels:
        await layer.group_discard(group, channel)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from channels_redis.core import RedisChannelLayer as Upstream
    from django.conf import settings

    from config.channel_layer import RedisChannelLayer
    from workshop.consumers import serve

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    report = {
        name: asyncio.run(deliver(cls(**config), args.screens, args.messages, loop))
        for name, cls, loop in (
            ("channels_redis", Upstream, await_many_dispatch),
            ("one_reader", RedisChannelLayer, await_many_dispatch),
            ("platform", RedisChannelLayer, serve),
        )
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
