from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from duels.catalogue import SizeClass, size_class_for
from duels.models import AIModel, Endpoint, Maker


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("0.27", SizeClass.XS),
        ("14.999", SizeClass.XS),
        ("15", SizeClass.S),
        ("59.9", SizeClass.S),
        ("60", SizeClass.M),
        ("99", SizeClass.M),
        ("100", SizeClass.L),
        ("399", SizeClass.L),
        ("400", SizeClass.XL),
        ("671", SizeClass.XL),
    ],
)
def test_size_class_follows_comparia_bounds(params, expected):
    assert size_class_for(Decimal(params)) == expected


def test_unknown_size_has_no_class():
    assert size_class_for(None) is None


@pytest.fixture
def maker(db):
    return Maker.objects.create(slug="acme", name="Acme")


def make_model(maker, slug, **fields):
    defaults = {"name": slug, "license": "MIT", "distribution": AIModel.Distribution.OPEN_WEIGHTS}
    return AIModel.objects.create(slug=slug, maker=maker, **(defaults | fields))


def test_size_class_is_derived_not_stored(maker):
    model = make_model(maker, "growing", total_params_b=8)
    assert model.size_class == SizeClass.XS
    model.total_params_b = 405
    assert model.size_class == SizeClass.XL
    assert "size_class" not in {f.name for f in AIModel._meta.get_fields()}


def test_a_range_is_classed_by_its_midpoint(maker):
    model = make_model(maker, "ranged", total_params_b=300, total_params_b_max=600)
    assert model.size_class == SizeClass.XL  # midpoint 450


def test_database_filter_agrees_with_the_property(maker):
    for slug, params in [("xs", 4), ("s", 24), ("m", 70), ("l", 200), ("xl", 671)]:
        make_model(maker, slug, total_params_b=params)
    make_model(maker, "ranged", total_params_b=300, total_params_b_max=600)
    make_model(maker, "unknown")
    for size_class in SizeClass:
        in_db = set(AIModel.objects.of_size_class(size_class).values_list("slug", flat=True))
        by_property = {m.slug for m in AIModel.objects.all() if m.size_class == size_class}
        assert in_db == by_property, size_class
    assert set(AIModel.objects.of_size_class(SizeClass.XL).values_list("slug", flat=True)) == {
        "xl",
        "ranged",
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"architecture": "moe", "total_params_b": 671},  # MoE without active parameters
        {"total_params_b": 400, "total_params_b_max": 300},  # range upside down
        {"total_params_b": 8, "active_params_b": 9},  # more active than total
        {"active_params_b": 5, "active_params_b_max": 4},
        {"total_params_b_max": 300},  # an upper bound without a lower one
        {"total_params_b": 200, "total_params_b_max": 300, "active_params_b": 301},
    ],
)
def test_the_database_refuses_impossible_sizes(maker, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_model(maker, "impossible", **fields)


def test_a_served_model_names_its_id_at_the_endpoint(maker):
    endpoint = Endpoint.objects.create(
        slug="local", name="Local", base_url="http://127.0.0.1:1/v1", is_local=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        make_model(maker, "nameless", endpoint=endpoint, endpoint_model_id="")
    make_model(maker, "named", endpoint=endpoint, endpoint_model_id="named-q4")


def test_slugs_are_unique(maker):
    make_model(maker, "twice")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_model(maker, "twice")


def test_endpoint_reports_whether_its_key_variable_is_set(db, monkeypatch, settings):
    settings.PROVIDER_KEY_VARIABLES = ["DUELS_TEST_KEY"]
    endpoint = Endpoint(slug="x", name="X", api_key_env="DUELS_TEST_KEY")
    monkeypatch.delenv("DUELS_TEST_KEY", raising=False)
    assert endpoint.requires_key and not endpoint.key_is_set
    monkeypatch.setenv("DUELS_TEST_KEY", "sk-secret")
    assert endpoint.key_is_set
    keyless = Endpoint(slug="y", name="Y", api_key_env="")
    assert not keyless.requires_key and not keyless.key_is_set


def test_no_field_can_hold_a_key():
    names = {f.name for f in Endpoint._meta.get_fields()}
    assert not names & {"api_key", "key", "token", "secret"}


def test_comparia_ids_with_dots_are_valid(maker):
    model = make_model(maker, "qwen2.5-coder-32b-instruct")
    model.full_clean()
    model.slug = "Not A Slug!"
    with pytest.raises(ValidationError):
        model.full_clean()
