"""`manage.py export_votes --format parquet --out DIR [--organisation SLUG] [--since DATE]`."""

import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workshop import dataset, dataset_files
from workshop.models import Organisation


class Command(BaseCommand):
    help = (
        "Exporte les votes au format des jeux de données de compar:IA (votes, conversations, "
        "réactions, mains levées) avec leur fiche README.md. Sans --organisation : toutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=list(dataset_files.FORMATS), default="parquet")
        parser.add_argument("--out", required=True, type=Path, help="dossier de sortie")
        parser.add_argument("--organisation", help="identifiant (slug) d'une organisation")
        parser.add_argument("--since", type=date.fromisoformat, help="AAAA-MM-JJ, inclus")
        parser.add_argument("--until", type=date.fromisoformat, help="AAAA-MM-JJ, inclus")
        parser.add_argument("--workshop", type=int, action="append", default=[], help="numéro")
        parser.add_argument("--model", action="append", default=[], help="identifiant de modèle")
        parser.add_argument("--language", default="", help="fr, en...")
        parser.add_argument(
            "--include-simulated", action="store_true", help="garder les votes simulés"
        )

    def handle(self, *args, **options):
        organisation_ids = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"aucune organisation « {options['organisation']} »")
            organisation_ids = (organisation.pk,)
        selection = dataset.Selection(
            organisation_ids=organisation_ids,
            since=options["since"],
            until=options["until"],
            workshop_ids=tuple(options["workshop"]),
            model_slugs=tuple(options["model"]),
            language=options["language"],
            include_simulated=options["include_simulated"],
        )
        progress = _Bar(self.stdout, selection) if sys.stdout.isatty() else None
        written = dataset_files.export_to_directory(
            selection, options["format"], options["out"], progress
        )
        if progress is not None:
            progress.finish()
        for name, rows in written.rows.items():
            self.stdout.write(f"{name} : {rows} lignes")
        self.stdout.write(self.style.SUCCESS(f"Écrit dans {options['out']}"))


class _Bar:
    """A progress bar per table, redrawn in place on a terminal."""

    WIDTH = 30

    def __init__(self, out, selection: dataset.Selection):
        self.out = out
        self.selection = selection
        self.totals: dict[str, int] = {}
        self.current = ""

    def __call__(self, table: str, done: int) -> None:
        if table not in self.totals:
            self.finish()
            self.totals[table] = dataset.count(table, self.selection)
            self.current = table
        total = max(self.totals[table], done, 1)
        filled = self.WIDTH * done // total
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        self.out.write(f"\r{table:<14} {bar} {done}/{total}", ending="")
        self.out.flush()

    def finish(self) -> None:
        if self.current:
            self.out.write("")
            self.current = ""
