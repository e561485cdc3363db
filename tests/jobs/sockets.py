"""The live socket as the browser reaches it: the ASGI app with session authentication,
and the cookie a signed-in member's browser sends."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.conf import settings

from console.routing import websocket_urlpatterns

APP = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


def session_cookie(client, user):
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
