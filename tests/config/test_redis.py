"""Celery and Channels reach a real Redis in every mode: embedded by default, or REDIS_URL."""

import asyncio

import redis
from channels.layers import get_channel_layer
from django.conf import settings

from config import embedded_redis
from config.celery import app


def test_the_channel_layer_carries_a_message_through_redis():
    async def roundtrip():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("smoke", channel)
        await layer.group_send("smoke", {"type": "hello", "text": "bonjour"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        await layer.group_discard("smoke", channel)
        return message

    assert asyncio.run(roundtrip()) == {"type": "hello", "text": "bonjour"}
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "config.channel_layer.RedisChannelLayer"


def test_celery_uses_the_redis_broker():
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=3)
        assert (
            connection.transport_cls in ("redis", "redis+socket")
            or "redis" in str(connection.transport).lower()
        )


def test_the_embedded_server_is_started_once_and_answers(tmp_path):
    sock = embedded_redis.ensure_running(tmp_path)
    try:
        assert embedded_redis.answers(sock)
        assert embedded_redis.ensure_running(tmp_path) == sock  # a second call reuses it
        client = redis.Redis(unix_socket_path=str(sock))
        assert client.info("server")["redis_version"].startswith(("6.", "7.", "8."))
    finally:
        assert embedded_redis.stop(tmp_path)
    assert not embedded_redis.answers(sock)
