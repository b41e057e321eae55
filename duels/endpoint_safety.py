"""Where a worker may send a request, and which secret it may send with it.

An endpoint is a row of the back office: its base URL decides where the workers connect,
its key variable which value of the workers' environment goes out in the Authorization
header. Left open, whoever may edit an endpoint could read any variable of the workers
(SECRET_KEY, DATABASE_URL: point the URL at a host of theirs and name the variable) or make
the workers call what only they can reach (a cloud's metadata service at 169.254.169.254,
the database, the internal network). So:

- a key variable must be one the deployment lists in PROVIDER_KEY_VARIABLES, and never
  one of the platform's own secrets, even if listed: checked by the model's validation
  (every form refuses it) and again before sending, for rows already in the database;
- a worker connects over http or https only, to public addresses; loopback only for an
  endpoint a superuser marked local, other private addresses only inside the networks
  the deployment allows (PRIVATE_ENDPOINT_NETWORKS);
- a key travels over HTTPS only, except to a loopback endpoint marked local.

Redirects are not followed (providers.py), so a key never goes where these rules did not
look. The rules hold for the addresses the name resolves to when checked; a DNS answer that
changes between this check and the connection (DNS rebinding) is not caught: pinning the
address would mean replacing requests' connection handling, for an attacker who must
already control a name and be allowed to set it on an endpoint (superusers only).
"""

import ipaddress
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from urllib3.util import parse_url
from urllib3.util.url import LocationParseError

# The platform's own secrets (config/settings.py, docker-compose.yml): never a provider's key,
# whatever PROVIDER_KEY_VARIABLES says.
PLATFORM_SECRETS = frozenset(
    {
        "SECRET_KEY",
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "POSTGRES_PASSWORD",
        "PGPASSWORD",
    }
)
SCHEMES = ("http", "https")


class Refused(Exception):
    """The request must not be sent; the message is for a facilitator."""


def allowed_key_variables() -> list[str]:
    return [name for name in settings.PROVIDER_KEY_VARIABLES if name not in PLATFORM_SECRETS]


def key_variable_allowed(name: str) -> bool:
    return name in allowed_key_variables()


def key_variable_refusal(name: str) -> str | None:
    """Why an endpoint may not name this variable for its key, or None if it may."""
    if name in PLATFORM_SECRETS:
        return _(
            "« %(name)s » est un secret de la plateforme : il n'est jamais envoyé à un fournisseur."
        ) % {"name": name}
    if not key_variable_allowed(name):
        return _(
            "« %(name)s » n'est pas une variable de clé autorisée. Variables autorisées "
            "(réglage PROVIDER_KEY_VARIABLES) : %(allowed)s."
        ) % {"name": name, "allowed": ", ".join(allowed_key_variables()) or "-"}
    return None


def validate_key_variable(name: str) -> None:
    """The field validator of Endpoint.api_key_env (empty: no key, nothing to check)."""
    if name and (refusal := key_variable_refusal(name)):
        raise ValidationError(refusal, code="key_variable")


def check_destination(url: str, *, is_local: bool, sends_key: bool) -> None:
    """Raise Refused unless a worker may send this request (with a key if sends_key).

    A name that does not resolve raises OSError (socket.gaierror): a failure to reach the
    provider, which may pass, not a refusal.
    """
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise Refused(_("adresse du point d'accès illisible")) from None
    scheme = (parts.scheme or "").lower()
    if scheme not in SCHEMES or not parts.host:
        raise Refused(_("le point d'accès doit avoir une adresse http:// ou https://"))
    host = parts.host.strip("[]")
    port = parts.port or (443 if scheme == "https" else 80)

    addresses = {
        _address(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    }
    networks = [
        ipaddress.ip_network(network, strict=False)
        for network in settings.PRIVATE_ENDPOINT_NETWORKS
    ]
    for address in addresses:
        if any(address.version == net.version and address in net for net in networks):
            continue
        if address.is_loopback:
            if not is_local:
                raise Refused(
                    _(
                        "adresse de boucle locale refusée : seul un point d'accès marqué "
                        "« serveur local » peut l'utiliser"
                    )
                )
        elif _is_private(address):
            raise Refused(
                _(
                    "adresse privée, de lien local ou réservée refusée (%(address)s) : à "
                    "autoriser par le réglage PRIVATE_ENDPOINT_NETWORKS"
                )
                % {"address": address}
            )

    on_this_machine = is_local and all(address.is_loopback for address in addresses)
    if sends_key and scheme != "https" and not on_this_machine:
        raise Refused(
            _(
                "la clé n'est envoyée qu'en HTTPS (sauf à un serveur local, sur cette "
                "machine) : rien n'a été envoyé"
            )
        )


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%")[0])  # an IPv6 scope ("%eth0") aside
    # ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address.
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or getattr(address, "is_site_local", False)
        or not address.is_global
    )
