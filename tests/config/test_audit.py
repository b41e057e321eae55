"""The dependency audit (scripts/audit.py): vulnerabilities fail it; a service that cannot
be reached says so loudly without failing; pip-audit's own failures fail it."""

import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

NOT_RUN = "dependency audit NOT RUN: vulnerability service unreachable ("
CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {
    "name": "requests",
    "version": "2.31.0",
    "vulns": [{"id": "GHSA-9wx4-h78v-vm56", "fix_versions": ["2.32.0"], "aliases": []}],
}
# What pip-audit reports when a mirror answers 404 for PyPI's versioned JSON pages.
MISSING = {
    "name": "amqp",
    "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)",
}


def report(*dependencies) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_vulnerability_fails_the_audit_and_is_named():
    code, message = audit.verdict(1, report(CLEAN, VULNERABLE), "")
    assert code == 1
    assert message.startswith("dependency audit FAILED: 1 known vulnerabilities in 1 packages")
    assert "requests 2.31.0: GHSA-9wx4-h78v-vm56 (fixed in 2.32.0)" in message


def test_a_vulnerability_fails_even_beside_packages_that_could_not_be_looked_up():
    assert audit.verdict(1, report(MISSING, VULNERABLE), "")[0] == 1


def test_no_package_looked_up_is_not_run_not_a_pass():
    # pip-audit itself exits 0 here and says "No known vulnerabilities found".
    code, message = audit.verdict(0, report(MISSING, MISSING | {"name": "anyio"}), "")
    assert code == 0
    assert message.startswith(NOT_RUN) and "not found on PyPI" in message


@pytest.mark.parametrize(
    "stderr",
    [
        "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed\n"
        "ERROR:pip_audit._cli:Tip: your network may be blocking this service.",
        "Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
        "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded",
    ],
)
def test_a_service_that_cannot_be_reached_is_not_run(stderr):
    code, message = audit.verdict(1, "", stderr)
    assert code == 0
    assert message.startswith(NOT_RUN) and message.endswith(")")


def test_pip_audit_failing_for_another_reason_fails_the_audit():
    code, message = audit.verdict(2, "", "pip-audit: error: unrecognized arguments: --nope")
    assert code == 2
    assert "FAILED" in message and "unrecognized arguments" in message


def test_a_clean_report_says_how_many_packages_were_looked_up():
    code, message = audit.verdict(0, report(CLEAN, CLEAN | {"name": "celery"}, MISSING), "")
    assert code == 0
    assert message == (
        "dependency audit: no known vulnerabilities in 2 packages; "
        "not found on the service, so not audited: amqp"
    )


# The whole script, with a vulnerability service and a pip-audit of the test's own --------


@pytest.fixture
def service():
    """A stand-in for PyPI's JSON API, answering `service.status`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"info": {"name": "pip"}}).encode()
            self.send_response(server.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if server.status == 200:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/pypi/pip/24.0/json"
    yield server
    server.shutdown()


def fake_pip_audit(tmp_path, monkeypatch, body: str, exit_code: int):
    """pip-audit replaced by a script writing `body` where --output says, then exiting."""
    script = tmp_path / "pip_audit.py"
    script.write_text(
        "import sys\n"
        "out = sys.argv[sys.argv.index('--output') + 1]\n"
        f"open(out, 'w').write({body!r})\n"
        f"sys.exit({exit_code})\n"
    )
    monkeypatch.setattr(audit, "PIP_AUDIT", [sys.executable, str(script)])


def test_the_script_fails_on_a_vulnerability(service, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(audit, "PROBE_URL", service.url)
    fake_pip_audit(tmp_path, monkeypatch, report(CLEAN, VULNERABLE), 1)
    assert audit.main() == 1
    assert "GHSA-9wx4-h78v-vm56" in capsys.readouterr().err


def test_the_script_says_not_run_when_every_lookup_missed(service, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(audit, "PROBE_URL", service.url)
    fake_pip_audit(tmp_path, monkeypatch, report(MISSING), 0)
    assert audit.main() == 0
    assert capsys.readouterr().out.startswith(NOT_RUN)


@pytest.mark.parametrize("status", [404, 503])
def test_the_script_stops_at_the_probe_when_the_service_does_not_answer(
    service, status, tmp_path, monkeypatch, capsys
):
    service.status = status
    monkeypatch.setattr(audit, "PROBE_URL", service.url)
    # Never run: it would fail the audit.
    fake_pip_audit(tmp_path, monkeypatch, "not json", 2)
    assert audit.main() == 0
    assert capsys.readouterr().out == f"{NOT_RUN}{service.url} answered HTTP {status})\n"


def test_the_script_says_not_run_when_nothing_listens(monkeypatch, capsys):
    monkeypatch.setattr(audit, "PROBE_URL", "http://127.0.0.1:9/pypi/pip/24.0/json")
    assert audit.main() == 0
    assert capsys.readouterr().out.startswith(NOT_RUN + "http://127.0.0.1:9/")
