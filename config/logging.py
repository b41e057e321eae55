"""Log lines: plain text for a person at a terminal (LOG_FORMAT=plain, the default), or one
JSON object per line for a log collector (LOG_FORMAT=json, production).

Both pass through a `Redactor`: the secret key, the keys, tokens and passwords found in
the environment, bearer tokens, passwords in URLs, presenter links and the cookies that
stand for a participant or a session never reach a log, whatever a message or an
exception happens to contain.
"""

import json
import logging
import os
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

# Attributes that every log record has; any other was passed in `extra=` and is a field.
_RECORD_ATTRIBUTES = {*vars(logging.makeLogRecord({})), "message", "asctime"}
# Environment variables whose values are secrets: SECRET_KEY, OPENROUTER_API_KEY, ...
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD", re.IGNORECASE)
# Shorter values are not hidden: they would blot out ordinary words (a password "duels"
# would hide the name of half the loggers). Production secrets are long.
MIN_SECRET_LENGTH = 8
# The participant's cookie (workshop/participants.py), Django's session and CSRF cookies.
SECRET_COOKIES = ("duels_participant", "sessionid", "csrftoken")
HIDDEN = "***"

_PATTERNS = [
    # Authorization headers' credentials, as HTTP spells them.
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {HIDDEN}"),
    (re.compile(rf"\b({'|'.join(SECRET_COOKIES)})=[^;\s\"',]+"), rf"\1={HIDDEN}"),
    # scheme://user:password@host
    (re.compile(r"(://[^:/@\s]*:)[^@/\s]+@"), rf"\1{HIDDEN}@"),
    # A presenter screen's link is its only credential (/presentateur/<secret>/), and an
    # invitation's link is the invitee's (/invitation/<token>/).
    (re.compile(r"(/presentateur/|/invitation/)[^/\s\"'?&]+"), rf"\1{HIDDEN}"),
]


def secret_values() -> list[str]:
    """The secrets this process knows, longest first (a key may contain a shorter one)."""
    from django.conf import settings

    values = {getattr(settings, "SECRET_KEY", "")}
    for name, value in os.environ.items():
        if SECRET_NAME.search(name):
            values.add(value)
        elif value.count("://") == 1 and "@" in value:
            values.add(urlsplit(value).password or "")  # DATABASE_URL, REDIS_URL
    return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


class Redactor:
    def __init__(self, secrets: list[str] | None = None):
        self.secrets = secret_values() if secrets is None else secrets

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class ForbiddenInOneLine(logging.Filter):
    """A 403 is an answer the platform meant to give (a member outside their role), not a
    fault: Django logs it with the PermissionDenied's traceback, which buries real errors.
    Set on the `django.request` logger, so every handler, tests' included, gets one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class PlainFormatter(logging.Formatter):
    """Python's usual line, with secrets hidden."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.redact = Redactor()

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the fields given in
    `extra=` (workshop, room, round, generation, ...), and the exception's text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.redact = Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and key not in entry:
                entry[key] = self._field(value)
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = self.redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)

    def _field(self, value):
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.redact(value)
        if hasattr(value, "method") and hasattr(value, "path") and hasattr(value, "COOKIES"):
            # Django's request (django.request passes it): never its headers or cookies.
            return {"method": value.method, "path": self.redact(value.path)}
        return self.redact(str(value))
