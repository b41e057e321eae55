"""Questions proposed by participants: sent from a phone when the facilitator allows it,
approved or set aside by the facilitator, then asked live like any question."""

from django.db import transaction

from workshop import live
from workshop.live import Refused
from workshop.models import Participant, Proposal, Round, Workshop

MAX_LENGTH = 500
MAX_PENDING_PER_PARTICIPANT = 3


def propose(participant_id: int, text: str) -> Proposal:
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        raise Refused(f"une question de 1 à {MAX_LENGTH} caractères, s'il vous plaît")
    with transaction.atomic():
        participant = (
            Participant.objects.select_related("room__workshop").filter(pk=participant_id).first()
        )
        if participant is None or participant.removed_at is not None:
            raise Refused("vous ne faites plus partie de cette salle")
        workshop = participant.room.workshop
        if not workshop.accepts_proposals or workshop.phase == live.ENDED:
            raise Refused("l'animateur ne prend pas de questions pour l'instant")
        pending = Proposal.objects.filter(
            participant=participant, status=Proposal.Status.PENDING
        ).count()
        if pending >= MAX_PENDING_PER_PARTICIPANT:
            raise Refused("vous avez déjà des questions en attente")
        proposal = Proposal.objects.create(workshop=workshop, participant=participant, text=text)
        # Only the facilitator's panel lists proposals: a thousand phones need not redraw.
        transaction.on_commit(lambda: live.broadcast(workshop.pk, live.SCREENS))
    return proposal


def decide(
    workshop_id: int,
    proposal_id: int,
    decision: str,
    mode: str = "random",
    models: list[str] | None = None,
) -> Proposal | Round:
    """approve, reject, or ask it now (an approved or pending question) in a live duel."""
    proposal = Proposal.objects.filter(pk=proposal_id, workshop_id=workshop_id).first()
    if proposal is None:
        raise Refused("cette question n'existe pas dans cet atelier")
    if decision == "ask":
        round_ = live.ask_live_question(workshop_id, proposal.text, mode, models)
        Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.ASKED)
        return round_
    statuses = {"approve": Proposal.Status.APPROVED, "reject": Proposal.Status.REJECTED}
    if decision not in statuses:
        raise Refused("décision inconnue")
    Proposal.objects.filter(pk=proposal.pk).update(status=statuses[decision])
    transaction.on_commit(lambda: live.broadcast(workshop_id, live.SCREENS))
    proposal.refresh_from_db()
    return proposal


def for_facilitator(workshop: Workshop) -> list[dict]:
    waiting = Proposal.objects.filter(
        workshop=workshop, status__in=[Proposal.Status.PENDING, Proposal.Status.APPROVED]
    )
    return [{"id": p.pk, "text": p.text, "status": p.status} for p in waiting[:50]]
