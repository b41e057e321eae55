"""The endpoints' places in Redis (duels/concurrency.py) when Redis is away: a generation
waits for a place rather than failing, and a place it cannot renew or give back lapses by
itself. Redis away is real here: the client is pointed at a port where nothing listens."""

import time

from duels import concurrency
from duels import generation as fetching
from duels.models import Generation

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens there


def redis_at(settings, url: str) -> None:
    settings.REDIS_URL = url
    concurrency.client.cache_clear()


def waiting(make, behaviour: str) -> Generation:
    model = make(behaviour)
    return Generation.objects.create(model=model, prompt=make.prompt)


def test_a_generation_waits_for_redis_to_take_a_place(fake_catalogue, fake, settings, caplog):
    """Before, the worker's task raised, and the answer stayed waiting with no task left
    to fetch it."""
    generation = waiting(fake_catalogue, "ok")
    reachable = settings.REDIS_URL
    redis_at(settings, NOWHERE)
    try:
        outcome = fetching.execute(generation.pk)
    finally:
        redis_at(settings, reachable)
    assert outcome.kind == fetching.BUSY and outcome.countdown > 0  # the task comes back
    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == (Generation.Status.PENDING, 0)
    assert sum(fake.requests.values()) == 0
    assert "no place taken, Redis unavailable" in caplog.text
    # Redis back, the task's next attempt fetches the answer.
    assert fetching.execute(generation.pk).kind == fetching.DONE


def test_an_answer_goes_on_when_redis_goes_away_and_its_place_lapses(
    fake_catalogue, fake, settings, caplog, monkeypatch
):
    settings.GENERATION_LEASE_SECONDS = 1
    generation = waiting(fake_catalogue, "ok")
    endpoint = generation.model.endpoint
    reachable, taken = settings.REDIS_URL, concurrency.acquire

    def taken_then_redis_away(*args):
        token = taken(*args)
        redis_at(settings, NOWHERE)
        return token

    monkeypatch.setattr(concurrency, "acquire", taken_then_redis_away)
    try:
        outcome = fetching.execute(generation.pk)
    finally:
        redis_at(settings, reachable)
    assert outcome.kind == fetching.DONE
    generation.refresh_from_db()
    assert generation.status == Generation.Status.DONE, generation.error
    assert "place not given back, Redis unavailable" in caplog.text
    assert concurrency.holders(endpoint.pk) == 1  # still counted, until its lease ends
    time.sleep(1.2)
    assert concurrency.holders(endpoint.pk) == 0


def test_renewing_a_place_with_redis_away_is_logged_not_raised(settings, caplog):
    token = concurrency.acquire(987654, 1, 30)
    reachable = settings.REDIS_URL
    redis_at(settings, NOWHERE)
    try:
        concurrency.renew(987654, token, 30)
    finally:
        redis_at(settings, reachable)
    concurrency.release(987654, token)
    assert "place not renewed, Redis unavailable" in caplog.text
    assert concurrency.holders(987654) == 0
