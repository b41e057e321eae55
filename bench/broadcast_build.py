"""What one state change costs a web process, without the network: for each workshop left
at the reveal by `room_load.py` (run it first, against the same database), the state
every screen gets after the reveal's broadcast, built as a web process builds it (the
shared state once, then each phone's own message).

    .venv/bin/python bench/broadcast_build.py [--workshops 40]

It prints one JSON object: how many workshops and phones, the build of the first
workshop (`first_ms`: this process's caches still empty), then per workshop (`build_ms`,
shared state and every screen's message) and per phone (`per_phone_us`: the whole
build divided by the phones).
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from room_load import percentiles, setup_django  # noqa: E402


def build(workshop) -> int:
    """Every screen's message after a broadcast, as one web process serves them."""
    from workshop.snapshots import FACILITATOR, PARTICIPANT, PRESENTER, Broadcast

    broadcast = Broadcast(workshop.pk)
    broadcast.message(FACILITATOR, None, None)
    phones = 0
    for room in workshop.rooms.all():
        broadcast.message(PRESENTER, room, None)
        for participant in room.participants.all():
            broadcast.message(PARTICIPANT, room, participant)
            phones += 1
    return phones


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workshops", type=int, default=40)
    args = parser.parse_args()
    setup_django()
    from workshop import live
    from workshop.models import Workshop

    found = Workshop.objects.filter(phase=live.REVEAL, title__startswith="Banc d'essai")
    workshops = list(found.prefetch_related("rooms").order_by("-pk")[: args.workshops])
    if len(workshops) < 2:
        sys.exit("no workshop at the reveal: run bench/room_load.py against this database first")
    started = time.perf_counter()
    build(workshops[0])
    first_ms = (time.perf_counter() - started) * 1000
    timings, phones = [], 0
    for workshop in workshops[1:]:
        started = time.perf_counter()
        phones += build(workshop)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "workshops": len(workshops),
                "phones": phones,
                "first_ms": round(first_ms, 1),
                "build_ms": percentiles(timings),
                "per_phone_us": round(1000 * sum(timings) / max(phones, 1), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
