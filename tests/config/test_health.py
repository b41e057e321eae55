import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_checks_the_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "redis": True}}


@pytest.mark.django_db
def test_healthz_says_which_part_is_down_and_nothing_more(client):
    with override_settings(REDIS_URL="redis://user:s3cret@127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "redis": False}
    assert b"s3cret" not in response.content and b"127.0.0.1" not in response.content
