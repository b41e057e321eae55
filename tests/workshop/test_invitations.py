"""Members join an organisation by invitation: a link for one e-mail address, which the
account of that address accepts. Inviting never tells whether an account exists."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from tests.workshop.test_admin_scoping import form_data
from workshop import invitations
from workshop.models import Invitation, Membership, Role

ADD = reverse("admin:workshop_invitation_add")
INVITATION_LINK = r"/invitation/([A-Za-z0-9_-]{20,})/"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def invite(client, org, email, role=Role.FACILITATOR):
    """The admin's form, as posted; returns the messages shown after it."""
    response = client.post(ADD, {"organisation": org.pk, "email": email, "role": role}, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def link_of(shown: list[str]) -> str:
    return re.search(INVITATION_LINK, " ".join(shown))[0]


def invited(org, email, role=Role.FACILITATOR, by=None) -> str:
    return invitations.issue(Invitation(organisation=org, email=email, role=role), by)


def without_link(shown: list[str]) -> list[str]:
    return [re.sub(INVITATION_LINK, "/invitation/…/", m) for m in shown]


def test_inviting_an_existing_account_says_what_inviting_an_unknown_address_says(
    client, owner, org, outsider
):
    login(client, owner)
    known = invite(client, org, outsider.email)
    unknown = invite(client, org, "personne@example.org")
    assert without_link(known) == without_link(unknown)
    assert any("Invitation créée" in m for m in known)
    # Nobody was added: the existing account has not said yes.
    assert not Membership.objects.filter(user=outsider, organisation=org).exists()
    assert "Aucun compte" not in " ".join(known)


def test_the_link_is_shown_once_and_e_mailed_never_stored(client, owner, org):
    login(client, owner)
    shown = invite(client, org, "nouvelle@example.org")
    link = link_of(shown)
    token = link.split("/")[2]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nouvelle@example.org"]
    assert link in mail.outbox[0].body
    stored = Invitation.objects.get(email="nouvelle@example.org")
    assert token not in str(Invitation.objects.filter(pk=stored.pk).values().get())
    assert stored.invited_by == owner and stored.expires_at > timezone.now() + timedelta(days=13)
    # The list of invitations does not show it again.
    assert token not in client.get(reverse("admin:workshop_invitation_changelist")).content.decode()


def test_organisation_admins_no_longer_add_members_by_e_mail(client, owner, org, outsider):
    login(client, owner)
    response = client.post(
        reverse("admin:workshop_membership_add"),
        {"organisation": org.pk, "email": outsider.email, "role": "analyst"},
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=outsider, organisation=org).exists()


def test_organisation_admins_still_change_roles_and_remove_members(client, owner, member, org):
    login(client, owner)
    membership = Membership.objects.get(user=member, organisation=org)
    url = reverse("admin:workshop_membership_change", args=[membership.pk])
    assert client.post(url, {"role": Role.ANALYST}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ANALYST and membership.organisation == org
    delete = reverse("admin:workshop_membership_delete", args=[membership.pk])
    client.post(delete, {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_superusers_still_add_members_directly(client, superuser, org, outsider):
    login(client, superuser)
    client.post(
        reverse("admin:workshop_membership_add"),
        {"organisation": org.pk, "user": outsider.pk, "role": Role.ANALYST},
    )
    assert Membership.objects.filter(user=outsider, organisation=org, role="analyst").exists()


def test_the_invited_account_accepts_and_becomes_a_member(client, org, db):
    person = make_user("invitee")
    token = invited(org, "INVITEE@Example.org", Role.ANALYST)  # any case
    url = reverse("invitation", args=[token])
    login(client, person)
    page = client.get(url).content.decode()
    assert org.name in page and "Analyste" in page
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(user=person, organisation=org).role == Role.ANALYST
    assert Invitation.objects.get().accepted_by == person
    # Used once: the same link again is refused, and makes nothing.
    again = client.post(url)
    assert again.status_code == 410
    assert Membership.objects.filter(user=person).count() == 1


def test_an_account_without_membership_logs_in_to_accept_its_invitation(org, db):
    person = make_user("invitee")
    url = reverse("invitation", args=[invited(org, person.email)])
    client = Client()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    login = client.post(
        reverse("admin:login"), {"username": "invitee", "password": PASSWORD, "next": url}
    )
    assert login.status_code == 302 and login["Location"] == url
    client.post(url)
    assert Membership.objects.filter(user=person, organisation=org).exists()


def test_another_account_cannot_accept_nor_learn_what_the_invitation_is_for(client, org, outsider):
    token = invited(org, "invitee@example.org", Role.ADMIN)
    url = reverse("invitation", args=[token])
    login(client, outsider)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        assert org.name not in response.content.decode()
        assert "autre adresse" in response.content.decode()
    assert not Membership.objects.filter(user=outsider, organisation=org).exists()
    assert Invitation.objects.get().accepted_at is None


def test_unknown_and_expired_links_are_refused(client, org, db):
    person = make_user("invitee")
    login(client, person)
    assert client.get(reverse("invitation", args=["not-a-token-at-all"])).status_code == 404
    token = invited(org, person.email)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("invitation", args=[token]))
    assert response.status_code == 410 and "expiré" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()


def test_an_outsider_sees_no_invitation_of_another_organisation(client, owner, org, outsider):
    invited(org, "invitee@example.org", by=owner)
    invitation = Invitation.objects.get()
    login(client, outsider)
    listing = client.get(reverse("admin:workshop_invitation_changelist"))
    assert listing.status_code == 200 and "invitee@example.org" not in listing.content.decode()
    change = reverse("admin:workshop_invitation_change", args=[invitation.pk])
    response = client.get(change, follow=True)
    assert "invitee@example.org" not in response.content.decode()
    # Nor invites into it.
    assert invite(client, org, "intrus@example.org") == []
    assert not Invitation.objects.filter(email="intrus@example.org").exists()
    client.post(reverse("admin:workshop_invitation_delete", args=[invitation.pk]), {"post": "yes"})
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize("who", ["member", "analyst"])
def test_only_organisation_admins_invite(client, request, org, who):
    login(client, request.getfixturevalue(who))
    assert client.get(ADD).status_code == 403
    client.post(ADD, {"organisation": org.pk, "email": "x@example.org", "role": Role.ADMIN})
    assert not Invitation.objects.exists()


def test_when_the_mail_cannot_leave_the_admin_gets_the_link_and_the_log_does_not(
    client, owner, org, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    login(client, owner)
    shown = invite(client, org, "nouvelle@example.org")
    link = link_of(shown)
    assert "pas pu partir" in " ".join(shown)
    assert Invitation.objects.filter(email="nouvelle@example.org").exists()
    assert link.split("/")[2] not in caplog.text


def test_organisation_admins_change_roles_on_the_organisation_page(client, owner, member, org):
    login(client, owner)
    url = reverse("admin:workshop_organisation_change", args=[org.pk])
    page = client.get(url)
    assert member.email in page.content.decode()  # shown, not editable
    data = form_data(page)
    index = next(
        i
        for i in range(5)
        if str(data.get(f"memberships-{i}-id")) == str(member.memberships.get().pk)
    )
    data[f"memberships-{index}-role"] = Role.ANALYST
    data[f"memberships-{index}-email"] = "autre@example.org"  # disabled: ignored
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert member.memberships.get().role == Role.ANALYST
    member.refresh_from_db()
    assert member.email == "member@example.org"
