"""``webhook.post``: POST the entry and the job as JSON, signed per Standard Webhooks.

The body is ``{"type": "job.step", "timestamp", "step", "job", "entry", "doc"}``: the
job in the API's shape (SPEC section 5), the entry's fields, and its whole document.
``webhook-id`` is the step's idempotency key, the same on every attempt, so a
receiver can drop a repeat; ``webhook-signature`` is ``v1,<base64 HMAC-SHA256>`` of
``"<id>.<timestamp>.<body>"`` keyed by the workspace secret the config names (a
``whsec_`` secret is base64-decoded first, as the Standard Webhooks libraries do).
"""

import base64
import hashlib
import hmac
import json
import time

from django.core.serializers.json import DjangoJSONEncoder
from pydantic import Field, field_validator

from console import secrets
from console.workspace_settings import allows_private_network
from workflows import outbound
from workflows.actions.base import Action, ActionConfig, Outcome, retry_if_busy, unanswered
from workflows.actions.registry import register

DEFAULT_TIMEOUT_S = 10.0


class WebhookConfig(ActionConfig):
    url: str = Field(description="Where to POST; may be a template: {{ args.callback }}")
    secret: str = Field(
        "",
        description="Name of the workspace secret that signs the request; empty sends it unsigned",
    )
    timeout_s: float = Field(
        DEFAULT_TIMEOUT_S, gt=0, le=25, description="Seconds the receiver has to answer"
    )

    @field_validator("url")
    @classmethod
    def url_is_http(cls, value):
        return outbound.check_url_field(value)


def sign(secret_value, message_id, timestamp, body):
    """The ``webhook-signature`` header value for ``body`` (bytes)."""
    if secret_value.startswith("whsec_"):
        key = base64.b64decode(secret_value.removeprefix("whsec_"))
    else:
        key = secret_value.encode()
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def payload(context, timestamp):
    entry = context.entry
    return {
        "type": "job.step",
        "timestamp": timestamp,
        "step": {
            "id": context.step.id,
            "name": context.step.name,
            "provider": context.step.provider,
        },
        "job": context.job_json(),
        "entry": (
            {
                "id": str(entry.id),
                "key": entry.key,
                "schema": entry.schema,
                "state": entry.state,
                "meta": entry.meta,
                "version": entry.version,
            }
            if entry
            else None
        ),
        "doc": entry.doc if entry else None,
    }


@register
class PostWebhook(Action):
    id = "webhook.post"
    name = "Post webhook"
    group = "Delivery"
    description = (
        "POSTs the entry and the job as JSON to a URL, signed per the Standard Webhooks "
        "scheme with a workspace secret."
    )
    codes = ("400", "401", "403", "404", "409", "410", "422", "blocked_address", "network")
    secret_fields = ("secret",)
    max_attempts = 5
    backoff_s = 5.0
    timeout_s = 30
    Config = WebhookConfig

    def run(self, context):
        config = context.config
        headers = {"Content-Type": "application/json", "webhook-id": context.idempotency_key}
        timestamp = int(time.time())
        body = json.dumps(payload(context, timestamp), cls=DjangoJSONEncoder).encode()
        headers["webhook-timestamp"] = str(timestamp)
        if config.secret:
            try:
                key = secrets.reveal(context.workspace, config.secret)
            except secrets.SecretError as error:
                return Outcome.ko("missing_secret", str(error))
            try:
                headers["webhook-signature"] = sign(key, context.idempotency_key, timestamp, body)
            except ValueError:
                return Outcome.ko(
                    "invalid_secret", f"The secret {config.secret!r} is not valid base64."
                )
        try:
            response = outbound.request(
                "POST",
                config.url,
                allow_private=allows_private_network(context.workspace),
                headers=headers,
                content=body,
                timeout=config.timeout_s,
                max_bytes=1024 * 1024,
            )
        except outbound.OutboundError as error:
            return unanswered(error)
        return outcome_of(response)


def outcome_of(response):
    status = response.status
    where = response.host
    if 200 <= status < 300:
        return Outcome.ok(str(status), f"{where} accepted the webhook ({status}).")
    retry_if_busy(response)
    return Outcome.ko(str(status), f"{where} refused the webhook ({status}).")
