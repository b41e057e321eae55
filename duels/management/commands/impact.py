"""`manage.py impact`: the estimate of one answer, for people preparing a talk."""

import json

from django.core.management.base import BaseCommand, CommandError

from duels.impact import site_of
from duels.models import AIModel
from impacts import equivalences, explanation, wording
from impacts.estimate import DEFAULT_SITE, ServingSite, estimate, params


class Command(BaseCommand):
    help = (
        "Estime l'impact d'une réponse : énergie, émissions, eau, équivalences et méthode. "
        "Ex. : impact --params 35 --tokens 1074 --pue 1.2 --wue 0.569"
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", help="identifiant d'un modèle du catalogue")
        parser.add_argument("--params", type=float, help="paramètres totaux (milliards)")
        parser.add_argument("--active-params", type=float, help="paramètres actifs (MoE)")
        parser.add_argument("--tokens", type=int, required=True, help="jetons de sortie")
        parser.add_argument("--quantization", choices=["none", "q8", "q4"])
        parser.add_argument("--zone", help="zone électrique du centre de données (FRA, USA, WOR)")
        parser.add_argument("--pue", type=float)
        parser.add_argument("--wue", type=float, help="litres d'eau par kWh, sur site")
        parser.add_argument("--json", action="store_true", help="un seul objet JSON")
        parser.add_argument("--language", choices=["fr", "en"], default="fr")

    def handle(self, *args, **options):
        self._refuse_negatives(options)
        model = self._model(options["model"])
        if model is None and options["params"] is None:
            raise CommandError("donnez --params ou --model")

        # The catalogue's facts first, then whatever the command line overrides.
        total, active, quantization, site, estimated = (None, None), (None, None), "", None, False
        if model is not None:
            total = (model.total_params_b, model.total_params_b_max)
            active = (model.active_params_b, model.active_params_b_max)
            quantization, site = model.quantization, site_of(model.endpoint)
            estimated = model.params_estimated
        if options["params"] is not None:
            total, active, estimated = (options["params"], None), (None, None), False
        if options["active_params"] is not None:
            active = (options["active_params"], None)
        if options["quantization"] is not None:
            quantization = "" if options["quantization"] == "none" else options["quantization"]
        site = self._site(site or DEFAULT_SITE, options)

        try:
            result = estimate(
                total_params=params(*total),
                active_params=params(*active),
                output_tokens=options["tokens"],
                quantization=quantization,
                site=site,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None

        language = options["language"]
        line = wording.energy_line(
            result,
            total_params_b=None if total[0] is None else tuple(_float(v) for v in total),
            output_tokens=options["tokens"],
            active_params_b=_float(active[0]),
            estimated=estimated,
            quantized=bool(quantization),
            language=language,
        )
        phrases = equivalences.phrases(result, language)
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(result, line, phrases, site), ensure_ascii=False))
        else:
            self._print(result, line, phrases, language)

    def _refuse_negatives(self, options):
        for name in ("tokens", "params", "active_params", "pue", "wue"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} ne peut pas être négatif")

    def _model(self, slug):
        if slug is None:
            return None
        try:
            return AIModel.objects.select_related("endpoint").get(slug=slug)
        except AIModel.DoesNotExist:
            raise CommandError(f"aucun modèle « {slug} » dans le catalogue") from None

    def _site(self, base: ServingSite, options) -> ServingSite:
        return ServingSite(
            zone=(options["zone"] or base.zone).upper(),
            pue=base.pue if options["pue"] is None else options["pue"],
            wue=base.wue if options["wue"] is None else options["wue"],
        )

    def _print(self, result, line, phrases, language):
        self.stdout.write(line)
        if result is not None:
            self.stdout.write(f"  {wording.span(result.gwp_g, 'gCO2eq', language)}")
            self.stdout.write(f"  {wording.span(result.water_ml, 'mL', language)}")
            for phrase in phrases:
                self.stdout.write(f"  ≈ {phrase.text}  [{phrase.source_title}]")
        self.stdout.write("")
        for paragraph in explanation.paragraphs(language):
            self.stdout.write(paragraph)


def _as_json(result, line, phrases, site: ServingSite) -> dict:
    if result is None:
        figures = {
            "energy_wh": None,
            "gwp_g": None,
            "water_ml": None,
            "method": None,
            "method_version": None,
            "zone": site.zone,
            "pue": site.pue,
            "wue": site.wue,
        }
    else:
        figures = result.as_dict()
    return figures | {
        "known": result is not None,
        "line": line,
        "equivalences": [
            {"text": p.text, "source": p.source_title, "url": p.source_url} for p in phrases
        ],
    }


def _float(value):
    return None if value is None else float(value)
