"""A true answer from a real model server: llama.cpp serving Gemma 3 270M on loopback."""

from django.db import transaction

from duels import generation as fetching
from duels import providers
from duels.local_model import MODEL_ALIAS
from duels.models import AIModel, Endpoint, Generation, Maker, Prompt
from tests.workers import wait_for

QUESTION = "Explique à un enfant de 10 ans pourquoi les data centers consomment de l'énergie."


def local_endpoint(base_url: str) -> Endpoint:
    return Endpoint(
        slug="llamacpp-test",
        name="llama.cpp",
        base_url=base_url,
        is_local=True,  # the llama.cpp server listens on loopback
        timeout_seconds=120,
        zone="FRA",
        pue=1,
        wue=0,
    )


def test_the_provider_reads_a_whole_answer_with_usage(llama_server):
    answer = providers.chat_completion(
        local_endpoint(llama_server),
        MODEL_ALIAS,
        [{"role": "user", "content": QUESTION}],
        {"max_tokens": 40, "temperature": 0.7, "seed": 1},
        stream=False,
    )
    assert answer.text.strip()
    assert 0 < answer.output_tokens <= 40 and answer.input_tokens > 0
    assert answer.token_source == Generation.TokenSource.COUNTED


def test_the_provider_streams_an_answer_and_estimates_its_tokens(llama_server):
    pieces = []
    answer = providers.chat_completion(
        local_endpoint(llama_server),
        MODEL_ALIAS,
        [{"role": "user", "content": QUESTION}],
        {"max_tokens": 40, "seed": 2},
        on_progress=lambda text, reasoning: pieces.append(text),
    )
    assert answer.text.strip() and pieces[-1] == answer.text
    # llama.cpp's streams carry no usage: the count is an estimate, and says so.
    assert answer.token_source == Generation.TokenSource.ESTIMATED
    assert 0 < answer.output_tokens <= 41
    assert answer.time_to_first_token_ms is not None


def test_a_worker_fetches_a_true_answer_and_its_impact(worker, llama_server):
    endpoint = local_endpoint(llama_server)
    endpoint.save()
    model = AIModel.objects.create(
        slug="gemma-3-270m",
        name="Gemma 3 270M",
        maker=Maker.objects.create(slug="g", name="G"),
        total_params_b="0.27",
        quantization="q4",
        license="Gemma",
        distribution=AIModel.Distribution.OPEN_WEIGHTS,
        endpoint=endpoint,
        endpoint_model_id=MODEL_ALIAS,
    )
    prompt = Prompt.objects.create(slug="enfant", title="Enfant", text=QUESTION)
    with transaction.atomic():
        generation, _ = fetching.obtain(model, prompt, sampling={"max_tokens": 60, "seed": 3})

    def finished():
        generation.refresh_from_db()
        return generation.status in (Generation.Status.DONE, Generation.Status.FAILED)

    wait_for(finished, timeout=120)
    assert generation.status == Generation.Status.DONE, generation.error
    assert generation.text.strip()
    assert generation.output_tokens > 0 and generation.duration_ms > 0
    assert generation.energy_wh_min > 0 and generation.gwp_g_min > 0
    assert generation.impact_method == "EcoLogits"
