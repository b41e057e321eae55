"""`make demo`: the whole platform on one machine, with its embedded defaults.

Migrates, loads the default content and the demo workshop, then starts, side
by side: llama.cpp serving Gemma 3 270M on loopback, a Celery worker, and the
web server (daphne: pages and WebSockets); the embedded Redis is started by
the settings. The demo workshop's answers are prepared in the background; a
duel whose cloud keys are not set is played by the local model on both sides,
and says so. Ctrl-C stops everything but the embedded Redis (`make stop`).
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def manage(*args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    return result.stdout


def free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


def _addresses() -> list[str]:
    """This machine's own IPv4 addresses, other than loopback (asks nothing of the network)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="0.0.0.0 to let phones on the same network join",
    )
    parser.add_argument("--model-port", type=int, default=int(os.environ.get("LLAMA_PORT", 8080)))
    options = parser.parse_args()

    manage("migrate", "--noinput", "-v", "0")
    output = manage("load_defaults", "--demo")
    print(output, end="")

    import django

    django.setup()
    from duels import local_model
    from duels.models import Endpoint
    from workshop.models import Room
    from workshop.preparation import prepare

    children: list[subprocess.Popen] = []

    def start(command: list[str], log: Path | None = None, env=None) -> subprocess.Popen:
        output = open(log, "ab") if log else None  # noqa: SIM115 - lives as long as the child
        child = subprocess.Popen(  # noqa: S603 - the project's own processes
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if log else None
        )
        children.append(child)
        return child

    def stop_all(*_):
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(0)))
    # Ctrl-C stops everything, even when a shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logs = Path(os.environ.get("VAR_DIR") or ROOT / "var") / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    try:
        # The local model, where the catalogue's local endpoint says it is.
        model_port = free_port(options.model_port)
        base_url = f"http://127.0.0.1:{model_port}/v1"
        local = Endpoint.objects.get(slug="llamacpp-local")
        if local.base_url != base_url:
            print(f"Le point d'accès local passe à {base_url} (port {options.model_port} pris).")
        # The demo runs the server itself, on loopback: only an endpoint marked local may be
        # reached there (duels/endpoint_safety.py).
        if local.base_url != base_url or not local.is_local:
            local.base_url = base_url
            local.is_local = True
            local.save(update_fields=["base_url", "is_local"])
        print("Démarrage du modèle local (Gemma 3 270M, llama.cpp)...", flush=True)
        server = start(
            local_model.server_command(model_port), logs / "llama.log", local_model.server_env()
        )
        local_model.wait_until_ready(base_url, process=server)

        start(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            logs / "worker.log",
        )

        keyed = [e for e in Endpoint.objects.all() if e.requires_key and e.key_is_set]
        if not keyed:
            print(
                "Aucune clé de fournisseur (OPENROUTER_API_KEY, MISTRAL_API_KEY...) : "
                "démo hors-ligne, chaque duel est joué par un seul modèle local, des deux côtés."
            )
        code = re.search(r"^join code: (\w+)$", output, re.MULTILINE)
        room = Room.objects.select_related("workshop").get(join_code=code.group(1))
        result = prepare(room.workshop, offline_fallback=True)
        print(
            f"Préparation en arrière-plan : {result.queued} réponses en file, "
            f"{result.reused} déjà prêtes ou en cours."
        )

        base = f"http://127.0.0.1:{options.port}/"
        web_env = None
        if options.host != "127.0.0.1":
            # Phones on the same network: the server answers to this machine's addresses.
            web_env = os.environ | {"ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", "*")}
            lan = _addresses()
            if lan:
                base = f"http://{lan[0]}:{options.port}/"
        print()
        print("Les duels de l'IA tourne. Ouvrez :")
        print(f"  accueil            {base}")
        print(f"  back-office        {base}admin/   (identifiants ci-dessus)")
        print(f"  animation          {base}ateliers/{room.workshop.pk}/animation/")
        print(f"  écran de la salle  {base}presentateur/{room.presenter_secret}/")
        print(f"  préparation        {base}ateliers/{room.workshop.pk}/preparation/")
        print(f"  impacts            {base}impact-des-modeles/")
        print(f"  code de la salle   {room.join_code}  (téléphones : {base}j/{room.join_code}/)")
        if options.host == "127.0.0.1":
            print("Pour des téléphones sur le même réseau : make demo HOST=0.0.0.0")
        elif base.startswith("http://127.0.0.1"):
            print("Sur les téléphones, remplacez 127.0.0.1 par l'adresse de cette machine.")
        print("Ctrl-C pour tout arrêter ; `make stop` arrête aussi le Redis embarqué.")
        print(f"Journaux : {logs}", flush=True)

        web = start(
            # daphne itself (runserver cannot drop its "Server: daphne" header).
            [
                sys.executable,
                "-m",
                "daphne",
                "--no-server-name",
                "-b",
                options.host,
                "-p",
                str(options.port),
                "config.asgi:application",
            ],
            env=web_env,
        )
        web.wait()
    except KeyboardInterrupt:
        print("\nArrêt...")
    finally:
        stop_all()


if __name__ == "__main__":
    main()
