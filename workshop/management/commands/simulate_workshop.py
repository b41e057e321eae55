"""`manage.py simulate_workshop <join code> --participants N [--seed S]`: votes without a room."""

from django.core.management.base import BaseCommand, CommandError

from workshop import live, participants, simulation


class Command(BaseCommand):
    help = (
        "Joue les duels d'un atelier avec N téléphones simulés qui votent par le même "
        "module que les vrais (raisons et égalités comprises). Les votes simulés sont "
        "marqués et exclus des exports et du classement, sauf --include-simulated."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="code d'une salle de l'atelier")
        parser.add_argument("--participants", type=int, default=30)
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        room = participants.find_room(options["code"])
        if room is None:
            raise CommandError(f"aucune salle ne porte le code « {options['code']} »")
        if options["participants"] < 1:
            raise CommandError("il faut au moins un participant")
        try:
            result = simulation.play(room.workshop, options["participants"], options["seed"])
        except live.Refused as refusal:
            raise CommandError(f"l'atelier s'est arrêté : {refusal.reason}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"« {room.workshop.title} » : {result.duels} duels joués, "
                f"{result.participants} participants simulés, {result.votes} votes."
            )
        )
        for reason in sorted(set(result.refused)):
            self.stdout.write(self.style.WARNING(f"vote refusé : {reason}"))
