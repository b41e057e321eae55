"""Peak memory of a streaming export: fills N votes in a throwaway database, exports them.

    VAR_DIR=/tmp/bench-var .venv/bin/python bench/export_memory.py --votes 100000
    VAR_DIR=/tmp/bench-var .venv/bin/python bench/export_memory.py --votes 1000000 --format parquet

Prints JSON: votes, seconds to fill and to export, the export's size, and the process's
peak resident memory (ru_maxrss) before and after the export. The export must stay
well under 500 MB at one million votes; the fill itself is kept flat too (bulk inserts
in batches), so the peak after the export is the export's.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--format", choices=["parquet", "jsonl", "csv"], default="parquet")
    parser.add_argument("--per-room", type=int, default=200, help="phones per duel")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="duels-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fill(args.votes, args.per_room)
    filled = time.perf_counter() - started
    before = peak_mb()

    from workshop import dataset, dataset_files

    started = time.perf_counter()
    out = workdir / "export"
    written = dataset_files.export_to_directory(
        dataset.Selection(organisation_ids=None), args.format, out, tables=["votes"]
    )
    exported = time.perf_counter() - started
    print(
        json.dumps(
            {
                "votes": written.rows["votes"],
                "format": args.format,
                "fill_seconds": round(filled, 1),
                "export_seconds": round(exported, 1),
                "export_bytes": sum(f.stat().st_size for f in written.files),
                "peak_rss_mb_before_export": round(before, 1),
                "peak_rss_mb_after_export": round(peak_mb(), 1),
                "workdir": str(workdir),
            },
            indent=2,
        )
    )


def fill(count: int, per_room: int) -> None:
    """One organisation, one workshop per `per_room` votes' duel, votes with reasons."""
    import hashlib
    import random

    from duels.models import AIModel, Generation, Maker, Prompt
    from workshop.models import Organisation, Participant, Room, Round, Script, Step, Vote, Workshop

    rng = random.Random(1)  # noqa: S311 - benchmark data
    organisation = Organisation.objects.create(name="Banc d'essai", slug="bench")
    maker = Maker.objects.create(slug="bench", name="Bench")
    models = [
        AIModel.objects.create(
            slug=f"model-{i}",
            name=f"Modèle {i}",
            maker=maker,
            total_params_b=2 + 10 * i,
            license="x",
            distribution="open-weights",
        )
        for i in range(6)
    ]
    prompt = Prompt.objects.create(slug="bench", title="Bench", text="Pourquoi ? " * 20)
    script = Script.objects.create(organisation=organisation, slug="bench", title="Bench")
    step = Step.objects.create(
        script=script,
        order=1,
        kind="duel",
        title="Duel",
        prompt=prompt,
        model_a=models[0],
        model_b=models[1],
    )
    generations = [
        Generation.objects.create(
            model=m,
            prompt=prompt,
            status="done",
            text="Une réponse. " * 150,
            output_tokens=400,
            duration_ms=8000,
            energy_wh_min=0.1,
            energy_wh_max=0.4,
        )
        for m in models
    ]
    made = 0
    serial = 0
    while made < count:
        workshop = Workshop.objects.create(organisation=organisation, script=script, title="B")
        room = Room.objects.create_with_code(workshop=workshop, capacity=per_room)
        a, b = rng.sample(generations, 2)
        round_ = Round.objects.create(workshop=workshop, step=step, generation_a=a, generation_b=b)
        size = min(per_room, count - made)
        phones = Participant.objects.bulk_create(
            Participant(
                room=room, token_digest=hashlib.sha256(f"{serial + i}".encode()).hexdigest()
            )
            for i in range(size)
        )
        serial += size
        Vote.objects.bulk_create(
            (
                Vote(
                    round=round_,
                    participant=p,
                    choice=rng.choice(["a", "b", "both_equal"]),
                    reasons={"a": ["useful"]} if rng.random() < 0.5 else {},
                )
                for p in phones
            ),
            batch_size=1000,
        )
        made += size


if __name__ == "__main__":
    main()
