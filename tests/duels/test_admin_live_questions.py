"""Curators keep the catalogue: its answers, never an organisation's live questions.

A question asked live in a workshop (typed by its facilitator, or proposed by a
participant) is saved as a prompt with its two generations; the prompts' and the
generations' admins both hide them from everyone but superusers, and no page of the
catalogue names an organisation's duels.
"""

import pytest
from django.urls import reverse

from duels.models import Generation, Prompt
from tests.conftest import PASSWORD, make_user
from tests.live_fixtures import done, serve_locally
from workshop import live
from workshop.defaults import ensure_curators_group
from workshop.models import Round

LIVE_QUESTION = "Pourquoi la médiathèque de Lyon ferme-t-elle le jeudi ?"
LIVE_ANSWER = "Réponse du modèle à la question de la médiathèque"


@pytest.fixture
def curator(db):
    """A curator as the platform makes them: staff, in the curators' group, no membership."""
    user = make_user("curator", is_staff=True)
    user.groups.add(ensure_curators_group()[0])
    return user


@pytest.fixture
def asked_live(catalogue, workshop, local_listener) -> Round:
    """The organisation's workshop asked a question live; one answer is in."""
    serve_locally(local_listener, catalogue["big"], catalogue["small"])
    round_ = live.ask_live_question(
        workshop.pk, LIVE_QUESTION, "manual", [catalogue["big"].slug, catalogue["small"].slug]
    )
    Generation.objects.filter(pk=round_.generation_a_id).update(
        status=Generation.Status.DONE, text=LIVE_ANSWER
    )
    return round_


def logged_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page_of(response) -> str:
    return response.content.decode()


def generation_pages(generation) -> list[str]:
    return [
        reverse(f"admin:duels_generation_{page}", args=[generation.pk])
        for page in ("change", "history", "delete")
    ]


def assert_nothing_of_the_workshop(page: str, workshop):
    assert LIVE_QUESTION[:40] not in page
    assert LIVE_ANSWER not in page
    assert workshop.title not in page


def test_a_curator_does_not_list_the_answers_to_a_live_question(
    client, curator, catalogue, workshop, asked_live
):
    library_answer = done(catalogue["big"], catalogue["prompt"], "Réponse de la bibliothèque")
    response = logged_in(client, curator).get(reverse("admin:duels_generation_changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].queryset) == {library_answer}
    assert_nothing_of_the_workshop(page_of(response), workshop)


def test_a_curator_cannot_open_an_answer_to_a_live_question(client, curator, workshop, asked_live):
    logged_in(client, curator)
    for url in generation_pages(asked_live.generation_a):
        response = client.get(url)
        # The back office's "this record does not exist": back to its index.
        assert response.status_code == 302 and response.url == reverse("admin:index"), url
        assert_nothing_of_the_workshop(page_of(client.get(url, follow=True)), workshop)


def test_a_curator_cannot_delete_or_retry_an_answer_to_a_live_question(
    client, curator, workshop, asked_live
):
    logged_in(client, curator)
    failed = asked_live.generation_b
    Generation.objects.filter(pk=failed.pk).update(status=Generation.Status.FAILED)
    client.post(generation_pages(asked_live.generation_a)[2], {"post": "yes"})
    for action in ("delete_selected", "retry_failed"):
        response = client.post(
            reverse("admin:duels_generation_changelist"),
            {"action": action, "_selected_action": [failed.pk], "post": "yes"},
            follow=True,
        )
        assert_nothing_of_the_workshop(page_of(response), workshop)
    assert Generation.objects.get(pk=failed.pk).status == Generation.Status.FAILED
    assert Generation.objects.filter(pk=asked_live.generation_a_id).exists()


@pytest.mark.parametrize("term", ["médiathèque", "jeudi", "Réponse du modèle"])
def test_a_curator_s_search_does_not_find_a_live_question(
    client, curator, workshop, asked_live, term
):
    response = logged_in(client, curator).get(
        reverse("admin:duels_generation_changelist"), {"q": term}
    )
    assert list(response.context["cl"].queryset) == []
    assert_nothing_of_the_workshop(page_of(response), workshop)


def test_the_paste_form_offers_and_accepts_no_live_question(client, curator, asked_live):
    logged_in(client, curator)
    live_prompt = asked_live.generation_a.prompt
    offered = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "duels",
            "model_name": "generation",
            "field_name": "prompt",
            "term": "jeudi",
        },
    ).json()
    assert offered["results"] == []
    # Its id typed by hand is refused too: nothing is pasted onto the organisation's question.
    before = Generation.objects.count()
    response = client.post(
        reverse("admin:duels_generation_add"),
        {"model": asked_live.generation_a.model_id, "prompt": live_prompt.pk, "text": "Collée"},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["prompt"]
    assert LIVE_QUESTION[:40] not in page_of(response)
    assert Generation.objects.count() == before


def test_the_delete_page_of_a_catalogue_answer_names_no_workshop(
    client, curator, superuser, catalogue, workshop, script
):
    answer = done(catalogue["big"], catalogue["prompt"], "Réponse de la bibliothèque")
    Round.objects.create(
        workshop=workshop,
        step=script.steps.get(order=2),
        generation_a=answer,
        generation_b=done(catalogue["small"], catalogue["prompt"], "Une autre réponse"),
    )
    url = reverse("admin:duels_generation_delete", args=[answer.pk])
    page = page_of(logged_in(client, curator).get(url))
    # Refused (the duel keeps its answer), and the page says why without naming it.
    assert "Duels joués des organisations : 1" in page
    assert workshop.title not in page
    client.post(url, {"post": "yes"})
    assert Generation.objects.filter(pk=answer.pk).exists()
    # A superuser is shown which workshop holds it.
    assert workshop.title in page_of(logged_in(client, superuser).get(url))


def test_the_delete_page_of_a_model_names_no_live_question(
    client, curator, catalogue, workshop, asked_live
):
    library_answer = done(catalogue["big"], catalogue["prompt"], "Réponse de la bibliothèque")
    url = reverse("admin:duels_aimodel_delete", args=[catalogue["big"].pk])
    page = page_of(logged_in(client, curator).get(url))
    assert_nothing_of_the_workshop(page, workshop)
    # What the curator keeps is still named; the organisation's records only counted.
    assert reverse("admin:duels_generation_change", args=[library_answer.pk]) in page
    assert "Générations des organisations : 1" in page
    assert "Étapes des organisations : 1" in page


def test_a_superuser_still_sees_the_answers_to_a_live_question(
    client, superuser, workshop, asked_live
):
    logged_in(client, superuser)
    listed = page_of(client.get(reverse("admin:duels_generation_changelist"), {"q": "jeudi"}))
    assert LIVE_QUESTION[:40] in listed
    change, history, delete = generation_pages(asked_live.generation_a)
    assert LIVE_ANSWER in page_of(client.get(change))
    assert client.get(history).status_code == 200
    assert workshop.title in page_of(client.get(delete))


def test_the_library_is_every_prompt_but_the_live_questions(catalogue, asked_live):
    live_prompt = asked_live.generation_a.prompt
    assert live_prompt.slug.startswith(Prompt.LIVE_SLUG_PREFIX)
    assert list(Prompt.objects.library()) == [catalogue["prompt"]]
    library_answer = done(catalogue["big"], catalogue["prompt"], "Réponse de la bibliothèque")
    assert list(Generation.objects.of_library()) == [library_answer]
