"""Websocket routes of the runner."""

from __future__ import annotations

from django.urls import path

from runner.consumers import JobEventsConsumer, NotificationsConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationsConsumer.as_asgi()),
    path("ws/jobs/<slug:name>/", JobEventsConsumer.as_asgi()),
]
