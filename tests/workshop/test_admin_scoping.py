"""The back office shows each member their own organisation's records, as their role allows.

The outsider (an admin of another organisation) must get nothing of `org`, on every page.
"""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from workshop.models import Membership, Organisation, Room, Script, Step, Workshop

ORG_NAME = "Médiathèque de Lyon"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def records(org, owner, workshop, room) -> dict:
    """One record of each kind of organisation data, all belonging to `org`."""
    return {
        "organisation": org,
        "membership": Membership.objects.get(user=owner, organisation=org),
        "script": workshop.script,
        "workshop": workshop,
        "room": room,
    }


def record_pages(kind: str, obj) -> list[str]:
    return [
        reverse(f"admin:workshop_{kind}_{page}", args=[obj.pk])
        for page in ("change", "delete", "history")
    ]


KINDS = ["organisation", "membership", "script", "workshop", "room"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_outsider_gets_nothing(client, outsider, records, kind):
    login(client, outsider)
    obj = records[kind]
    changelist = client.get(reverse(f"admin:workshop_{kind}_changelist"))
    assert ORG_NAME not in changelist.content.decode()
    assert str(obj) not in changelist.content.decode()
    for url in record_pages(kind, obj):
        response = client.get(url, follow=True)
        # Refused: sent back to the index ("does not exist"), or forbidden.
        assert response.redirect_chain or response.status_code in (403, 404), url
        assert ORG_NAME not in response.content.decode(), url
        assert str(obj) not in response.content.decode(), url


@pytest.mark.parametrize("kind", KINDS)
def test_the_outsider_cannot_delete_or_change(client, outsider, records, kind):
    login(client, outsider)
    obj = records[kind]
    client.post(reverse(f"admin:workshop_{kind}_delete", args=[obj.pk]), {"post": "yes"})
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_the_outsider_cannot_add_to_another_organisation(client, outsider, org, script):
    login(client, outsider)
    page = client.get(reverse("admin:workshop_workshop_add")).content.decode()
    assert ORG_NAME not in page
    assert script.title not in page  # the organisation's own script is not offered
    client.post(
        reverse("admin:workshop_workshop_add"),
        {
            "organisation": org.pk,
            "title": "Intrus",
            "script": script.pk,
            "audience": "general",
            "language": "fr",
            "vote_mode": "phones",
            "status": "draft",
            "rooms-TOTAL_FORMS": 0,
            "rooms-INITIAL_FORMS": 0,
        },
    )
    assert not Workshop.objects.filter(title="Intrus").exists()


def test_the_outsider_cannot_add_a_room_to_another_workshop(client, outsider, workshop):
    login(client, outsider)
    client.post(
        reverse("admin:workshop_room_add"),
        {"workshop": workshop.pk, "name": "Intruse", "capacity": 30},
    )
    assert not Room.objects.filter(name="Intruse").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_owner_sees_every_record(client, owner, records, kind):
    login(client, owner)
    for url in record_pages(kind, records[kind]):
        if kind == "organisation" and "/delete/" in url:
            continue  # only superusers delete an organisation
        response = client.get(url)
        assert response.status_code == 200, url
    changelist = client.get(reverse(f"admin:workshop_{kind}_changelist")).content.decode()
    assert str(records[kind]) in changelist or kind == "membership"


def test_inviting_a_member_lists_no_account(client, owner, outsider):
    # Members come by invitation (tests/workshop/test_invitations.py), to an address typed.
    login(client, owner)
    page = client.get(reverse("admin:workshop_invitation_add")).content.decode()
    assert outsider.username not in page and outsider.email not in page


def test_a_facilitator_edits_workshops_but_not_members(client, member, records, workshop):
    login(client, member)
    assert (
        client.get(reverse("admin:workshop_workshop_change", args=[workshop.pk])).status_code == 200
    )
    assert client.get(reverse("admin:workshop_membership_changelist")).status_code == 403
    page = client.get(
        reverse("admin:workshop_organisation_change", args=[records["organisation"].pk])
    )
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_an_analyst_sees_but_does_not_edit(client, analyst, workshop):
    login(client, analyst)
    url = reverse("admin:workshop_workshop_change", args=[workshop.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(url, {"title": "Renommé"})
    assert response.status_code == 403
    workshop.refresh_from_db()
    assert workshop.title == "Atelier du mardi"
    assert client.get(reverse("admin:workshop_workshop_add")).status_code == 403


def test_members_read_shared_scripts_but_do_not_change_them(client, member, db):
    shared = Script.objects.create(slug="partage", title="Déroulé partagé")
    login(client, member)
    url = reverse("admin:workshop_script_change", args=[shared.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"title": "Modifié"}).status_code == 403


def test_the_superuser_sees_every_organisation(client, superuser, records, other_org):
    login(client, superuser)
    page = client.get(reverse("admin:workshop_organisation_changelist")).content.decode()
    assert ORG_NAME in page and other_org.name in page


def test_a_user_without_membership_cannot_enter(client, db):
    from tests.conftest import make_user

    make_user("stranger")
    client.login(username="stranger", password=PASSWORD)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def form_data(response) -> dict:
    """The POST data that the rendered change page would send back unchanged."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            data[key] = [str(v) for v in value] if isinstance(value, list | tuple) else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for form in formset.forms:
            add(form)
    return data


def test_steps_can_swap_places_inline(client, member, script):
    login(client, member)
    url = reverse("admin:workshop_script_change", args=[script.pk])
    data = form_data(client.get(url))
    first, second = script.steps.order_by("order")
    for index in range(2):
        if str(data[f"steps-{index}-id"]) == str(first.pk):
            data[f"steps-{index}-order"] = 2
        else:
            data[f"steps-{index}-order"] = 1
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert list(script.steps.order_by("order").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_an_outsider_cannot_reach_steps_through_the_script(client, outsider, script):
    login(client, outsider)
    page = client.get(reverse("admin:workshop_script_changelist")).content.decode()
    assert script.title not in page
    assert Step.objects.filter(script=script).count() == 2


def test_organisations_are_created_by_superusers_only(client, owner):
    login(client, owner)
    assert client.get(reverse("admin:workshop_organisation_add")).status_code == 403
    assert Organisation.objects.count() == 1


def test_a_member_who_is_not_staff_logs_in_through_the_form(client, member):
    assert not member.is_staff
    response = client.post(
        reverse("admin:login"), {"username": "member", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_someone_with_no_membership_and_no_staff_flag_is_turned_away(client, db):
    from tests.conftest import make_user

    make_user("walker")
    response = client.post(reverse("admin:login"), {"username": "walker", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
