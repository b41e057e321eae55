"""Settings refuse an insecure production start, and a proper one passes Django's deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "Zq8-x7Pf3kL9mN2vB6cR1tY5wE8uI0oA4sD-hJ_gKzXcVbNQp3rT6yU9iO2pL5kJ8hG"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "SECRET_KEY must be set"),
        ("django-insecure-" + "a" * 60, "too weak"),
        ("short-key", "too weak"),
        ("a" * 64, "too weak"),
    ],
)
def test_production_refuses_a_missing_or_weak_key(key, reason):
    env = {"DEBUG": "0", "ALLOWED_HOSTS": "duels.example.org"}
    if key is not None:
        env["SECRET_KEY"] = key
    result = run("check", **env)
    assert result.returncode != 0
    assert reason in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run("check", DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_a_proper_production_configuration_passes_the_deploy_check():
    result = run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="duels.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_local_default_runs_without_any_variable():
    result = run("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_is_refused():
    result = run("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_the_health_check_is_not_redirected_to_https():
    result = run(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_REDIRECT_EXEMPT)",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="duels.example.org,localhost",
    )
    assert "healthz" in result.stdout, result.stderr
