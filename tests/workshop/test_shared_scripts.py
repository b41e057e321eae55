"""Shared templates (scripts without an organisation) are published by superusers only.

An organisation's admin or facilitator who posts the script form with an empty
organisation, or moves their script out of their organisation, changes nothing: the
outsider never sees their script among the templates.
"""

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import PASSWORD
from workshop.models import Script

ADD = reverse("admin:workshop_script_add")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def script_form(organisation="", title="Modèle pour tous", slug="pour-tous") -> dict:
    return {
        "organisation": organisation,
        "title": title,
        "slug": slug,
        "description": "",
        "language": "fr",
        "steps-TOTAL_FORMS": 0,
        "steps-INITIAL_FORMS": 0,
    }


@pytest.mark.parametrize("who", ["member", "owner"])
def test_a_member_cannot_publish_a_shared_template(client, request, outsider, who):
    user = request.getfixturevalue(who)  # a facilitator, then an organisation's admin
    response = login(client, user).post(ADD, script_form())
    assert response.status_code == 200  # the form again, with its error
    assert "seuls les super-utilisateurs" in response.content.decode()
    assert not Script.objects.filter(title="Modèle pour tous").exists()
    # The other organisation is offered nothing new.
    login(client, outsider)
    for page in ("admin:workshop_script_changelist", "admin:workshop_workshop_add"):
        assert "Modèle pour tous" not in client.get(reverse(page)).content.decode()


def test_a_member_s_script_belongs_to_their_organisation(client, member, org):
    login(client, member).post(ADD, script_form(org.pk, "Le nôtre", "le-notre"))
    assert Script.objects.get(title="Le nôtre").organisation == org


@pytest.mark.parametrize("who", ["member", "owner"])
def test_a_member_cannot_move_a_script_out_of_their_organisation(
    client, request, script, other_org, who
):
    login(client, request.getfixturevalue(who))
    url = reverse("admin:workshop_script_change", args=[script.pk])
    for destination in ("", other_org.pk):
        data = script_form(destination, "Déplacé", script.slug)
        data |= {"steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0}
        assert client.post(url, data).status_code == 200  # refused, with the reason
    script.refresh_from_db()
    assert script.organisation_id is not None and script.title == "Mon atelier"


def test_saving_rechecks_the_organisation_whatever_the_form_let_through(member, org):
    """A form that let an empty organisation through (a bug, a crafted request) still
    writes nothing: the admin's save refuses the shared template."""
    request = RequestFactory().post(ADD)
    request.user = member
    model_admin = admin.site._registry[Script]
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, Script(slug="x", title="Glissé"), None, False)
    assert not Script.objects.filter(title="Glissé").exists()


def test_a_superuser_still_publishes_shared_templates(client, superuser, member):
    login(client, superuser).post(ADD, script_form())
    shared = Script.objects.get(title="Modèle pour tous")
    assert shared.organisation is None
    # Every member reads it.
    login(client, member)
    listing = client.get(reverse("admin:workshop_script_changelist")).content.decode()
    assert "Modèle pour tous" in listing
