"""Joining a room: a code read aloud, a secret token in a cookie, nothing personal.

The cookie holds a random token; the database keeps only its SHA-256 digest. The
same phone re-opening the link is the same participant; a finished workshop or a
full room gets a clear message instead. New arrivals and codes that name no room are
counted per address (workshop/limits.py), so codes cannot be guessed by the thousand.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction

from workshop import joincodes, limits
from workshop.models import Participant, Room, Workshop

COOKIE = "duels_participant"
COOKIE_MAX_AGE = 60 * 60 * 12  # a workshop's day


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def guessing_too_much(address: str) -> bool:
    """Count a typed code that names no room (unknown or malformed) against its address;
    True once the address has guessed too many and must wait (HTTP 429, not 404)."""
    return bool(address) and not limits.allow_join(address, failed=True)


def find_room(typed_code: str) -> Room | None:
    code = joincodes.normalise(typed_code)
    if not joincodes.is_well_formed(code):
        return None
    return Room.objects.select_related("workshop").filter(join_code=code).first()


def participant_for(room: Room, token: str | None) -> Participant | None:
    """The participant this cookie stands for, in this room only."""
    if not token:
        return None
    return Participant.objects.filter(
        room=room, token_digest=digest(token), removed_at__isnull=True
    ).first()


@dataclass(frozen=True)
class Joined:
    participant: Participant | None
    token: str | None
    refusal: str = ""
    # A refusal that passes with time (too many arrivals): HTTP 429 rather than 403.
    retry_later: bool = False


CLOSED = {Workshop.Status.FINISHED, Workshop.Status.CANCELLED}


def join(room: Room, token: str | None, address: str = "") -> Joined:
    if room.workshop.status in CLOSED:
        return Joined(None, None, "Cet atelier est terminé. Merci d'y avoir participé !")
    if token:
        known = Participant.objects.filter(room=room, token_digest=digest(token)).first()
        if known is not None:
            if known.removed_at is not None:
                return Joined(None, None, "L'animateur vous a retiré de cette salle.")
            return Joined(known, token)
    if address and not limits.allow_join(address):
        return Joined(
            None, None, "Trop d'arrivées depuis ce réseau : réessayez dans une minute.", True
        )
    with transaction.atomic():
        # Counted under a lock on the room, so two phones cannot take the last seat.
        room = Room.objects.select_for_update().get(pk=room.pk)
        present = room.participants.filter(removed_at__isnull=True).count()
        if present >= room.capacity:
            return Joined(None, None, "Cette salle est complète. Demandez à l'animateur.")
        token = secrets.token_urlsafe(32)
        participant = Participant.objects.create(room=room, token_digest=digest(token))
    return Joined(participant, token)
