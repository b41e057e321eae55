"""The OpenAI-compatible provider against a server of the tests' own, fault by fault."""

import logging

import pytest

from duels import providers
from duels.models import Endpoint, Generation
from tests.fake_provider import WORDS, FakeProvider

SECRET = "sk-test-do-not-leak-0123456789"


@pytest.fixture
def fake():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(fake):
    return Endpoint(
        slug="fake", name="Fake", base_url=fake.base_url, is_local=True, timeout_seconds=5
    )


@pytest.fixture
def fake_key_allowed(settings):
    settings.PROVIDER_KEY_VARIABLES = ["FAKE_API_KEY"]


def ask(endpoint, model="ok", **kwargs):
    return providers.chat_completion(
        endpoint, model, [{"role": "user", "content": "Bonjour"}], {"max_tokens": 50}, **kwargs
    )


def test_a_streamed_answer_with_usage(endpoint):
    seen = []
    answer = ask(endpoint, on_progress=lambda text, reasoning: seen.append(text))
    assert answer.text == "".join(WORDS)
    assert answer.output_tokens == len(WORDS) and answer.input_tokens == 12
    assert answer.token_source == Generation.TokenSource.COUNTED
    assert answer.time_to_first_token_ms is not None
    assert answer.duration_ms >= answer.time_to_first_token_ms
    assert seen[-1] == answer.text and len(seen) == len(WORDS)


def test_reasoning_is_kept_apart_and_counted(endpoint):
    answer = ask(endpoint, "reasoning")
    assert answer.reasoning == "Réfléchissons."
    assert answer.text == "".join(WORDS)
    assert answer.reasoning_tokens == 2 and answer.output_tokens == len(WORDS) + 2


def test_without_usage_tokens_are_estimated_and_say_so(endpoint):
    answer = ask(endpoint, "usage-less")
    assert answer.token_source == Generation.TokenSource.ESTIMATED
    assert answer.output_tokens == len(WORDS)


def test_a_whole_answer_without_streaming(endpoint):
    answer = ask(endpoint, stream=False)
    assert answer.text == "".join(WORDS)
    assert answer.token_source == Generation.TokenSource.COUNTED


def test_usage_is_asked_for_in_the_stream(endpoint, fake):
    ask(endpoint)
    # The body is not kept; the request went through as a stream with usage asked (see code),
    # and the server answered with its usage chunk, which was read.
    assert fake.requests["ok"] == 1


def test_429_is_retryable_and_says_when(endpoint):
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "429-then-ok")
    assert error.value.retryable and error.value.retry_after == 1.0 and error.value.status == 429


def test_500_is_retryable(endpoint):
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "500-then-ok")
    assert error.value.retryable and "500" in error.value.message


def test_401_is_a_refusal_not_retried(endpoint):
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "401")
    assert not error.value.retryable
    assert error.value.message == "le fournisseur a refusé : 401 (Invalid API key)"


def test_a_cut_stream_is_retryable_and_never_an_answer(endpoint):
    seen = []
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "cut", on_progress=lambda text, reasoning: seen.append(text))
    assert error.value.retryable and "interrompu" in error.value.message
    assert seen  # part of it had arrived, and still no answer was returned


def test_malformed_json_fails_clearly(endpoint):
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "malformed")
    assert not error.value.retryable and "JSON" in error.value.message


def test_a_timeout_is_retryable(endpoint, fake):
    fake.slow_seconds = 3
    endpoint.timeout_seconds = 1
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "timeout")
    assert error.value.retryable and "à temps" in error.value.message


def test_an_unreachable_endpoint_is_retryable():
    endpoint = Endpoint(
        slug="x", name="Nulle part", base_url="http://127.0.0.1:9/v1", is_local=True
    )
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint)
    assert error.value.retryable and "Nulle part" in error.value.message


def test_a_missing_key_is_refused_before_anything_is_sent(
    endpoint, fake, monkeypatch, fake_key_allowed
):
    monkeypatch.delenv("FAKE_API_KEY", raising=False)
    endpoint.api_key_env = "FAKE_API_KEY"
    with pytest.raises(providers.MissingKey) as error:
        ask(endpoint)
    assert error.value.message == "la clé FAKE_API_KEY n'est pas définie"
    assert sum(fake.requests.values()) == 0


def test_the_key_is_sent_and_never_repeated(endpoint, fake, monkeypatch, caplog, fake_key_allowed):
    monkeypatch.setenv("FAKE_API_KEY", SECRET)
    endpoint.api_key_env = "FAKE_API_KEY"
    caplog.set_level(logging.DEBUG)
    ask(endpoint)
    assert fake.headers[-1]["Authorization"] == f"Bearer {SECRET}"
    with pytest.raises(providers.ProviderError) as error:
        ask(endpoint, "echo-key")
    assert SECRET not in error.value.message and "***" in error.value.message
    assert SECRET not in caplog.text
