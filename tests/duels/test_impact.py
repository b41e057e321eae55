"""What the catalogue's models cost: the impact command, the public page, stored impacts."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from duels.impact import recompute_impacts, store_impact
from duels.models import AIModel, Endpoint, Generation, Prompt
from impacts.estimate import method_version


def impact(*args: str) -> str:
    out = io.StringIO()
    call_command("impact", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_defaults", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_command_prints_the_reference_case_as_json():
    data = json.loads(
        impact("--params", "35", "--tokens", "1074", "--pue", "1.2", "--wue", "0.569", "--json")
    )
    assert data["energy_wh"]["min"] == pytest.approx(0.262, rel=0.01)
    assert data["energy_wh"]["max"] == data["energy_wh"]["min"]
    assert set(data["gwp_g"]) == set(data["water_ml"]) == {"min", "max"}
    assert data["method"] == "EcoLogits" and data["method_version"] == method_version()
    assert data["line"] == "35 milliards param. × 1\u202f074 jetons ≈ 0,26 Wh"
    assert [e["url"].startswith("https://") for e in data["equivalences"]] == [True] * 3


@pytest.mark.django_db
def test_the_command_explains_its_method_in_plain_text():
    text = impact("--params", "35", "--tokens", "1074")
    assert text.splitlines()[0] == "35 milliards param. × 1\u202f074 jetons ≈ 0,26 Wh"
    assert f"EcoLogits {method_version()}" in text
    assert "trente fois" in text


@pytest.mark.django_db
def test_the_zone_changes_the_emissions_it_prints():
    world = json.loads(impact("--params", "70", "--tokens", "452", "--json"))
    france = json.loads(impact("--params", "70", "--tokens", "452", "--zone", "fra", "--json"))
    assert world["energy_wh"] == france["energy_wh"]
    assert france["gwp_g"]["min"] < world["gwp_g"]["min"] and france["zone"] == "FRA"


def test_a_catalogue_model_brings_its_facts(loaded):
    data = json.loads(impact("--model", "deepseek-r1", "--tokens", "1000", "--json"))
    assert data["energy_wh"]["min"] == pytest.approx(3.98, rel=0.02)
    assert data["line"].startswith("671 milliards param. (dont 37 actifs) × 1\u202f000 jetons")
    estimated = json.loads(impact("--model", "gpt-4o-2024-08-06", "--tokens", "452", "--json"))
    assert "(est.)" in estimated["line"]


def test_a_model_of_unknown_size_is_unknown_not_zero(loaded):
    AIModel.objects.filter(slug="phi-4").update(total_params_b=None)
    data = json.loads(impact("--model", "phi-4", "--tokens", "300", "--json"))
    assert data["known"] is False and data["energy_wh"] is None
    assert data["line"] == "300 jetons : impact inconnu"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "35", "--tokens", "-5"], "négatif"),
        (["--params", "35", "--tokens", "10", "--zone", "ATLANTIS"], "zone"),
        (["--model", "no-such-model", "--tokens", "10"], "no-such-model"),
        (["--tokens", "10"], "--params ou --model"),
        (["--params", "-3", "--tokens", "10"], "négatif"),
    ],
)
def test_bad_arguments_get_a_one_line_error(args, message):
    with pytest.raises(CommandError, match=message) as error:
        impact(*args)
    assert "\n" not in str(error.value)


def test_the_command_exits_non_zero_on_a_bad_argument():
    # Refused before the database is read: a real process, its exit code and its stderr.
    result = subprocess.run(
        [sys.executable, "manage.py", "impact", "--params", "35", "--tokens", "-1"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_page_lists_every_enabled_model_with_its_figure(client, loaded):
    AIModel.objects.filter(slug="llama-3.1-405b").update(status=AIModel.Status.DISABLED)
    page = client.get(reverse("model_impacts"))
    assert page.status_code == 200
    html = page.content.decode()
    for model in AIModel.objects.enabled():
        assert f'id="{model.slug}"' in html, model.slug
    assert 'id="llama-3.1-405b"' not in html
    rows = page.context["rows"]
    assert all(row.per_thousand.known for row in rows)
    assert f"EcoLogits {method_version()}" in html  # no figure without its method
    assert "Comment c&#x27;est calculé" in html or "Comment c'est calculé" in html


def test_the_page_sorts_by_each_column(client, loaded):
    energies = [r.energy_per_thousand for r in client.get("/impact-des-modeles/").context["rows"]]
    assert energies == sorted(energies)
    rows = client.get("/impact-des-modeles/?sort=-energy").context["rows"]
    assert [r.energy_per_thousand for r in rows] == sorted(energies, reverse=True)
    names = [
        r.model.name.lower() for r in client.get("/impact-des-modeles/?sort=name").context["rows"]
    ]
    assert names == sorted(names)
    assert client.get("/impact-des-modeles/?sort=<script>").status_code == 200


def test_unknown_sizes_come_last_and_say_so(client, loaded):
    AIModel.objects.filter(slug="phi-4").update(total_params_b=None)
    rows = client.get("/impact-des-modeles/?sort=-energy").context["rows"]
    assert rows[-1].model.slug == "phi-4" and not rows[-1].per_thousand.known
    assert "impact inconnu" in rows[-1].typical.line


@pytest.fixture
def generation(loaded) -> Generation:
    return Generation.objects.create(
        model=AIModel.objects.get(slug="mistral-small-24b-instruct-2501"),
        prompt=Prompt.objects.first(),
        status=Generation.Status.DONE,
        text="Une phrase.",
        output_tokens=452,
    )


def test_a_finished_generation_keeps_its_impact_and_method(generation):
    assert store_impact(generation)
    generation.refresh_from_db()
    assert generation.energy_wh_min > 0 and generation.energy_wh_min <= generation.energy_wh_max
    assert generation.impact_method == "EcoLogits"
    assert generation.impact_method_version == method_version()
    assert not store_impact(generation)  # nothing changed the second time


def test_the_serving_data_centre_counts(generation):
    store_impact(generation)
    swedish = generation.gwp_g_min
    Endpoint.objects.filter(models=generation.model).update(zone="USA")
    generation.model.refresh_from_db()
    generation.model.endpoint.refresh_from_db()
    store_impact(generation)
    assert generation.gwp_g_min > swedish


def test_recompute_says_how_many_changed(generation):
    store_impact(generation)
    Generation.objects.filter(pk=generation.pk).update(
        energy_wh_min=99, energy_wh_max=99, impact_method_version="0.8.2"
    )
    out = io.StringIO()
    call_command("recompute_impacts", stdout=out)
    assert "1 génération vérifiée, 1 modifiée" in out.getvalue()
    generation.refresh_from_db()
    assert generation.impact_method_version == method_version()
    assert recompute_impacts() == (1, 0)
