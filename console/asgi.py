import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
# No persistent database connections under ASGI, but a pool (DATABASES in
# console/settings.py).
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
os.environ.setdefault("DATABASE_POOL", "on")
django_asgi_app = get_asgi_application()


def _leave_bodies_to_the_app():
    """Twisted parses form bodies for its own ``request.args``, which Daphne never
    reads, and answers a multipart body it cannot parse with a bare, empty 400 before
    the application sees it. The application parses bodies itself and answers in its
    own shape (the API's ``{code, message, fields}``), so Twisted is told not to."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    WebRequest._parsePOSTFormSubmission = property(lambda request: False, lambda *_: None)


_leave_bodies_to_the_app()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from console.api.lean import ApiHandler, is_api_operation  # noqa: E402
from console.routing import websocket_urlpatterns  # noqa: E402
from workflows.actions import registry  # noqa: E402

# Every action imported now, as the workers do before they fork: otherwise the first
# page that lists or checks them (an editor save) imports weasyprint, ~1.8 s of CPU,
# while a user waits and the process's other requests queue behind it.
registry.all_actions()

api_asgi_app = ApiHandler()


async def http(scope, receive, send):
    """API operations skip the console's session middleware (console/api/lean.py)."""
    app = api_asgi_app if is_api_operation(scope["path"]) else django_asgi_app
    return await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
