"""Included at ``/api/`` without a namespace, because django-ninja reverses its own
``api-v1`` namespace from the root."""

from django.urls import path, re_path

from console.api import views
from console.api.openapi import api

urlpatterns = [
    path("v1/", api.urls),
    re_path(r"^v1/", views.unknown_endpoint),  # any other path under /api/v1/: JSON 404
    path("", views.tokens, name="api_tokens"),
    path("tokens/", views.create, name="api_create_token"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="api_revoke_token"),
]
