"""`manage.py load_defaults [--demo]`: the default catalogue, script and curators group.

Safe to run at every deploy: it creates what is missing and changes nothing else.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from duels.defaults import load_catalogue
from workshop.defaults import (
    CURATORS_GROUP,
    DemoResult,
    ensure_curators_group,
    load_demo,
    load_script,
)

# (summary field, "n created", "n already there"): French agrees in gender and number.
CATALOGUE_LINES = [
    (
        "makers",
        ngettext_lazy("%(count)d éditeur créé", "%(count)d éditeurs créés", "count"),
        ngettext_lazy("%(count)d déjà présent", "%(count)d déjà présents", "count"),
    ),
    (
        "endpoints",
        ngettext_lazy("%(count)d point d'accès créé", "%(count)d points d'accès créés", "count"),
        ngettext_lazy("%(count)d déjà présent", "%(count)d déjà présents", "count"),
    ),
    (
        "models",
        ngettext_lazy("%(count)d modèle créé", "%(count)d modèles créés", "count"),
        ngettext_lazy("%(count)d déjà présent", "%(count)d déjà présents", "count"),
    ),
    (
        "prompts",
        ngettext_lazy("%(count)d question créée", "%(count)d questions créées", "count"),
        ngettext_lazy("%(count)d déjà présente", "%(count)d déjà présentes", "count"),
    ),
]


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Translated when asked for: argparse refuses lazy strings.
        return _(
            "Charge le catalogue de modèles, les questions, le déroulé « Les duels de l'IA » et "
            "le groupe des curateurs, sans rien modifier de ce qui existe déjà. Avec --demo, "
            "crée aussi une organisation, un animateur et un atelier de démonstration."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help=_("Crée aussi l'organisation et l'atelier de démonstration."),
        )

    def handle(self, *args, demo: bool = False, **options):
        with transaction.atomic():
            catalogue = load_catalogue()
            script = load_script()
            _group, group_created = ensure_curators_group()
            result = load_demo() if demo else None

        for field, created, existing in CATALOGUE_LINES:
            tally = getattr(catalogue, field)
            self.stdout.write(
                f"{created % {'count': tally.created}}, {existing % {'count': tally.existing}}"
            )
        if script.created:
            message = _("Déroulé « %(title)s » créé avec %(steps)d étapes.")
        else:
            message = _("Déroulé « %(title)s » déjà présent, laissé tel quel.")
        self.stdout.write(message % {"title": script.script.title, "steps": script.steps})
        if group_created:
            message = _("Groupe « %(name)s » créé.")
        else:
            message = _("Groupe « %(name)s » déjà présent, laissé tel quel.")
        self.stdout.write(message % {"name": CURATORS_GROUP})

        if result is not None:
            self._report_demo(result)

    def _report_demo(self, result: DemoResult) -> None:
        self.stdout.write(
            _("Démonstration : « %(workshop)s » (%(organisation)s), salle « %(room)s ».")
            % {
                "workshop": result.workshop.title,
                "organisation": result.organisation.name,
                "room": result.room.name,
            }
        )
        self.stdout.write(
            _("Back-office : %(url)s ; identifiants de l'animateur (aussi dans %(path)s) :")
            % {"url": reverse("admin:index"), "path": result.credentials_path}
        )
        # The "key: value" lines are read by scripts and tests: never translated.
        self.stdout.write(f"username: {result.username}")
        if result.password is not None:
            self.stdout.write(f"password: {result.password}")
        elif result.password_changed:
            self.stdout.write(
                _("Le mot de passe de « %(username)s » a été changé : il n'est plus affiché.")
                % {"username": result.username}
            )
        else:
            self.stdout.write(
                _(
                    "Mot de passe inconnu (pas de fichier %(path)s) : changez-le avec "
                    "« manage.py changepassword %(username)s »."
                )
                % {"path": result.credentials_path, "username": result.username}
            )
        self.stdout.write(f"join code: {result.room.join_code}")
