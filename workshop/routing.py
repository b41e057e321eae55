"""WebSocket routes of the live pages.

Only the facilitator's panel is a logged-in user's: it alone goes through the session and
authentication middleware. A phone is known by its own cookie (participants.COOKIE), a
projector by its secret link; the session middleware would otherwise look at the session
of every message sent to a thousand phones (bench/RESULTS.md, tenth series)."""

from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import path

from workshop import consumers

websocket_urlpatterns = [
    path("ws/salle/<str:code>/", CookieMiddleware(consumers.ParticipantConsumer.as_asgi())),
    path("ws/presentateur/<str:secret>/", consumers.PresenterConsumer.as_asgi()),
    path("ws/animation/<int:pk>/", AuthMiddlewareStack(consumers.FacilitatorConsumer.as_asgi())),
]
