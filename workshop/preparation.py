"""Preparing a workshop: every duel's two answers fetched ahead, in the background.

For each duel step of the script, the workshop gets a Round whose two
generations are obtained through duels.generation.obtain: a finished answer
for the same model, prompt and settings is reused, one in flight is shared,
only what is missing is queued. Which answer is "Modèle A" is drawn at random
when the round is created, and kept.

With `offline_fallback` (the demo, when a duel's cloud keys are not set), both
sides of that duel are answered by the one local model, as two separate
samples, and the round says so: no answer is ever shown as another model's.
"""

import random
from dataclasses import dataclass, field

from django.db import transaction

from duels import generation as fetching
from duels.local_model import MODEL_ALIAS
from duels.models import AIModel, Generation, Prompt
from workshop.models import Round, Step, Workshop

LOCAL_MODEL_SLUG = MODEL_ALIAS  # "gemma-3-270m", the catalogue's offline model


@dataclass
class Preparation:
    rounds: list[Round] = field(default_factory=list)
    queued: int = 0
    reused: int = 0
    skipped: list[str] = field(default_factory=list)  # duels that cannot be prepared, and why


def _key_missing(model: AIModel) -> bool:
    endpoint = model.endpoint
    return endpoint is None or (endpoint.requires_key and not endpoint.key_is_set)


def _obtain(model: AIModel, prompt: Prompt, extra: dict | None = None, fresh: bool = False):
    sampling = fetching.default_sampling(model) | (extra or {})
    return fetching.obtain(model, prompt, "", sampling, fresh=fresh)


def prepare(workshop: Workshop, *, offline_fallback: bool = False) -> Preparation:
    result = Preparation()
    duel_steps = workshop.script.steps.filter(kind=Step.Kind.DUEL).select_related(
        "prompt", "model_a__endpoint", "model_b__endpoint"
    )
    with transaction.atomic():
        for step in duel_steps:
            round_ = Round.objects.filter(workshop=workshop, step=step).first()
            if round_ is None:
                round_ = _new_round(workshop, step, offline_fallback, result)
                if round_ is None:
                    continue
            else:
                for generation in round_.generations:
                    if generation.status == Generation.Status.FAILED:
                        fetching.retry(generation)
                        result.queued += 1
                    else:
                        result.reused += 1
            result.rounds.append(round_)
    return result


def _new_round(workshop, step, offline_fallback, result) -> Round | None:
    if step.model_a is None or step.model_b is None:
        result.skipped.append(f"{step.title} : choisissez deux modèles dans le déroulé")
        return None
    models, offline, extras = [step.model_a, step.model_b], False, [None, None]
    if offline_fallback and any(_key_missing(model) for model in models):
        local = AIModel.objects.select_related("endpoint").filter(slug=LOCAL_MODEL_SLUG).first()
        if local is None:
            result.skipped.append(f"{step.title} : le modèle local {LOCAL_MODEL_SLUG} manque")
            return None
        # Two samples of the same model: different seeds make them two generations.
        models, offline, extras = [local, local], True, [{"seed": 1}, {"seed": 2}]
    generations = []
    for model, extra in zip(models, extras, strict=True):
        generation, queued = _obtain(model, step.prompt, extra)
        generations.append(generation)
        result.queued += queued
        result.reused += not queued
    random.shuffle(generations)  # which one is "Modèle A", drawn once and kept
    return Round.objects.create(
        workshop=workshop,
        step=step,
        generation_a=generations[0],
        generation_b=generations[1],
        offline_demo=offline,
    )


def swap_model(round_: Round, side: str, model: AIModel, *, fresh: bool = False) -> Generation:
    """Answer one side of a round with another model (its A/B place is kept).

    With `fresh`, a new answer is asked for even if one is stored (same model or not).
    """
    if side not in ("a", "b"):
        raise ValueError(f"side must be 'a' or 'b', not {side!r}")
    other = round_.generation_b if side == "a" else round_.generation_a
    with transaction.atomic():
        current = getattr(round_, f"generation_{side}")
        extra = current.settings if fresh and current.model_id == model.pk else None
        generation, _ = _obtain(model, other.prompt, extra, fresh=fresh)
        if generation.pk == other.pk:
            raise ValueError("les deux côtés auraient la même réponse")
        setattr(round_, f"generation_{side}", generation)
        round_.offline_demo = round_.offline_demo and model.slug == LOCAL_MODEL_SLUG
        round_.save(update_fields=[f"generation_{side}", "offline_demo"])
    return generation


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    failed: int
    running: int
    waiting: int

    @property
    def finished(self) -> bool:
        return self.done + self.failed == self.total


def progress(workshop: Workshop) -> Progress:
    statuses = [
        generation.status
        for round_ in workshop.rounds.select_related("generation_a", "generation_b")
        for generation in round_.generations
    ]
    return Progress(
        total=len(statuses),
        done=statuses.count(Generation.Status.DONE),
        failed=statuses.count(Generation.Status.FAILED),
        running=statuses.count(Generation.Status.RUNNING),
        waiting=statuses.count(Generation.Status.PENDING),
    )
