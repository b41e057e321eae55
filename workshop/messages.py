"""The small schema of what screens may send over their WebSocket, checked before anything
else happens. Anything else is refused with a reason, and changes nothing.

Each function returns the checked values or raises `Invalid`, never another error,
whatever it is given. What `decode` returns nests no deeper than a message needs, and
its text holds no NUL and no lone surrogate (which the JSON escapes "\\u0000" and
"\\ud800" would smuggle in, and which no database stores)."""

import json
import re

from workshop.live import Ballot
from workshop.models import Vote

MAX_MESSAGE_BYTES = 8 * 1024
MAX_COMMENT = 2000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A vote's reasons are the deepest part of any message, three levels down
# ({"reasons": {"a": ["useful"]}}); one more is spare.
MAX_DEPTH = 4
TOO_DEEP = "message trop imbriqué"
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Round ids go into PostgreSQL's advisory locks, whose keys are 32-bit integers.
MAX_ROUND_ID = 2**31 - 1


class Invalid(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def decode(text: str | None) -> dict:
    if text is None:
        raise Invalid("seuls les messages texte (JSON) sont acceptés")
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        raise Invalid("message trop long")
    try:
        message = json.loads(text)
    except ValueError:
        raise Invalid("message illisible (JSON attendu)") from None
    except RecursionError:
        # "[[[[…" a thousand deep fits in the size limit; how deep is too deep for the
        # parser depends on the stack, so it gets the same reason as the check below.
        raise Invalid(TOO_DEEP) from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise Invalid("message sans type")
    _check_shape(message)
    return message


def _check_shape(message: dict) -> None:
    """No deeper than MAX_DEPTH, and only text that a database can store."""
    pending = [(message, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                raise Invalid("caractère interdit dans le message")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise Invalid(TOO_DEEP)
        children = [*value, *value.values()] if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children)


def ballot(message: dict) -> Ballot:
    allowed = {"type", "round", "choice", "reasons", "comment_a", "comment_b", "client_id"}
    if set(message) - allowed:
        raise Invalid("champ inconnu dans le vote")
    round_id = message.get("round")
    if (
        not isinstance(round_id, int)
        or isinstance(round_id, bool)
        or not 0 < round_id <= MAX_ROUND_ID
    ):
        raise Invalid("vote sans duel")
    choice = message.get("choice")
    if choice not in Vote.Choice.values:
        raise Invalid("choix inconnu : A, B ou égalité")
    client_id = message.get("client_id", "")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Invalid("identifiant de vote invalide")
    reasons = message.get("reasons", {})
    if not isinstance(reasons, dict) or set(reasons) - {"a", "b"}:
        raise Invalid("raisons invalides")
    for side, names in reasons.items():
        if not isinstance(names, list) or any(name not in Vote.REASONS for name in names):
            raise Invalid(f"raisons inconnues pour {side.upper()}")
    comments = []
    for key in ("comment_a", "comment_b"):
        comment = message.get(key, "")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise Invalid("commentaire invalide ou trop long")
        comments.append(comment.strip())
    return Ballot(
        round_id=round_id,
        choice=choice,
        reasons={side: sorted(set(names)) for side, names in reasons.items() if names},
        comment_a=comments[0],
        comment_b=comments[1],
        client_id=client_id,
    )


def command(message: dict) -> str:
    name = message.get("command")
    if set(message) - {"type", "command"} or not isinstance(name, str) or len(name) > 40:
        raise Invalid("commande invalide")
    return name


MAX_ANSWER = 280
MAX_HANDS = 100_000


def _whole(value, name: str, upper: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
        raise Invalid(f"{name} : un nombre entier de 0 à {upper} est attendu")
    return value


def answer(message: dict) -> tuple[int, int | None, str]:
    """A participant's answer to the question on screen: (step id, choice, text)."""
    if set(message) - {"type", "step", "choice", "text"}:
        raise Invalid("champ inconnu dans la réponse")
    step = _whole(message.get("step"), "étape", 2**31)
    choice = message.get("choice")
    if choice is not None:
        choice = _whole(choice, "choix", 1000)
    text = message.get("text", "")
    if not isinstance(text, str) or len(text) > MAX_ANSWER:
        raise Invalid(f"réponse invalide ou trop longue ({MAX_ANSWER} caractères au plus)")
    return step, choice, text


def hands(message: dict) -> tuple[int, int, int, int]:
    """A room's raised hands, typed by the facilitator: (room id, A, B, equal)."""
    if set(message) - {"type", "room", "a", "b", "both_equal"}:
        raise Invalid("champ inconnu dans le compte des mains")
    room = _whole(message.get("room"), "salle", 2**31)
    return (
        room,
        _whole(message.get("a"), "A", MAX_HANDS),
        _whole(message.get("b"), "B", MAX_HANDS),
        _whole(message.get("both_equal"), "égalité", MAX_HANDS),
    )


def live_question(message: dict) -> tuple[str, str, list[str]]:
    """The facilitator's live question: (text, pair mode, chosen model ids)."""
    from duels.pairs import MODES

    if set(message) - {"type", "text", "mode", "models"}:
        raise Invalid("champ inconnu dans la question")
    text, mode, models = message.get("text"), message.get("mode"), message.get("models", [])
    if not isinstance(text, str) or mode not in MODES:
        raise Invalid("question ou mode invalide")
    if (
        not isinstance(models, list)
        or len(models) > 2
        or any(not isinstance(slug, str) or len(slug) > 100 for slug in models)
    ):
        raise Invalid("modèles invalides")
    return text, mode, [slug for slug in models if slug]


def proposal_text(message: dict) -> str:
    if set(message) - {"type", "text"} or not isinstance(message.get("text"), str):
        raise Invalid("proposition invalide")
    if len(message["text"]) > 500:
        raise Invalid("question trop longue (500 caractères au plus)")
    return message["text"]


def proposal_decision(message: dict) -> tuple[int, str, str, list[str]]:
    from duels.pairs import MODES

    if set(message) - {"type", "proposal", "decision", "mode", "models"}:
        raise Invalid("champ inconnu")
    proposal = _whole(message.get("proposal"), "question", 2**31)
    decision = message.get("decision")
    mode = message.get("mode", "random")
    models = message.get("models", [])
    if decision not in ("approve", "reject", "ask") or mode not in MODES:
        raise Invalid("décision ou mode invalide")
    if (
        not isinstance(models, list)
        or len(models) > 2
        or any(not isinstance(slug, str) or len(slug) > 100 for slug in models)
    ):
        raise Invalid("modèles invalides")
    return proposal, decision, mode, [slug for slug in models if slug]
