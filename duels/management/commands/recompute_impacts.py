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
            f"{checked} {_plural(checked, 'génération vérifiée', 'générations vérifiées')}, "
            f"{changed} {_plural(changed, 'modifiée', 'modifiées')} ({METHOD} {method_version()})."
        )


def _plural(count: int, one: str, many: str) -> str:
    # French: 0 and 1 take the singular.
    return one if count < 2 else many
