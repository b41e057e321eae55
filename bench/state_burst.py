"""Forty workshops' screens told of a change at the same moment, and nothing else: what a
reveal of forty workshops costs, measured alone, in a few seconds a burst.

    .venv/bin/python bench/state_burst.py $B --workshops 40 --phones 50 [--bursts 6] [--reveal]

Against a running platform, as `room_load.py` (and with its pieces): it creates the
workshops, joins the phones and connects them and the panels, and brings every workshop to
the reveal without a vote. Then each burst tells every workshop's screens of a change at
once, through the channel layer as a transition does: a whole new state (each process
builds every screen's part once, `snapshots.for_broadcast`), or with `--reveal` a reveal
(`live.broadcast` reads what it changes, `snapshots.reveal_news`, once a workshop, in
this harness's threads as a transition would in a web process's, and carries it to every
screen). It prints one JSON object:
per burst, when the phones had it (p50, p95, max, in ms from the burst) and the CPU seconds
spent meanwhile by the daphne processes of this machine, by this harness and by PostgreSQL
(read from /proc, over the burst and the second after it).
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]

import room_load  # noqa: E402

CPU_PROGRAMS = ("daphne", "postgres")


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of this machine's daphne and PostgreSQL processes, and of this
    one."""
    totals = dict.fromkeys((*CPU_PROGRAMS, "harness"), 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(entry) == os.getpid():
            totals["harness"] += used
            continue
        for program in CPU_PROGRAMS:
            if program in command:
                totals[program] += used
    return totals


async def connect(bases, session_key, plans, phones_per_workshop):
    """Each workshop's panel and phones connected, each with its first state."""
    rooms = [plan.rooms[0] for plan in plans for _ in range(phones_per_workshop)]
    joined = await room_load.join_all(bases, rooms, 32)
    phones = [
        room_load.Phone(bases, i, room, token)
        for i, (room, (token, _)) in enumerate(zip(rooms, joined, strict=True))
    ]
    panels = [
        room_load.Screen(bases, w, f"/ws/animation/{plan.id}/", f"sessionid={session_key}")
        for w, plan in enumerate(plans)
    ]
    screens = [*panels, *phones]
    await room_load.connect_all(screens)
    return phones, screens


async def burst(plans, phones, reveal: bool) -> dict:
    from asgiref.sync import sync_to_async

    from workshop import live
    from workshop.models import Round

    tell = sync_to_async(live.broadcast, thread_sensitive=False)
    rounds = Round.objects.select_related("workshop").filter(pk__in=[p.round_id for p in plans])
    revealed = await sync_to_async(lambda: {r.pk: r for r in rounds}, thread_sensitive=False)()
    told = [p.expect(lambda m: m.get("type") in room_load.SHOWN_PHASE) for p in phones]
    before = cpu_seconds()
    started = time.monotonic()
    await asyncio.gather(
        *(
            tell(plan.id, **({"revealed": revealed[plan.round_id]} if reveal else {}))
            for plan in plans
        )
    )
    arrived = await asyncio.wait_for(asyncio.gather(*told), room_load.STEP_TIMEOUT)
    await asyncio.sleep(1)  # what the burst set off and is still running
    after = cpu_seconds()
    result = room_load.percentiles([(at - started) * 1000 for _, at, _ in arrived])
    result["cpu_s"] = {name: round(after[name] - before[name], 2) for name in before}
    return result


async def main_async(args, session_key, plans) -> dict:
    from asgiref.sync import sync_to_async

    from workshop import live

    phones, screens = await connect(args.base_url, session_key, plans, args.phones)
    for command in ("open_vote", "close_vote", "reveal"):
        for plan in plans:
            await sync_to_async(live.transition, thread_sensitive=False)(plan.id, command)
    await asyncio.sleep(3)  # every screen has had the reveal
    bursts = []
    for _ in range(args.bursts):
        bursts.append(await burst(plans, phones, args.reveal))
        await asyncio.sleep(1)
    for screen in screens:
        await screen.close()
    return {"workshops": len(plans), "phones": len(phones), "reveal": args.reveal, "bursts": bursts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", action="append", required=True)
    parser.add_argument("--workshops", type=int, default=40)
    parser.add_argument("--phones", type=int, default=50, help="phones per workshop")
    parser.add_argument("--bursts", type=int, default=6)
    parser.add_argument("--reveal", action="store_true", help="send reveals, not whole states")
    args = parser.parse_args()
    if min(args.workshops, args.phones, args.bursts) < 1:
        parser.error("--workshops, --phones and --bursts are at least 1")
    room_load.raise_open_files_limit()
    speed = room_load.python_speed_s()
    room_load.setup_django()
    session_key, plans = room_load.create_workshops(args.workshops, 1, args.phones)
    result = asyncio.run(main_async(args, session_key, plans))
    result["python_speed_s"] = speed
    print(json.dumps(result))


if __name__ == "__main__":
    main()
