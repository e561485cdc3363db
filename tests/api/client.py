"""A test client that sends an API token, so each API test reads as requests and answers."""

import json

from django.test import Client


class ApiClient:
    """``api.get("/jobs")`` -> the response; ``.json()`` reads its body."""

    def __init__(self, plaintext):
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        self.plaintext = plaintext

    def _send(self, method, path, body=None, **extra):
        data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
        return getattr(self.client, method)(
            "/api/v1" + path, data=data, content_type="application/json", **extra
        )

    def get(self, path, **extra):
        return self.client.get("/api/v1" + path, **extra)

    def post(self, path, body=None, **extra):
        return self._send("post", path, body, **extra)

    def put(self, path, body=None, **extra):
        return self._send("put", path, body, **extra)

    def patch(self, path, body=None, **extra):
        return self._send("patch", path, body, **extra)

    def upload(self, path, file, **extra):
        return self.client.post("/api/v1" + path, data={"file": file}, **extra)
