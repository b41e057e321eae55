"""Preparing a workshop: its duels' answers fetched ahead by real workers, reused, shown."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from duels.models import AIModel, Endpoint, Generation
from tests.conftest import PASSWORD
from tests.workers import wait_for
from workshop.models import Membership, Organisation, Role, Round, Script, Step, Workshop
from workshop.preparation import prepare, progress, swap_model


@pytest.fixture
def duel_workshop(fake_catalogue, transactional_db, django_user_model):
    """A workshop of two duels whose four models are served by the fake provider."""
    org = Organisation.objects.create(name="Lyon", slug="lyon")
    script = Script.objects.create(organisation=org, slug="s", title="Deux duels")
    Step.objects.create(script=script, order=1, kind=Step.Kind.SLIDE, title="Bienvenue")
    models = [fake_catalogue("ok") for _ in range(4)]
    for number, (a, b) in enumerate([models[:2], models[2:]], start=1):
        Step.objects.create(
            script=script,
            order=number + 1,
            kind=Step.Kind.DUEL,
            title=f"Duel {number}",
            prompt=fake_catalogue.prompt,
            model_a=a,
            model_b=b,
        )
    workshop = Workshop.objects.create(organisation=org, script=script, title="Mardi")
    facilitator = django_user_model.objects.create_user("anim", password=PASSWORD)
    Membership.objects.create(user=facilitator, organisation=org, role=Role.FACILITATOR)
    workshop.facilitator = facilitator
    return workshop


def prepared(workshop, **options):
    with transaction.atomic():
        return prepare(workshop, **options)


def settle(workshop, timeout=60):
    wait_for(lambda: progress(workshop).finished, timeout)
    return progress(workshop)


def test_preparing_fetches_every_duel_and_queues_nothing_twice(worker, duel_workshop, fake):
    first = prepared(duel_workshop)
    assert (len(first.rounds), first.queued, first.reused) == (2, 4, 0)
    state = settle(duel_workshop)
    assert (state.done, state.total) == (4, 4)
    assignments = {r.pk: (r.generation_a_id, r.generation_b_id) for r in duel_workshop.rounds.all()}

    again = prepared(duel_workshop)
    assert (again.queued, again.reused) == (0, 4)
    assert {r.pk: (r.generation_a_id, r.generation_b_id) for r in again.rounds} == assignments
    assert sum(fake.requests.values()) == 4


def test_another_workshop_reuses_the_answers(worker, duel_workshop, fake):
    prepared(duel_workshop)
    settle(duel_workshop)
    twin = Workshop.objects.create(
        organisation=duel_workshop.organisation, script=duel_workshop.script, title="Jeudi"
    )
    result = prepared(twin)
    assert (result.queued, result.reused) == (0, 4)
    assert progress(twin).done == 4
    assert sum(fake.requests.values()) == 4
    assert Generation.objects.count() == 4


def test_a_and_b_are_drawn_at_random_and_kept(fake_catalogue, duel_workshop, task_queue):
    step = duel_workshop.script.steps.get(order=2)
    firsts = set()
    for index in range(12):
        workshop = Workshop.objects.create(
            organisation=duel_workshop.organisation, script=duel_workshop.script, title=str(index)
        )
        prepared(workshop)
        firsts.add(Round.objects.get(workshop=workshop, step=step).generation_a.model_id)
    assert firsts == {step.model_a_id, step.model_b_id}


def test_without_keys_the_demo_plays_the_local_model_on_both_sides(
    fake_catalogue, duel_workshop, task_queue, monkeypatch
):
    monkeypatch.delenv("FAKE_CLOUD_KEY", raising=False)
    Endpoint.objects.update(api_key_env="FAKE_CLOUD_KEY")
    local = fake_catalogue("ok", slug="gemma-3-270m", total_params_b="0.27")
    result = prepared(duel_workshop, offline_fallback=True)
    for round_ in result.rounds:
        assert round_.offline_demo
        assert round_.generation_a.model == round_.generation_b.model == local
        assert round_.generation_a.pk != round_.generation_b.pk  # two answers, not one twice
        assert round_.generation_a.settings["seed"] != round_.generation_b.settings["seed"]


def test_with_keys_the_real_pair_is_kept(fake_catalogue, duel_workshop, task_queue):
    fake_catalogue("ok", slug="gemma-3-270m")
    result = prepared(duel_workshop, offline_fallback=True)
    for round_ in result.rounds:
        assert not round_.offline_demo
        assert {round_.generation_a.model, round_.generation_b.model} == {
            round_.step.model_a,
            round_.step.model_b,
        }


def test_swapping_a_model_keeps_its_side(worker, fake_catalogue, duel_workshop):
    round_ = prepared(duel_workshop).rounds[0]
    other = fake_catalogue("ok")
    with transaction.atomic():
        generation = swap_model(round_, "b", other)
    round_.refresh_from_db()
    assert round_.generation_b == generation and generation.model == other
    settle(duel_workshop)


def test_the_command_waits_and_exits_zero(worker, duel_workshop):
    out = io.StringIO()
    call_command("prepare_workshop", str(duel_workshop.pk), "--wait", stdout=out)
    assert "Toutes les réponses sont prêtes." in out.getvalue()
    assert progress(duel_workshop).done == 4


def test_the_command_exits_non_zero_when_an_answer_failed(worker, fake_catalogue, duel_workshop):
    step = duel_workshop.script.steps.get(order=2)
    step.model_a = fake_catalogue("401")
    step.save()
    with pytest.raises(CommandError) as error:
        call_command(
            "prepare_workshop",
            str(duel_workshop.pk),
            "--wait",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert error.value.returncode == 1


def test_the_command_refuses_an_unknown_workshop(db):
    with pytest.raises(CommandError, match="aucun atelier"):
        call_command("prepare_workshop", "ZZZZZZ", stdout=io.StringIO())


# The facilitator's page ----------------------------------------------------------------


def test_the_page_shows_each_answers_progress_and_errors(
    client, worker, fake_catalogue, duel_workshop
):
    step = duel_workshop.script.steps.get(order=3)
    step.model_b = fake_catalogue("401")
    step.save()
    prepared(duel_workshop)
    settle(duel_workshop)
    client.login(username="anim", password=PASSWORD)
    page = client.get(reverse("preparation", args=[duel_workshop.pk])).content.decode()
    assert "3 réponses prêtes sur 4" in page
    assert "le fournisseur a refusé : 401" in page
    assert "Réessayer" in page
    assert 'hx-trigger="every 2s"' not in page  # finished: the page stops polling
    partial = client.get(reverse("preparation", args=[duel_workshop.pk]), HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="preparation"')


def test_the_facilitator_retries_a_failure_from_the_page(
    client, worker, fake_catalogue, duel_workshop, fake
):
    step = duel_workshop.script.steps.get(order=2)
    refusing = fake_catalogue("401")
    step.model_a = refusing
    step.save()
    round_ = prepared(duel_workshop).rounds[0]
    settle(duel_workshop)
    failed = Generation.objects.get(model=refusing)
    assert failed.status == Generation.Status.FAILED
    AIModel.objects.filter(pk=failed.model_id).update(endpoint_model_id="ok:repaired")
    side = "a" if round_.generation_a_id == failed.pk else "b"
    client.login(username="anim", password=PASSWORD)
    client.post(reverse("retry_answer", args=[duel_workshop.pk, round_.pk, side]))
    assert settle(duel_workshop).done == 4


def test_an_outsider_gets_nothing_of_the_preparation(client, duel_workshop, django_user_model):
    other = Organisation.objects.create(name="Brest", slug="brest")
    outsider = django_user_model.objects.create_user("outsider", password=PASSWORD)
    Membership.objects.create(user=outsider, organisation=other, role=Role.ADMIN)
    round_ = prepared(duel_workshop).rounds[0]
    client.login(username="outsider", password=PASSWORD)
    pk = duel_workshop.pk
    assert client.get(reverse("preparation", args=[pk])).status_code == 404
    assert client.post(reverse("prepare_answers", args=[pk])).status_code == 404
    assert client.post(reverse("retry_answer", args=[pk, round_.pk, "a"])).status_code == 404
    assert (
        client.post(
            reverse("swap_answer", args=[pk, round_.pk]), {"side": "a", "model": "x"}
        ).status_code
        == 404
    )


def test_an_analyst_cannot_run_the_preparation(client, duel_workshop, django_user_model):
    analyst = django_user_model.objects.create_user("analyste", password=PASSWORD)
    Membership.objects.create(
        user=analyst, organisation=duel_workshop.organisation, role=Role.ANALYST
    )
    client.login(username="analyste", password=PASSWORD)
    assert client.get(reverse("preparation", args=[duel_workshop.pk])).status_code == 404


def test_the_page_needs_a_login(client, duel_workshop):
    response = client.get(reverse("preparation", args=[duel_workshop.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_scheduling_a_workshop_in_the_admin_prepares_it(
    client, duel_workshop, task_queue, django_user_model
):
    client.login(username="anim", password=PASSWORD)
    url = reverse("admin:workshop_workshop_change", args=[duel_workshop.pk])
    data = {
        "organisation": duel_workshop.organisation.pk,
        "title": "Mardi",
        "script": duel_workshop.script.pk,
        "audience": "general",
        "language": "fr",
        "vote_mode": "phones",
        "status": "scheduled",
        "rooms-TOTAL_FORMS": 0,
        "rooms-INITIAL_FORMS": 0,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert duel_workshop.rounds.count() == 2
    assert Generation.objects.count() == 4


def test_an_admin_pastes_an_answer_by_hand(
    client, fake_catalogue, transactional_db, django_user_model
):
    model = fake_catalogue("ok")
    curator = django_user_model.objects.create_superuser("cur", "c@example.org", PASSWORD)
    client.login(username=curator.username, password=PASSWORD)
    text = "Un centre de données consomme de l'électricité pour calculer et se refroidir."
    response = client.post(
        reverse("admin:duels_generation_add"),
        {
            "model": model.pk,
            "prompt": fake_catalogue.prompt.pk,
            "system_prompt": "",
            "settings": "{}",
            "text": text,
            "reasoning_text": "",
        },
    )
    assert response.status_code == 302
    generation = Generation.objects.get()
    assert generation.status == Generation.Status.DONE
    assert generation.origin == Generation.Origin.PASTED
    assert generation.token_source == Generation.TokenSource.ESTIMATED
    assert generation.output_tokens == -(-len(text) // 4)
    assert generation.energy_wh_min > 0


def test_the_demo_workshop_is_really_answered_by_the_local_model(
    start_worker, llama_server, monkeypatch, settings, tmp_path
):
    """From the default content with no cloud key: prepare_workshop --wait exits 0."""
    for variable in ("OPENROUTER_API_KEY", "ALBERT_API_KEY", "MISTRAL_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_defaults", "--demo", stdout=out)
    code = out.getvalue().split("join code: ")[1].split()[0]
    # The demo starts llama.cpp where this endpoint points; here the tests' server does.
    Endpoint.objects.filter(slug="llamacpp-local").update(base_url=llama_server, max_tokens=48)
    start_worker()

    result = io.StringIO()
    call_command("prepare_workshop", code, "--offline-fallback", "--wait", stdout=result)
    assert "Toutes les réponses sont prêtes." in result.getvalue()

    workshop = Workshop.objects.get(rooms__join_code=code)
    rounds = list(workshop.rounds.select_related("generation_a__model", "generation_b__model"))
    assert len(rounds) == 3
    for round_ in rounds:
        assert round_.offline_demo
        for generation in round_.generations:
            assert generation.model.slug == "gemma-3-270m"  # shown as what it is
            assert generation.status == Generation.Status.DONE and generation.text.strip()
            assert generation.impact_method == "EcoLogits"


def test_the_facilitator_asks_for_a_fresh_answer(client, worker, duel_workshop, fake):
    round_ = prepared(duel_workshop).rounds[0]
    settle(duel_workshop)
    old = round_.generation_a
    client.login(username="anim", password=PASSWORD)
    client.post(
        reverse("swap_answer", args=[duel_workshop.pk, round_.pk]), {"side": "a", "fresh": "1"}
    )
    round_.refresh_from_db()
    assert round_.generation_a_id != old.pk and round_.generation_a.model_id == old.model_id
    settle(duel_workshop)
    assert fake.requests[old.model.endpoint_model_id] == 2
