"""The default script "Les duels de l'IA", the curators group, and the demo workshop.

Like duels/defaults.py, everything here is created once, when missing, and
never updated afterwards: what organisations and curators change stays theirs.

The slides are written anew from the workshop deck (shared/seed/). Honesty
rules for their text: no impact figure without its source or method; the
deck's energy figures came from EcoLogits 0.8, which gives values 30 to 45
times higher than the current method, so they are not repeated.
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from duels.models import AIModel, Prompt
from workshop.models import Membership, Organisation, Role, Room, Script, Step, Workshop


def _md(text: str) -> str:
    return dedent(text).strip()


SCRIPT_SLUG = "les-duels-de-l-ia"
SCRIPT_TITLE = "Les duels de l'IA"
SCRIPT_DESCRIPTION = (
    "Le déroulé de l'atelier de compar:IA : trois duels entre modèles d'IA, des explications "
    "entre les duels, la finale « IA gagnante » et une question à la salle. Modèle partagé : "
    "dupliquez-le pour l'adapter à votre public."
)

Kind = Step.Kind

# In running order; Step.order is the position in this list, from 1. Duel
# steps name their prompt and models by slug (duels/defaults.py).
STEPS: list[dict] = [
    {
        "kind": Kind.SLIDE,
        "title": "Les duels de l'IA",
        "body": _md("""
            # Les duels de l'IA

            *par compar:IA*

            Trois duels entre modèles d'IA conversationnelle. Vous votez à l'aveugle,
            puis on découvre qui se cache derrière chaque réponse… et ce qu'elle a coûté
            en énergie.
        """),
        "speaker_notes": _md("""
            Accueillez le groupe et présentez le déroulé : trois duels, des explications
            entre les duels, puis l'élection de l'« IA gagnante ».
            Demandez qui utilise déjà une IA conversationnelle (ChatGPT, Le Chat, Gemini…)
            et pour quoi faire : vous pourrez reprendre ces usages en exemple.
            Si l'on vote sur téléphone, affichez dès maintenant le code pour rejoindre la salle.
        """),
    },
    {
        "kind": Kind.SLIDE,
        "title": "Règles du jeu",
        "body": _md("""
            # Règles du jeu

            1. Pour chaque duel, deux modèles d'IA répondent à la même question.
            2. Leurs réponses s'affichent de façon anonyme : « Modèle A » et « Modèle B ».
            3. Vous votez pour la réponse que vous jugez la meilleure : sur votre téléphone
               ou à main levée.
            4. On révèle ensuite l'identité des modèles, leur taille et l'impact
               environnemental estimé de leur réponse.
            5. Le gagnant de chaque duel devient candidat au titre d'« IA gagnante ».
        """),
        "speaker_notes": _md("""
            Insistez sur le vote à l'aveugle : on juge la réponse, pas la marque. On peut
            aussi voter « les deux se valent ».
            Les impacts affichés sont des estimations calculées avec la méthode EcoLogits
            (sa version est indiquée à l'écran), pas des mesures.
            Les réponses ont été générées à l'avance et sont réutilisées d'un atelier à
            l'autre : l'atelier ne dépend pas du réseau, et chaque réponse n'a été calculée
            qu'une fois.
        """),
    },
    {
        "kind": Kind.DUEL,
        "title": "Duel n°1 : résumer un texte",
        "body": _md("""
            Les deux modèles doivent résumer en une phrase un court texte qui présente
            cet atelier. Lequel fait le meilleur résumé ?
        """),
        "speaker_notes": _md("""
            À la révélation : Claude 3.5 Sonnet (Anthropic) est un très grand modèle
            propriétaire. Anthropic ne publie pas sa taille : compar:IA l'estime à
            440 milliards de paramètres, l'ancienne présentation disait « environ 300 » ;
            les deux sont des estimations. Mistral Small 3 (Mistral AI, France) en a
            24 milliards, et ses poids sont publics.
            Pour une tâche simple comme un résumé, le petit modèle fait souvent aussi bien :
            c'est toute la question de la frugalité. Comparez l'énergie estimée des deux
            réponses, qui dépend de la taille du modèle et de la longueur de la réponse.
        """),
        "prompt": "duel-1-resume-atelier",
        "model_a": "claude-3-5-sonnet-v2",
        "model_b": "mistral-small-24b-instruct-2501",
    },
    {
        "kind": Kind.SLIDE,
        "title": "Pourquoi une IA consomme-t-elle de l'énergie ?",
        "body": _md("""
            # Pourquoi une IA consomme-t-elle de l'énergie ?

            - Votre question est traitée par des **serveurs**, des ordinateurs très puissants.
            - Ces serveurs sont installés dans des **centres de données** (*data centers*),
              de grands bâtiments remplis de machines.
            - Ils consomment de l'**électricité**. Selon la façon dont elle est produite
              (charbon, gaz, nucléaire, renouvelables…), elle émet plus ou moins de **CO₂**.
            - Les serveurs chauffent et doivent être **refroidis**, souvent avec de l'**eau**,
              dont une partie s'évapore.
            - Il a aussi fallu **fabriquer** ces serveurs et leurs puces : des métaux, de
              l'énergie, de l'eau.
        """),
        "speaker_notes": _md("""
            Les impacts révélés après chaque duel sont estimés avec EcoLogits, la méthode
            qu'utilise compar:IA : à partir de la taille du modèle et du nombre de jetons
            produits, elle estime l'électricité consommée, les émissions selon le pays du
            centre de données, l'eau, et une part de la fabrication du matériel.
            Le lieu compte : la même réponse émet bien moins de CO₂ avec l'électricité
            française, peu carbonée, qu'avec la moyenne mondiale.
            Évitez les chiffres de presse sur la taille des centres de données : ils varient
            beaucoup d'une source à l'autre.
        """),
    },
    {
        "kind": Kind.DUEL,
        "title": "Duel n°2 : expliquer à un enfant",
        "body": _md("""
            Les deux modèles doivent expliquer à un enfant de 10 ans pourquoi les data
            centers consomment de l'énergie, le plus simplement possible.
        """),
        "speaker_notes": _md("""
            À la révélation : Llama 3.3 70B (Meta, 70 milliards de paramètres) contre
            Gemma 3 4B (Google, 4 milliards), soit près de 18 fois moins de paramètres.
            Demandez à la salle si l'écart de qualité justifie l'écart d'énergie affiché.
            Les deux modèles ont des poids publics (« semi-ouverts ») : on peut les faire
            tourner soi-même, Gemma 3 4B même sur un ordinateur portable.
        """),
        "prompt": "duel-2-data-centers-enfant",
        "model_a": "llama-3.3-70b",
        "model_b": "gemma-3-4b",
    },
    {
        "kind": Kind.SLIDE,
        "title": "C'est quoi, un grand ou un petit modèle ?",
        "body": _md("""
            # C'est quoi, un grand ou un petit modèle ?

            La taille d'un modèle se compte en **paramètres** : des milliards de nombres
            réglés pendant l'entraînement. On peut les comparer, de loin, aux connexions
            entre les neurones d'un cerveau.

            | Modèle | Paramètres |
            |---|---|
            | Claude 3.5 Sonnet (Anthropic) | non publié : environ 440 milliards (estimation) |
            | Llama 3.3 70B (Meta) | 70 milliards |
            | Mistral Small 3 (Mistral AI) | 24 milliards |
            | Llama 3.1 8B (Meta) | 8 milliards |

            En général, **plus un modèle est grand, plus il est capable, mais plus chaque
            réponse demande de calcul, donc d'énergie.**
        """),
        "speaker_notes": _md("""
            Le « B » de « 70B » veut dire *billion* en anglais : un milliard.
            compar:IA classe les modèles par taille : XS (moins de 15 milliards),
            S (15 à 60), M (60 à 100), L (100 à 400), XL (400 et plus).
            Dans la méthode EcoLogits, l'énergie d'une réponse augmente avec le nombre de
            paramètres actifs et avec la longueur de la réponse : un petit modèle bavard
            peut coûter autant qu'un grand modèle bref.
        """),
    },
    {
        "kind": Kind.SLIDE,
        "title": "La distillation des modèles d'IA",
        "body": _md("""
            # La distillation des modèles d'IA

            La distillation consiste à **entraîner un petit modèle à imiter un grand**,
            pour obtenir un modèle plus rapide et moins gourmand.

            - **Famille Llama 3 (Meta)** : Llama 3.1 405B, Llama 3.3 70B, Llama 3.1 8B
            - **Famille GPT-4o (OpenAI)** : GPT-4o et GPT-4o mini

            Les petits modèles consomment moins d'énergie par réponse, tout en restant utiles
            pour beaucoup de tâches.
        """),
        "speaker_notes": _md("""
            Restez prudent sur les exemples : Meta indique s'être servi de Llama 3.1 405B
            pour améliorer ses modèles plus petits, mais OpenAI ne dit pas comment GPT-4o
            mini a été obtenu. Parlez de « familles » de modèles plutôt que d'affirmer une
            distillation.
            L'ancienne présentation écrivait « Llama 3.3 8B » : ce modèle n'existe pas, le
            petit modèle de la famille est Llama 3.1 8B.
            Une tâche simple (reformuler, résumer, traduire) n'a souvent pas besoin du plus
            grand modèle.
        """),
    },
    {
        "kind": Kind.DUEL,
        "title": "Duel n°3 : enseigner l'IA",
        "body": _md("""
            Une question ouverte : comment enseigner l'IA à des personnes qui veulent
            comprendre son impact environnemental ? Les deux modèles de ce duel
            « réfléchissent » avant de répondre.
        """),
        "speaker_notes": _md("""
            À la révélation : QwQ-32B (Alibaba, 32 milliards de paramètres) et DeepSeek R1
            (DeepSeek, 671 milliards, dont 37 milliards actifs pour chaque jeton) sont deux
            modèles de raisonnement.
            Leur raisonnement compte dans l'énergie : ce sont des jetons générés, même quand
            on ne les lit pas. Montrez sa longueur s'il est affiché.
            DeepSeek R1 est un « mélange d'experts » : seule une partie du modèle travaille
            pour chaque jeton, ce qui réduit le calcul par rapport à un modèle dense de même
            taille totale.
        """),
        "prompt": "duel-3-enseigner-impact-ia",
        "model_a": "qwq-32b",
        "model_b": "deepseek-r1",
    },
    {
        "kind": Kind.SLIDE,
        "title": "Les modèles de « raisonnement »",
        "body": _md("""
            # Les modèles de « raisonnement »

            Au lieu de répondre directement, ils **écrivent d'abord un raisonnement**, puis
            leur réponse.

            **Forces**

            - meilleurs pour résoudre des problèmes complexes (mathématiques, logique,
              programmation) ;
            - des réponses souvent plus réfléchies.

            **Faiblesses**

            - ils produisent beaucoup plus de texte, donc consomment plus d'énergie pour une
              même question ;
            - ils sont plus lents.
        """),
        "speaker_notes": _md("""
            « DeepSeek est-il frugal ? » La presse a dit tout et son contraire début 2025.
            Distinguez deux choses : le coût d'entraînement annoncé par DeepSeek, et
            l'énergie de chaque réponse, qui dépend des paramètres actifs et du nombre de
            jetons générés, raisonnement compris.
            Pour une question simple, un modèle sans raisonnement suffit souvent ; certains
            services permettent d'activer ou non le raisonnement.
        """),
    },
    {
        "kind": Kind.SLIDE,
        "title": "Le cycle de vie d'un modèle : entraînement et utilisation",
        "body": _md("""
            # Le cycle de vie d'un modèle

            **1. Entraînement : la création du modèle**

            - on collecte et on prépare d'immenses quantités de textes ;
            - un très grand centre de données règle les paramètres du modèle pendant des
              semaines, voire des mois.

            Réalisé une fois, avec une très grande consommation d'énergie.

            **2. Utilisation (inférence) : chaque question posée**

            - votre question (le *prompt*) est envoyée au modèle ;
            - le modèle s'en sert pour produire sa réponse, jeton après jeton.

            Peu d'énergie pour une seule question, mais c'est répété pour chaque question de
            chaque utilisateur : au fil du temps, l'utilisation peut peser plus lourd que
            l'entraînement.
        """),
        "speaker_notes": _md("""
            Les impacts révélés après chaque duel ne portent que sur l'utilisation : la
            réponse elle-même, plus une part de la fabrication des serveurs. L'entraînement
            n'y est pas compté.
            L'ancienne présentation montrait une courbe où l'utilisation dépassait
            l'entraînement au bout d'un mois, avec un rapport chiffré : ce rapport dépend
            entièrement du modèle et de son nombre d'utilisateurs, ne le citez pas comme un
            fait général.
        """),
    },
    {
        "kind": Kind.SLIDE,
        "title": "L'IA et la recherche sur Internet",
        "body": _md("""
            # L'IA et la recherche sur Internet

            Par défaut, un modèle d'IA n'a **pas accès à Internet** : il répond avec ce qu'il
            a appris pendant son entraînement, qui s'arrête à une certaine date.
            Les éditeurs commencent à leur donner des outils, comme un moteur de recherche.

            **Ordre de grandeur** : environ **0,3 Wh** pour une recherche web, contre environ
            **4 Wh** pour une requête à un grand modèle d'IA.
            *Source : Agence internationale de l'énergie (AIE), chiffres repris par la
            présentation d'origine de l'atelier.*

            Pour une information factuelle ou l'actualité, un moteur de recherche suffit
            souvent.
        """),
        "speaker_notes": _md("""
            Ces deux chiffres sont des ordres de grandeur, pas des mesures : l'énergie d'une
            requête varie beaucoup selon la taille du modèle et la longueur de la réponse
            (voir les estimations affichées après chaque duel).
            Conseils à partager : un moteur de recherche pour les faits et l'actualité ;
            de la prudence avec l'IA pour les calculs, où les modèles se trompent souvent ;
            vérifier les sources quand une IA cite le web.
        """),
    },
    {
        "kind": Kind.SLIDE,
        "title": "Le multilinguisme",
        "body": _md("""
            # Le multilinguisme

            Un modèle apprend à écrire à partir d'une énorme quantité de textes, surtout en
            anglais.

            Par exemple, **0,16 %** seulement des données d'entraînement de Llama 2 (Meta,
            2023) sont en français.
            *Source : Touvron et al., « Llama 2: Open Foundation and Fine-Tuned Chat
            Models », 2023, arXiv:2307.09288.*

            Résultat : les modèles sont souvent **moins bons en français** qu'en anglais.

            Des modèles cherchent à corriger cela :

            - **Aya Expanse** (Cohere, Canada), entraîné pour 23 langues ;
            - **Chocolatine 2** (Jonathan Pacifico), 14 milliards de paramètres, construit sur
              Qwen2.5 et spécialisé en français.

            **Votre vote compte** : sur compar:IA, les votes et les conversations sont publiés
            en jeux de données ouverts, pour aider à entraîner des modèles meilleurs en
            français.
        """),
        "speaker_notes": _md("""
            La diapositive d'origine affichait, pour ces deux modèles, des chiffres
            d'énergie calculés avec une ancienne version d'EcoLogits (0.8), 30 à 45 fois
            plus élevés que ceux de la méthode actuelle : ne les reprenez pas. Montrez
            plutôt leurs fiches dans le catalogue.
            Le 0,16 % est la part du français dans les données de pré-entraînement de
            Llama 2 (tableau de répartition des langues de l'article). Les éditeurs
            publient rarement ce chiffre pour les modèles plus récents.
        """),
    },
    {
        "kind": Kind.SLIDE,
        "title": "Les « hallucinations »",
        "body": _md("""
            # Les « hallucinations »

            Les IA conversationnelles écrivent avec un ton très assuré… **même quand elles se
            trompent.**

            > **Question :** Dans sa dernière aventure, Harry Potter fait-il équipe avec un
            > brocoli ou une carotte ?
            >
            > **Réponse d'une IA :** Dans sa dernière aventure, Harry Potter se prépare pour
            > le Tournoi des Sorciers, où chaque sorcier doit former une équipe avec un être
            > végétal. Harry se retrouve avec Brocillus, un brocoli magicien au sourire
            > énigmatique…

            Cette aventure n'existe pas : le modèle a inventé une réponse plausible au lieu
            de dire qu'il ne savait pas.

            **Le bon réflexe** : vérifier les informations importantes auprès d'une source
            fiable.
        """),
        "speaker_notes": _md("""
            Un modèle produit la suite de texte la plus probable ; il n'a pas de notion du
            vrai et du faux. Une question qui contient une fausse prémisse (ici, le
            brocoli) l'entraîne facilement.
            Demandez à la salle si quelqu'un a déjà vu une IA inventer une référence, un
            chiffre ou une citation.
        """),
    },
    {
        "kind": Kind.FINALE,
        "title": "IA gagnante",
        "body": _md("""
            # IA gagnante

            Les gagnants des trois duels s'affrontent.

            Critères de victoire : **utilité** et 🌱 **frugalité**.
        """),
        "speaker_notes": _md("""
            Pour chaque candidat, l'écran montre la part des votes obtenue dans son duel et
            l'énergie estimée de sa réponse.
            Faites débattre : une réponse un peu meilleure vaut-elle une énergie plusieurs
            fois plus grande ? Il n'y a pas de bonne réponse ; l'important est que le choix
            soit argumenté. Rappelez que les énergies sont des estimations EcoLogits.
        """),
    },
    {
        "kind": Kind.QUESTION,
        "title": "Question à la salle",
        "body": (
            "Avec ces nouvelles connaissances sur l'impact environnemental de l'IA, "
            "envisagez-vous d'adapter votre façon de l'utiliser ?"
        ),
        "speaker_notes": _md("""
            Laissez quelques personnes expliquer leur choix. Pistes concrètes : un petit
            modèle pour les tâches simples, ne pas régénérer plusieurs fois une réponse, un
            moteur de recherche pour les faits.
        """),
        "question_kind": Step.QuestionKind.POLL,
        "choices": "Oui, certainement\nOui, un peu\nNon\nJe ne sais pas encore",
    },
    {
        "kind": Kind.SLIDE,
        "title": "Pour récapituler",
        "body": _md("""
            # Pour récapituler

            - **Les modèles d'IA ont un impact environnemental** : électricité, eau,
              fabrication du matériel. Chaque réponse compte, et l'entraînement s'y ajoute.
            - **Les petits modèles consomment moins** par réponse, et suffisent souvent.
            - **Les modèles de raisonnement** produisent plus de texte, donc consomment plus.
            - **Pour les faits et l'actualité**, un moteur de recherche suffit souvent.
            - **Vérifiez** ce que disent les IA : elles peuvent se tromper avec aplomb.

            ## Où trouver des petits modèles ?

            - En ligne : duck.ai, HuggingChat (huggingface.co/chat), openrouter.ai
            - Sur votre ordinateur : jan.ai, lmstudio.ai, ollama.com

            Pour comparer d'autres modèles : **comparia.beta.gouv.fr**
        """),
        "speaker_notes": _md("""
            L'ancienne présentation chiffrait ici l'impact d'une question à un très grand
            modèle : ce chiffre venait d'EcoLogits 0.8 et il est 30 à 45 fois plus élevé
            que celui de la méthode actuelle. Ne le citez pas ; renvoyez aux estimations
            affichées pendant l'atelier, avec leur version de méthode.
            Proposez de refaire l'expérience chez soi sur compar:IA.
        """),
    },
]

CURATORS_GROUP = "Curateurs du catalogue"
# Curators keep the catalogue, the prompt library and the impact equivalences.
CURATED_MODELS = {
    "duels": ["maker", "endpoint", "aimodel", "prompt", "generation"],
    "impacts": ["equivalence"],
}
CURATOR_CODENAMES = [
    f"{action}_{model}"
    for models in CURATED_MODELS.values()
    for model in models
    for action in ("add", "change", "delete", "view")
]

DEMO_ORGANISATION_SLUG = "demo"
DEMO_ORGANISATION_NAME = "Organisation de démonstration"
DEMO_USERNAME = "animateur"
DEMO_EMAIL = "animateur@demo.invalid"
DEMO_WORKSHOP_TITLE = "Atelier de démonstration"
DEMO_ROOM_NAME = "Salle principale"
CREDENTIALS_FILENAME = "demo-credentials"


@dataclass
class ScriptResult:
    script: Script
    created: bool
    steps: int


def load_script() -> ScriptResult:
    """Create the shared script and its steps, together, if its slug is not taken yet.

    Needs the default catalogue (duels.defaults.load_catalogue) to be loaded.
    """
    with transaction.atomic():
        script = Script.objects.filter(organisation__isnull=True, slug=SCRIPT_SLUG).first()
        if script is not None:
            return ScriptResult(script=script, created=False, steps=script.steps.count())
        script = Script.objects.create(
            organisation=None,
            slug=SCRIPT_SLUG,
            title=SCRIPT_TITLE,
            description=SCRIPT_DESCRIPTION,
        )
        steps = [
            Step(script=script, order=order, **_resolve(fields))
            for order, fields in enumerate(STEPS, start=1)
        ]
        Step.objects.bulk_create(steps)
    return ScriptResult(script=script, created=True, steps=len(steps))


def _resolve(fields: dict) -> dict:
    """Turn a step's prompt and model slugs into rows."""
    resolved = dict(fields)
    if "prompt" in fields:
        resolved["prompt"] = _by_slug(Prompt, fields["prompt"])
    for side in ("model_a", "model_b"):
        if side in fields:
            resolved[side] = _by_slug(AIModel, fields[side])
    return resolved


def _by_slug(model_class, slug: str):
    try:
        return model_class.objects.get(slug=slug)
    except model_class.DoesNotExist:
        raise LookupError(
            f"{model_class.__name__} {slug!r} is missing: load the default catalogue first"
        ) from None


def ensure_curators_group() -> tuple[Group, bool]:
    """The catalogue curators' group, with its permissions set only when it is created."""
    with transaction.atomic():
        group, created = Group.objects.get_or_create(name=CURATORS_GROUP)
        if created:
            # Permissions normally come with migrate; make sure they exist all the same.
            curated = Q()
            for app_label, models in CURATED_MODELS.items():
                create_permissions(apps.get_app_config(app_label), verbosity=0)
                curated |= Q(content_type__app_label=app_label, content_type__model__in=models)
            group.permissions.set(
                Permission.objects.filter(curated, codename__in=CURATOR_CODENAMES)
            )
    return group, created


@dataclass
class DemoResult:
    organisation: Organisation
    workshop: Workshop
    room: Room
    username: str
    # The facilitator's password, or None when it is unknown or was changed since.
    password: str | None
    password_changed: bool
    credentials_path: Path
    created: list[str]


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / CREDENTIALS_FILENAME


def load_demo() -> DemoResult:
    """Create, once each, the demo organisation, facilitator, workshop and room.

    Needs the shared script (load_script). The facilitator's random password is
    kept in VAR_DIR/demo-credentials (readable by its owner only) so that later
    runs can show it again, as long as nobody has changed it.
    """
    created: list[str] = []
    path = credentials_path()
    with transaction.atomic():
        organisation, new = Organisation.objects.get_or_create(
            slug=DEMO_ORGANISATION_SLUG, defaults={"name": DEMO_ORGANISATION_NAME}
        )
        if new:
            created.append("organisation")

        user = get_user_model().objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = get_user_model().objects.create_user(
                username=DEMO_USERNAME, email=DEMO_EMAIL, password=password, is_staff=True
            )
            # Inside the transaction: if the file cannot be written, no user is left
            # behind with a password nobody knows.
            _write_credentials(path, DEMO_USERNAME, password)
            created.append("user")
        saved = _read_saved_password(path)
        password = saved if saved is not None and user.check_password(saved) else None

        _, new = Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": Role.FACILITATOR}
        )
        if new:
            created.append("membership")

        # The demo workshop is the organisation's first one, whatever it has been renamed to.
        workshop = organisation.workshops.order_by("created_at", "pk").first()
        if workshop is None:
            workshop = Workshop.objects.create(
                organisation=organisation,
                script=Script.objects.get(organisation__isnull=True, slug=SCRIPT_SLUG),
                title=DEMO_WORKSHOP_TITLE,
                status=Workshop.Status.SCHEDULED,
            )
            workshop.facilitators.add(user)
            created.append("workshop")

        room = workshop.rooms.order_by("created_at", "pk").first()
        if room is None:
            room = Room.objects.create_with_code(workshop=workshop, name=DEMO_ROOM_NAME)
            created.append("room")

    return DemoResult(
        organisation=organisation,
        workshop=workshop,
        room=room,
        username=user.get_username(),
        password=password,
        password_changed=saved is not None and password is None,
        credentials_path=path,
        created=created,
    )


def _write_credentials(path: Path, username: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # O_CREAT's mode does not apply to a file that was already there.
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(f"username: {username}\npassword: {password}\n")


def _read_saved_password(path: Path) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "password" and value.strip():
            return value.strip()
    return None
