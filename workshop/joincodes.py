"""Join codes and presenter secrets.

A join code is read aloud and typed on a phone: six characters from an
alphabet without look-alikes (no 0/O, 1/I/L). 31**6 is about 887 million
codes, drawn with `secrets`, so a code cannot be guessed from another. Codes
are unique across every room ever created (a strictly stronger rule than
"among open workshops"): an old QR code never lands someone in a new workshop.
"""

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str:
    """Upper-case a typed code and drop spaces and dashes ("abc-def" -> "ABCDEF")."""
    return "".join(c for c in typed.upper() if c.isalnum())


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def new_presenter_secret() -> str:
    return secrets.token_urlsafe(32)
