"""No response names the software that serves it (`Server: daphne` told an attacker which
server's flaws to try): daphne starts with --no-server-name wherever it starts, and nginx
hides its version."""

import asyncio
import re
import urllib.request

import pytest
import yaml

from tests.servers import WebServer
from tests.workers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_web_server_sends_no_server_header_naming_it(tmp_path, room):
    server = WebServer(tmp_path / "daphne.log").start()  # as the e2e tests start it
    try:
        with urllib.request.urlopen(f"{server.url}/", timeout=10) as response:  # noqa: S310
            assert response.status == 200
            assert response.headers.get("Server") is None
        # The WebSockets' handshake too (a presenter screen, which is let in).
        head = websocket_handshake(server.port, f"/ws/presentateur/{room.presenter_secret}/")
        assert "server:" not in head.lower() and "daphne" not in head.lower()
    finally:
        server.stop()


def websocket_handshake(port: int, path: str) -> str:
    """The headers of a WebSocket upgrade's answer, whatever the socket then decides."""

    async def handshake() -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n".encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
        return head.decode("latin-1")

    head = asyncio.run(handshake())
    assert head.startswith("HTTP/1.1 101"), head
    return head


def test_every_start_of_daphne_drops_the_header():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "--no-server-name" in compose["services"]["web"]["command"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r'^CMD \["daphne", "--no-server-name"', dockerfile, re.MULTILINE)
    for script in ("scripts/demo.py", "bench/production.py", "tests/servers.py"):
        text = (ROOT / script).read_text()
        assert '"daphne"' in text and '"--no-server-name"' in text, script
    nginx = (ROOT / "deploy/nginx/default.conf.template").read_text()
    assert re.search(r"^\s*server_tokens off;", nginx, re.MULTILINE)
