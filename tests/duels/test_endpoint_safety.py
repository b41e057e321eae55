"""Endpoints cannot be turned against the platform: no secret of the workers leaves with a
request, and the workers call no address they should not (issue 20, finding 1)."""

import importlib

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse

from config.env import envnetworks
from duels import providers
from duels.models import Endpoint
from tests.conftest import PASSWORD, make_user
from tests.fake_provider import FakeProvider
from workshop.defaults import ensure_curators_group

SECRET = "sk-test-provider-key-0123456789"
ATTACKER = "https://attacker.example/v1"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def curator(db):
    """A member of the real curators' group, as load_defaults creates it."""
    user = make_user("curator", is_staff=True)
    group, _created = ensure_curators_group()
    user.groups.add(group)
    return user


@pytest.fixture
def openrouter(db):
    return Endpoint.objects.create(
        slug="openrouter",
        name="OpenRouter",
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        zone="WOR",
    )


@pytest.fixture
def nothing_is_sent(monkeypatch):
    """Fails the test if a request leaves; records the URLs that would have."""
    sent = []

    def post(url, **kwargs):
        sent.append(url)
        raise requests.ConnectionError("the test stopped it")

    monkeypatch.setattr(providers.requests, "post", post)
    return sent


def ask(endpoint, model="ok"):
    return providers.chat_completion(
        endpoint, model, [{"role": "user", "content": "Bonjour"}], {"max_tokens": 50}
    )


def endpoint_form(**fields) -> dict:
    form = {
        "name": "Mon serveur",
        "slug": "mon-serveur",
        "api_style": "openai",
        "base_url": ATTACKER,
        "api_key_env": "SECRET_KEY",
        "notes": "",
        "zone": "FRA",
        "pue": "1.20",
        "wue": "0.569",
        "timeout_seconds": "120",
        "max_concurrency": "4",
    }
    return form | fields


# The key variable: an allow-list, never a platform secret ---------------------------------


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "HOME"])
def test_an_endpoint_naming_a_variable_outside_the_allow_list_is_refused(db, variable):
    endpoint = Endpoint(slug="x", name="X", base_url=ATTACKER, api_key_env=variable)
    with pytest.raises(ValidationError) as error:
        endpoint.full_clean()
    assert "api_key_env" in error.value.message_dict
    assert variable in error.value.message_dict["api_key_env"][0]


def test_a_platform_secret_is_refused_even_if_the_deployment_lists_it(db, settings):
    settings.PROVIDER_KEY_VARIABLES = ["OPENROUTER_API_KEY", "SECRET_KEY", "POSTGRES_PASSWORD"]
    for variable in ("SECRET_KEY", "POSTGRES_PASSWORD"):
        endpoint = Endpoint(slug="x", name="X", base_url=ATTACKER, api_key_env=variable)
        with pytest.raises(ValidationError) as error:
            endpoint.full_clean()
        assert "secret de la plateforme" in error.value.message_dict["api_key_env"][0]


def test_the_allowed_provider_variables_are_accepted(db, settings):
    for variable in ("OPENROUTER_API_KEY", "ALBERT_API_KEY", "MISTRAL_API_KEY", ""):
        Endpoint(slug="x", name="X", base_url=ATTACKER, api_key_env=variable).full_clean()
    settings.PROVIDER_KEY_VARIABLES = ["HF_TOKEN"]
    Endpoint(slug="x", name="X", base_url=ATTACKER, api_key_env="HF_TOKEN").full_clean()


def test_a_key_over_plain_http_is_refused_unless_the_server_is_local(db):
    remote = Endpoint(
        slug="x", name="X", base_url="http://provider.example/v1", api_key_env="MISTRAL_API_KEY"
    )
    with pytest.raises(ValidationError, match="HTTPS"):
        remote.full_clean()
    remote.is_local = True
    remote.full_clean()


def test_only_http_and_https_base_urls_are_accepted(db):
    with pytest.raises(ValidationError) as error:
        Endpoint(slug="x", name="X", base_url="ftp://provider.example/v1").full_clean()
    assert "base_url" in error.value.message_dict


# The back office: only superusers decide where workers connect ----------------------------


def test_a_curator_cannot_create_an_endpoint_even_with_a_crafted_post(client, curator):
    login(client, curator)
    response = client.post(reverse("admin:duels_endpoint_add"), endpoint_form())
    assert response.status_code == 403
    assert not Endpoint.objects.exists()


def test_a_superuser_s_endpoint_naming_secret_key_is_refused_and_nothing_is_created(
    client, superuser
):
    login(client, superuser)
    response = client.post(reverse("admin:duels_endpoint_add"), endpoint_form())
    assert response.status_code == 200  # the form again, with the reason
    assert "secret de la plateforme" in response.content.decode()
    assert not Endpoint.objects.exists()

    fine = endpoint_form(api_key_env="OPENROUTER_API_KEY")
    assert client.post(reverse("admin:duels_endpoint_add"), fine).status_code == 302
    assert Endpoint.objects.get().api_key_env == "OPENROUTER_API_KEY"


def test_a_curator_cannot_move_the_openrouter_endpoint_or_change_its_key(
    client, curator, openrouter
):
    login(client, curator)
    url = reverse("admin:duels_endpoint_change", args=[openrouter.pk])
    page = client.get(url).content.decode()
    assert 'name="base_url"' not in page and 'name="api_key_env"' not in page
    assert 'name="is_local"' not in page

    crafted = endpoint_form(
        name="OpenRouter (renommé)",
        slug="openrouter",
        base_url=ATTACKER,
        api_key_env="SECRET_KEY",
        is_local="on",
        notes="Hébergeur à préciser.",
    )
    assert client.post(url, crafted).status_code == 302
    openrouter.refresh_from_db()
    assert openrouter.base_url == "https://openrouter.ai/api/v1"
    assert openrouter.api_key_env == "OPENROUTER_API_KEY"
    assert not openrouter.is_local
    # The rest is still the curators' to keep.
    assert openrouter.name == "OpenRouter (renommé)" and openrouter.notes == "Hébergeur à préciser."


def test_a_curator_cannot_delete_an_endpoint(client, curator, openrouter):
    login(client, curator)
    url = reverse("admin:duels_endpoint_delete", args=[openrouter.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Endpoint.objects.filter(pk=openrouter.pk).exists()


def test_a_superuser_moves_an_endpoint(client, superuser, openrouter):
    login(client, superuser)
    url = reverse("admin:duels_endpoint_change", args=[openrouter.pk])
    form = endpoint_form(
        name="OpenRouter", slug="openrouter", base_url=ATTACKER, api_key_env="OPENROUTER_API_KEY"
    )
    assert client.post(url, form).status_code == 302
    openrouter.refresh_from_db()
    assert openrouter.base_url == ATTACKER


def test_the_endpoint_list_tells_nothing_about_other_variables(
    client, curator, openrouter, monkeypatch
):
    # A row written before the allow-list, or without validation.
    Endpoint.objects.create(slug="db", name="Base", base_url=ATTACKER, api_key_env="DATABASE_URL")
    login(client, curator)
    url = reverse("admin:duels_endpoint_changelist")

    monkeypatch.setenv("DATABASE_URL", "postgres://duels:password@db:5432/duels")
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    with_it = client.get(url).content.decode()
    assert "DATABASE_URL est définie" not in with_it and "✅ DATABASE_URL" not in with_it
    assert "postgres://" not in with_it and SECRET not in with_it
    assert "variable non autorisée" in with_it
    assert "clé définie" in with_it  # OpenRouter's key, an allowed variable

    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("OPENROUTER_API_KEY")
    without_it = client.get(url).content.decode()
    assert "clé manquante" in without_it
    # Whether DATABASE_URL is set or not, the page says the same about it.
    assert with_it.count("variable non autorisée") == without_it.count("variable non autorisée")


# The workers: nothing leaves for a forbidden variable or address -------------------------


def test_a_row_naming_an_unlisted_variable_is_refused_before_sending(fake, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://duels:password@db:5432/duels")
    endpoint = Endpoint(
        slug="f", name="F", base_url=fake.base_url, is_local=True, api_key_env="DATABASE_URL"
    )
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert not error.value.retryable and "DATABASE_URL" in error.value.message
    assert "postgres://" not in error.value.message
    assert sum(fake.requests.values()) == 0


def test_a_key_is_not_sent_over_plain_http_to_an_endpoint_not_marked_local(
    fake, monkeypatch, settings
):
    # The deployment allows the address (as it would a private network): only the
    # missing HTTPS stops the key.
    settings.PRIVATE_ENDPOINT_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    endpoint = Endpoint(
        slug="f", name="F", base_url=fake.base_url, api_key_env="OPENROUTER_API_KEY"
    )
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert not error.value.retryable and "HTTPS" in error.value.message
    assert sum(fake.requests.values()) == 0

    endpoint.is_local = True  # a server on this machine, marked so by a superuser
    assert ask(endpoint).text
    assert fake.headers[-1]["Authorization"] == f"Bearer {SECRET}"


def test_loopback_is_only_for_endpoints_marked_local(fake):
    for base_url in (fake.base_url, fake.base_url.replace("127.0.0.1", "localhost")):
        endpoint = Endpoint(slug="f", name="F", base_url=base_url)
        with pytest.raises(providers.ProviderError) as error:
            ask(endpoint)
        assert not error.value.retryable and "boucle locale" in error.value.message
    assert sum(fake.requests.values()) == 0


@pytest.mark.parametrize(
    "base_url",
    [
        "http://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "http://10.0.0.1/v1",
        "https://192.168.1.1/v1",
        "http://172.16.0.5:5432/v1",
        "http://[fe80::1]/v1",
        "http://[fd00::1]/v1",
        "http://[::ffff:10.0.0.1]/v1",
        "http://0.0.0.0:8080/v1",
        "http://224.0.0.1/v1",
        "http://240.0.0.1/v1",
    ],
)
def test_private_and_link_local_addresses_are_refused_without_a_connection(
    base_url, nothing_is_sent
):
    endpoint = Endpoint(slug="p", name="P", base_url=base_url, is_local=True)
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert not error.value.retryable and "PRIVATE_ENDPOINT_NETWORKS" in error.value.message
    assert nothing_is_sent == []


def test_a_private_network_the_deployment_allows_is_reached(settings, nothing_is_sent):
    settings.PRIVATE_ENDPOINT_NETWORKS = ["172.18.0.0/16"]
    endpoint = Endpoint(slug="p", name="P", base_url="http://172.18.0.3:8080/v1")
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert error.value.retryable  # it went: the test's stand-in refused the connection
    assert nothing_is_sent == ["http://172.18.0.3:8080/v1/chat/completions"]


def test_only_http_and_https_are_called(nothing_is_sent):
    endpoint = Endpoint(slug="f", name="F", base_url="ftp://provider.example/v1")
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert not error.value.retryable and nothing_is_sent == []


def test_redirects_are_not_followed(fake):
    elsewhere = FakeProvider().start()
    try:
        fake.redirect_to = elsewhere.base_url + "/chat/completions"
        endpoint = Endpoint(slug="f", name="F", base_url=fake.base_url, is_local=True)
        with pytest.raises(providers.ProviderError) as error:
            ask(endpoint, "redirect")
        assert not error.value.retryable and "redirection" in error.value.message
        assert fake.requests["redirect"] == 1
        assert sum(elsewhere.requests.values()) == 0
    finally:
        elsewhere.stop()


# Existing rows: the default local endpoints are marked local by the migration -------------


def test_the_migration_marks_only_the_default_local_endpoints_on_loopback(db):
    from django.apps import apps

    migration = importlib.import_module("duels.migrations.0006_mark_local_endpoints")
    rows = {
        "llamacpp-local": "http://127.0.0.1:8080/v1",
        "ollama-local": "http://localhost:11434/v1",
        "ollama-elsewhere": "http://127.0.0.1:11434/v1",  # not a default's slug
    }
    for slug, base_url in rows.items():
        Endpoint.objects.create(slug=slug, name=slug, base_url=base_url)
    Endpoint.objects.filter(slug="llamacpp-local").update(is_local=False)
    migration.mark_local_endpoints(apps, None)
    local = set(Endpoint.objects.filter(is_local=True).values_list("slug", flat=True))
    assert local == {"llamacpp-local", "ollama-local"}

    Endpoint.objects.update(is_local=False)
    Endpoint.objects.filter(slug="llamacpp-local").update(base_url="http://llama:8080/v1")
    migration.mark_local_endpoints(apps, None)
    assert set(Endpoint.objects.filter(is_local=True).values_list("slug", flat=True)) == {
        "ollama-local"
    }


def test_a_name_that_does_not_resolve_is_a_failure_to_reach_that_may_pass(nothing_is_sent):
    endpoint = Endpoint(slug="n", name="Nulle part", base_url="https://nowhere.invalid/v1")
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert error.value.retryable and "Nulle part" in error.value.message
    assert nothing_is_sent == []


def test_a_mistyped_private_network_stops_the_start(monkeypatch):
    monkeypatch.setenv("PRIVATE_ENDPOINT_NETWORKS", "172.18.0.0/16, llama")
    with pytest.raises(ImproperlyConfigured, match="llama"):
        envnetworks("PRIVATE_ENDPOINT_NETWORKS")
    monkeypatch.setenv("PRIVATE_ENDPOINT_NETWORKS", "172.18.0.0/16, fd00::/8")
    assert envnetworks("PRIVATE_ENDPOINT_NETWORKS") == ["172.18.0.0/16", "fd00::/8"]
