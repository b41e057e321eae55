"""Choosing two models for a duel, as compar:IA does: at random, "David contre Goliath"
(one of at most 60 B against one of at least 100 B), frugal (two small models), or
chosen (one or two picked, the rest drawn). Only models whose endpoint can answer now
(its key set, or none needed) are drawn. Which one is "Modèle A" is drawn elsewhere.
"""

import random

from duels.models import AIModel, Endpoint

RANDOM, DAVID_GOLIATH, FRUGAL, MANUAL = "random", "david_goliath", "frugal", "manual"
MODES = (RANDOM, DAVID_GOLIATH, FRUGAL, MANUAL)

DAVID_MAX_B = 60
GOLIATH_MIN_B = 100
FRUGAL_MAX_B = 60  # size classes XS and S


class NoPair(Exception):
    """No two models fit: the message says why, in French."""


def available(models=None) -> list[AIModel]:
    """Enabled models that can be asked right now."""
    queryset = models if models is not None else AIModel.objects.enabled()
    queryset = queryset.select_related("endpoint").exclude(endpoint__isnull=True)
    return [
        model
        for model in queryset.exclude(endpoint__api_style=Endpoint.ApiStyle.MANUAL)
        if not model.endpoint.requires_key or model.endpoint.key_is_set
    ]


def _size(model: AIModel):
    return model.size_params_b


def draw(mode: str, chosen: list[AIModel] | None = None, rng=random) -> tuple[AIModel, AIModel]:
    chosen = [m for m in (chosen or []) if m is not None]
    pool = available()
    if mode not in MODES:
        raise NoPair(f"mode inconnu : {mode}")
    if mode == MANUAL or chosen:
        if len(chosen) >= 2:
            if chosen[0] == chosen[1]:
                raise NoPair("choisissez deux modèles différents")
            return chosen[0], chosen[1]
        others = [m for m in pool if m not in chosen]
        if not chosen or not others:
            raise NoPair("pas assez de modèles disponibles")
        return chosen[0], rng.choice(others)
    if mode == DAVID_GOLIATH:
        davids = [m for m in pool if _size(m) is not None and _size(m) <= DAVID_MAX_B]
        goliaths = [m for m in pool if _size(m) is not None and _size(m) >= GOLIATH_MIN_B]
        if not davids or not goliaths:
            raise NoPair("il faut un petit modèle (≤ 60 Md) et un grand (≥ 100 Md) disponibles")
        return rng.choice(davids), rng.choice(goliaths)
    if mode == FRUGAL:
        pool = [m for m in pool if _size(m) is not None and _size(m) < FRUGAL_MAX_B]
    if len(pool) < 2:
        raise NoPair("il faut au moins deux modèles disponibles (clés définies ?)")
    first, second = rng.sample(pool, 2)
    return first, second
