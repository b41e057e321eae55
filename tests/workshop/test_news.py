"""How a web process coalesces the news of many events (votes, arrivals) into a few
messages: at once after a quiet interval, then at most once an interval."""

import asyncio
import threading
import time
import uuid

import pytest
from channels.layers import get_channel_layer

from workshop import consumers, live


@pytest.fixture
def interval(monkeypatch):
    """Sets the screens' interval, with no news pending or recently sent in this process."""
    monkeypatch.setattr(consumers, "_events", {})
    monkeypatch.setattr(consumers, "_flushes", {})
    monkeypatch.setattr(consumers, "_sent_at", {})

    def set_to(seconds: float) -> None:
        monkeypatch.setitem(live.FLUSH_INTERVAL_SECONDS, live.SCREENS, seconds)

    return set_to


def recorder():
    """A reader of news that records each read, and has no news to send."""
    sent = []

    def publish(object_ids, audience):
        sent.append((object_ids, audience))
        return []

    return sent, publish


async def wait_for(condition, timeout=5.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def test_the_first_event_after_a_quiet_interval_is_sent_at_once(interval):
    interval(30.0)  # long: "at once" and "after the interval" cannot be mistaken
    sent, publish = recorder()

    async def scenario():
        consumers.schedule_flush("tally", 7, publish, live.SCREENS)
        # Well within the 30 s interval: the news did not wait for it.
        await wait_for(lambda: sent)

    asyncio.run(scenario())
    assert sent == [([7], live.SCREENS)]


def test_events_within_the_interval_go_as_one_news_at_its_end(interval):
    interval(3.0)
    sent, publish = recorder()

    async def scenario():
        consumers.schedule_flush("tally", 7, publish, live.SCREENS)
        await wait_for(lambda: sent)
        for _ in range(5):
            consumers.schedule_flush("tally", 7, publish, live.SCREENS)
        await asyncio.sleep(0.1)
        held = list(sent)
        await wait_for(lambda: len(sent) == 2)
        await asyncio.sleep(0.3)
        return held

    held = asyncio.run(scenario())
    assert held == [([7], live.SCREENS)]  # the five events waited for the interval's end
    assert sent == [([7], live.SCREENS)] * 2  # and went as one news


def test_events_of_several_objects_are_read_together(interval):
    """Forty workshops voting: a web process reads the counts of every round voted in
    since its last news in one go, not one round at a time."""
    interval(3.0)
    sent, publish = recorder()

    async def scenario():
        consumers.schedule_flush("tally", 7, publish, live.SCREENS)
        await wait_for(lambda: sent)
        for round_id in (9, 8, 7, 9):
            consumers.schedule_flush("tally", round_id, publish, live.SCREENS)
        consumers.schedule_flush("answers", 8, publish, live.SCREENS)  # another kind
        await wait_for(lambda: len(sent) == 3)
        await asyncio.sleep(0.3)

    asyncio.run(scenario())
    assert sent[0] == ([7], live.SCREENS)
    assert sorted(sent[1:]) == [([7, 8, 9], live.SCREENS), ([8], live.SCREENS)]


def test_an_event_while_the_count_is_read_gets_news_of_its_own(interval):
    """A news is released before its count is read: an event during the read (a vote
    stored after it, perhaps) is told by the next news, never dropped."""
    interval(0.2)
    sent = []
    second_scheduled = threading.Event()

    async def scenario():
        loop = asyncio.get_running_loop()
        reading = asyncio.Event()

        def publish(object_ids, audience):
            sent.extend(object_ids)
            if len(sent) == 1:
                loop.call_soon_threadsafe(reading.set)
                assert second_scheduled.wait(timeout=5)
            return []

        consumers.schedule_flush("tally", 9, publish, live.SCREENS)
        await reading.wait()
        consumers.schedule_flush("tally", 9, publish, live.SCREENS)
        second_scheduled.set()
        await wait_for(lambda: len(sent) == 2)

    asyncio.run(scenario())
    assert sent == [9, 9]


def test_the_news_read_in_a_thread_is_sent_to_its_groups_by_the_event_loop(interval):
    interval(30.0)
    groups = [f"news-{uuid.uuid4().hex}" for _ in range(2)]
    read_in = []

    def read_news(object_ids, audience):
        read_in.append(threading.current_thread())
        return [(group, {"type": "tally.update", "round": 12}) for group in groups]

    async def scenario():
        layer = get_channel_layer()
        screens = [await layer.new_channel() for _ in groups]
        for group, screen in zip(groups, screens, strict=True):
            await layer.group_add(group, screen)
        consumers.schedule_flush("tally", 12, read_news, live.SCREENS)
        messages = [await asyncio.wait_for(layer.receive(screen), 5) for screen in screens]
        for group, screen in zip(groups, screens, strict=True):
            await layer.group_discard(group, screen)
        return messages

    assert asyncio.run(scenario()) == [{"type": "tally.update", "round": 12}] * 2
    assert read_in and read_in[0] is not threading.main_thread()


def test_news_being_read_when_the_event_loop_ends_lets_it_end(interval):
    """A web process stopping (or a test's event loop ending) with news in flight: the
    loop waits for the thread reading it, and nothing waits on the loop in return."""
    interval(30.0)
    reading = threading.Event()

    def read_news(object_ids, audience):
        reading.set()
        time.sleep(0.3)  # still reading when the loop shuts down
        return [(f"news-{uuid.uuid4().hex}", {"type": "tally.update"})]

    async def scenario():
        consumers.schedule_flush("tally", 13, read_news, live.SCREENS)
        await asyncio.to_thread(reading.wait, 5)

    loop_thread = threading.Thread(target=asyncio.run, args=(scenario(),), daemon=True)
    loop_thread.start()
    loop_thread.join(10)
    assert not loop_thread.is_alive()
