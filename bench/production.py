"""The production setup on one machine, for the benchmarks and the fault drills.

    .venv/bin/python bench/production.py [--web 2] [--workers 1] [--port 8001]

Starts, against the PostgreSQL and Redis servers this machine runs: the migrations and
collectstatic once, then `--web` daphne processes (ports 8001, 8002, ...) and `--workers`
Celery workers, with DEBUG=0 as in production. It prints one line per process and the
base URLs, then waits; Ctrl-C stops them all.

The environment is shared with bench/room_load.py through `production_env()`: both read
DATABASE_URL, REDIS_URL and SECRET_KEY from the environment, with the defaults below (a
database and a Redis number of the bench's own, and a key kept in var/bench/).

Behind a real deployment a load balancer spreads phones over the daphne processes; here
the harness does it (each phone takes the next base URL), and plain HTTP on loopback stands
for the TLS a proxy would end (SECURE_SSL_REDIRECT=0).
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/duels_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    # Every simulated phone comes from loopback: the per-address join limit must allow them.
    "JOINS_PER_ADDRESS_PER_MINUTE": "100000",
    "CHANNEL_LAYER_PREFIX": "bench",
    "LOG_LEVEL": "WARNING",
    # As in production (.env.example): pooled connections, not one opened per message.
    "DATABASE_POOL_SIZE": "20",
    "ASGI_THREADS": "20",
}


def secret_key() -> str:
    path = BENCH_VAR / "secret_key"
    if not path.exists():
        BENCH_VAR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def production_env() -> dict[str, str]:
    """This process's environment, completed with the bench's production defaults."""
    env = DEFAULTS | {"SECRET_KEY": secret_key()} | dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def create_database(url: str) -> None:
    """Create the bench's PostgreSQL database when it does not exist yet."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", type=int, default=2, help="daphne processes")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers")
    parser.add_argument("--port", type=int, default=8001, help="the first daphne's port")
    args = parser.parse_args()

    env = production_env()
    if env["DATABASE_URL"].startswith("postgres"):
        create_database(env["DATABASE_URL"])
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["load_defaults"]):
        subprocess.run(  # noqa: S603 - our own manage.py
            [*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )

    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen] = []

    def start(command: list[str], log_name: str) -> subprocess.Popen:
        log = open(BENCH_VAR / log_name, "ab")  # noqa: SIM115 - lives as long as this
        process = subprocess.Popen(  # noqa: S603 - our own server and worker
            [sys.executable, "-m", *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    urls = []
    for port in range(args.port, args.port + args.web):
        daphne = [
            "daphne",
            "--no-server-name",
            *("-b", "127.0.0.1", "-p", str(port)),
            "config.asgi:application",
        ]
        process = start(daphne, f"daphne-{port}.log")
        urls.append(f"http://127.0.0.1:{port}")
        print(f"daphne pid {process.pid} on {urls[-1]}", flush=True)
    for index in range(args.workers):
        worker = ["celery", "--app", "config", "worker", "--concurrency", "2"]
        worker += ["--loglevel", "WARNING", "--hostname", f"bench{index}@%h"]
        process = start(worker, f"worker-{index}.log")
        print(f"celery worker pid {process.pid}", flush=True)
    print("base URLs: " + " ".join(f"--base-url {url}" for url in urls), flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for process in processes:
            if process.poll() is not None:
                print(f"process {process.pid} ended with {process.returncode}", flush=True)
                processes.remove(process)
        time.sleep(0.5)
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
