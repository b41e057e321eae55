""" "Comment c'est calculé": the method, its version, and why the deck's figures were higher."""

from impacts.estimate import METHOD, method_version

METHOD_URL = "https://ecologits.ai/latest/methodology/"


def paragraphs(language: str = "fr") -> list[str]:
    version = method_version()
    if language.startswith("en"):
        return [
            f"These figures are estimates, computed with {METHOD} {version} (GenAI Impact's "
            "open method, also used by compar:IA). They depend on the model's size (total and "
            "active parameters), the number of words generated (output tokens, reasoning "
            "included), and the data centre that serves it: its electricity mix, its PUE and "
            "its water use.",
            "Emissions and water include the electricity used by the servers; emissions also "
            "include a share of the manufacture of the servers and GPUs. Model training is not "
            "counted.",
            "Older figures, such as those of the original workshop deck, came from EcoLogits "
            "0.8, which estimated energy from older benchmarks with one request at a time. "
            "Since version 0.9 the method uses measured GPU energy (ML.ENERGY benchmark), "
            "requests batched by 64 on H100 servers, 16-bit weights and a 3-year lifespan: the "
            "same answer now comes out about thirty times lower. Neither figure is a "
            "measurement: the gap is the uncertainty of the field.",
        ]
    return [
        f"Ces chiffres sont des estimations, calculées avec {METHOD} {version} (la méthode "
        "ouverte de GenAI Impact, que compar:IA utilise aussi). Ils dépendent de la taille du "
        "modèle (paramètres totaux et actifs), du nombre de mots produits (jetons de sortie, "
        "raisonnement compris) et du centre de données qui le sert : son mix électrique, son "
        "PUE et sa consommation d'eau.",
        "Les émissions et l'eau comptent l'électricité des serveurs ; les émissions comptent "
        "aussi une part de la fabrication des serveurs et des GPU. L'entraînement du modèle "
        "n'est pas compté.",
        "Des chiffres plus anciens, comme ceux de la présentation d'origine de l'atelier, "
        "venaient d'EcoLogits 0.8, qui estimait l'énergie à partir de mesures plus anciennes, "
        "une requête à la fois. Depuis la version 0.9, la méthode s'appuie sur l'énergie "
        "mesurée des GPU (banc d'essai ML.ENERGY), des requêtes traitées par lots de 64 sur "
        "des serveurs H100, des poids en 16 bits et une durée de vie de 3 ans : la même "
        "réponse ressort environ trente fois plus bas. Aucun des deux n'est une mesure : "
        "l'écart dit l'incertitude du domaine.",
    ]
