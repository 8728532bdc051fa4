"""Channels consumers: the browser side of live updates."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from runner.events import user_group

# Close codes in the 4000 range are the application's own; 4401 mirrors HTTP 401.
CLOSE_UNAUTHENTICATED = 4401


class NotificationsConsumer(AsyncJsonWebsocketConsumer):
    """Per-user notifications (job finished, endpoint invoked); signed-in users only."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def notify(self, event: dict) -> None:
        """Forward a notification sent through `runner.events.notify_user`."""
        await self.send_json({"type": "notification", **event["payload"]})
