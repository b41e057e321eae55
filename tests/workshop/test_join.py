"""Joining a room by code from a phone, and the pages of the live workshop."""

import uuid

import pytest
from django.urls import reverse

from workshop.models import Participant, Workshop
from workshop.participants import COOKIE

pytestmark = pytest.mark.django_db


def test_the_home_page_sends_a_typed_code_to_its_room(client, live_workshop):
    code = live_workshop.room_a.join_code
    response = client.get(reverse("home"), {"code": f" {code.lower()[:3]}-{code.lower()[3:]} "})
    assert response.status_code == 302 and response["Location"] == f"/j/{code}/"


def test_an_unknown_code_gets_a_clear_message(client, live_workshop):
    response = client.get(reverse("home"), {"code": "ZZZZZ2"})
    assert response.status_code == 404
    assert "Aucune salle ne porte ce code" in response.content.decode()
    assert "Aucune salle" in client.get("/j/nothing/").content.decode()


def test_guessing_codes_from_one_address_is_refused_long_before_the_400th(client, live_workshop):
    """2,000 guesses from one client were all answered 404: now codes that name no room
    (well formed or not, typed on the home page or in the link) count against the
    address, which past JOIN_FAILURES_PER_ADDRESS_PER_MINUTE (30) gets 429, even with a
    right code; a phone already in a room comes back; another address is not refused."""
    address = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"}
    room_url = reverse("join", args=[live_workshop.room_a.join_code])
    assert client.get(room_url, **address).status_code == 200
    returning = client.cookies[COOKIE].value
    client.cookies.clear()
    answers = []
    for guess in range(400):
        code = f"{guess:06d}".translate(str.maketrans("0123456789", "ABCDEFGHJK"))
        if guess % 3 == 0:
            response = client.get(reverse("home"), {"code": code}, **address)
        elif guess % 3 == 1:
            response = client.get(f"/j/{code}/", **address)
        else:
            response = client.get(f"/j/{code[:3]}!/", **address)  # malformed
        answers.append(response.status_code)
        if response.status_code == 429:
            break
    assert answers[-1] == 429 and len(answers) < 400
    assert set(answers[:-1]) == {404}
    assert "réessayez" in response.content.decode()
    refused = client.get(room_url, **address)
    assert refused.status_code == 429 and "réessayez" in refused.content.decode()
    assert Participant.objects.count() == 1
    client.cookies[COOKIE] = returning  # a phone already in the room is not a guess
    assert client.get(room_url, **address).status_code == 200
    client.cookies.clear()
    other = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}:1"}
    assert client.get(room_url, **other).status_code == 200
    assert client.get(reverse("home"), {"code": "ZZZZZ2"}, **other).status_code == 404


def test_joining_sets_a_secret_cookie_and_coming_back_is_the_same_participant(
    client, live_workshop
):
    url = reverse("join", args=[live_workshop.room_a.join_code])
    first = client.get(url)
    assert first.status_code == 200
    token = first.cookies[COOKIE]
    assert token["httponly"] and token["samesite"] == "Lax"
    assert Participant.objects.count() == 1
    assert Participant.objects.get().token_digest != token.value  # only its digest is kept
    client.get(url)
    assert Participant.objects.count() == 1


def test_a_full_room_says_so(client, live_workshop):
    room = live_workshop.room_a  # capacity 3
    for _ in range(3):
        client.cookies.clear()
        assert client.get(reverse("join", args=[room.join_code])).status_code == 200
    client.cookies.clear()
    response = client.get(reverse("join", args=[room.join_code]))
    assert response.status_code == 403 and "complète" in response.content.decode()
    assert Participant.objects.filter(room=room).count() == 3


def test_a_finished_workshop_says_so(client, live_workshop):
    Workshop.objects.filter(pk=live_workshop.pk).update(status=Workshop.Status.FINISHED)
    response = client.get(reverse("join", args=[live_workshop.room_a.join_code]))
    assert response.status_code == 403 and "terminé" in response.content.decode()
    assert not Participant.objects.exists()


def test_a_forged_cookie_is_a_new_participant_not_someone_else(client, live_workshop):
    url = reverse("join", args=[live_workshop.room_a.join_code])
    client.get(url)
    client.cookies[COOKIE] = "forged"
    client.get(url)
    assert Participant.objects.count() == 2


def test_the_presenter_page_needs_its_secret(client, live_workshop):
    room = live_workshop.room_a
    page = client.get(reverse("presenter", args=[room.presenter_secret]))
    assert page.status_code == 200
    html = page.content.decode()
    assert room.join_code in html and "<svg" in html
    assert client.get(reverse("presenter", args=["guess"])).status_code == 404


def test_the_control_panel_is_for_the_workshops_facilitators(client, live_workshop, outsider):
    url = reverse("control_panel", args=[live_workshop.pk])
    assert client.get(url).status_code == 302  # to the login
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(live_workshop.facilitator_user)
    page = client.get(url)
    assert page.status_code == 200
    assert live_workshop.room_a.presenter_secret in page.content.decode()


def test_the_live_pages_carry_no_inline_script(client, live_workshop):
    client.force_login(live_workshop.facilitator_user)
    for url in [
        reverse("join", args=[live_workshop.room_a.join_code]),
        reverse("presenter", args=[live_workshop.room_a.presenter_secret]),
        reverse("control_panel", args=[live_workshop.pk]),
    ]:
        html = client.get(url).content.decode()
        assert "<script>" not in html and "onclick=" not in html
