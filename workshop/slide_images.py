"""Where a slide's image may come from: the platform's own files, or hosts the deployment
names (SLIDE_IMAGE_HOSTS).

An image on the projector and on every phone is fetched by each of them: the host that
serves it sees the participants' addresses. So an address of any other host is refused
when a step is saved, and one already in the database is not sent to the screens.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The platform's own files (uploads are not served yet). "//host/..." is another host.
OWN_PREFIXES = ("/static/",)
# Anything that could end an attribute, a CSS url() or the address itself.
_FORBIDDEN_CHARACTERS = set(" \t\r\n\"'<>\\`()")


def hosts() -> list[str]:
    return [host.lower() for host in settings.SLIDE_IMAGE_HOSTS]


def allowed(url: str) -> bool:
    """Is this image address the platform's own, or on a host the deployment allows?"""
    if not url or _FORBIDDEN_CHARACTERS & set(url):
        return False
    if url.startswith(OWN_PREFIXES):
        return True
    parts = urlsplit(url)
    # The netloc as written (no user:password@, which would hide the real host).
    return parts.scheme == "https" and "@" not in parts.netloc and parts.netloc.lower() in hosts()


def validate(url: str) -> None:
    """The model field's validator: every form and import refuses another host."""
    if allowed(url):
        return
    named = ", ".join(hosts())
    if named:
        message = _(
            "Une image de la plateforme (/static/…) ou d'un de ces hôtes, "
            "en https : %(hosts)s. Une image d'un autre site verrait l'adresse de chaque "
            "participant."
        ) % {"hosts": named}
    else:
        message = _(
            "Une image de la plateforme (/static/…). Une image d'un autre site "
            "verrait l'adresse de chaque participant ; l'hébergeur peut autoriser des "
            "hôtes (SLIDE_IMAGE_HOSTS)."
        )
    raise ValidationError(message, code="image_host")
