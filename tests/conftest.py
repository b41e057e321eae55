"""Shared fixtures: two organisations, and in the first an owner, a member and an analyst;
an outsider who belongs only to the second organisation and must see nothing of the first."""

import pytest
from django.contrib.auth import get_user_model

from duels.models import AIModel, Maker, Prompt
from workshop.models import Membership, Organisation, Role, Room, Script, Step, Workshop

PASSWORD = "a-long-test-password-42"


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, **extra
    )


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A channel layer of each test's own. Tests run their WebSockets in event loops of
    their own (asyncio.run); a layer kept from an earlier, closed loop can hold a lock
    that no task is left to release, and a later receive on it would wait forever."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def fresh_catalogue_reading():
    """The models a live question may pit are kept a few seconds in each process: a test's
    catalogue is not the one the test before left (its rows were rolled back)."""
    from duels import pairs
    from workshop import snapshots

    snapshots.forget_askable_models()
    pairs.forget_local_servers()  # nor are the local servers that answered


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db) -> Organisation:
    return Organisation.objects.create(name="Médiathèque de Lyon", slug="lyon")


@pytest.fixture
def other_org(db) -> Organisation:
    return Organisation.objects.create(name="Collège de Brest", slug="brest")


@pytest.fixture
def owner(org):
    user = make_user("owner")
    Membership.objects.create(user=user, organisation=org, role=Role.ADMIN)
    return user


@pytest.fixture
def member(org):
    user = make_user("member")
    Membership.objects.create(user=user, organisation=org, role=Role.FACILITATOR)
    return user


@pytest.fixture
def analyst(org):
    user = make_user("analyst")
    Membership.objects.create(user=user, organisation=org, role=Role.ANALYST)
    return user


@pytest.fixture
def outsider(other_org):
    user = make_user("outsider")
    Membership.objects.create(user=user, organisation=other_org, role=Role.ADMIN)
    return user


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="root", email="root@example.org", password=PASSWORD
    )


@pytest.fixture
def catalogue(db) -> dict:
    maker = Maker.objects.create(slug="meta", name="Meta")
    big = AIModel.objects.create(
        slug="llama-3.3-70b",
        name="Llama 3.3 70B",
        maker=maker,
        total_params_b=70,
        license="Llama 3.3",
        distribution=AIModel.Distribution.OPEN_WEIGHTS,
    )
    small = AIModel.objects.create(
        slug="llama-3.1-8b",
        name="Llama 3.1 8B",
        maker=maker,
        total_params_b=8,
        license="Llama 3.1",
        distribution=AIModel.Distribution.OPEN_WEIGHTS,
    )
    prompt = Prompt.objects.create(slug="enfant", title="Data centers", text="Explique...")
    return {"maker": maker, "big": big, "small": small, "prompt": prompt}


@pytest.fixture
def script(org, catalogue) -> Script:
    script = Script.objects.create(organisation=org, slug="mon-atelier", title="Mon atelier")
    Step.objects.create(script=script, order=1, kind=Step.Kind.SLIDE, title="Bienvenue")
    Step.objects.create(
        script=script,
        order=2,
        kind=Step.Kind.DUEL,
        title="Duel 1",
        prompt=catalogue["prompt"],
        model_a=catalogue["big"],
        model_b=catalogue["small"],
    )
    return script


@pytest.fixture
def workshop(org, script) -> Workshop:
    return Workshop.objects.create(organisation=org, script=script, title="Atelier du mardi")


@pytest.fixture
def room(workshop) -> Room:
    return Room.objects.create_with_code(workshop=workshop, name="Salle A")


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server with Gemma 3 270M, on a free loopback port."""
    import socket
    import subprocess

    from duels import local_model

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the project's own model server
            local_model.server_command(port),
            env=local_model.server_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        local_model.wait_until_ready(base_url, process=process)
        yield base_url
    finally:
        process.terminate()
        process.wait(20)


# Fixtures of the tests that fetch answers in the background (duels and workshop alike).
from tests.generation_fixtures import (  # noqa: E402, F401
    FAST,
    fake,
    fake_catalogue,
    start_worker,
    task_queue,
    worker,
)
from tests.live_fixtures import live_workshop, local_listener  # noqa: E402, F401
