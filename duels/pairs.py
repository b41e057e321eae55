"""Choosing two models for a duel, as compar:IA does: at random, "David contre Goliath"
(one of at most 60 B against one of at least 100 B), frugal (two small models), or
chosen (one or two picked, the rest drawn). Only models whose endpoint can answer now
(its key set, or none needed) are drawn. Which one is "Modèle A" is drawn elsewhere.
"""

import random
import socket
import time
import urllib.parse

from duels.models import AIModel, Endpoint

RANDOM, DAVID_GOLIATH, FRUGAL, MANUAL = "random", "david_goliath", "frugal", "manual"
MODES = (RANDOM, DAVID_GOLIATH, FRUGAL, MANUAL)

DAVID_MAX_B = 60
GOLIATH_MIN_B = 100
FRUGAL_MAX_B = 60  # size classes XS and S


class NoPair(Exception):
    """No two models fit: the message says why, in French."""


def available(models=None) -> list[AIModel]:
    """Enabled models that can be asked right now: their key is set (or none is needed),
    and a local server answers (a model of `make demo`'s catalogue on an Ollama that is not
    started would fail a live question after its retries, with the room waiting)."""
    queryset = models if models is not None else AIModel.objects.enabled()
    queryset = queryset.select_related("endpoint").exclude(endpoint__isnull=True)
    return [
        model
        for model in queryset.exclude(endpoint__api_style=Endpoint.ApiStyle.MANUAL)
        if (not model.endpoint.requires_key or model.endpoint.key_is_set)
        and (not model.endpoint.is_local or local_server_answers(model.endpoint))
    ]


# Whether each local server answered, and when it was asked: asked again after a few
# seconds, so that a server started during the workshop is offered soon after.
LOCAL_CHECK_SECONDS = 3.0
LOCAL_CONNECT_TIMEOUT = 0.3
_local_seen: dict[str, tuple[float, bool]] = {}


def local_server_answers(endpoint: Endpoint) -> bool:
    """Whether something listens at a local endpoint's address (a TCP connection is
    accepted). Only for endpoints marked local, whose address a superuser set: nobody
    else can make the platform knock on an address of their choosing."""
    address = endpoint.base_url
    now = time.monotonic()
    seen = _local_seen.get(address)
    if seen is not None and now - seen[0] < LOCAL_CHECK_SECONDS:
        return seen[1]
    parts = urllib.parse.urlsplit(address)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname, port), timeout=LOCAL_CONNECT_TIMEOUT):
            answers = True
    except (OSError, ValueError):
        answers = False
    _local_seen[address] = (now, answers)
    return answers


def forget_local_servers() -> None:
    _local_seen.clear()


def _size(model: AIModel):
    return model.size_params_b


def draw(mode: str, chosen: list[AIModel] | None = None, rng=random) -> tuple[AIModel, AIModel]:
    chosen = [m for m in (chosen or []) if m is not None]
    pool = available()
    if mode not in MODES:
        raise NoPair(f"mode inconnu : {mode}")
    for model in chosen:
        if model not in pool:
            raise NoPair(
                f"« {model.name} » ne peut pas répondre maintenant (clé absente ou serveur "
                "local arrêté) : choisissez un autre modèle"
            )
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
