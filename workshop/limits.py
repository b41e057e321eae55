"""Limits against floods: new participants per network address (in Redis, shared by every
web process), and messages per WebSocket connection (in the connection itself).

A classroom's phones often share one public address: the join limit is generous and
set by JOINS_PER_ADDRESS_PER_MINUTE; a phone that re-opens its link is not counted.
"""

import logging
import time

from django.conf import settings

from duels.concurrency import REDIS_FAULTS, client

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def allow_join(address: str) -> bool:
    """Count a new participant from this address; False once the minute's quota is spent."""
    limit = settings.JOINS_PER_ADDRESS_PER_MINUTE
    window = int(time.time() // WINDOW_SECONDS)
    key = f"duels:{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:joins:{address}:{window}"
    pipe = client().pipeline()
    pipe.incr(key)
    pipe.expire(key, WINDOW_SECONDS * 2)
    try:
        count, _ = pipe.execute()
    except REDIS_FAULTS:
        # A guard against floods, not a gate: Redis away for a moment (restarted, or a
        # connection that failed under load, as two did in bench runs, REDIS_FAULTS) must
        # not turn a hall's phones away with a server error. Their page waits for Redis.
        logger.warning("join not counted: Redis unavailable", exc_info=True)
        return True
    return count <= limit


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
