"""WebSocket routes of the live pages (the consumers come with the live duel)."""

websocket_urlpatterns: list = []
