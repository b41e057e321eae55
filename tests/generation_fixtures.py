"""Fixtures for tests that fetch answers: a fake provider, real workers, a test queue."""

import os
import uuid

import pytest

from config.celery import app as celery_app
from duels.models import AIModel, Endpoint, Maker, Prompt
from tests.fake_provider import FakeProvider
from tests.workers import Worker

# Quick retries and short leases, so that faults play out in seconds.
FAST = {
    "GENERATION_RETRY_BASE_SECONDS": "1",
    "GENERATION_RETRY_CAP_SECONDS": "2",
    "GENERATION_MAX_ATTEMPTS": "3",
    "GENERATION_LEASE_SECONDS": "4",
    "CELERY_VISIBILITY_TIMEOUT": "3",
    "CELERY_RESTORE_INTERVAL": "1",
}


@pytest.fixture(scope="session")
def task_queue():
    """A queue of this test run's own: a demo's worker on the same Redis never takes its tasks."""
    queue = f"duels-test-{os.getpid()}"
    celery_app.conf.task_default_queue = queue
    return queue


@pytest.fixture
def fake():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(transactional_db, task_queue, tmp_path):
    started = []

    def start(name: str = "worker", **env) -> Worker:
        worker = Worker(task_queue, tmp_path / f"{name}.log", **(FAST | env)).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def worker(start_worker) -> Worker:
    return start_worker()


@pytest.fixture
def fake_catalogue(transactional_db, fake):
    """make(behaviour) -> a model served by the fake provider with that behaviour."""
    maker = Maker.objects.create(slug="fake-maker", name="Fake")
    endpoint = Endpoint.objects.create(
        slug="fake",
        name="Fake",
        base_url=fake.base_url,
        is_local=True,  # the fake server listens on 127.0.0.1
        timeout_seconds=5,
        max_concurrency=4,
    )
    prompt = Prompt.objects.create(slug="q", title="Question", text="Pourquoi ?")

    def make(behaviour: str, **fields) -> AIModel:
        tag = uuid.uuid4().hex[:8]
        facts = {
            "slug": f"{behaviour}-{tag}",
            "name": behaviour,
            "maker": maker,
            "total_params_b": 24,
            "license": "Apache 2.0",
            "distribution": AIModel.Distribution.OPEN_WEIGHTS,
            "endpoint": endpoint,
            "endpoint_model_id": f"{behaviour}:{tag}",
        }
        return AIModel.objects.create(**(facts | fields))

    make.endpoint = endpoint
    make.prompt = prompt
    return make
