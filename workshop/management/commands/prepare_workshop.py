"""`manage.py prepare_workshop <id|join code> [--wait]`: fetch a workshop's answers ahead."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from workshop import joincodes
from workshop.models import Workshop
from workshop.preparation import prepare, progress

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "Met en file les réponses qui manquent à un atelier ; avec --wait, attend qu'elles "
        "soient prêtes (code de sortie 1 si l'une a échoué)."
    )

    def add_arguments(self, parser):
        parser.add_argument("workshop", help="numéro de l'atelier ou code d'une de ses salles")
        parser.add_argument("--wait", action="store_true", help="attendre la fin")
        parser.add_argument(
            "--timeout", type=float, default=1800, help="avec --wait : abandonner après N s"
        )
        parser.add_argument(
            "--offline-fallback",
            action="store_true",
            help="sans clé pour un duel, le faire jouer par le modèle local des deux côtés",
        )

    def handle(self, *args, **options):
        workshop = self._workshop(options["workshop"])
        result = prepare(workshop, offline_fallback=options["offline_fallback"])
        self.stdout.write(
            f"« {workshop.title} » : {len(result.rounds)} duels, "
            f"{result.queued} réponses en file, {result.reused} déjà là ou en cours."
        )
        for reason in result.skipped:
            self.stderr.write(f"  non préparé : {reason}")
        if not options["wait"]:
            return
        self._wait(workshop, options["timeout"])
        failed = [
            (round_, generation)
            for round_ in workshop.rounds.select_related(
                "step", "generation_a__model", "generation_b__model"
            )
            for generation in round_.generations
            if generation.status == generation.Status.FAILED
        ]
        for round_, generation in failed:
            self.stderr.write(f"  échec : {round_.step} · {generation.model} : {generation.error}")
        if failed or result.skipped:
            raise CommandError(f"{len(failed)} réponse(s) en échec", returncode=1)
        self.stdout.write("Toutes les réponses sont prêtes.")

    def _workshop(self, reference: str) -> Workshop:
        if reference.isdigit():
            workshop = Workshop.objects.filter(pk=int(reference)).first()
        else:
            workshop = Workshop.objects.filter(
                rooms__join_code=joincodes.normalise(reference)
            ).first()
        if workshop is None:
            raise CommandError(f"aucun atelier « {reference} »")
        return workshop

    def _wait(self, workshop: Workshop, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        interactive = sys.stdout.isatty()
        while True:
            state = progress(workshop)
            self._show(state, interactive)
            if state.finished:
                break
            if time.monotonic() > deadline:
                raise CommandError(f"toujours pas prêt après {timeout:.0f} s")
            time.sleep(POLL_SECONDS)
        if interactive:
            self.stdout.write("")

    def _show(self, state, interactive: bool) -> None:
        width = 30
        filled = round(width * (state.done + state.failed) / state.total) if state.total else width
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {state.done}/{state.total} prêtes, "
            f"{state.running} en cours, {state.waiting} en attente, {state.failed} en échec"
        )
        if interactive:
            self.stdout.write("\r" + line, ending="")
            self.stdout.flush()
        elif state.finished:
            self.stdout.write(line)
