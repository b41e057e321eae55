"""Logs: one JSON object per line with LOG_FORMAT=json, plain lines by default; the key
events are logged with their ids; and no secret ever reaches a log line."""

import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from config.logging import SECRET_COOKIES, JsonFormatter, PlainFormatter
from duels import generation as fetching
from duels.models import Endpoint, Generation
from tests.live_fixtures import phone
from tests.workers import wait_for
from workshop import live, participants
from workshop.live import Ballot

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_KEY = "sk-or-v1-0123456789abcdef-never-in-a-log"
STRONG_KEY = "Zq8-x7Pf3kL9mN2vB6cR1tY5wE8uI0oA4sD-hJ_gKzXcVbNQp3rT6yU9iO2pL5kJ8hG"
DATABASE_PASSWORD = "pg-password-0451"
PARTICIPANT_TOKEN = "ptok-5f2c9a71d0"
SESSION = "sess-83be01c4aa"
CSRF = "csrf-77d2e9b310"
PRESENTER_SECRET = "prs-a1b2c3d4e5f6"
BEARER = "abcdef0123456789"
SECRETS = [
    PROVIDER_KEY,
    STRONG_KEY,
    DATABASE_PASSWORD,
    PARTICIPANT_TOKEN,
    SESSION,
    CSRF,
    PRESENTER_SECRET,
    BEARER,
]
# Every secret at once, the way an error message or a traceback might carry them.
LEAKY = (
    f"key={PROVIDER_KEY} secret {STRONG_KEY} "
    f"Authorization: Bearer {BEARER} "
    f"Cookie: duels_participant={PARTICIPANT_TOKEN}; sessionid={SESSION}; csrftoken={CSRF} "
    f"postgres://duels:{DATABASE_PASSWORD}@db:5432/duels "
    f"GET /presentateur/{PRESENTER_SECRET}/"
)


def record(name: str, level: int, message: str, *args, exc_info=None, **extra):
    return logging.getLogger(name).makeRecord(
        name, level, __file__, 1, message, args, exc_info, extra=extra
    )


def raised(error: Exception):
    try:
        raise error
    except type(error):
        return sys.exc_info()


def test_a_json_line_holds_time_level_logger_message_fields_and_the_exception():
    line = JsonFormatter().format(
        record(
            "workshop.live",
            logging.ERROR,
            "workshop %s: %s",
            3,
            "next_step",
            exc_info=raised(ValueError("boom")),
            workshop=3,
            round=7,
            room=None,
        )
    )

    assert "\n" not in line  # one line, whatever the traceback
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "workshop.live"
    assert entry["message"] == "workshop 3: next_step"
    assert (entry["workshop"], entry["round"], entry["room"]) == (3, 7, None)
    assert entry["exception"].startswith("Traceback")
    assert entry["exception"].endswith("ValueError: boom")
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
    assert "args" not in entry and "msg" not in entry  # the record's own attributes stay out


def test_a_request_is_logged_as_its_method_and_path_only(rf):
    request = rf.get(
        "/x/?q=1",
        HTTP_COOKIE=f"duels_participant={PARTICIPANT_TOKEN}",
        HTTP_AUTHORIZATION=f"Bearer {BEARER}",
    )
    line = JsonFormatter().format(
        record("django.request", logging.WARNING, "Not Found: %s", "/x/", request=request)
    )
    assert json.loads(line)["request"] == {"method": "GET", "path": "/x/"}
    assert PARTICIPANT_TOKEN not in line and BEARER not in line


@pytest.mark.parametrize("formatter", ["json", "plain"])
def test_no_secret_reaches_a_log_line(formatter, monkeypatch, settings):
    monkeypatch.setenv("OPENROUTER_API_KEY", PROVIDER_KEY)
    monkeypatch.setenv("DATABASE_URL", f"postgres://duels:{DATABASE_PASSWORD}@db:5432/duels")
    settings.SECRET_KEY = STRONG_KEY
    # Built now: it learns the secrets of the environment and the settings when it starts.
    chosen = JsonFormatter() if formatter == "json" else PlainFormatter("%(message)s")

    line = chosen.format(
        record(
            "duels.providers",
            logging.ERROR,
            "failed: %s",
            LEAKY,
            exc_info=raised(RuntimeError(LEAKY)),
            detail=LEAKY,
        )
    )

    assert [secret for secret in SECRETS if secret in line] == []
    assert line.count("***") >= 2 * len(SECRETS)  # in the message and in the traceback
    assert "postgres://duels:***@db:5432/duels" in line  # what is not secret stays readable


def test_the_cookies_it_hides_are_the_ones_the_platform_sets():
    assert participants.COOKIE in SECRET_COOKIES
    assert django_settings.SESSION_COOKIE_NAME in SECRET_COOKIES
    assert django_settings.CSRF_COOKIE_NAME in SECRET_COOKIES


def log_from_a_new_process(**env: str) -> subprocess.CompletedProcess:
    """Start the platform's settings in a process of their own and log one line."""
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('workshop.live').warning("
        "'workshop %s: %s', 5, 'key ' + __import__('os').environ['OPENROUTER_API_KEY'], "
        "extra={'workshop': 5})"
    )
    environment = {k: v for k, v in os.environ.items() if k != "LOG_FORMAT"}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": STRONG_KEY}
    environment |= {"OPENROUTER_API_KEY": PROVIDER_KEY, **env}
    return subprocess.run(  # noqa: S603 - our own settings
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_log_format_json_gives_one_json_object_per_line():
    result = log_from_a_new_process(LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["logger"] == "workshop.live" and entry["level"] == "WARNING"
    assert entry["workshop"] == 5
    assert entry["message"] == "workshop 5: key ***"
    assert PROVIDER_KEY not in result.stderr


def test_the_default_is_plain_lines_for_a_terminal():
    result = log_from_a_new_process()
    assert result.returncode == 0, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.endswith("WARNING workshop.live workshop 5: key ***")
    with pytest.raises(ValueError):
        json.loads(line)


def test_an_unknown_log_format_stops_the_start():
    result = log_from_a_new_process(LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr


# The key events, with their ids -----------------------------------------------------------


def test_a_phase_change_is_logged_with_the_workshop(live_workshop, caplog):
    caplog.set_level(logging.INFO, logger="workshop.live")
    live.transition(live_workshop.pk, "next_step")
    [entry] = [r for r in caplog.records if getattr(r, "command", None) == "next_step"]
    assert entry.workshop == live_workshop.pk and entry.phase == live.SLIDE
    assert entry.getMessage() == f"workshop {live_workshop.pk}: next_step, lobby -> slide"


def test_a_refused_vote_is_logged_with_its_round_and_participant(live_workshop, caplog):
    caplog.set_level(logging.INFO, logger="workshop.live")
    joined = phone(live_workshop.room_a)
    ballot = Ballot(
        round_id=123, choice="a", reasons={}, comment_a="", comment_b="", client_id="v1"
    )
    with pytest.raises(live.Refused):
        live.cast_vote(joined.participant.pk, ballot)  # the workshop is still in the lobby
    [entry] = [r for r in caplog.records if r.getMessage().startswith("vote refused")]
    assert entry.getMessage() == "vote refused: le vote n'est pas ouvert"
    assert (entry.round, entry.participant) == (123, joined.participant.pk)
    assert joined.token not in caplog.text


SECRET = "sk-test-json-worker-secret-24680"


def failed_generation(make, behaviour: str) -> Generation:
    with transaction.atomic():
        generation, _queued = fetching.obtain(make(behaviour), make.prompt)

    def settled():
        generation.refresh_from_db()
        return generation.status in (Generation.Status.DONE, Generation.Status.FAILED)

    wait_for(settled, 40)
    return generation


def test_a_json_worker_logs_a_failed_generation_without_its_key(start_worker, fake_catalogue, fake):
    worker = start_worker(
        LOG_FORMAT="json", PROVIDER_KEY_VARIABLES="FAKE_SECRET_KEY", FAKE_SECRET_KEY=SECRET
    )
    Endpoint.objects.update(api_key_env="FAKE_SECRET_KEY")
    generation = failed_generation(fake_catalogue, "echo-key")  # a 401 that repeats the key
    assert generation.status == Generation.Status.FAILED
    worker.stop()

    log = worker.log.read_text()
    assert SECRET not in log
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    # Celery's own lines too: the worker kept the platform's handlers.
    assert any(e["logger"].startswith("celery") and "ready." in e["message"] for e in entries)
    [failed] = [e for e in entries if e["level"] == "WARNING" and e.get("generation")]
    assert failed["logger"] == "duels.generation"
    assert failed["generation"] == generation.pk and failed["model"] == generation.model_id
    assert failed["attempt"] == 1 and "401" in failed["message"] and "***" in failed["message"]


def test_a_page_refused_in_the_back_office_is_logged_in_one_line(client, member, caplog):
    """A facilitator on the members' list (theirs to see only as an admin): one line, no
    PermissionDenied traceback (the walk of the back office logged 1,910 of them)."""
    client.force_login(member)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/admin/workshop/membership/")
    assert response.status_code == 403
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert len(refused) == 1 and refused[0].exc_info is None
    for formatter in (PlainFormatter("%(levelname)s %(name)s %(message)s"), JsonFormatter()):
        line = formatter.format(refused[0])
        assert "\n" not in line and "Traceback" not in line and "/admin/workshop/" in line


def test_an_invitation_s_link_never_reaches_a_log_line():
    token = "inv-Zq8x7Pf3kL9mN2vB6cR1tY5wE8uI0oA4sD"
    line = PlainFormatter("%(message)s").format(
        record("django.request", logging.WARNING, f"GET /admin/login/?next=/invitation/{token}/")
    )
    assert token not in line and "/invitation/***/" in line
