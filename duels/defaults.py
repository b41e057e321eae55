"""The default catalogue: makers, endpoints, the workshop deck's models and its three prompts.

Plain data first, then `load_catalogue()`, which creates only what is missing
(matched by slug) and never updates a row: once loaded, the catalogue belongs
to its curators.

Facts follow shared/reference/catalogue.md (compar:IA's records). Sizes that
the maker does not publish are compar:IA's estimates and carry
`params_estimated`. Release dates are the first day of the month.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from duels.models import AIModel, Endpoint, Maker, Prompt

OPEN = AIModel.Distribution.OPEN_WEIGHTS
API_ONLY = AIModel.Distribution.API_ONLY
DENSE = AIModel.Architecture.DENSE
MOE = AIModel.Architecture.MOE
REASONS = AIModel.Reasoning.YES
PROPRIETARY = "Propriétaire"

MAKERS: list[dict] = [
    {
        "slug": "anthropic",
        "name": "Anthropic",
        "country": "États-Unis",
        "url": "https://www.anthropic.com",
        "proprietary_terms": "https://www.anthropic.com/legal/commercial-terms",
    },
    {"slug": "mistral-ai", "name": "Mistral AI", "country": "France", "url": "https://mistral.ai"},
    {"slug": "meta", "name": "Meta", "country": "États-Unis", "url": "https://ai.meta.com"},
    {"slug": "google", "name": "Google", "country": "États-Unis", "url": "https://ai.google.dev"},
    {
        "slug": "alibaba",
        "name": "Alibaba (Qwen)",
        "country": "Chine",
        "url": "https://qwenlm.github.io",
    },
    {
        "slug": "deepseek",
        "name": "DeepSeek",
        "country": "Chine",
        "url": "https://www.deepseek.com",
    },
    {
        "slug": "microsoft",
        "name": "Microsoft",
        "country": "États-Unis",
        "url": "https://www.microsoft.com",
    },
    {
        "slug": "openai",
        "name": "OpenAI",
        "country": "États-Unis",
        "url": "https://openai.com",
        "proprietary_terms": "https://openai.com/policies/terms-of-use",
    },
    {"slug": "cohere", "name": "Cohere", "country": "Canada", "url": "https://cohere.com"},
    {
        # Jonathan Pacifico publishes Chocolatine on Hugging Face; no company behind it.
        "slug": "jpacifico",
        "name": "jpacifico (Jonathan Pacifico)",
        "country": "",
        "url": "https://huggingface.co/jpacifico",
    },
]

# Data-centre figures drive the impact estimates, so each choice is explained
# in the endpoint's notes, where curators see it.
ENDPOINTS: list[dict] = [
    {
        "slug": "openrouter",
        "name": "OpenRouter",
        "base_url": "https://openrouter.ai/api/v1",
        "api_key_env": "OPENROUTER_API_KEY",
        "zone": "WOR",
        "pue": Decimal("1.20"),
        "wue": Decimal("0.569"),
        "notes": (
            "OpenRouter transmet chaque requête à un hébergeur qu'il choisit : le centre de "
            "données n'est pas connu d'avance. Hypothèse retenue : mix électrique mondial (WOR), "
            "PUE 1,20 et WUE 0,569 L/kWh (valeurs par défaut d'EcoLogits pour OpenAI). "
            "À préciser si vous imposez un hébergeur."
        ),
    },
    {
        "slug": "albert",
        "name": "Albert (API de l'État)",
        "base_url": "https://albert.api.etalab.gouv.fr/v1",
        "api_key_env": "ALBERT_API_KEY",
        "zone": "FRA",
        "pue": Decimal("1.20"),
        "wue": Decimal("0.569"),
        "notes": (
            "API d'IA de l'État (Etalab), hébergée en France. Les modèles servis sont listés par "
            "/v1/models ; aucun modèle du catalogue par défaut n'y est rattaché. PUE et WUE du "
            "centre de données non publiés ici : valeurs par défaut du projet (1,20 ; "
            "0,569 L/kWh)."
        ),
    },
    {
        "slug": "mistral",
        "name": "Mistral AI (La Plateforme)",
        "base_url": "https://api.mistral.ai/v1",
        "api_key_env": "MISTRAL_API_KEY",
        "zone": "SWE",
        "pue": Decimal("1.16"),
        "wue": Decimal("0.09"),
        "notes": (
            "Zone, PUE et WUE : valeurs par défaut d'EcoLogits pour le fournisseur Mistral AI "
            "(Suède, PUE 1,16, WUE 0,09 L/kWh)."
        ),
    },
    {
        "slug": "llamacpp-local",
        "name": "llama.cpp (local)",
        "base_url": "http://127.0.0.1:8080/v1",
        "api_key_env": "",
        # A server on the workshop's machine: reached over loopback, so marked local.
        "is_local": True,
        "zone": "FRA",
        "pue": Decimal("1.00"),
        "wue": Decimal("0"),
        "timeout_seconds": 300,
        "max_concurrency": 1,
        # A processor answers slowly: short answers keep the demo's preparation to minutes.
        "max_tokens": 300,
        "notes": (
            "Serveur llama.cpp sur la machine de l'atelier (python -m llama_cpp.server "
            "--chat_format gemma ...). Pas de centre de données : PUE 1, pas d'eau de "
            "refroidissement ; zone FRA à changer si la machine est ailleurs. Un seul calcul "
            "à la fois, lent sur processeur : délai long."
        ),
    },
    {
        "slug": "ollama-local",
        "name": "Ollama (local)",
        "base_url": "http://127.0.0.1:11434/v1",
        "api_key_env": "",
        # A server on the workshop's machine: reached over loopback, so marked local.
        "is_local": True,
        "zone": "FRA",
        "pue": Decimal("1.00"),
        "wue": Decimal("0"),
        "timeout_seconds": 300,
        "max_concurrency": 1,
        "notes": (
            "Ollama sur la machine de l'atelier. Pas de centre de données : PUE 1, pas d'eau de "
            "refroidissement ; zone FRA à changer si la machine est ailleurs. Télécharger les "
            "modèles d'avance (ollama pull)."
        ),
    },
]

# The workshop deck's models, then the one that runs offline anywhere.
MODELS: list[dict] = [
    {
        "slug": "claude-3-5-sonnet-v2",
        "name": "Claude 3.5 Sonnet",
        "maker": "anthropic",
        "release_date": date(2024, 10, 1),
        # Anthropic publishes neither size nor architecture: compar:IA's guess,
        # a mixture of experts of 440 B with 137.5 B active.
        "architecture": MOE,
        "total_params_b": Decimal("440"),
        "active_params_b": Decimal("137.5"),
        "params_estimated": True,
        "license": PROPRIETARY,
        "distribution": API_ONLY,
        "description": (
            "Modèle propriétaire d'Anthropic (version d'octobre 2024), apprécié pour la "
            "rédaction et la programmation. On ne l'utilise que par les services d'Anthropic "
            "et de ses partenaires. Anthropic ne publie ni sa taille ni son architecture : "
            "les valeurs affichées sont des estimations."
        ),
        "size_description": "Taille non publiée : environ 440 milliards de paramètres (estimation)",
        "fun_fact": (
            "La présentation d'origine de l'atelier parlait d'« environ 300 milliards » de "
            "paramètres, compar:IA l'estime à 440 milliards : tant que l'éditeur ne publie "
            "rien, toute taille de ce modèle reste une estimation."
        ),
        "url": "https://www.anthropic.com/news/3-5-models-and-computer-use",
        "endpoint": "openrouter",
        "endpoint_model_id": "anthropic/claude-3.5-sonnet",
    },
    {
        "slug": "mistral-small-24b-instruct-2501",
        "name": "Mistral Small 3",
        "maker": "mistral-ai",
        "release_date": date(2025, 1, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("24"),
        "license": "Apache 2.0",
        "distribution": OPEN,
        "description": (
            "Modèle de taille moyenne de Mistral AI, entreprise française, sorti en janvier "
            "2025. Rapide et polyvalent, il vise les usages courants (rédiger, résumer, "
            "répondre à des questions) dans de nombreuses langues, dont le français."
        ),
        "size_description": "24 milliards de paramètres",
        "fun_fact": (
            "Ses poids sont publiés sous licence Apache 2.0 : chacun peut le télécharger, "
            "l'héberger et même le modifier, y compris pour un usage commercial."
        ),
        "url": "https://huggingface.co/mistralai/Mistral-Small-24B-Instruct-2501",
        "endpoint": "mistral",
        "endpoint_model_id": "mistral-small-2501",
    },
    {
        "slug": "llama-3.3-70b",
        "name": "Llama 3.3 70B",
        "maker": "meta",
        "release_date": date(2024, 12, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("70"),
        "license": "Llama 3.3",
        "distribution": OPEN,
        "description": (
            "Grand modèle de Meta à poids ouverts, sorti en décembre 2024. Polyvalent, il prend "
            "officiellement en charge huit langues, dont le français."
        ),
        "size_description": "70 milliards de paramètres",
        "fun_fact": (
            "Meta le présente comme aussi performant, sur beaucoup de tâches, que son Llama 3.1 "
            "405B, un modèle près de six fois plus gros."
        ),
        "url": "https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct",
        "endpoint": "openrouter",
        "endpoint_model_id": "meta-llama/llama-3.3-70b-instruct",
    },
    {
        "slug": "gemma-3-4b",
        "name": "Gemma 3 4B",
        "maker": "google",
        "release_date": date(2025, 3, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("4"),
        "license": "Gemma",
        "distribution": OPEN,
        "description": (
            "Petit modèle de Google à poids ouverts, sorti en mars 2025, adapté aux tâches "
            "courantes : questions-réponses, résumés. Il peut fonctionner sur un ordinateur "
            "portable."
        ),
        "size_description": "4 milliards de paramètres",
        "fun_fact": (
            "Malgré sa petite taille, il comprend aussi les images : on peut lui montrer une "
            "photo et lui poser une question dessus."
        ),
        "url": "https://huggingface.co/google/gemma-3-4b-it",
        "endpoint": "openrouter",
        "endpoint_model_id": "google/gemma-3-4b-it",
    },
    {
        "slug": "qwq-32b",
        "name": "QwQ-32B",
        "maker": "alibaba",
        "release_date": date(2025, 3, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("32"),
        "reasoning": REASONS,
        "license": "Apache 2.0",
        "distribution": OPEN,
        "description": (
            "Modèle de raisonnement de l'équipe Qwen d'Alibaba, sorti en mars 2025. Avant de "
            "répondre, il écrit un long raisonnement, ce qui l'aide en mathématiques, en logique "
            "et en programmation, mais allonge beaucoup le texte produit."
        ),
        "size_description": "32 milliards de paramètres",
        "fun_fact": (
            "Son raisonnement compte dans son impact : chaque mot « réfléchi » est un jeton "
            "généré, même si on ne lit que la réponse finale."
        ),
        "url": "https://huggingface.co/Qwen/QwQ-32B",
        "endpoint": "openrouter",
        "endpoint_model_id": "qwen/qwq-32b",
    },
    {
        "slug": "deepseek-r1",
        "name": "DeepSeek R1",
        "maker": "deepseek",
        "release_date": date(2025, 1, 1),
        "architecture": MOE,
        "total_params_b": Decimal("671"),
        "active_params_b": Decimal("37"),
        "reasoning": REASONS,
        "license": "MIT",
        "distribution": OPEN,
        "description": (
            "Modèle de raisonnement de l'entreprise chinoise DeepSeek, sorti en janvier 2025, "
            "performant en mathématiques, en sciences et en programmation. Ses poids sont "
            "publiés sous licence MIT."
        ),
        "size_description": "671 milliards de paramètres, dont 37 milliards actifs par jeton",
        "fun_fact": (
            "C'est un « mélange d'experts » : pour chaque jeton, seuls 37 de ses 671 milliards "
            "de paramètres travaillent. Il calcule donc bien moins qu'un modèle dense de même "
            "taille, mais son long raisonnement allonge ses réponses."
        ),
        "url": "https://huggingface.co/deepseek-ai/DeepSeek-R1",
        "endpoint": "openrouter",
        "endpoint_model_id": "deepseek/deepseek-r1",
    },
    {
        "slug": "phi-4",
        "name": "Phi-4",
        "maker": "microsoft",
        "release_date": date(2024, 12, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("14"),
        "license": "MIT",
        "distribution": OPEN,
        "description": (
            "Petit modèle de Microsoft, sorti en décembre 2024, conçu pour bien raisonner "
            "(logique, mathématiques) malgré sa taille. Il a été pensé d'abord pour l'anglais."
        ),
        "size_description": "14 milliards de paramètres",
        "fun_fact": (
            "Microsoft l'a entraîné avec une part importante de données synthétiques, "
            "c'est-à-dire de textes écrits par d'autres modèles d'IA."
        ),
        "url": "https://huggingface.co/microsoft/phi-4",
        "endpoint": "openrouter",
        "endpoint_model_id": "microsoft/phi-4",
    },
    {
        "slug": "qwen2.5-coder-32b-instruct",
        "name": "Qwen2.5-Coder-32B",
        "maker": "alibaba",
        "release_date": date(2024, 11, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("32"),
        "license": "Apache 2.0",
        "distribution": OPEN,
        "description": (
            "Modèle de l'équipe Qwen d'Alibaba, sorti en novembre 2024 et spécialisé en "
            "programmation : écrire, expliquer et corriger du code."
        ),
        "size_description": "32 milliards de paramètres",
        "fun_fact": (
            "Un modèle spécialisé de taille moyenne peut rivaliser, sur son domaine, avec des "
            "modèles généralistes bien plus gros : inutile de sortir le plus grand modèle pour "
            "une question de code."
        ),
        "url": "https://huggingface.co/Qwen/Qwen2.5-Coder-32B-Instruct",
        "endpoint": "openrouter",
        "endpoint_model_id": "qwen/qwen-2.5-coder-32b-instruct",
    },
    {
        "slug": "llama-3.1-405b",
        "name": "Llama 3.1 405B",
        "maker": "meta",
        "release_date": date(2024, 7, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("405"),
        "license": "Llama 3.1",
        "distribution": OPEN,
        "description": (
            "Le plus grand modèle de la famille Llama 3 de Meta, sorti en juillet 2024, à poids "
            "ouverts. Il demande plusieurs cartes graphiques puissantes pour fonctionner."
        ),
        "size_description": "405 milliards de paramètres",
        "fun_fact": (
            "Meta indique s'en être servi pour améliorer ses modèles plus petits, Llama 3.1 70B "
            "et 8B : un grand modèle qui sert de « professeur »."
        ),
        "url": "https://huggingface.co/meta-llama/Llama-3.1-405B-Instruct",
        "endpoint": "openrouter",
        "endpoint_model_id": "meta-llama/llama-3.1-405b-instruct",
    },
    {
        "slug": "llama-3.1-8b",
        "name": "Llama 3.1 8B",
        "maker": "meta",
        "release_date": date(2024, 7, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("8"),
        "license": "Llama 3.1",
        "distribution": OPEN,
        "description": (
            "Petit modèle de Meta à poids ouverts, sorti en juillet 2024. Assez compact pour "
            "tourner sur un ordinateur personnel, il convient aux tâches simples : reformuler, "
            "résumer, répondre brièvement."
        ),
        "size_description": "8 milliards de paramètres",
        "fun_fact": (
            "C'est le plus petit de la famille Llama 3.1, qui compte aussi un 70B et un 405B : "
            "environ cinquante fois moins de paramètres que le plus grand."
        ),
        "url": "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct",
        "endpoint": "openrouter",
        "endpoint_model_id": "meta-llama/llama-3.1-8b-instruct",
    },
    {
        "slug": "gpt-4o-2024-08-06",
        "name": "GPT-4o",
        "maker": "openai",
        "release_date": date(2024, 8, 1),
        # OpenAI publishes neither size nor architecture: compar:IA's guess.
        "architecture": MOE,
        "total_params_b": Decimal("440"),
        "active_params_b": Decimal("137.5"),
        "params_estimated": True,
        "license": PROPRIETARY,
        "distribution": API_ONLY,
        "description": (
            "Modèle propriétaire d'OpenAI (version d'août 2024), longtemps le modèle par défaut "
            "de ChatGPT. OpenAI ne publie ni sa taille ni son architecture : les valeurs "
            "affichées sont des estimations."
        ),
        "size_description": "Taille non publiée : environ 440 milliards de paramètres (estimation)",
        "fun_fact": (
            "Le « o » de GPT-4o veut dire « omni » : le modèle a été conçu pour traiter le "
            "texte, les images et le son."
        ),
        "url": "https://platform.openai.com/docs/models/gpt-4o",
        "endpoint": "openrouter",
        "endpoint_model_id": "openai/gpt-4o-2024-08-06",
    },
    {
        "slug": "gpt-4o-mini-2024-07-18",
        "name": "GPT-4o mini",
        "maker": "openai",
        "release_date": date(2024, 7, 1),
        # compar:IA guesses a dense model of about 18 B.
        "architecture": DENSE,
        "total_params_b": Decimal("18"),
        "params_estimated": True,
        "license": PROPRIETARY,
        "distribution": API_ONLY,
        "description": (
            "Petite version propriétaire de GPT-4o, sortie en juillet 2024, plus rapide et moins "
            "chère. OpenAI ne publie pas sa taille : la valeur affichée est une estimation."
        ),
        "size_description": "Taille non publiée : environ 18 milliards de paramètres (estimation)",
        "fun_fact": (
            "À sa sortie, il a remplacé GPT-3.5 dans ChatGPT ; OpenAI l'annonçait à la fois "
            "meilleur et moins cher."
        ),
        "url": "https://platform.openai.com/docs/models/gpt-4o-mini",
        "endpoint": "openrouter",
        "endpoint_model_id": "openai/gpt-4o-mini-2024-07-18",
    },
    {
        "slug": "aya-expanse-32b",
        "name": "Aya Expanse 32B",
        "maker": "cohere",
        "release_date": date(2024, 10, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("32"),
        "license": "CC-BY-NC-4.0",
        "distribution": OPEN,
        "description": (
            "Modèle multilingue de l'entreprise canadienne Cohere, sorti en octobre 2024, "
            "entraîné pour bien fonctionner dans 23 langues, dont le français. Ses poids sont "
            "publics, mais sa licence en interdit l'usage commercial."
        ),
        "size_description": "32 milliards de paramètres",
        "fun_fact": (
            "La plupart des modèles apprennent surtout sur des textes en anglais ; Aya a été "
            "conçu pour traiter de la même façon chacune de ses 23 langues."
        ),
        "url": "https://huggingface.co/CohereForAI/aya-expanse-32b",
        "endpoint": "openrouter",
        "endpoint_model_id": "cohere/aya-expanse-32b",
    },
    {
        "slug": "chocolatine-2-14b-instruct-v2.0.3-q8",
        "name": "Chocolatine 2 14B",
        "maker": "jpacifico",
        "release_date": date(2025, 2, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("14"),
        "quantization": AIModel.Quantization.Q8,
        "license": "MIT",
        "distribution": OPEN,
        "description": (
            "Modèle spécialisé en français, publié en février 2025 par Jonathan Pacifico à "
            "partir du modèle Qwen2.5 d'Alibaba. Servi ici en local, dans une version compressée "
            "sur 8 bits (q8)."
        ),
        "size_description": "14 milliards de paramètres, servis en 8 bits (q8)",
        "fun_fact": (
            "Son nom est un clin d'œil à CroissantLLM, un modèle ouvert bilingue français-anglais. "
            "La compression sur 8 bits divise par deux la mémoire nécessaire par rapport aux "
            "poids d'origine sur 16 bits."
        ),
        "url": "https://huggingface.co/jpacifico/Chocolatine-2-14B-Instruct-v2.0.3",
        "endpoint": "ollama-local",
        "endpoint_model_id": "hf.co/jpacifico/Chocolatine-2-14B-Instruct-v2.0.3-Q8_0-GGUF",
    },
    {
        "slug": "gemma-3-270m",
        "name": "Gemma 3 270M",
        "maker": "google",
        "release_date": date(2025, 8, 1),
        "architecture": DENSE,
        "total_params_b": Decimal("0.27"),
        # Served from the GGUF Q4_K_M file (reference/catalogue.md).
        "quantization": AIModel.Quantization.Q4,
        "license": "Gemma",
        "distribution": OPEN,
        "description": (
            "Le plus petit modèle de la famille Gemma 3 de Google, qui tourne sur la machine de "
            "l'atelier, sans connexion. Attention : c'est la version pré-entraînée, pas celle "
            "qui a appris à suivre des instructions. Ses réponses sont courtes, souvent hors "
            "sujet et souvent en anglais. C'est l'image honnête d'un modèle de 270 millions de "
            "paramètres : il sert à faire fonctionner l'atelier hors ligne, pas à gagner les "
            "duels."
        ),
        "size_description": "270 millions de paramètres",
        "fun_fact": (
            "Selon Google, environ 170 de ses 270 millions de paramètres servent seulement à "
            "représenter son vocabulaire de 256 000 jetons."
        ),
        "url": "https://huggingface.co/google/gemma-3-270m",
        "endpoint": "llamacpp-local",
        "endpoint_model_id": "gemma-3-270m",
    },
]

PROMPT_SOURCE = "Atelier « Les duels de l'IA », compar:IA"

# The deck's three duel prompts, verbatim (spelling included).
PROMPTS: list[dict] = [
    {
        "slug": "duel-1-resume-atelier",
        "title": "Résumer en une phrase la présentation de l'atelier",
        "category": "Résumé",
        "text": (
            'Résume moi ce texte en une phrase : Le "Duel de l\'IA" est un atelier pédagogique '
            "interactif visant à développer un regard critique sur les intelligences "
            "artificielles conversationnelles. Au-delà des craintes ou de l'enthousiasme que "
            "peuvent susciter ces systèmes, cet atelier propose aux participants des clés "
            "d'analyse pour mieux comprendre les différents modèles et leurs implications."
        ),
    },
    {
        "slug": "duel-2-data-centers-enfant",
        "title": "Expliquer les data centers à un enfant de 10 ans",
        "category": "Explication",
        "text": (
            "Explique à un enfant de 10 ans pourquoi les data centers consomment de l'énergie. "
            "Sois très concis."
        ),
    },
    {
        "slug": "duel-3-enseigner-impact-ia",
        "title": "Enseigner l'impact environnemental de l'IA",
        "category": "Pédagogie",
        "text": (
            "Comment t'enseignerais l'IA à des personnes qui veulent en savoir plus sur son "
            "impact environnemental."
        ),
    },
]


@dataclass
class Tally:
    created: int = 0
    existing: int = 0


@dataclass
class CatalogueSummary:
    makers: Tally
    endpoints: Tally
    models: Tally
    prompts: Tally


def _create_missing(model_class, rows: list[dict], build=dict) -> Tally:
    """Create the rows whose slug is not in the table yet; leave the others untouched."""
    slugs = [row["slug"] for row in rows]
    present = set(model_class.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for row in rows:
        if row["slug"] not in present:
            model_class.objects.create(**build(row))
    return Tally(created=len(rows) - len(present), existing=len(present))


def load_catalogue() -> CatalogueSummary:
    """Create the default makers, endpoints, models and prompts that are missing."""
    with transaction.atomic():
        makers = _create_missing(Maker, MAKERS)
        endpoints = _create_missing(Endpoint, ENDPOINTS)
        maker_by_slug = Maker.objects.in_bulk([row["maker"] for row in MODELS], field_name="slug")
        endpoint_by_slug = Endpoint.objects.in_bulk(
            [row["endpoint"] for row in MODELS], field_name="slug"
        )

        def build_model(row: dict) -> dict:
            return {
                **row,
                "maker": maker_by_slug[row["maker"]],
                "endpoint": endpoint_by_slug[row["endpoint"]],
            }

        models = _create_missing(AIModel, MODELS, build_model)
        prompts = _create_missing(
            Prompt, [{**row, "language": "fr", "source": PROMPT_SOURCE} for row in PROMPTS]
        )
    return CatalogueSummary(makers=makers, endpoints=endpoints, models=models, prompts=prompts)
