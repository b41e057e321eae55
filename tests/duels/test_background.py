"""Answers fetched in the background by real Celery workers, through Redis."""

import time

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from duels import generation as fetching
from duels.models import Endpoint, Generation
from tests.fake_provider import WORDS
from tests.workers import wait_for

SECRET = "sk-test-worker-secret-987654321"


def prepare(make, behaviour, **fields) -> Generation:
    model = make(behaviour, **fields)
    with transaction.atomic():
        generation, queued = fetching.obtain(model, make.prompt)
    assert queued
    return generation


def settled(generation: Generation, timeout: float = 40) -> Generation:
    def finished():
        generation.refresh_from_db()
        return generation.status in (Generation.Status.DONE, Generation.Status.FAILED)

    wait_for(finished, timeout)
    return generation


def test_an_answer_is_fetched_kept_and_costed(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "ok"))
    assert generation.status == Generation.Status.DONE, generation.error
    assert generation.text == "".join(WORDS)
    assert generation.output_tokens == len(WORDS)
    assert generation.token_source == Generation.TokenSource.COUNTED
    assert generation.time_to_first_token_ms is not None and generation.duration_ms
    assert generation.energy_wh_min > 0 and generation.impact_method == "EcoLogits"
    assert generation.attempts == 1


def test_429_is_retried_after_retry_after(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "429-then-ok"))
    assert generation.status == Generation.Status.DONE
    assert fake.requests[generation.model.endpoint_model_id] == 2
    assert generation.attempts == 2


def test_500_then_success(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "500-then-ok"))
    assert generation.status == Generation.Status.DONE
    assert fake.requests[generation.model.endpoint_model_id] == 2


def test_a_refusal_fails_at_once_with_a_readable_error(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "401"))
    assert generation.status == Generation.Status.FAILED
    assert generation.error == "le fournisseur a refusé : 401 (Invalid API key)"
    assert fake.requests[generation.model.endpoint_model_id] == 1


def test_malformed_json_fails_without_retrying(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "malformed"))
    assert generation.status == Generation.Status.FAILED and "JSON" in generation.error
    assert fake.requests[generation.model.endpoint_model_id] == 1


def test_a_stream_cut_every_time_ends_failed_and_never_half_done(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "cut"))
    assert generation.status == Generation.Status.FAILED
    assert "interrompu" in generation.error
    assert generation.text == ""  # the half that arrived is not kept
    assert fake.requests[generation.model.endpoint_model_id] == 3  # GENERATION_MAX_ATTEMPTS


def test_timeouts_are_retried_then_fail(worker, fake_catalogue, fake):
    fake.slow_seconds = 3
    Endpoint.objects.update(timeout_seconds=1)
    generation = settled(prepare(fake_catalogue, "timeout"), timeout=60)
    assert generation.status == Generation.Status.FAILED
    assert "à temps" in generation.error
    assert fake.requests[generation.model.endpoint_model_id] == 3


def test_a_missing_key_fails_before_anything_is_sent(start_worker, fake_catalogue, fake):
    start_worker(PROVIDER_KEY_VARIABLES="FAKE_MISSING_KEY")  # a name it allows, and unset
    Endpoint.objects.update(api_key_env="FAKE_MISSING_KEY")
    generation = settled(prepare(fake_catalogue, "ok"))
    assert generation.status == Generation.Status.FAILED
    assert generation.error == "la clé FAKE_MISSING_KEY n'est pas définie"
    assert sum(fake.requests.values()) == 0


def test_a_row_naming_secret_key_fails_and_sends_nothing(start_worker, fake_catalogue, fake):
    """A row written without validation (before the allow-list, a shell, a raw update): the
    worker sends neither the platform's secret key nor anything else (issue 20)."""
    platform_secret = "platform-secret-key-that-must-never-leave-0123456789"
    worker = start_worker(SECRET_KEY=platform_secret)
    Endpoint.objects.update(api_key_env="SECRET_KEY")
    generation = settled(prepare(fake_catalogue, "ok"))
    assert generation.status == Generation.Status.FAILED
    assert "secret de la plateforme" in generation.error
    assert generation.attempts == 1  # a refusal, not retried
    assert sum(fake.requests.values()) == 0
    worker.stop()
    assert platform_secret not in worker.log.read_text() + generation.error


def test_no_key_leaks_into_the_database_or_the_worker_log(start_worker, fake_catalogue, fake):
    worker = start_worker(PROVIDER_KEY_VARIABLES="FAKE_SECRET_KEY", FAKE_SECRET_KEY=SECRET)
    Endpoint.objects.update(api_key_env="FAKE_SECRET_KEY")
    generation = settled(prepare(fake_catalogue, "echo-key"))
    assert generation.status == Generation.Status.FAILED
    assert fake.headers[-1]["Authorization"] == f"Bearer {SECRET}"  # it was really sent
    assert SECRET not in generation.error and "***" in generation.error
    worker.stop()
    assert SECRET not in worker.log.read_text()
    for row in Generation.objects.values():
        assert SECRET not in str(row)
    for row in Endpoint.objects.values():
        assert SECRET not in str(row)


def test_two_workers_given_the_same_generation_produce_one_answer(
    start_worker, fake_catalogue, fake
):
    start_worker("first")
    start_worker("second")
    generation = prepare(fake_catalogue, "slow")
    for _ in range(3):  # the same task, re-delivered thrice
        with transaction.atomic():
            fetching.queue(generation)
    settled(generation)
    assert generation.status == Generation.Status.DONE
    assert fake.requests[generation.model.endpoint_model_id] == 1
    assert generation.attempts == 1


def test_a_killed_workers_generation_is_finished_by_another(start_worker, fake_catalogue, fake):
    doomed = start_worker("doomed")
    fake.slow_seconds = 6
    generation = prepare(fake_catalogue, "slow")
    wait_for(lambda: fake.requests[generation.model.endpoint_model_id] == 1, 20)
    time.sleep(1)  # a few words have arrived and been saved
    doomed.kill()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.RUNNING and generation.text

    fake.slow_seconds = 1
    start_worker("rescuer")
    settled(generation, timeout=60)
    assert generation.status == Generation.Status.DONE
    assert generation.text == "".join(WORDS)
    assert generation.attempts == 2
    assert fake.requests[generation.model.endpoint_model_id] == 2


def test_an_endpoint_takes_no_more_requests_at_once_than_allowed(
    start_worker, fake_catalogue, fake
):
    start_worker(concurrency=4)
    Endpoint.objects.update(max_concurrency=1)
    fake.slow_seconds = 1.5
    generations = [prepare(fake_catalogue, "slow") for _ in range(3)]
    for generation in generations:
        settled(generation, timeout=60)
        assert generation.status == Generation.Status.DONE
    assert fake.max_active == 1


def test_reuse_queues_nothing_twice(worker, fake_catalogue, fake):
    model = fake_catalogue("ok")
    with transaction.atomic():
        first, queued = fetching.obtain(model, fake_catalogue.prompt)
    assert queued
    with transaction.atomic():
        again, queued_again = fetching.obtain(model, fake_catalogue.prompt)
    assert again == first and not queued_again  # in flight: shared, not queued again
    settled(first)
    with transaction.atomic():
        reused, queued_third = fetching.obtain(model, fake_catalogue.prompt)
    assert reused == first and not queued_third
    assert Generation.objects.filter(model=model).count() == 1
    assert fake.requests[model.endpoint_model_id] == 1
    # Other settings are another generation; a fresh one is asked for when wanted.
    with transaction.atomic():
        other, _ = fetching.obtain(model, fake_catalogue.prompt, sampling={"temperature": 0})
        fresh, _ = fetching.obtain(model, fake_catalogue.prompt, fresh=True)
    assert len({first.pk, other.pk, fresh.pk}) == 3


def test_a_failure_can_be_retried(worker, fake_catalogue, fake):
    generation = settled(prepare(fake_catalogue, "401"))
    fake_catalogue.endpoint.refresh_from_db()
    # The facilitator fixes the cause (here: the model id), then retries.
    generation.model.endpoint_model_id = "ok:fixed"
    generation.model.save()
    with transaction.atomic():
        fetching.retry(generation)
    settled(generation)
    assert generation.status == Generation.Status.DONE and generation.error == ""


@pytest.mark.django_db
def test_backoff_grows_and_honours_retry_after(settings):
    settings.GENERATION_RETRY_BASE_SECONDS = 2
    settings.GENERATION_RETRY_CAP_SECONDS = 60
    assert 1 <= fetching.backoff_seconds(1) <= 3
    assert 8 <= fetching.backoff_seconds(4) <= 24
    assert fetching.backoff_seconds(10) <= 90
    assert fetching.backoff_seconds(1, retry_after=30) >= 30


def test_a_running_answer_streams_to_the_screens_in_batches(worker, fake_catalogue, fake):
    import asyncio

    from channels.layers import get_channel_layer

    from duels.streaming import group_name

    model = fake_catalogue("slow")
    fake.slow_seconds = 1  # a word every 0.125 s: twice as fast as the screens are updated

    async def listen() -> list[dict]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        # The generation's id is known before its task is queued.
        generation = await database_sync_to_async(_create_unqueued)(model, fake_catalogue.prompt)
        await layer.group_add(group_name(generation.pk), channel)
        await database_sync_to_async(_queue)(generation)
        messages = []
        while not messages or not messages[-1]["done"]:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout=30))
        return messages

    messages = asyncio.run(listen())
    final = "".join(WORDS)
    assert messages[-1]["text"] == final and messages[-1]["done"]
    assert all(final.startswith(m["text"]) for m in messages)
    assert len(messages) <= len(WORDS) // 2 + 2  # batched: not one message per token...
    assert len(messages) >= 3  # ...and yet the text grew on screen before the end


def _create_unqueued(model, prompt) -> Generation:
    return Generation.objects.create(model=model, prompt=prompt)


def _queue(generation: Generation) -> None:
    with transaction.atomic():
        fetching.queue(generation)
