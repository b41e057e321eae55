"""Tiny helpers that read settings from the environment, with local defaults."""

import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# A production key must be long and varied; Django's own check asks for the same.
_MIN_KEY_LENGTH = 50
_MIN_KEY_UNIQUE_CHARACTERS = 5


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no; got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envnetworks(name: str) -> list[str]:
    """Comma-separated networks in CIDR notation (10.0.0.0/8, fd00::/8); a typo stops the start."""
    networks = envlist(name, [])
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list networks such as 172.18.0.0/16; got {network!r}"
            ) from None
    return networks


def production_secret_key(value: str | None) -> str:
    """Return the key if it is fit for production, or refuse to start."""
    if not value:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    if (
        value.startswith("django-insecure")
        or len(value) < _MIN_KEY_LENGTH
        or len(set(value)) < _MIN_KEY_UNIQUE_CHARACTERS
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for DEBUG=0: use at least 50 random characters, "
            "for example from `python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
        )
    return value


def var_dir() -> Path:
    """Where local state lives: the SQLite file, the embedded Redis, demo credentials."""
    return Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")
