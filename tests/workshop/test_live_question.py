"""A question typed live: both answers generated on the spot by the local model, streamed
to a presenter screen, then played as a duel."""

import asyncio
import socket

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from duels import pairs
from duels.local_model import MODEL_ALIAS
from duels.models import AIModel, Endpoint, Maker
from workshop.live import Refused, ask_live_question, transition
from workshop.models import Workshop

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def two_local_models(base_url: str) -> list[AIModel]:
    endpoint = Endpoint.objects.create(
        slug="llama-live",
        name="llama.cpp",
        base_url=base_url,
        is_local=True,  # the llama.cpp server listens on loopback
        zone="FRA",
        pue=1,
        wue=0,
        max_tokens=40,
        max_concurrency=2,
    )
    maker = Maker.objects.create(slug="google-live", name="Google")
    return [
        AIModel.objects.create(
            slug=slug,
            name=name,
            maker=maker,
            total_params_b="0.27",
            license="Gemma",
            distribution="open-weights",
            endpoint=endpoint,
            endpoint_model_id=MODEL_ALIAS,
        )
        for slug, name in [("gemma-live-1", "Gemma un"), ("gemma-live-2", "Gemma deux")]
    ]


@pytest.mark.django_db(transaction=True)
def test_a_live_question_streams_to_the_presenter(live_workshop, worker, llama_server):
    first, second = two_local_models(llama_server)
    secret = live_workshop.room_a.presenter_secret

    async def scenario():
        presenter = WebsocketCommunicator(
            application, f"/ws/presentateur/{secret}/", headers=[ORIGIN]
        )
        assert (await presenter.connect(timeout=5))[0]
        await presenter.receive_json_from(timeout=5)
        await database_sync_to_async(ask_live_question)(
            live_workshop.pk,
            "Pourquoi le ciel est-il bleu ?",
            "manual",
            [first.slug, second.slug],
        )
        streamed, final = [], None
        while final is None:
            message = await presenter.receive_json_from(timeout=90)
            if message["type"] == "stream":
                streamed.append(message)
            elif (
                message["type"] == "state"
                and message["round"]
                and not message["round"]["streams"]
                and streamed
            ):
                final = message
        await presenter.disconnect()
        return streamed, final

    streamed, final = asyncio.run(scenario())
    assert streamed and {m["side"] for m in streamed} <= {"a", "b"}
    assert final["phase"] == "duel_answers" and final["round"]["live"]
    assert final["round"]["prompt"] == "Pourquoi le ciel est-il bleu ?"
    for side in ("a", "b"):
        assert final["round"]["answers"][side]["text"].strip()
        assert not final["round"]["answers"][side]["generating"]
    assert "Gemma" not in str(final)  # still anonymous
    # The duel then runs like any other; moving on ends it.
    for name in ["open_vote", "close_vote", "reveal"]:
        workshop = transition(live_workshop.pk, name)
    assert workshop.phase == "reveal"
    workshop = transition(live_workshop.pk, "next_step")
    assert workshop.live_round is None and workshop.phase == "slide"


@pytest.mark.django_db
def test_a_live_question_waits_for_the_duel_in_progress(live_workshop):
    for name in ["next_step", "next_step", "show_question"]:
        transition(live_workshop.pk, name)
    with pytest.raises(Refused, match="duel en cours"):
        ask_live_question(live_workshop.pk, "Et alors ?", "random")
    assert Workshop.objects.get().live_round is None


@pytest.mark.django_db
def test_an_empty_or_endless_question_is_refused(live_workshop):
    for text in ["   ", "x" * 1001]:
        with pytest.raises(Refused, match="caractères"):
            ask_live_question(live_workshop.pk, text, "random")


@pytest.fixture
def listening():
    """A local server's address where something accepts connections (a real socket)."""
    server = socket.create_server(("127.0.0.1", 0))
    pairs.forget_local_servers()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    server.close()
    pairs.forget_local_servers()


@pytest.fixture
def sized_catalogue(db, monkeypatch, settings, listening):
    maker = Maker.objects.create(slug="m", name="M")
    endpoint = Endpoint.objects.create(
        slug="open", name="Ouvert", base_url=listening, is_local=True
    )
    settings.PROVIDER_KEY_VARIABLES = ["PAIRS_TEST_KEY"]
    keyed = Endpoint.objects.create(
        slug="keyed",
        name="Clé",
        base_url=listening,
        is_local=True,
        api_key_env="PAIRS_TEST_KEY",
    )
    monkeypatch.delenv("PAIRS_TEST_KEY", raising=False)
    models = {}
    for slug, size, where in [
        ("tiny", 4, endpoint),
        ("small", 24, endpoint),
        ("big", 405, endpoint),
        ("locked", 671, keyed),
    ]:
        models[slug] = AIModel.objects.create(
            slug=slug,
            name=slug,
            maker=maker,
            total_params_b=size,
            license="x",
            distribution="open-weights",
            endpoint=where,
            endpoint_model_id=slug,
        )
    return models


def test_david_meets_goliath_among_the_models_that_can_answer(sized_catalogue):
    for _ in range(20):
        david, goliath = pairs.draw(pairs.DAVID_GOLIATH)
        assert david.slug in {"tiny", "small"} and goliath.slug == "big"  # "locked" has no key


def test_frugal_pairs_are_two_small_models(sized_catalogue):
    assert {m.slug for m in pairs.draw(pairs.FRUGAL)} == {"tiny", "small"}


def test_a_chosen_model_is_completed_by_a_draw(sized_catalogue):
    chosen, other = pairs.draw(pairs.MANUAL, [sized_catalogue["big"]])
    assert chosen.slug == "big" and other.slug in {"tiny", "small"}
    with pytest.raises(pairs.NoPair):
        pairs.draw(pairs.MANUAL, [sized_catalogue["big"], sized_catalogue["big"]])


def test_a_local_server_that_is_not_running_offers_none_of_its_models(sized_catalogue):
    stopped = Endpoint.objects.create(
        slug="stopped", name="Ollama (local)", base_url="http://127.0.0.1:9/v1", is_local=True
    )
    AIModel.objects.filter(slug="big").update(endpoint=stopped)
    pairs.forget_local_servers()
    big = AIModel.objects.get(slug="big")
    assert big not in pairs.available()
    with pytest.raises(pairs.NoPair, match="ne peut pas répondre maintenant"):
        pairs.draw(pairs.MANUAL, [big])
    with pytest.raises(pairs.NoPair, match="grand"):
        pairs.draw(pairs.DAVID_GOLIATH)
    assert {m.slug for m in pairs.available()} == {"tiny", "small"}
