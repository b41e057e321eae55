"""`make audit` and CI: pip-audit over the installed environment (the versions pinned in
constraints.txt, which `make install` installs), against PyPI's vulnerability data.

Three outcomes, told apart by what pip-audit reports rather than by its exit code alone:

- known vulnerabilities: each is listed, and the audit fails (exit 1);
- the vulnerability service cannot be reached: one loud line, "dependency audit NOT RUN:
  vulnerability service unreachable (...)", and exit 0, for a machine that reaches only a
  package mirror must not fail for that, nor pass for audited;
- otherwise: no known vulnerabilities, and how many packages were looked up.

Anything else (pip-audit itself failing) fails the audit (exit 2).

Where a mirror stands in for pypi.org, PyPI's JSON API may answer 404 for every release;
pip-audit then reports each package as "not found on PyPI" and exits 0, as if all were
well. Hence a probe of the service first, and a count of the packages really looked up
after.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

# The page pip-audit asks for each package (name and version), of a release that stays on
# PyPI. A project's page (/pypi/pip/json) is not enough: a mirror may serve it, and 404
# the versioned pages, which carry the vulnerabilities.
PROBE_URL = os.environ.get("AUDIT_PROBE_URL", "https://pypi.org/pypi/pip/24.0/json")
PIP_AUDIT = [sys.executable, "-m", "pip_audit"]
# --local: this environment's packages only; --skip-editable: not the project itself.
OPTIONS = ["--local", "--skip-editable", "--progress-spinner", "off", "--format", "json"]
TIMEOUT_SECONDS = 900
NOT_RUN = "dependency audit NOT RUN: vulnerability service unreachable ({})"
# What pip-audit and requests say when the service cannot be reached.
NETWORK_ERROR = re.compile(
    r"Could not connect|network may be blocking|"
    r"ConnectionError|ConnectTimeout|ReadTimeout|Max retries exceeded|"
    r"Failed to establish a new connection|Name or service not known|"
    r"Temporary failure in name resolution|Network is unreachable|Connection refused|"
    r"ProxyError|SSLError|ServiceError"
)


def probe(url: str) -> str | None:
    """None if the vulnerability service answers with package data; else why not."""
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - https, fixed
            if "info" in json.load(response):
                return None
            return f"{url} answered without package data"
    except urllib.error.HTTPError as error:
        return f"{url} answered HTTP {error.code}"
    except urllib.error.URLError as error:
        return f"{url}: {error.reason}"
    except (OSError, ValueError) as error:
        return f"{url}: {error}"


def verdict(returncode: int, report: str, stderr: str) -> tuple[int, str]:
    """The audit's exit code and what it says, from pip-audit's exit code, JSON report and
    error output."""
    try:
        dependencies = json.loads(report)["dependencies"]
    except (ValueError, KeyError, TypeError):
        network = [line.strip() for line in stderr.splitlines() if NETWORK_ERROR.search(line)]
        if network:
            return 0, NOT_RUN.format(network[-1][:200])
        return 2, (
            f"dependency audit FAILED: pip-audit gave no report (exit {returncode})\n"
            + stderr.strip()[-2000:]
        )

    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d.get('version', '?')}: {v['id']}"
            f" (fixed in {', '.join(v.get('fix_versions') or []) or 'no release yet'})"
            for d in vulnerable
            for v in d["vulns"]
        ]
        return 1, (
            f"dependency audit FAILED: {len(lines)} known vulnerabilities "
            f"in {len(vulnerable)} packages\n" + "\n".join(lines)
        )

    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    if not audited:
        why = skipped[0]["skip_reason"] if skipped else "it listed no package"
        return 0, NOT_RUN.format(f"no package could be looked up: {why}, ...")
    if returncode != 0:
        return 2, f"dependency audit FAILED: pip-audit exited {returncode}\n{stderr.strip()}"
    message = f"dependency audit: no known vulnerabilities in {len(audited)} packages"
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        message += f"; not found on the service, so not audited: {names}"
    return 0, message


def main() -> int:
    unreachable = probe(PROBE_URL)
    if unreachable:
        print(NOT_RUN.format(unreachable))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        try:
            result = subprocess.run(  # noqa: S603 - pip-audit, from this environment
                [*PIP_AUDIT, *OPTIONS, "--output", str(output)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            print(NOT_RUN.format(f"no complete answer within {TIMEOUT_SECONDS} s"))
            return 0
        report = output.read_text() if output.exists() else ""
    code, message = verdict(result.returncode, report, result.stderr)
    print(message, file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
