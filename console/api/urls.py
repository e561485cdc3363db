"""Included at ``/api/`` without a namespace, because django-ninja reverses its own
``api`` namespace from the root."""

from functools import wraps
from inspect import iscoroutinefunction

from django.http import HttpResponseNotAllowed
from django.urls import path, re_path

from console.api import views
from console.api.errors import error_response
from console.api.openapi import api


def _json_errors(view):
    """django-ninja answers a wrong method with a plain-text 405: make it our JSON."""

    def converted(response):
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return error_response(
                405,
                "method_not_allowed",
                f"Use {allowed} here.",
                headers={"Allow": allowed},
            )
        return response

    if iscoroutinefunction(view):

        @wraps(view)
        async def wrapper(request, *args, **kwargs):
            return converted(await view(request, *args, **kwargs))

    else:

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            return converted(view(request, *args, **kwargs))

    return wrapper


ninja_patterns, ninja_app, ninja_namespace = api.urls
for pattern in ninja_patterns:
    pattern.callback = _json_errors(pattern.callback)

urlpatterns = [
    path("v1/", (ninja_patterns, ninja_app, ninja_namespace)),
    re_path(r"^v1/", views.unknown_endpoint),  # any other path under /api/v1/: JSON 404
    path("", views.tokens, name="api_tokens"),
    path("tokens/", views.create, name="api_create_token"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="api_revoke_token"),
]
