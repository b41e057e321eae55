"""Short garbage-collector pauses for a web process holding a thousand WebSockets.

Python's full collection walks every object it tracks, and stops the event loop while it
does: a daphne process holding a thousand phones paused 240-270 ms each time, and one
such pause fell in the middle of a reveal (bench/RESULTS.md). Most of those objects live
as long as their connection, and the collection finds nothing among them to free.

So, after each full collection, what survived it is frozen (moved out of the collector's
sight, `gc.freeze()`): the next full collection walks only what was made since. Cycles
that die after being frozen (a closed connection's objects) would never be freed, so
every `THAW_SECONDS` the frozen objects are handed back, and the next full collection
walks, and frees, everything once. One long pause every few minutes at most, instead of
one every few seconds of a busy hall. Objects freed by their reference count (most of
them) are freed at once either way.
"""

import gc
import time

THAW_SECONDS = 600.0

_last_thaw = time.monotonic()


def _after_collection(phase: str, info: dict) -> None:
    global _last_thaw
    if phase != "stop" or info["generation"] != 2:
        return
    now = time.monotonic()
    if now - _last_thaw >= THAW_SECONDS:
        _last_thaw = now
        gc.unfreeze()  # the next full collection sees everything again
    else:
        gc.freeze()


def keep_pauses_short() -> None:
    """Freeze what is loaded now (it lives as long as the process), then what survives
    each full collection; thaw it all now and then. Idempotent."""
    gc.collect()
    gc.freeze()
    if _after_collection not in gc.callbacks:
        gc.callbacks.append(_after_collection)
