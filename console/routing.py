"""WebSocket routes; each app adds its consumers here."""

from django.urls import path

from jobs.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/live/jobs/<uuid:job_id>/", LiveConsumer.as_asgi()),
    path("ws/live/entries/<uuid:entry_id>/", LiveConsumer.as_asgi()),
]
