"""`make demo`: migrate, load the default content, then serve the platform on loopback.

Runs with the embedded defaults (SQLite and a Redis started by the project) unless
DATABASE_URL or REDIS_URL say otherwise. Ctrl-C stops the server; `make stop` stops
the embedded Redis.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    port = parser.parse_args().port

    manage("migrate", "--noinput", "-v", "0")
    output = manage("load_defaults", "--demo", capture=True)
    print(output, end="")

    base = f"http://127.0.0.1:{port}/"
    code = re.search(r"^join code: (\w+)$", output, re.MULTILINE)
    print()
    print("Les duels de l'IA tourne. Ouvrez :")
    print(f"  accueil          {base}")
    print(f"  back-office      {base}admin/   (identifiants ci-dessus)")
    if code:
        print(f"  code de la salle {code.group(1)}")
    print("Ctrl-C pour arrêter ; `make stop` arrête aussi le Redis embarqué.")
    print(flush=True)

    os.chdir(ROOT)
    os.execv(  # noqa: S606 - replace this process with the server, so Ctrl-C reaches it
        sys.executable, [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    )


if __name__ == "__main__":
    main()
