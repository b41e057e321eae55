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
