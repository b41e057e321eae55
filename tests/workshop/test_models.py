import pytest
from django.db import IntegrityError, transaction

from workshop import joincodes
from workshop.models import Membership, Role, Room, Script, Step


def test_one_membership_per_user_and_organisation(owner, org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=owner, organisation=org, role=Role.ANALYST)


def test_the_same_user_may_belong_to_two_organisations(owner, other_org):
    Membership.objects.create(user=owner, organisation=other_org, role=Role.ANALYST)
    assert owner.memberships.count() == 2


def test_two_steps_cannot_share_a_position(script):
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(script=script, order=1, kind=Step.Kind.SLIDE, title="Doublon")


def test_a_duel_step_needs_a_prompt(script):
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(script=script, order=3, kind=Step.Kind.DUEL, title="Sans question")


def test_a_duel_cannot_oppose_a_model_to_itself(script, catalogue):
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(
            script=script,
            order=3,
            kind=Step.Kind.DUEL,
            title="Miroir",
            prompt=catalogue["prompt"],
            model_a=catalogue["big"],
            model_b=catalogue["big"],
        )


def test_shared_script_slugs_are_unique(db):
    Script.objects.create(slug="partage", title="Partagé")
    with pytest.raises(IntegrityError), transaction.atomic():
        Script.objects.create(slug="partage", title="Encore")


def test_organisations_may_reuse_a_script_slug(org, other_org):
    Script.objects.create(organisation=org, slug="atelier", title="A")
    Script.objects.create(organisation=other_org, slug="atelier", title="B")


def test_join_codes_avoid_ambiguous_characters():
    codes = {joincodes.new_code() for _ in range(2000)}
    assert len(codes) > 1990  # random, not a sequence
    for code in codes:
        assert len(code) == joincodes.LENGTH
        assert not set(code) & set("0O1IL")
        assert joincodes.is_well_formed(code)


def test_typed_codes_are_normalised():
    assert joincodes.normalise(" abc-def ") == "ABCDEF"


def test_room_gets_a_code_and_a_separate_presenter_secret(room):
    assert joincodes.is_well_formed(room.join_code)
    assert len(room.presenter_secret) >= 40
    assert room.join_code not in room.presenter_secret


def test_join_code_collisions_draw_again(workshop, monkeypatch):
    first = Room.objects.create_with_code(workshop=workshop, name="A")
    draws = iter([first.join_code, first.join_code, "ZZZ222"])
    monkeypatch.setattr(joincodes, "new_code", lambda: next(draws))
    second = Room.objects.create_with_code(workshop=workshop, name="B")
    assert second.join_code == "ZZZ222"


def test_the_database_refuses_a_duplicate_or_malformed_code(room, workshop):
    for code in [room.join_code, "ABC10O", "abcdef", "ABCDE"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Room.objects.create(workshop=workshop, name="X", join_code=code)


def test_presenter_secrets_differ(workshop):
    rooms = [Room.objects.create_with_code(workshop=workshop, name=str(i)) for i in range(5)]
    assert len({r.presenter_secret for r in rooms}) == 5
