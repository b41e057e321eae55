"""Limits against floods: new participants per network address (in Redis, shared by every
web process), and messages per WebSocket connection (in the connection itself).

A classroom's phones often share one public address: the join limit is generous and
set by JOINS_PER_ADDRESS_PER_MINUTE; a phone that re-opens its link is not counted.
A code that names no room is counted too, against that limit and against a tighter one
of its own (JOIN_FAILURES_PER_ADDRESS_PER_MINUTE): an address that guessed too many
codes is refused every join, even with a right code, until its bucket refills.

Both are token buckets in Redis (one Lua script, so atomic across processes): a full
minute's quota at once, then the quota refilled evenly over the minute. Unlike a count
per clock minute, a burst just before a minute turns cannot be followed by another
just after it.
"""

import logging
import time

from django.conf import settings

from duels.concurrency import REDIS_FAULTS, client

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60

# KEYS: the address's joins bucket, its failures bucket. ARGV: now (seconds), the joins'
# capacity, the failures' capacity, the window in seconds, 1 if this is a failed attempt.
# Each bucket is a hash {tokens, at}; a full bucket needs no key (it expires once full).
# A join needs a token in both buckets and takes one of the joins'; a failure takes one
# of each. Nothing is taken from a refused attempt: it only waits.
_TAKE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[4])
local failed = ARGV[5] == '1'
local function level(key, capacity)
    local state = redis.call('HMGET', key, 'tokens', 'at')
    local tokens, at = tonumber(state[1]), tonumber(state[2])
    if tokens == nil then
        return capacity
    end
    local elapsed = math.max(0, now - at)
    return math.min(capacity, tokens + elapsed * capacity / window)
end
local function store(key, tokens)
    redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
    redis.call('EXPIRE', key, window + 1)
end
local joins_capacity, failures_capacity = tonumber(ARGV[2]), tonumber(ARGV[3])
local joins = level(KEYS[1], joins_capacity)
local failures = level(KEYS[2], failures_capacity)
if joins < 1 or failures < 1 then
    return 0
end
store(KEYS[1], joins - 1)
if failed then
    store(KEYS[2], failures - 1)
end
return 1
"""


def _key(address: str, bucket: str) -> str:
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    return f"duels:{prefix}:{bucket}:{address}"


def allow_join(address: str, failed: bool = False) -> bool:
    """Count a new participant from this address (or, `failed`, a code that names no
    room); False once the address must wait."""
    try:
        taken = client().eval(
            _TAKE,
            2,
            _key(address, "joins"),
            _key(address, "join-failures"),
            time.time(),
            settings.JOINS_PER_ADDRESS_PER_MINUTE,
            settings.JOIN_FAILURES_PER_ADDRESS_PER_MINUTE,
            WINDOW_SECONDS,
            1 if failed else 0,
        )
    except REDIS_FAULTS:
        # A guard against floods, not a gate: Redis away for a moment (restarted, or a
        # connection that failed under load, as two did in bench runs, REDIS_FAULTS) must
        # not turn a hall's phones away with a server error. Their page waits for Redis.
        logger.warning("join not counted: Redis unavailable", exc_info=True)
        return True
    return bool(taken)


class TokenBucket:
    """`capacity` messages at once, then `rate` a second: a burst is fine, a flood is not."""

    def __init__(self, capacity: float, rate: float, clock=time.monotonic):
        self.capacity, self.rate, self.clock = capacity, rate, clock
        self.tokens = capacity
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
