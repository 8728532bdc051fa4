"""Websocket routes of the runner."""

from __future__ import annotations

from django.urls import path

from runner.consumers import NotificationsConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationsConsumer.as_asgi()),
]
