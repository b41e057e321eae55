"""A slide's image comes from the platform, or from a host the deployment allows: whoever
serves it sees the address of every phone in the room."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.workshop.test_admin_scoping import form_data
from workshop.live import transition
from workshop.models import Step
from workshop.snapshots import PARTICIPANT, PRESENTER, snapshot

EVIL = "https://evil.example/x.png"


def first_slide() -> Step:
    return Step.objects.get(order=1)


@pytest.mark.parametrize(
    "url",
    [
        EVIL,
        "//evil.example/x.png",  # scheme-relative: another host
        "https://images.example.org@evil.example/x.png",
        "http://images.example.org/x.png",
        "javascript:alert(1)",
    ],
)
def test_an_image_from_another_host_is_refused(live_workshop, settings, url):
    settings.SLIDE_IMAGE_HOSTS = ["images.example.org"]
    step = first_slide()
    step.image_url = url
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert "image_url" in refused.value.message_dict


def test_the_back_office_refuses_an_image_from_another_host(live_workshop, superuser):
    client = Client()
    client.force_login(superuser)
    step = first_slide()
    url = reverse("admin:workshop_script_change", args=[step.script_id])
    data = form_data(client.get(url))
    index = next(i for i in range(10) if str(data[f"steps-{i}-id"]) == str(step.pk))
    data[f"steps-{index}-image_url"] = EVIL
    response = client.post(url, data)
    assert response.status_code == 200
    assert "verrait l'adresse" in html.unescape(response.content.decode())
    assert first_slide().image_url == ""


def test_an_image_already_saved_from_another_host_is_not_sent(live_workshop):
    Step.objects.filter(order=1).update(image_url=EVIL, image_alt="Un centre")
    workshop = transition(live_workshop.pk, "next_step")
    for audience in (PRESENTER, PARTICIPANT):
        state = snapshot(workshop, audience, live_workshop.room_a)
        assert state["step"]["title"] == "Bienvenue" and state["step"]["image"] is None


def test_an_image_of_an_allowed_host_is_shown(live_workshop, settings):
    settings.SLIDE_IMAGE_HOSTS = ["images.example.org"]
    url = "https://images.example.org/centre.png"
    step = first_slide()
    step.image_url = url
    step.full_clean()
    step.save()
    workshop = transition(live_workshop.pk, "next_step")
    image = snapshot(workshop, PRESENTER, live_workshop.room_a)["step"]["image"]
    assert image == {"url": url, "alt": ""}


def test_the_platform_s_own_images_need_no_host(live_workshop):
    step = first_slide()
    step.image_url = "/static/img/centre.png"
    step.full_clean()


def test_pages_load_images_only_from_the_platform_and_the_allowed_hosts(settings, db):
    assert "img-src 'self' data:;" in Client().get("/")["Content-Security-Policy"]
    settings.SLIDE_IMAGE_HOSTS = ["images.example.org"]
    policy = Client().get("/")["Content-Security-Policy"]
    assert "img-src 'self' data: https://images.example.org;" in policy
    assert "https:;" not in policy and "https: " not in policy
