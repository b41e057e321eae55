"""At most N requests at once to an endpoint, across every worker: a semaphore in Redis.

Each holder is a member of a sorted set scored by when its hold lapses, so a
worker that dies gives its place back by itself once the lease runs out.
"""

import hashlib
import time
import uuid
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return 1
end
return 0
"""


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _key(endpoint_id: int) -> str:
    # Named after the database too: two databases on one Redis (a demo and the tests,
    # or two deployments) never count each other's requests.
    database = hashlib.sha256(str(settings.DATABASES["default"]["NAME"]).encode()).hexdigest()
    return f"duels:{database[:12]}:endpoint:{endpoint_id}:slots"


def acquire(endpoint_id: int, limit: int, lease_seconds: float) -> str | None:
    """Take a place if one is free; return its token, or None when the endpoint is full."""
    token = uuid.uuid4().hex
    now = time.time()
    taken = client().eval(
        _ACQUIRE,
        1,
        _key(endpoint_id),
        now,
        now + lease_seconds,
        limit,
        token,
        int(lease_seconds) + 60,
    )
    return token if taken else None


def renew(endpoint_id: int, token: str, lease_seconds: float) -> None:
    client().zadd(_key(endpoint_id), {token: time.time() + lease_seconds}, xx=True)


def release(endpoint_id: int, token: str) -> None:
    client().zrem(_key(endpoint_id), token)


def holders(endpoint_id: int) -> int:
    client().zremrangebyscore(_key(endpoint_id), "-inf", time.time())
    return client().zcard(_key(endpoint_id))


@contextmanager
def slot(endpoint_id: int, limit: int, lease_seconds: float):
    """Hold a place for the block; yields None (and holds nothing) when the endpoint is full."""
    token = acquire(endpoint_id, limit, lease_seconds)
    try:
        yield token
    finally:
        if token is not None:
            release(endpoint_id, token)
