"""The HTTP API (``/api/v1/``): django-ninja routers over the same services the
console uses, authenticated by per-workspace bearer tokens. See docs/api.md."""
