from django.core.management.base import BaseCommand

from duels.impact import recompute_impacts
from impacts.estimate import METHOD, method_version


class Command(BaseCommand):
    help = (
        "Recalcule l'impact stocké des générations terminées (après une mise à jour de la méthode)."
    )

    def handle(self, *args, **options):
        checked, changed = recompute_impacts()
        self.stdout.write(
            f"{checked} générations vérifiées, {changed} modifiées ({METHOD} {method_version()})."
        )
