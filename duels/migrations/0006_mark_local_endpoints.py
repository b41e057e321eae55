"""Mark as local the default local endpoints that still point at loopback.

Only an endpoint marked local may be reached over loopback, and be sent a key over plain
http (duels/endpoint_safety.py). Before this field, llama.cpp and Ollama on the workshop's
machine were endpoints like any other; unmarked, they would stop answering. The flag is a
permission, so it is given narrowly: only to the rows load_defaults created for them (by
slug) whose base URL is still a loopback address. Any other endpoint on loopback is one a
superuser marks by hand. No name is resolved here: "localhost" and loopback literals only.
"""

import ipaddress
from urllib.parse import urlsplit

from django.db import migrations

# duels/defaults.py's local endpoints, as they are when this migration is written.
LOCAL_SLUGS = ["llamacpp-local", "ollama-local"]


def is_loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mark_local_endpoints(apps, schema_editor):
    Endpoint = apps.get_model("duels", "Endpoint")
    local = [e.pk for e in Endpoint.objects.filter(slug__in=LOCAL_SLUGS) if is_loopback(e.base_url)]
    Endpoint.objects.filter(pk__in=local).update(is_local=True)


class Migration(migrations.Migration):
    dependencies = [("duels", "0005_endpoint_is_local_and_key_allow_list")]

    operations = [migrations.RunPython(mark_local_endpoints, migrations.RunPython.noop)]
