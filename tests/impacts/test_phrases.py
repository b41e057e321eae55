"""An equivalence's phrase is catalogue text: one `{quantity}` and no other brace, refused
with its reason when saved, and never able to break a page or a reveal once stored."""

import logging

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from impacts import equivalences
from impacts.models import Equivalence
from tests.conftest import PASSWORD, make_user
from workshop.live import transition
from workshop.snapshots import PRESENTER, snapshot

# What the outside attack typed in the back office, and the other ways to misuse braces.
BROKEN = {
    "{quantity} ampoules {LED}": "« {LED} » n'est pas un repère connu",
    "{quantity:>2000000} d'ampoule": "sans format, attribut ni indice",
    "{quantity.__class__.__mro__}": "sans format, attribut ni indice",
    "{quantity[0]} d'ampoule": "sans format, attribut ni indice",
    "{quantity} {} d'ampoule": "« {} » n'est pas un repère connu",
    "{quantity} d'ampoule { LED": "L'accolade « { » est seule",
    "{quantity} d'ampoule }": "L'accolade « } » est seule",
    "{{quantity}} d'ampoule": "L'accolade « { » est seule",
    "d'ampoule LED de 5 W": "La phrase doit contenir {quantity}",
    "{quantity} soit {quantity}": "qu'une fois",
}

# A phrase that the attack wrote straight into the database, past the model's validation.
ATTACKS = ["{quantity} ampoules {LED}", "{quantity:>2000000}", "{quantity.__class__.__mro__}"]


@pytest.fixture(autouse=True)
def nothing_logged_yet():
    equivalences.forget_broken_phrases()
    yield
    equivalences.forget_broken_phrases()


def led() -> Equivalence:
    return Equivalence.objects.get(slug="ampoule-led-5w")


@pytest.mark.django_db
@pytest.mark.parametrize(("phrase", "reason"), BROKEN.items())
def test_a_curator_cannot_save_a_phrase_with_a_brace_other_than_quantity(phrase, reason):
    equivalence = led()
    equivalence.phrase_fr = phrase
    with pytest.raises(ValidationError) as refused:
        equivalence.full_clean()
    assert list(refused.value.message_dict) == ["phrase_fr"]
    assert reason in refused.value.message_dict["phrase_fr"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["phrase_fr_one", "phrase_en"])
def test_the_singular_and_english_phrases_are_checked_too(field):
    equivalence = led()
    setattr(equivalence, field, "{quantity} ampoules {LED}")
    with pytest.raises(ValidationError) as refused:
        equivalence.full_clean()
    assert list(refused.value.message_dict) == [field]


@pytest.mark.django_db
def test_the_shipped_phrases_are_valid():
    for equivalence in Equivalence.objects.all():
        equivalence.full_clean()


def test_the_back_office_refuses_a_typo_with_its_reason_and_keeps_the_phrase(client, db):
    curator = make_user("curator", is_staff=True)
    curator.user_permissions.set(Permission.objects.filter(content_type__app_label="impacts"))
    assert client.login(username=curator.username, password=PASSWORD)
    equivalence = led()
    url = reverse("admin:impacts_equivalence_change", args=[equivalence.pk])
    kept = ["slug", "name", "basis", "basis_per_unit", "unit_kind", "phrase_fr_one"]
    kept += ["phrase_en", "source_title", "source_url", "order", "active"]
    form = {field: getattr(equivalence, field) for field in kept}
    page = client.post(url, form | {"phrase_fr": "{quantity} ampoules {LED}"})
    assert page.status_code == 200  # the form again, with its error
    assert "n&#x27;est pas un repère connu" in page.content.decode()
    assert led().phrase_fr == "{quantity} d'ampoule LED de 5 W"
    page = client.post(url, form | {"phrase_fr": "{quantity} d'ampoule LED"})
    assert page.status_code == 302
    assert led().phrase_fr == "{quantity} d'ampoule LED"


@pytest.mark.parametrize("phrase", ATTACKS)
def test_a_broken_phrase_in_the_database_leaves_the_public_page_whole(client, catalogue, phrase):
    normal = client.get("/impact-des-modeles/")
    Equivalence.objects.filter(slug="ampoule-led-5w").update(phrase_fr=phrase)
    page = client.get("/impact-des-modeles/")
    assert page.status_code == 200
    html = page.content.decode()
    assert len(page.content) < len(normal.content) + 2000
    assert "__mro__" not in html and "&lt;class" not in html and "{LED}" not in html
    # The figure stays, with the equivalence's name instead of its phrase.
    assert " — Ampoule LED de 5 W" in html
    assert "de vidéo en ligne" in html  # the other equivalences read as before


def test_a_broken_phrase_is_logged_once_not_at_every_page(client, catalogue, caplog):
    Equivalence.objects.filter(slug="ampoule-led-5w").update(phrase_fr="{quantity} {LED}")
    with caplog.at_level(logging.WARNING, logger="impacts.equivalences"):
        for _ in range(2):
            assert client.get("/impact-des-modeles/").status_code == 200
    logged = [r for r in caplog.records if r.name == "impacts.equivalences"]
    assert len(logged) == 1
    assert "ampoule-led-5w" in logged[0].getMessage()
    assert "phrase_fr" in logged[0].getMessage()


def test_a_broken_phrase_in_the_database_does_not_stop_a_reveal(live_workshop):
    Equivalence.objects.filter(slug="ampoule-led-5w").update(phrase_fr=ATTACKS[2])
    Equivalence.objects.filter(slug="video-en-ligne").update(phrase_fr=ATTACKS[0])
    for name in ["next_step", "next_step", "show_question", "show_answers", "open_vote"]:
        transition(live_workshop.pk, name)
    transition(live_workshop.pk, "close_vote")
    workshop = transition(live_workshop.pk, "reveal")
    reveal = snapshot(workshop, PRESENTER, live_workshop.room_a)["round"]["reveal"]
    for side in ("a", "b"):
        texts = [e["text"] for e in reveal[side]["equivalences"]]
        assert texts[0].endswith(" — Ampoule LED de 5 W")
        assert texts[1].endswith(" — Vidéo en ligne (HD, TV en wifi)")
        assert "recherche" in texts[2]
        assert "__mro__" not in str(texts) and "{LED}" not in str(texts)
