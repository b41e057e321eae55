"""The equivalences of reference/impacts.md, each with its published source."""

from django.db import migrations

DEFAULTS = [
    {
        "slug": "ampoule-led-5w",
        "name": "Ampoule LED de 5 W",
        "basis": "wh",
        "basis_per_unit": "5",
        "unit_kind": "duration",
        "phrase_fr": "{quantity} d'ampoule LED de 5 W",
        "phrase_en": "{quantity} of a 5 W LED bulb",
        "source_title": "compar:IA, écran de révélation (Wh ÷ 5 W)",
        "source_url": "https://comparia.beta.gouv.fr/",
        "order": 10,
    },
    {
        "slug": "video-en-ligne",
        "name": "Vidéo en ligne (HD, TV en wifi)",
        "basis": "gco2eq",
        "basis_per_unit": "31.7",
        "unit_kind": "duration",
        "phrase_fr": "{quantity} de vidéo en ligne",
        "phrase_en": "{quantity} of online video",
        "source_title": "ADEME, impactco2.fr « streaming vidéo » (31,7 gCO2eq par heure)",
        "source_url": "https://impactco2.fr/outils/usagenumerique/streamingvideo",
        "order": 20,
    },
    {
        "slug": "recherche-web",
        "name": "Recherche web",
        "basis": "wh",
        "basis_per_unit": "0.3",
        "unit_kind": "count",
        "phrase_fr": "{quantity} recherches web",
        "phrase_fr_one": "{quantity} recherche web",
        "phrase_en": "{quantity} web searches",
        "source_title": "Agence internationale de l'énergie (AIE), Electricity 2024 : "
        "environ 0,3 Wh par recherche",
        "source_url": "https://www.iea.org/reports/electricity-2024",
        "order": 30,
    },
]


def create(apps, schema_editor):
    Equivalence = apps.get_model("impacts", "Equivalence")
    for fields in DEFAULTS:
        Equivalence.objects.get_or_create(slug=fields["slug"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("impacts", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
