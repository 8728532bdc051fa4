"""The only module that talks to the channel layer: live events for browsers."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id: int) -> str:
    """The channel-layer group of one user's notification sockets."""
    return f"user.{user_id}"


def notify_user(user_id: int, payload: dict) -> None:
    """Send a notification to every open notifications socket of a user."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(user_group(user_id), {"type": "notify", "payload": payload})
