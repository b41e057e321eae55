"""Fetching a generation: claim it, ask the provider, keep the answer, or say why not.

The rules, in one place, for the Celery task (duels/tasks.py) and the tests:
- a generation is claimed atomically in the database, with a lease that the
  worker renews as text arrives; two workers never run it at once, and a
  lease left by a dead worker may be taken over (a re-delivered task);
- at most `endpoint.max_concurrency` requests run at once per endpoint;
- retryable failures (429, 5xx, timeouts, cut streams) go back to "pending"
  with a backoff; others end in "failed" with a message a facilitator reads;
- only the holder of the claim can finish it, and only a whole answer is
  ever marked done (with its impact).
"""

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from duels import concurrency, providers, streaming
from duels.impact import store_impact
from duels.models import AIModel, Endpoint, Generation, Prompt

logger = logging.getLogger(__name__)

DONE, FAILED, RETRY, BUSY, SKIPPED = "done", "failed", "retry", "busy", "skipped"


def lease_seconds() -> float:
    return float(getattr(settings, "GENERATION_LEASE_SECONDS", 60))


def max_attempts() -> int:
    return int(getattr(settings, "GENERATION_MAX_ATTEMPTS", 5))


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter; a provider's Retry-After wins when it is longer."""
    base = float(getattr(settings, "GENERATION_RETRY_BASE_SECONDS", 2))
    cap = float(getattr(settings, "GENERATION_RETRY_CAP_SECONDS", 60))
    delay = min(cap, base * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.5)  # noqa: S311
    return max(delay, retry_after or 0)


@dataclass(frozen=True)
class Outcome:
    kind: str
    countdown: float | None = None
    message: str = ""


class LostClaim(Exception):
    """Another worker took the generation over (our lease lapsed)."""


def claim(generation_id: int) -> tuple[Generation, str] | None:
    """Take the generation if it is waiting, or if its holder's lease has lapsed."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimable = Q(status=Generation.Status.PENDING) | Q(
        status=Generation.Status.RUNNING, lease_expires_at__lt=now
    )
    taken = Generation.objects.filter(claimable, pk=generation_id).update(
        status=Generation.Status.RUNNING,
        claim_token=token,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        started_at=now,
        attempts=F("attempts") + 1,
        text="",
        reasoning_text="",
    )
    if not taken:
        return None
    generation = Generation.objects.select_related("model__endpoint", "prompt").get(
        pk=generation_id
    )
    return generation, token


def execute(generation_id: int) -> Outcome:
    """Run one attempt at a generation; the outcome tells the task whether to come back."""
    generation = (
        Generation.objects.select_related("model__endpoint").filter(pk=generation_id).first()
    )
    if generation is None or generation.status in (
        Generation.Status.DONE,
        Generation.Status.FAILED,
    ):
        return Outcome(SKIPPED)
    endpoint = generation.model.endpoint
    if endpoint is None or endpoint.api_style == Endpoint.ApiStyle.MANUAL:
        return _fail_unclaimed(
            generation_id,
            "ce modèle n'a pas de point d'accès : collez sa réponse dans le back-office",
        )

    with concurrency.slot(endpoint.pk, endpoint.max_concurrency, lease_seconds()) as place:
        if place is None:
            return Outcome(BUSY, countdown=random.uniform(1, 3))  # noqa: S311
        claimed = claim(generation_id)
        if claimed is None:
            return _held_elsewhere(generation_id)
        generation, token = claimed
        try:
            answer = _ask(generation, token, endpoint, place)
        except LostClaim:
            return Outcome(SKIPPED)
        except providers.ProviderError as error:
            return _after_error(generation, token, error)
        finish(generation, token, answer)
        return Outcome(DONE)


def _held_elsewhere(generation_id: int) -> Outcome:
    """Someone else holds it: come back when their lease ends, in case they died meanwhile."""
    current = Generation.objects.filter(pk=generation_id).values("status", "lease_expires_at")
    current = current.first()
    if current is None or current["status"] != Generation.Status.RUNNING:
        return Outcome(SKIPPED)
    remaining = (current["lease_expires_at"] - timezone.now()).total_seconds()
    return Outcome(BUSY, countdown=max(1.0, remaining + 1))


def _ask(generation: Generation, token: str, endpoint: Endpoint, place: str):
    def save_progress(text: str, reasoning: str) -> None:
        # Renewing the lease and saving the partial text are one update; no row means
        # another worker has taken the generation over, so this attempt stops here.
        renewed = Generation.objects.filter(pk=generation.pk, claim_token=token).update(
            text=text,
            reasoning_text=reasoning,
            lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
        )
        if not renewed:
            raise LostClaim
        concurrency.renew(endpoint.pk, place, lease_seconds())
        streaming.publish(generation.pk, {"text": text, "reasoning": reasoning, "done": False})

    batcher = streaming.Batcher(save_progress)
    answer = providers.chat_completion(
        endpoint,
        generation.model.endpoint_model_id,
        messages(generation),
        generation.settings,
        on_progress=batcher,
    )
    batcher.close()
    return answer


def messages(generation: Generation) -> list[dict]:
    chat = [{"role": "user", "content": generation.prompt.text}]
    if generation.system_prompt:
        chat.insert(0, {"role": "system", "content": generation.system_prompt})
    return chat


def finish(generation: Generation, token: str, answer: providers.Answer) -> bool:
    """Keep a whole answer and its impact, if this worker still holds the generation."""
    with transaction.atomic():
        finished = Generation.objects.filter(
            pk=generation.pk, claim_token=token, status=Generation.Status.RUNNING
        ).update(
            status=Generation.Status.DONE,
            text=answer.text,
            reasoning_text=answer.reasoning,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            reasoning_tokens=answer.reasoning_tokens,
            token_source=answer.token_source,
            time_to_first_token_ms=answer.time_to_first_token_ms,
            duration_ms=answer.duration_ms,
            error="",
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        if not finished:
            return False
        generation.refresh_from_db()
        store_impact(generation)
        transaction.on_commit(
            lambda: streaming.publish(
                generation.pk,
                {"text": generation.text, "reasoning": generation.reasoning_text, "done": True},
            )
        )
    return True


def _after_error(generation: Generation, token: str, error: providers.ProviderError) -> Outcome:
    attempts = Generation.objects.filter(pk=generation.pk).values_list("attempts", flat=True)[0]
    logger.info(
        "generation %s attempt %s: %s (retryable=%s)",
        generation.pk,
        attempts,
        error.message,
        error.retryable,
        extra={"generation": generation.pk, "model": generation.model_id, "attempt": attempts},
    )
    if error.retryable and attempts < max_attempts():
        countdown = backoff_seconds(attempts, error.retry_after)
        # Back to waiting, the half-received text dropped: a retry starts from nothing.
        Generation.objects.filter(pk=generation.pk, claim_token=token).update(
            status=Generation.Status.PENDING,
            text="",
            reasoning_text="",
            lease_expires_at=None,
            error=f"{error.message} ; nouvel essai dans {round(countdown)} s",
        )
        return Outcome(RETRY, countdown=countdown, message=error.message)
    Generation.objects.filter(pk=generation.pk, claim_token=token).update(
        status=Generation.Status.FAILED,
        text="",
        reasoning_text="",
        lease_expires_at=None,
        error=error.message,
        finished_at=timezone.now(),
    )
    logger.warning(
        "generation %s failed (attempt %s): %s",
        generation.pk,
        attempts,
        error.message,
        extra={"generation": generation.pk, "model": generation.model_id, "attempt": attempts},
    )
    return Outcome(FAILED, message=error.message)


def _fail_unclaimed(generation_id: int, message: str) -> Outcome:
    Generation.objects.filter(pk=generation_id, status=Generation.Status.PENDING).update(
        status=Generation.Status.FAILED, error=message, finished_at=timezone.now()
    )
    logger.warning(
        "generation %s failed: %s", generation_id, message, extra={"generation": generation_id}
    )
    return Outcome(FAILED, message=message)


def default_sampling(model: AIModel) -> dict:
    """The settings a workshop asks with: room for a reasoning model to think, within the
    endpoint's cap (a slow local server)."""
    max_tokens = 4096 if model.reasoning != AIModel.Reasoning.NO else 1024
    if model.endpoint is not None and model.endpoint.max_tokens:
        max_tokens = min(max_tokens, model.endpoint.max_tokens)
    return {"temperature": 0.7, "max_tokens": max_tokens}


def paste(generation: Generation) -> Generation:
    """Keep an answer an admin pasted (copied from any chat interface): the manual provider.

    Its tokens are estimated from its length, and marked as estimated.
    """
    with transaction.atomic():
        generation.origin = Generation.Origin.PASTED
        generation.status = Generation.Status.DONE
        generation.output_tokens = providers.estimate_tokens(
            generation.text
        ) + providers.estimate_tokens(generation.reasoning_text)
        generation.reasoning_tokens = providers.estimate_tokens(generation.reasoning_text) or None
        generation.input_tokens = None
        generation.token_source = Generation.TokenSource.ESTIMATED
        generation.time_to_first_token_ms = None
        generation.duration_ms = None
        generation.error = ""
        generation.finished_at = timezone.now()
        generation.save()
        store_impact(generation)
    return generation


# Reuse and queueing -------------------------------------------------------------------------


def queue(generation: Generation) -> None:
    """Send the generation to a worker once the current transaction commits."""
    from duels.tasks import fetch_generation  # the task module imports this one

    generation_id = generation.pk
    transaction.on_commit(lambda: fetch_generation.delay(generation_id))


def obtain(
    model: AIModel,
    prompt: Prompt,
    system_prompt: str = "",
    sampling: dict | None = None,
    *,
    fresh: bool = False,
) -> tuple[Generation, bool]:
    """The generation to show for this model, prompt and settings; (generation, queued).

    A finished one is reused, one in flight is shared; a failed one is tried again.
    Only when nothing exists (or `fresh` is asked) is a new one created and queued.
    """
    sampling = sampling or {}
    with transaction.atomic():
        if not fresh:
            same = Generation.objects.for_key(model, prompt, system_prompt, sampling)
            done = same.filter(status=Generation.Status.DONE).order_by("-finished_at").first()
            if done is not None:
                return done, False
            in_flight = same.filter(
                status__in=[Generation.Status.PENDING, Generation.Status.RUNNING]
            ).first()
            if in_flight is not None:
                return in_flight, False
            failed = same.filter(status=Generation.Status.FAILED).order_by("-pk").first()
            if failed is not None:
                retry(failed)
                return failed, True
        generation = Generation.objects.create(
            model=model, prompt=prompt, system_prompt=system_prompt, settings=sampling
        )
        queue(generation)
        return generation, True


def retry(generation: Generation) -> None:
    """Try a failed generation again, from nothing."""
    Generation.objects.filter(pk=generation.pk, status=Generation.Status.FAILED).update(
        status=Generation.Status.PENDING, attempts=0, error="", finished_at=None
    )
    generation.refresh_from_db()
    queue(generation)
