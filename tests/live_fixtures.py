"""A workshop ready to play: a slide, a duel whose two answers are done, a slide; two rooms."""

import socket

import pytest

from duels.models import AIModel, Endpoint, Generation, Maker, Prompt
from workshop.models import Membership, Organisation, Role, Room, Round, Script, Step, Workshop
from workshop.participants import join

ANSWER_A = "Les serveurs **calculent** et chauffent : il faut les refroidir."
ANSWER_B = "Parce que des ordinateurs tournent <script>alert('x')</script> jour et nuit."


def done(model, prompt, text, **fields):
    return Generation.objects.create(
        model=model,
        prompt=prompt,
        status=Generation.Status.DONE,
        text=text,
        output_tokens=60,
        token_source=Generation.TokenSource.COUNTED,
        time_to_first_token_ms=400,
        duration_ms=3400,
        **fields,
    )


@pytest.fixture(scope="session")
def local_listener():
    """The address of a local server that accepts connections (a real socket, which
    answers nothing): its models are offered for live questions (duels/pairs.available)."""
    server = socket.create_server(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    server.close()


def serve_locally(address: str, *models: AIModel) -> None:
    """The models answer from a local server at `address` (offered for a live question)."""
    server, _created = Endpoint.objects.get_or_create(
        slug="local-listener", defaults={"name": "Local", "base_url": address, "is_local": True}
    )
    for model in models:
        AIModel.objects.filter(pk=model.pk).update(
            endpoint=server, endpoint_model_id=model.endpoint_model_id or model.slug
        )


@pytest.fixture
def live_workshop(db, django_user_model, local_listener):
    org = Organisation.objects.create(name="Médiathèque", slug="mediatheque")
    maker = Maker.objects.create(slug="meta", name="Meta")
    endpoint = Endpoint.objects.create(slug="e", name="E", base_url=local_listener, is_local=True)
    big = AIModel.objects.create(
        slug="llama-3.3-70b",
        name="Llama 3.3 70B",
        maker=maker,
        total_params_b=70,
        license="Llama 3.3",
        distribution="open-weights",
        endpoint=endpoint,
        endpoint_model_id="x",
    )
    small = AIModel.objects.create(
        slug="gemma-3-4b",
        name="Gemma 3 4B",
        maker=Maker.objects.create(slug="g", name="Google"),
        total_params_b=4,
        license="Gemma",
        distribution="open-weights",
        endpoint=endpoint,
        endpoint_model_id="y",
    )
    prompt = Prompt.objects.create(slug="p", title="Enfant", text="Pourquoi les data centers ?")
    script = Script.objects.create(organisation=org, slug="s", title="Atelier")
    Step.objects.create(
        script=script,
        order=1,
        kind="slide",
        title="Bienvenue",
        body="Deux IA **anonymes**.",
        speaker_notes="Secret de l'animateur",
    )
    duel = Step.objects.create(
        script=script,
        order=2,
        kind="duel",
        title="Duel n°1",
        prompt=prompt,
        model_a=big,
        model_b=small,
    )
    Step.objects.create(script=script, order=3, kind="slide", title="Pourquoi ?")
    workshop = Workshop.objects.create(
        organisation=org, script=script, title="Mardi", status=Workshop.Status.SCHEDULED
    )
    Round.objects.create(
        workshop=workshop,
        step=duel,
        generation_a=done(big, prompt, ANSWER_A),
        generation_b=done(small, prompt, ANSWER_B),
    )
    first = Room.objects.create_with_code(workshop=workshop, name="Salle A", capacity=3)
    second = Room.objects.create_with_code(workshop=workshop, name="Salle B")
    facilitator = django_user_model.objects.create_user("anim", password="pw-anim-123456")
    Membership.objects.create(user=facilitator, organisation=org, role=Role.FACILITATOR)
    workshop.facilitator_user = facilitator
    workshop.room_a, workshop.room_b = first, second
    workshop.big, workshop.small = big, small
    return workshop


def phone(room):
    joined = join(room, None)
    assert joined.participant is not None, joined.refusal
    return joined


def default_workshop_with_answers(settings, tmp_path, second_room: str, **answer) -> Workshop:
    """The demo workshop of the default script, with a second room and every answer done."""
    import io

    from django.core.management import call_command

    from workshop.preparation import prepare

    settings.VAR_DIR = tmp_path
    call_command("load_defaults", "--demo", stdout=io.StringIO())
    workshop = Workshop.objects.get()
    Room.objects.create_with_code(workshop=workshop, name=second_room, capacity=300)
    prepare(workshop)
    Generation.objects.update(
        status="done",
        time_to_first_token_ms=300,
        impact_method="EcoLogits",
        impact_method_version="0.11.3",
        **answer,
    )
    return workshop
