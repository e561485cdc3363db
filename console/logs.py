"""Structured logs: one JSON object per line, carrying the job and step it was written
for, so one job's story can be pulled out of many workers' logs by its id.

The engine opens a ``scope(job_id=..., step_id=...)`` around a job's work; every line
logged inside it, by the engine or by an action, carries those fields.
``CONSOLE_LOG_FORMAT=text`` gives the same fields in a line for people (docs/deploy.md).
"""

import contextlib
import contextvars
import json
import logging
import time

_scope = contextvars.ContextVar("log_scope", default=None)


@contextlib.contextmanager
def scope(**fields):
    """Add ``fields`` to every line logged in this block (nested scopes add up)."""
    here = {**(_scope.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _scope.set(here)
    try:
        yield
    finally:
        _scope.reset(token)


class ScopeFilter(logging.Filter):
    def filter(self, record):
        record.scope = _scope.get() or {}
        return True


class JsonFormatter(logging.Formatter):
    converter = time.gmtime

    def format(self, record):
        line = {
            "time": f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "scope", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    converter = time.gmtime

    def format(self, record):
        text = super().format(record)
        fields = getattr(record, "scope", {})
        if fields:
            text += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        return text
