"""Questions proposed from phones, approved by the facilitator, asked live."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tests.live_fixtures import phone
from workshop.live import PHONES, SCREENS, Refused, audience_group
from workshop.models import Proposal, Workshop
from workshop.proposals import decide, propose

pytestmark = pytest.mark.django_db


def test_proposals_are_refused_unless_the_facilitator_allows_them(live_workshop):
    participant = phone(live_workshop.room_a).participant
    with pytest.raises(Refused, match="ne prend pas de questions"):
        propose(participant.pk, "Pourquoi ?")
    assert not Proposal.objects.exists()


def test_a_proposal_waits_for_the_facilitator(live_workshop):
    Workshop.objects.filter(pk=live_workshop.pk).update(accepts_proposals=True)
    participant = phone(live_workshop.room_a).participant
    proposal = propose(participant.pk, "  Combien d'eau pour une réponse ?  ")
    assert proposal.text == "Combien d'eau pour une réponse ?"
    assert decide(live_workshop.pk, proposal.pk, "approve").status == "approved"
    assert decide(live_workshop.pk, proposal.pk, "reject").status == "rejected"


def test_a_phone_cannot_flood_the_facilitator(live_workshop):
    Workshop.objects.filter(pk=live_workshop.pk).update(accepts_proposals=True)
    participant = phone(live_workshop.room_a).participant
    for index in range(3):
        propose(participant.pk, f"Question {index}")
    with pytest.raises(Refused, match="déjà des questions"):
        propose(participant.pk, "Encore une")
    with pytest.raises(Refused, match="caractères"):
        propose(participant.pk, "x" * 501)


def test_asking_a_proposal_starts_a_live_duel_with_its_text(live_workshop, task_queue):
    Workshop.objects.filter(pk=live_workshop.pk).update(accepts_proposals=True)
    proposal = propose(phone(live_workshop.room_a).participant.pk, "Le ciel est-il bleu ?")
    round_ = decide(
        live_workshop.pk,
        proposal.pk,
        "ask",
        "manual",
        [live_workshop.big.slug, live_workshop.small.slug],
    )
    assert round_.generation_a.prompt.text == "Le ciel est-il bleu ?"
    assert {round_.generation_a.model, round_.generation_b.model} == {
        live_workshop.big,
        live_workshop.small,
    }
    workshop = Workshop.objects.get()
    assert workshop.live_round == round_ and workshop.phase == "duel_answers"
    assert Proposal.objects.get().status == "asked"


def test_another_workshops_proposal_cannot_be_decided(live_workshop, org):
    other = Workshop.objects.create(
        organisation=org, script=live_workshop.script, title="x", accepts_proposals=True
    )
    from workshop.models import Room

    room = Room.objects.create_with_code(workshop=other, name="Ailleurs")
    proposal = propose(phone(room).participant.pk, "Chez les autres ?")
    with pytest.raises(Refused, match="n'existe pas"):
        decide(live_workshop.pk, proposal.pk, "approve")
    assert Proposal.objects.get().status == "pending"


def test_a_proposal_redraws_the_facilitators_screens_not_the_phones(
    live_workshop, django_capture_on_commit_callbacks
):
    """Only the panel lists proposals: a thousand phones would redraw for nothing."""
    Workshop.objects.filter(pk=live_workshop.pk).update(accepts_proposals=True)
    layer = get_channel_layer()

    async def listen(audience):
        channel = await layer.new_channel()
        await layer.group_add(audience_group(live_workshop.pk, audience), channel)
        return channel

    async def news(channel):
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout=1)
        except TimeoutError:
            return None

    screens, phones = async_to_sync(listen)(SCREENS), async_to_sync(listen)(PHONES)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(phone(live_workshop.room_a).participant.pk, "Et l'eau ?")
    assert async_to_sync(news)(screens)["type"] == "state.changed"
    with django_capture_on_commit_callbacks(execute=True):
        decide(live_workshop.pk, proposal.pk, "approve")
    assert async_to_sync(news)(screens)["type"] == "state.changed"
    assert async_to_sync(news)(phones) is None
