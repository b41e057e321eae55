"""ASGI entry point: Django's views over HTTP, Channels' consumers over WebSockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config import collector  # noqa: E402
from workshop.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Each route with the middleware it needs (workshop/routing.py).
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

# Full collections of a process holding a thousand phones stopped its event loop for a
# quarter of a second: they now walk only what is new (config/collector.py).
if settings.GC_FREEZE:
    collector.keep_pauses_short()
