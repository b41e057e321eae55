"""The channel layer as the settings make it (config/channel_layer.py), over the real Redis.

It keeps an idle WebSocket's listener alive:

channels_redis waits for a screen's next message with a blocking pop of
`brpop_timeout` seconds (5 upstream, 1 here), then asks again. redis-py 8 gives every
connection a 5-second read timeout by default, so the reply and the timeout raced, and an
idle screen's consumer died every few seconds (django/channels_redis#422).

It delivers every message, in order, with one reader per process; and a Redis failure
still ends every screen, so that pages read their state again."""

import asyncio
import random
import uuid

from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from config.channel_layer import _TAKE, RedisChannelLayer
from tests.servers import RedisServer


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


# One reader per process (config/channel_layer.py) ----------------------------------------------


def test_a_process_whose_screens_are_busy_leaves_its_news_in_redis_until_asked():
    """The process's reader takes a message off the inbox only for a screen waiting with
    nothing: news for busy screens waits in Redis (10,000 held), not in the screens'
    buffers of 100, where a burst would push the oldest out."""
    layer = get_channel_layer()
    group = f"busy-{uuid.uuid4().hex}"

    async def busy() -> tuple[int, list[int]]:
        screen = await layer.new_channel()
        await layer.group_add(group, screen)
        await layer.group_send(group, {"type": "news", "n": -1})
        await asyncio.wait_for(layer.receive(screen), 5)  # the reader runs from now on
        for n in range(NEWS):  # the screen is busy: nobody waits
            await layer.group_send(group, {"type": "news", "n": n})
        await asyncio.sleep(0.2)
        inbox = layer.prefix + layer.non_local_name(screen)
        in_redis = await layer.connection(layer.consistent_hash(inbox)).zcard(inbox)
        read = [(await asyncio.wait_for(layer.receive(screen), 5))["n"] for _ in range(NEWS)]
        await layer.group_discard(group, screen)
        return in_redis, read

    in_redis, read = asyncio.run(busy())
    assert in_redis == NEWS
    assert read == list(range(NEWS))


def test_a_backlog_is_taken_in_a_few_trips_to_redis_in_order(tmp_path):
    """When forty workshops close and reveal at once, a process's inbox holds a hundred
    messages and more: the reader takes them in batches, in one trip each, where upstream
    took four trips a message, each waiting for an event loop busy with the phones."""
    redis_server = RedisServer(tmp_path).start()
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]  # its inbox's capacity
    layer = RedisChannelLayer(**config | {"hosts": [{"address": redis_server.url}]})
    group = "backlog"

    async def backlog() -> tuple[dict, dict]:
        screens = [await layer.new_channel() for _ in range(2)]
        for screen in screens:
            await layer.group_add(group, screen)
        for n in range(NEWS):  # sent before anyone reads, as when the process is busy
            await layer.group_send(group, {"type": "news", "n": n})
        redis = layer.connection(0)
        await redis.config_resetstat()

        async def read(screen) -> list[int]:
            return [(await asyncio.wait_for(layer.receive(screen), 5))["n"] for _ in range(NEWS)]

        received = dict(zip(screens, await asyncio.gather(*map(read, screens)), strict=True))
        stats = await redis.info("commandstats")
        await layer.close_pools()
        return received, stats

    try:
        received, stats = asyncio.run(backlog())
    finally:
        redis_server.stop()
    assert all(news == list(range(NEWS)) for news in received.values())
    # Each read starts with a script (upstream's: the backup put back, then a pop): one a
    # batch of read_batch, and the last reads' (nothing waiting, then a pop).
    reads = sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("eval", "bzpopmin"))
    assert reads <= NEWS / layer.read_batch + 6, stats


def test_many_groups_are_sent_to_in_two_trips_to_redis(tmp_path):
    """A web process sends the running counts of forty workshops at once: each group's
    screens, in every process, get their group's message, and the whole send is two trips
    to Redis (upstream: four a group, each waiting for a busy event loop)."""
    redis_server = RedisServer(tmp_path).start()
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    processes = [
        RedisChannelLayer(**config | {"hosts": [{"address": redis_server.url}]}) for _ in range(2)
    ]
    groups = [f"workshop.{n}.screens" for n in range(40)]

    async def send() -> tuple[int, dict]:
        screens = {}
        for group in groups[:-1]:  # the last group has no screen
            screens[group] = [await process.new_channel() for process in processes]
            for screen in screens[group]:
                await processes[0].group_add(group, screen)
        pool = processes[0].connection(0).connection_pool
        get_connection, trips = pool.get_connection, []

        async def counted(*args, **kwargs):  # each trip takes a connection of the pool
            trips.append(args)
            return await get_connection(*args, **kwargs)

        pool.get_connection = counted
        news = [(group, {"type": "tally.update", "n": n}) for n, group in enumerate(groups)]
        await processes[0].group_send_many(news)
        pool.get_connection = get_connection
        received = {
            group: [
                (await asyncio.wait_for(process.receive(screen), 5))["n"]
                for process, screen in zip(processes, pair, strict=True)
            ]
            for group, pair in screens.items()
        }
        for process in processes:
            await process.close_pools()
        return len(trips), received

    try:
        trips, received = asyncio.run(send())
    finally:
        redis_server.stop()
    assert received == {group: [n, n] for n, group in enumerate(groups[:-1])}
    assert trips == 2


def test_what_a_reader_took_but_did_not_deliver_is_delivered_by_the_next(tmp_path):
    """A reader cancelled between taking a batch and delivering it (its last screen left,
    its process is stopping) leaves the batch in the inbox's backup: the next read puts it
    back first, and nothing is lost."""
    layer = get_channel_layer()

    async def taken_then_read_again() -> list[int]:
        screen = await layer.new_channel()
        for n in range(5):
            await layer.send(screen, {"type": "news", "n": n})
        inbox = layer.prefix + layer.non_local_name(screen)
        redis = layer.connection(layer.consistent_hash(inbox))
        taken = await redis.eval(_TAKE, 0, inbox, layer._backup_channel_name(inbox), 3)
        assert len(taken) == 3 and await redis.zcard(inbox) == 2  # a reader took 3, then died
        return [(await asyncio.wait_for(layer.receive(screen), 5))["n"] for _ in range(5)]

    assert asyncio.run(taken_then_read_again()) == [0, 1, 2, 3, 4]


def test_when_redis_goes_every_waiting_screen_is_told_and_the_next_is_served(tmp_path):
    """Every screen's consumer must end when Redis goes, so that its page reconnects and
    reads its state again (tests/workshop/test_fault_drills.py): one reader failing fails
    them all, not the first alone. Redis back, a new screen is served."""
    redis_server = RedisServer(tmp_path).start()
    layer = RedisChannelLayer(hosts=[{"address": redis_server.url, "socket_timeout": 15}])

    async def outage():
        screens = [await layer.new_channel() for _ in range(3)]
        waiting = [asyncio.ensure_future(layer.receive(screen)) for screen in screens]
        await asyncio.sleep(0.3)
        redis_server.stop()
        ended = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 10)
        redis_server.start()
        screen = await layer.new_channel()
        listening = asyncio.ensure_future(layer.receive(screen))
        await layer.send(screen, {"type": "back"})
        return ended, await asyncio.wait_for(listening, 10)

    try:
        ended, served = asyncio.run(outage())
    finally:
        redis_server.stop()
    assert all(isinstance(error, RedisConnectionError) for error in ended), ended
    assert served == {"type": "back"}


def test_when_its_last_screen_leaves_a_process_stops_reading_and_loses_nothing():
    """The reader ends with the last screen (nothing left running in the event loop, once
    its pop in Redis returns), and what arrives next waits in Redis for the next screen."""
    layer = get_channel_layer()

    async def leave_and_come_back():
        screen, later = await layer.new_channel(), await layer.new_channel()
        listening = asyncio.ensure_future(layer.receive(screen))
        await asyncio.sleep(0.3)  # the reader waits in Redis
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await asyncio.sleep(layer.brpop_timeout + 0.5)  # its pop has returned
        running = asyncio.all_tasks() - {asyncio.current_task()}
        await layer.send(later, {"type": "meanwhile"})
        return running, await asyncio.wait_for(layer.receive(later), 5)

    running, received = asyncio.run(leave_and_come_back())
    assert running == set()
    assert received == {"type": "meanwhile"}


def test_screens_leaving_at_any_moment_leave_nothing_running():
    """A cancel can be lost in redis-py's blocking read (one leave in thirty or so, on
    upstream's layer too): the reader must still end, or a closing event loop (a test's,
    a server's) waits for it for ever. A hundred screens leave, each at a moment of its
    own, with a message on its way or not."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    rng = random.Random(8)  # noqa: S311 - moments, not secrets

    async def listen(layer, screen):  # as a consumer does, until it ends
        while True:
            await layer.receive(screen)

    async def leave(layer) -> set:
        screen = await layer.new_channel()
        listening = asyncio.ensure_future(listen(layer, screen))
        await asyncio.sleep(rng.uniform(0, 0.02))
        if rng.random() < 0.5:
            await layer.send(screen, {"type": "news"})
            await asyncio.sleep(rng.uniform(0, 0.005))
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        deadline = layer.brpop_timeout + 2
        while (left := asyncio.all_tasks() - {asyncio.current_task()}) and deadline > 0:
            await asyncio.sleep(0.05)
            deadline -= 0.05
        return left

    for _ in range(100):
        loop = asyncio.new_event_loop()
        try:
            left = loop.run_until_complete(leave(RedisChannelLayer(**config)))
        finally:
            loop.close()  # not asyncio.run: it would wait for a task left running
        assert left == set()
