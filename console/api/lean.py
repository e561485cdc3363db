"""The web process's path for API operations: no session, CSRF, messages or workspace
middleware, since every operation authenticates with its bearer token.

Under ASGI, Django runs each classic (``MiddlewareMixin``) middleware around an async
view as one or two trips to the process's single sync thread: the console's nine made
about a dozen trips per API request, queued behind every other request's, before the
view ran. ``console.asgi`` sends ``/api/v1/`` operations (not the docs page, which a
signed-in user opens with the session) to a Django handler built with ``MIDDLEWARE``
below: the security headers only, applied without leaving the event loop.
"""

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.middleware.security import SecurityMiddleware

MIDDLEWARE = ["console.api.lean.SecurityHeaders"]
SESSION_PATHS = ("/api/v1/docs", "/api/v1/openapi.json")


class SecurityHeaders(SecurityMiddleware):
    """Django's SecurityMiddleware (HTTPS redirect, HSTS, nosniff, referrer and opener
    policies); its two hooks only read settings, so they run on the event loop."""

    async def __acall__(self, request):
        response = self.process_request(request)
        response = response or await self.get_response(request)
        return self.process_response(request, response)


class ApiHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        everything = settings.MIDDLEWARE
        settings.MIDDLEWARE = MIDDLEWARE
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = everything


def is_api_operation(path):
    return path.startswith("/api/v1/") and not path.startswith(SESSION_PATHS)
