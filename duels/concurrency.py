"""At most N requests at once to an endpoint, across every worker: a semaphore in Redis.

Each holder is a member of a sorted set scored by when its hold lapses, so a
worker that dies gives its place back by itself once the lease runs out. That also makes
Redis away for a moment harmless: a place not renewed or not given back lapses by itself,
and a place that cannot be taken is waited for, as when the endpoint is full.
"""

import hashlib
import logging
import time
import uuid
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a call to Redis may raise when Redis is away or a connection fails. redis-py lets
# some socket failures through as they are: a connection closed under it while connecting
# raised ValueError("I/O operation on closed file"), and its reply buffer gone while it
# read a handshake AttributeError("'NoneType' object has no attribute 'readline'"), both
# in bench runs (2026-11-28).
REDIS_FAULTS = (RedisError, OSError, ValueError, AttributeError)

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
    """Keep the place a while longer; Redis away, the answer goes on (the place lapses)."""
    try:
        client().zadd(_key(endpoint_id), {token: time.time() + lease_seconds}, xx=True)
    except REDIS_FAULTS:
        logger.warning("endpoint %s: place not renewed, Redis unavailable", endpoint_id)


def release(endpoint_id: int, token: str) -> None:
    """Give the place back; Redis away, it lapses by itself at the end of its lease."""
    try:
        client().zrem(_key(endpoint_id), token)
    except REDIS_FAULTS:
        logger.warning("endpoint %s: place not given back, Redis unavailable", endpoint_id)


def holders(endpoint_id: int) -> int:
    client().zremrangebyscore(_key(endpoint_id), "-inf", time.time())
    return client().zcard(_key(endpoint_id))


@contextmanager
def slot(endpoint_id: int, limit: int, lease_seconds: float):
    """Hold a place for the block; yields None (and holds nothing) when the endpoint is full,
    or when Redis cannot say whether it is: the caller comes back later either way."""
    try:
        token = acquire(endpoint_id, limit, lease_seconds)
    except REDIS_FAULTS:
        logger.warning("endpoint %s: no place taken, Redis unavailable", endpoint_id)
        token = None
    try:
        yield token
    finally:
        if token is not None:
            release(endpoint_id, token)
