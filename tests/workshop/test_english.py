"""A workshop in English: every live screen speaks English, French stays the default."""

import json

import pytest
from django.urls import reverse

from tests.live_fixtures import phone
from workshop.live import Ballot, cast_vote, transition
from workshop.models import Round, Workshop
from workshop.snapshots import PARTICIPANT, PRESENTER, snapshot

pytestmark = pytest.mark.django_db

PLAY = ["next_step", "next_step", "show_question", "show_answers", "open_vote"]


def english(workshop):
    Workshop.objects.filter(pk=workshop.pk).update(language="en")
    workshop.refresh_from_db()
    return workshop


def words_of(html: str) -> dict:
    return json.loads(html.split('id="screen-text" type="application/json">')[1].split("<")[0])


def test_the_presenter_page_is_in_english(client, live_workshop):
    english(live_workshop)
    html = client.get(reverse("presenter", args=[live_workshop.room_a.presenter_secret]))
    html = html.content.decode()
    assert '<html lang="en">' in html and "Join at" in html and "Rejoignez" not in html
    words = words_of(html)
    assert words["cmd.next_step"] == "Next step" and words["vote.title"] == "Your vote"


def test_a_french_workshop_stays_french(client, live_workshop):
    html = client.get(reverse("join", args=[live_workshop.room_a.join_code])).content.decode()
    assert '<html lang="fr">' in html and words_of(html)["cmd.next_step"] == "Étape suivante"


def test_the_states_and_the_reveal_are_in_english(live_workshop):
    workshop = english(live_workshop)
    for name in PLAY:
        workshop = transition(workshop.pk, name)
    cast_vote(
        phone(live_workshop.room_a).participant.pk,
        Ballot(Round.objects.get().pk, "a", {}, "", "", "x"),
    )
    assert snapshot(workshop, PARTICIPANT, live_workshop.room_a)["phase_label"] == "vote open"
    for name in ["close_vote", "reveal"]:
        workshop = transition(workshop.pk, name)
    reveal = snapshot(workshop, PRESENTER, live_workshop.room_a)["round"]["reveal"]
    assert reveal["a"]["line"].startswith("70 billion params × 60 tokens ≈ ")
    assert reveal["a"]["distribution"] == "Open weights"
    assert "0.0" in reveal["a"]["energy"] or "." in reveal["a"]["energy"]
