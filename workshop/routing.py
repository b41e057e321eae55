"""WebSocket routes of the live pages."""

from django.urls import path

from workshop import consumers

websocket_urlpatterns = [
    path("ws/salle/<str:code>/", consumers.ParticipantConsumer.as_asgi()),
    path("ws/presentateur/<str:secret>/", consumers.PresenterConsumer.as_asgi()),
    path("ws/animation/<int:pk>/", consumers.FacilitatorConsumer.as_asgi()),
]
