import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/impact-des-modeles/", "/admin/login/", "/healthz"])
def test_every_page_forbids_inline_and_foreign_scripts(client, url):
    policy = client.get(url)["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


@pytest.mark.django_db
def test_the_live_pages_carry_the_policy_too(client, live_workshop):
    page = client.get(reverse("presenter", args=[live_workshop.room_a.presenter_secret]))
    assert "script-src 'self'" in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_only_the_presenter_screen_may_be_framed_and_only_by_the_platform(client, live_workshop):
    """The control panel shows the projector's page as a miniature; no other site may."""
    page = client.get(reverse("presenter", args=[live_workshop.room_a.presenter_secret]))
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in page["Content-Security-Policy"]
    join = client.get(reverse("join", args=[live_workshop.room_a.join_code]))
    assert join["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in join["Content-Security-Policy"]
