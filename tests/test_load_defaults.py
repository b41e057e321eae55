"""`manage.py load_defaults [--demo]`: the default catalogue, script, curators and demo."""

import io
import re
import stat
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from duels.catalogue import SizeClass
from duels.models import AIModel, Endpoint, Maker, Prompt
from workshop.defaults import CURATORS_GROUP, SCRIPT_SLUG
from workshop.models import Membership, Organisation, Role, Room, Script, Step, Workshop

JOIN_CODE = re.compile(r"^join code: ([A-Z0-9]{6})$", re.MULTILINE)
PASSWORD = re.compile(r"^password: (\S+)$", re.MULTILINE)

# The deck's explanation slides, by a word of their title.
EXPLANATION_TOPICS = [
    "règles du jeu",
    "énergie",
    "grand ou un petit",
    "distillation",
    "raisonnement",
    "entraînement",
    "internet",
    "multilinguisme",
    "hallucinations",
]


def load_defaults(*args: str) -> str:
    out = io.StringIO()
    call_command("load_defaults", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def var_dir(settings, tmp_path):
    # Demo credentials go to a throwaway VAR_DIR, never to the developer's var/.
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def loaded(db, var_dir) -> str:
    return load_defaults()


@pytest.fixture
def script(loaded) -> Script:
    return Script.objects.get(organisation__isnull=True, slug=SCRIPT_SLUG)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def update_stamps() -> dict[tuple[str, int], object]:
    stamps = {}
    for model in apps.get_models():
        if any(field.name == "updated_at" for field in model._meta.fields):
            for pk, updated_at in model.objects.values_list("pk", "updated_at"):
                stamps[model._meta.label, pk] = updated_at
    return stamps


# Loading twice


@pytest.mark.django_db
def test_a_second_run_changes_nothing(var_dir):
    load_defaults("--demo")
    counts, stamps = row_counts(), update_stamps()

    output = load_defaults("--demo")

    assert row_counts() == counts
    assert update_stamps() == stamps
    # Zero takes the singular in French, once the French catalogue gives its plural rule.
    assert re.search(r"^0 modèles? créés?, 15 déjà présents$", output, re.MULTILINE)
    assert re.search(r"^0 questions? créées?, 3 déjà présentes$", output, re.MULTILINE)
    assert "déjà présent, laissé tel quel" in output


def test_the_first_run_says_what_it_created(loaded):
    assert re.search(r"^15 modèles créés, 0 déjà présents?$", loaded, re.MULTILINE)
    assert "10 éditeurs créés" in loaded
    assert "5 points d'accès créés" in loaded
    assert "3 questions créées" in loaded
    assert "créé avec 16 étapes" in loaded
    assert f"Groupe « {CURATORS_GROUP} » créé." in loaded
    assert "join code" not in loaded


def test_it_keeps_what_an_admin_edited(script):
    model = AIModel.objects.get(slug="deepseek-r1")
    model.description = "Décrit par la curatrice."
    model.status = AIModel.Status.DISABLED
    model.save()
    step = script.steps.get(order=4)
    step.body = "Diapositive réécrite."
    step.save()
    Step.objects.create(script=script, order=99, kind=Step.Kind.SLIDE, title="Ajoutée")
    Endpoint.objects.filter(slug="openrouter").update(zone="USA")
    Prompt.objects.filter(slug="duel-2-data-centers-enfant").update(title="Renommée")

    load_defaults()

    model.refresh_from_db()
    assert model.description == "Décrit par la curatrice."
    assert model.status == AIModel.Status.DISABLED
    step.refresh_from_db()
    assert step.body == "Diapositive réécrite."
    assert script.steps.count() == 17
    assert Endpoint.objects.get(slug="openrouter").zone == "USA"
    assert Prompt.objects.get(slug="duel-2-data-centers-enfant").title == "Renommée"


def test_it_creates_again_only_what_is_missing(loaded):
    AIModel.objects.filter(slug="phi-4").delete()
    Maker.objects.filter(slug="cohere").update(name="Cohere Inc.")

    output = load_defaults()

    assert "1 modèle créé, 14 déjà présents" in output
    assert AIModel.objects.get(slug="phi-4").total_params_b == 14
    assert Maker.objects.get(slug="cohere").name == "Cohere Inc."


# The catalogue


def test_deepseek_r1_is_a_reasoning_mixture_of_experts(loaded):
    model = AIModel.objects.get(slug="deepseek-r1")
    assert model.maker.slug == "deepseek"
    assert model.total_params_b == 671
    assert model.active_params_b == 37
    assert model.architecture == AIModel.Architecture.MOE
    assert model.license == "MIT"
    assert model.reasoning == AIModel.Reasoning.YES
    assert model.distribution == AIModel.Distribution.OPEN_WEIGHTS
    assert not model.params_estimated


def test_proprietary_sizes_are_marked_as_estimates(loaded):
    claude = AIModel.objects.get(slug="claude-3-5-sonnet-v2")
    assert claude.total_params_b == 440
    assert claude.active_params_b == Decimal("137.5")
    assert claude.params_estimated
    assert claude.distribution == AIModel.Distribution.API_ONLY
    for model in AIModel.objects.filter(distribution=AIModel.Distribution.API_ONLY):
        assert model.params_estimated, model.slug
        assert "estimation" in model.size_description, model.slug


@pytest.mark.parametrize(
    ("slug", "size_class"),
    [
        ("deepseek-r1", SizeClass.XL),
        ("claude-3-5-sonnet-v2", SizeClass.XL),
        ("llama-3.1-405b", SizeClass.XL),
        ("llama-3.3-70b", SizeClass.M),
        ("mistral-small-24b-instruct-2501", SizeClass.S),
        ("gpt-4o-mini-2024-07-18", SizeClass.S),
        ("chocolatine-2-14b-instruct-v2.0.3-q8", SizeClass.XS),
        ("gemma-3-270m", SizeClass.XS),
    ],
)
def test_size_classes_follow_total_parameters(loaded, slug, size_class):
    assert AIModel.objects.get(slug=slug).size_class == size_class
    assert AIModel.objects.of_size_class(size_class).filter(slug=slug).exists()


def test_the_offline_model_says_what_it_is(loaded):
    model = AIModel.objects.get(slug="gemma-3-270m")
    assert model.total_params_b == Decimal("0.27")
    assert model.endpoint.slug == "llamacpp-local"
    assert model.endpoint_model_id == "gemma-3-270m"
    assert "pré-entraînée" in model.description
    assert "anglais" in model.description
    assert "hors sujet" in model.description


def test_every_model_is_served_somewhere(loaded):
    for model in AIModel.objects.select_related("endpoint"):
        assert model.endpoint is not None, model.slug
        assert model.endpoint_model_id, model.slug
        assert model.description and model.size_description, model.slug
        assert model.status == AIModel.Status.ENABLED
    assert AIModel.objects.get(slug="mistral-small-24b-instruct-2501").endpoint.slug == "mistral"
    chocolatine = AIModel.objects.get(slug="chocolatine-2-14b-instruct-v2.0.3-q8")
    assert chocolatine.endpoint.slug == "ollama-local"
    assert chocolatine.quantization == AIModel.Quantization.Q8


def test_endpoints_name_their_key_and_data_centre(loaded):
    mistral = Endpoint.objects.get(slug="mistral")
    assert (mistral.zone, mistral.pue, mistral.wue) == ("SWE", Decimal("1.16"), Decimal("0.09"))
    assert mistral.api_key_env == "MISTRAL_API_KEY"
    local = Endpoint.objects.get(slug="llamacpp-local")
    assert local.base_url == "http://127.0.0.1:8080/v1"
    assert not local.requires_key
    assert (local.pue, local.wue) == (Decimal("1"), Decimal("0"))
    assert Endpoint.objects.get(slug="albert").zone == "FRA"
    assert Endpoint.objects.get(slug="openrouter").notes


def test_only_the_local_servers_are_marked_local(loaded):
    # Loopback, and a key over plain http, only for these (duels/endpoint_safety.py).
    local = set(Endpoint.objects.filter(is_local=True).values_list("slug", flat=True))
    assert local == {"llamacpp-local", "ollama-local"}


def test_default_rows_pass_validation(script):
    for row in [*Maker.objects.all(), *Endpoint.objects.all(), *Prompt.objects.all()]:
        row.full_clean()
    for model in AIModel.objects.all():
        model.full_clean()
    script.full_clean()
    for step in script.steps.all():
        step.full_clean()


def test_the_deck_prompts_are_verbatim(loaded):
    texts = set(Prompt.objects.values_list("text", flat=True))
    assert texts == {
        'Résume moi ce texte en une phrase : Le "Duel de l\'IA" est un atelier pédagogique '
        "interactif visant à développer un regard critique sur les intelligences "
        "artificielles conversationnelles. Au-delà des craintes ou de l'enthousiasme que "
        "peuvent susciter ces systèmes, cet atelier propose aux participants des clés "
        "d'analyse pour mieux comprendre les différents modèles et leurs implications.",
        "Explique à un enfant de 10 ans pourquoi les data centers consomment de l'énergie. "
        "Sois très concis.",
        "Comment t'enseignerais l'IA à des personnes qui veulent en savoir plus sur son "
        "impact environnemental.",
    }
    assert set(Prompt.objects.values_list("source", flat=True)) == {
        "Atelier « Les duels de l'IA », compar:IA"
    }


# The script


def test_the_script_is_a_shared_template_in_order(script):
    orders = list(script.steps.values_list("order", flat=True))
    assert orders == list(range(1, len(orders) + 1))
    kinds = list(script.steps.values_list("kind", flat=True))
    assert kinds.count(Step.Kind.DUEL) == 3
    assert kinds.count(Step.Kind.FINALE) == 1
    assert kinds[0] == kinds[-1] == Step.Kind.SLIDE
    assert kinds[-2] == Step.Kind.QUESTION


def test_every_duel_step_has_a_prompt_and_two_different_models(script):
    duels = script.steps.filter(kind=Step.Kind.DUEL)
    pairs = [(step.model_a.slug, step.model_b.slug) for step in duels]
    assert pairs == [
        ("claude-3-5-sonnet-v2", "mistral-small-24b-instruct-2501"),
        ("llama-3.3-70b", "gemma-3-4b"),
        ("qwq-32b", "deepseek-r1"),
    ]
    for step in duels:
        assert step.prompt is not None
        assert step.model_a != step.model_b
        assert step.pair_mode == Step.PairMode.MANUAL
    assert len({step.prompt_id for step in duels}) == 3


def test_the_script_explains_each_topic_of_the_deck(script):
    titles = [title.lower() for title in script.steps.values_list("title", flat=True)]
    for topic in EXPLANATION_TOPICS:
        assert any(topic in title for title in titles), topic
    for step in script.steps.filter(kind=Step.Kind.SLIDE):
        assert step.body and step.speaker_notes, step.title


def test_the_final_question_is_a_poll(script):
    question = script.steps.get(kind=Step.Kind.QUESTION)
    assert question.question_kind == Step.QuestionKind.POLL
    assert "adapter votre façon de l'utiliser" in question.body
    assert len(question.choice_list) >= 3


def test_the_script_does_not_repeat_the_old_energy_figures(script):
    # The deck's "8 Wh", "1 Wh" and "37 g" came from EcoLogits 0.8 (30-45 times too high).
    old_figures = re.compile(r"\b(8|1) ?Wh\b|\b37 ?g\b")
    for step in script.steps.all():
        assert not old_figures.search(step.body), step.title
        assert not old_figures.search(step.speaker_notes), step.title


def test_the_figures_that_remain_give_their_source(script):
    search = script.steps.get(title__icontains="internet")
    assert "0,3 Wh" in search.body and "Agence internationale de l'énergie" in search.body
    languages = script.steps.get(title__icontains="multilinguisme")
    assert "0,16 %" in languages.body and "arXiv:2307.09288" in languages.body


# Curators


def test_curators_may_manage_the_catalogue(loaded):
    group = Group.objects.get(name=CURATORS_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    curated = [
        ("duels", model) for model in ("maker", "endpoint", "aimodel", "prompt", "generation")
    ] + [("impacts", "equivalence")]
    assert codenames == {
        (app_label, f"{action}_{model}")
        for app_label, model in curated
        for action in ("add", "change", "delete", "view")
    }


def test_curators_group_edits_are_kept(loaded):
    group = Group.objects.get(name=CURATORS_GROUP)
    group.permissions.clear()

    load_defaults()

    assert not group.permissions.exists()


# The demo


@pytest.mark.django_db
def test_demo_prints_the_join_code_of_its_room(var_dir):
    first = load_defaults("--demo")
    second = load_defaults("--demo")

    room = Room.objects.get()
    assert JOIN_CODE.findall(first) == [room.join_code]
    assert JOIN_CODE.findall(second) == [room.join_code]


@pytest.mark.django_db
def test_demo_creates_one_of_each(var_dir):
    load_defaults("--demo")
    load_defaults("--demo")

    organisation = Organisation.objects.get()
    assert (organisation.slug, organisation.name) == ("demo", "Organisation de démonstration")
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.is_staff) == (
        "animateur",
        "animateur@demo.invalid",
        True,
    )
    assert not user.is_superuser
    membership = Membership.objects.get()
    assert (membership.user, membership.organisation) == (user, organisation)
    assert membership.role == Role.FACILITATOR
    workshop = Workshop.objects.get()
    assert workshop.organisation == organisation
    assert workshop.script.slug == SCRIPT_SLUG and workshop.script.organisation is None
    assert workshop.title == "Atelier de démonstration"
    assert workshop.status == Workshop.Status.SCHEDULED
    assert list(workshop.facilitators.all()) == [user]
    assert Room.objects.get().workshop == workshop


@pytest.mark.django_db
def test_the_printed_password_logs_in(var_dir, client):
    first = load_defaults("--demo")
    second = load_defaults("--demo")

    passwords = PASSWORD.findall(first)
    assert len(passwords) == 1
    assert PASSWORD.findall(second) == passwords
    assert client.login(username="animateur", password=passwords[0])
    response = client.get("/admin/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_credentials_file_is_private(var_dir):
    output = load_defaults("--demo")

    path = var_dir / "demo-credentials"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"password: {PASSWORD.search(output).group(1)}" in path.read_text()


@pytest.mark.django_db
def test_a_changed_password_is_not_printed(var_dir):
    load_defaults("--demo")
    user = get_user_model().objects.get(username="animateur")
    user.set_password("chosen-by-the-facilitator")
    user.save()

    output = load_defaults("--demo")

    assert not PASSWORD.search(output)
    assert "a été changé" in output
    assert "chosen-by-the-facilitator" not in output
    assert JOIN_CODE.search(output)


@pytest.mark.django_db
def test_a_renamed_demo_workshop_is_still_the_demo(var_dir):
    first = load_defaults("--demo")
    Workshop.objects.update(title="Atelier du jeudi")

    second = load_defaults("--demo")

    assert Workshop.objects.count() == 1
    assert JOIN_CODE.findall(second) == JOIN_CODE.findall(first)


def test_the_command_explains_itself():
    from workshop.management.commands.load_defaults import Command

    assert "--demo" in Command().create_parser("manage.py", "load_defaults").format_help()
