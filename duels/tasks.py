"""Celery tasks of the duels app: thin, they call duels/generation.py."""

from celery import shared_task

from duels import generation


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def fetch_generation(self, generation_id: int) -> str:
    outcome = generation.execute(generation_id)
    if outcome.countdown is not None:
        raise self.retry(countdown=outcome.countdown)
    return outcome.kind
