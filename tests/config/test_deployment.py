"""The production setup (docker-compose.yml, deploy/nginx/, .env.example, Dockerfile):
what it must hold, read from the files, since no Docker engine runs the tests; and the
client's address behind the proxy, through a real daphne started as compose starts it."""

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from config.env import production_secret_key
from config.logging import SECRET_NAME
from tests.servers import free_port
from tests.workers import ROOT, process_env

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP = ["migrate", "web", "worker"]  # the platform's own image
NGINX = (ROOT / "deploy" / "nginx" / "default.conf.template").read_text()
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line and not line.startswith("#")
)
INTERPOLATED = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")


def test_every_part_is_there():
    assert {"db", "redis", "migrate", "web", "worker", "proxy", "llama"} <= set(SERVICES)


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if name != "migrate":
            assert service.get("healthcheck", {}).get("test"), name


def test_web_is_checked_on_healthz_by_the_name_localhost():
    check = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in check and "'Host': 'localhost'" in check
    # ...which production allows: .env.example lists it.
    assert "localhost" in ENV_EXAMPLE["ALLOWED_HOSTS"].split(",")


def test_web_runs_several_daphnes_reached_only_through_the_proxy():
    web = SERVICES["web"]
    assert web["deploy"]["replicas"] >= 2
    assert web["command"][0] == "daphne" and "--proxy-headers" in web["command"]
    # A published port would let anyone choose the X-Forwarded-For that daphne believes.
    assert "ports" not in web and "container_name" not in web
    assert SERVICES["proxy"]["ports"] and SERVICES["proxy"]["depends_on"]["web"] == {
        "condition": "service_healthy"
    }


def test_workers_scale_and_log_json_lines():
    worker = SERVICES["worker"]
    assert worker["command"][:2] == ["celery", "--quiet"]  # no banner among the JSON lines
    assert "container_name" not in worker and "ports" not in worker
    assert "inspect ping" in " ".join(worker["healthcheck"]["test"])


def test_migrations_run_once_before_web_and_workers():
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert "migrate" not in " ".join(SERVICES[name]["command"])


def test_the_platform_logs_json_and_shares_one_database_and_one_redis():
    for name in APP:
        environment = SERVICES[name]["environment"]
        assert environment["LOG_FORMAT"] == "json"
        assert environment["DATABASE_URL"].endswith("@db:5432/duels")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert SERVICES[name]["env_file"] == ".env"


def test_the_local_model_is_optional():
    assert SERVICES["llama"]["profiles"] == ["local-model"]
    assert not any(SERVICES[name].get("profiles") for name in set(SERVICES) - {"llama"})


def environments():
    for name, service in SERVICES.items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        for key, value in environment.items():
            yield name, key, str(value)


def test_no_secret_is_written_in_compose():
    for service, key, value in environments():
        if SECRET_NAME.search(key):
            assert INTERPOLATED.match(value), (service, key, value)  # from .env, never here
    database_url = SERVICES["web"]["environment"]["DATABASE_URL"]
    password = re.match(r"postgres://[^:]+:([^@]+)@", database_url).group(1)
    assert INTERPOLATED.match(password)
    lines = (ROOT / "docker-compose.yml").read_text().splitlines()
    settings = [line for line in lines if not line.strip().startswith("#")]
    assert not [line for line in settings if "SECRET_KEY" in line or "API_KEY" in line]


def test_the_examples_secrets_are_placeholders_that_a_production_start_refuses():
    for key, value in ENV_EXAMPLE.items():
        if SECRET_NAME.search(key):
            assert value == "" or value.startswith("change-me"), key
    with pytest.raises(ImproperlyConfigured):
        production_secret_key(ENV_EXAMPLE["SECRET_KEY"])


def test_secrets_stay_out_of_git_and_out_of_the_image():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_the_exports_volume_is_writable_by_the_image_user():
    # Workers write archives there and web processes serve them: one volume for both.
    for name in ("web", "worker"):
        assert "exports:/app/var/exports" in SERVICES[name]["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /app/var/exports && chown -R duels /app/var" in dockerfile
    assert "USER duels" in dockerfile


# The proxy ----------------------------------------------------------------------------------


def test_the_proxy_passes_websockets_and_the_clients_address_to_every_replica():
    mounted = SERVICES["proxy"]["volumes"][0].split(":")
    assert (ROOT / mounted[0]).resolve() == ROOT / "deploy" / "nginx" / "default.conf.template"
    assert mounted[1] == "/etc/nginx/templates/default.conf.template"
    assert "set $web http://web:8000;" in NGINX and "proxy_pass $web;" in NGINX
    assert "resolver 127.0.0.11 valid=10s" in NGINX  # replicas found again as they change
    assert "proxy_set_header Upgrade $http_upgrade;" in NGINX
    assert "proxy_set_header Connection $connection_upgrade;" in NGINX
    # Replaced, not appended to: daphne believes the first address of the list.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in NGINX
    assert "$proxy_add_x_forwarded_for" not in NGINX


def test_only_the_trusted_proxy_may_name_the_client_and_its_scheme():
    assert "set_real_ip_from ${TRUSTED_PROXIES};" in NGINX
    assert "real_ip_header X-Forwarded-For;" in NGINX
    assert "proxy_set_header X-Forwarded-Proto $forwarded_proto;" in NGINX
    assert re.search(
        r"geo \$realip_remote_addr \$from_trusted_proxy \{[^}]*\$\{TRUSTED_PROXIES\} 1;", NGINX
    )
    assert SERVICES["proxy"]["environment"]["TRUSTED_PROXIES"].startswith("${TRUSTED_PROXIES")
    assert "TRUSTED_PROXIES" in ENV_EXAMPLE


def test_the_proxy_logs_json_without_presenter_links():
    assert "log_format json escape=json" in NGINX
    assert "access_log /var/log/nginx/access.log json;" in NGINX
    assert '"$before***$after"' in NGINX and '"path":"$logged_uri"' in NGINX
    assert '$request_uri"' not in NGINX.split("log_format", 1)[1]


# The client's address, through daphne started with compose's own command ------------------


def web_command(port: int) -> list[str]:
    command = list(SERVICES["web"]["command"])
    command[command.index("--bind") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    return [sys.executable, "-m", "daphne", *command[1:]]


@pytest.mark.django_db(transaction=True)
def test_phones_behind_the_proxy_are_counted_each_by_its_own_address(live_workshop, tmp_path):
    port = free_port()
    env = process_env(
        DEBUG="1",
        JOINS_PER_ADDRESS_PER_MINUTE="1",
        # Join counts live in Redis for a minute, under this prefix: this run's own.
        CHANNEL_LAYER_PREFIX=f"deploy-{uuid.uuid4().hex[:8]}",
    )
    log = (tmp_path / "daphne.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own server, as compose starts it
        web_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/j/{live_workshop.room_b.join_code}/"

    def join(address: str) -> int:
        # What nginx sends: the client's address, alone, as X-Forwarded-For.
        request = urllib.request.Request(url, headers={"X-Forwarded-For": address})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                first = join("198.51.100.1")
                break
            except urllib.error.URLError:
                assert server.poll() is None and time.monotonic() < deadline, "daphne died"
                time.sleep(0.3)
        # All from the proxy's one connection address, yet each phone counts apart:
        assert [first, join("198.51.100.2"), join("198.51.100.3")] == [200, 200, 200]
        # ...and one address's second new phone within the minute is refused.
        assert join("198.51.100.1") == 429
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def test_the_readme_explains_every_variable_of_the_example():
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Production", 1)[1]
    assert [key for key in ENV_EXAMPLE if f"`{key}`" not in production] == []
