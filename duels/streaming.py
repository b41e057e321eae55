"""A running generation's text, published on the channel layer as it grows.

Batched: at most a few messages a second, never one per token. Each message
carries the whole text so far (a screen that joins late is whole at once);
the same text is saved on the generation, so a reconnecting screen reads it
from the database too.
"""

import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

# Seconds between two messages of the same generation.
INTERVAL_SECONDS = 0.25


def group_name(generation_id: int) -> str:
    return f"generation.{generation_id}"


def publish(generation_id: int, message: dict) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        group_name(generation_id),
        {"type": "generation.progress", "generation": generation_id} | message,
    )


class Batcher:
    """Calls `flush(text, reasoning)` at most every INTERVAL_SECONDS, and once at the end."""

    def __init__(self, flush, interval: float = INTERVAL_SECONDS):
        self._flush = flush
        self._interval = interval
        self._last = 0.0
        self._pending: tuple[str, str] | None = None

    def __call__(self, text: str, reasoning: str) -> None:
        self._pending = (text, reasoning)
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._flush(*self._pending)
            self._pending = None

    def close(self) -> None:
        if self._pending is not None:
            self._flush(*self._pending)
            self._pending = None
