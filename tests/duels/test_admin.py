"""The catalogue's back office: curators edit, members read, keys never show."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from duels.models import AIModel, Endpoint
from tests.conftest import PASSWORD, make_user


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def curator(db):
    user = make_user("curator", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="duels"))
    return user


def test_an_endpoint_names_its_key_variable_and_says_whether_it_is_set(
    client, curator, monkeypatch
):
    endpoint = Endpoint.objects.create(
        slug="openrouter",
        name="OpenRouter",
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
    )
    login(client, curator)
    url = reverse("admin:duels_endpoint_change", args=[endpoint.pk])

    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    page = client.get(url).content.decode()
    assert "OPENROUTER_API_KEY" in page and "clé manquante" in page

    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-very-secret-value")
    for page_url in (url, reverse("admin:duels_endpoint_changelist")):
        page = client.get(page_url).content.decode()
        assert "clé définie" in page
        assert "very-secret-value" not in page


def test_a_curator_edits_the_catalogue(client, curator, catalogue):
    login(client, curator)
    model = catalogue["big"]
    page = client.get(reverse("admin:duels_aimodel_change", args=[model.pk]))
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()


def test_members_read_the_catalogue_but_do_not_edit_it(client, member, catalogue):
    login(client, member)
    model = catalogue["big"]
    url = reverse("admin:duels_aimodel_change", args=[model.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"name": "Renommé"}).status_code == 403
    model.refresh_from_db()
    assert model.name == "Llama 3.3 70B"
    assert client.get(reverse("admin:duels_endpoint_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("size_class=XS", {"llama-3.1-8b"}),
        ("size_class=M", {"llama-3.3-70b"}),
        ("size_class=XL", set()),
        ("q=8B", {"llama-3.1-8b"}),
    ],
)
def test_the_catalogue_filters_by_size_class_and_searches(
    client, curator, catalogue, query, expected
):
    login(client, curator)
    response = client.get(reverse("admin:duels_aimodel_changelist") + "?" + query)
    shown = {m.slug for m in response.context["cl"].queryset}
    assert shown == expected


def test_every_catalogue_filter_renders(client, curator, catalogue):
    login(client, curator)
    for query in [
        "maker__id__exact",
        "status__exact=enabled",
        "distribution__exact=open-weights",
        "reasoning__exact=yes",
    ]:
        response = client.get(reverse("admin:duels_aimodel_changelist") + "?" + query)
        assert response.status_code == 200, query
    assert AIModel.objects.count() == 2
