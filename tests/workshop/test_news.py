"""How a web process coalesces the news of many events (votes, arrivals) into a few
messages: at once after a quiet interval, then at most once an interval."""

import asyncio
import threading

import pytest

from workshop import consumers, live


@pytest.fixture
def interval(monkeypatch):
    """Sets the screens' interval, with no news pending or recently sent in this process."""
    monkeypatch.setattr(consumers, "_flushes", {})
    monkeypatch.setattr(consumers, "_sent_at", {})

    def set_to(seconds: float) -> None:
        monkeypatch.setitem(live.FLUSH_INTERVAL_SECONDS, live.SCREENS, seconds)

    return set_to


def recorder():
    sent = []

    def publish(object_id, audience):
        sent.append((object_id, audience))

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
    assert sent == [(7, live.SCREENS)]


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
    assert held == [(7, live.SCREENS)]  # the five events waited for the interval's end
    assert sent == [(7, live.SCREENS)] * 2  # and went as one news


def test_an_event_while_the_count_is_read_gets_news_of_its_own(interval):
    """A news is released before its count is read: an event during the read (a vote
    stored after it, perhaps) is told by the next news, never dropped."""
    interval(0.2)
    sent = []
    second_scheduled = threading.Event()

    async def scenario():
        loop = asyncio.get_running_loop()
        reading = asyncio.Event()

        def publish(object_id, audience):
            sent.append(object_id)
            if len(sent) == 1:
                loop.call_soon_threadsafe(reading.set)
                assert second_scheduled.wait(timeout=5)

        consumers.schedule_flush("tally", 9, publish, live.SCREENS)
        await reading.wait()
        consumers.schedule_flush("tally", 9, publish, live.SCREENS)
        second_scheduled.set()
        await wait_for(lambda: len(sent) == 2)

    asyncio.run(scenario())
    assert sent == [9, 9]
