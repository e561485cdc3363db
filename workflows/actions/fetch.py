"""``entry.fetch``: fetch a document from a URL and make it the job's entry.

For jobs started with args only (an import): the URL is a template over ``args``, the
document is stored by ``key`` (default: the URL), so a repeated import, or a retried
step, finds the entry it stored before instead of making a second one. An entry with
that key already in the workspace is used as it is, without fetching again.
"""

import hashlib

from django.conf import settings
from pydantic import Field, field_validator

from console import secrets
from console.models import Membership
from console.workspace_settings import allows_private_network
from silo import documents
from silo.models import Entry
from silo.services import create_entry, parse_document
from workflows import outbound
from workflows.actions.base import Action, ActionConfig, Outcome, retry_if_busy, unanswered
from workflows.actions.registry import register

KEY_LENGTH = 200  # Entry.key


class FetchConfig(ActionConfig):
    url: str = Field(description="Where the document is; may be a template: {{ args.url }}")
    key: str = Field("", description="The entry's key; empty: the URL")
    secret: str = Field(
        "", description="Name of a workspace secret sent as 'Authorization: Bearer ...'"
    )
    timeout_s: float = Field(10.0, gt=0, le=25, description="Seconds the server has to answer")

    @field_validator("url")
    @classmethod
    def url_is_http(cls, value):
        return outbound.check_url_field(value)


def saved_by_an_owner(context):
    """Any member may save workflows, and this action sends its secret in clear to a
    URL the workflow names: only a version an owner saved may do that."""
    author = context.job.version.created_by_id
    return (
        author is not None
        and Membership.objects.filter(
            workspace=context.workspace, user_id=author, role=Membership.Role.OWNER
        ).exists()
    )


def entry_key(config):
    key = (config.key or config.url).strip()
    if len(key) > KEY_LENGTH:
        key = "url-sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


@register
class FetchEntry(Action):
    id = "entry.fetch"
    name = "Fetch document"
    group = "Documents"
    description = (
        "Fetches a document from a URL (templated from the job's args) and stores it as "
        "the job's entry, by key, so an import workflow creates its own entry."
    )
    codes = (
        "created",
        "existing",
        "404",
        "invalid_document",
        "has_entry",
        "blocked_address",
        "secret_not_allowed",
    )
    secret_fields = ("secret",)
    max_attempts = 5
    backoff_s = 5.0
    timeout_s = 30
    Config = FetchConfig

    def run(self, context):
        config = context.config
        key = entry_key(config)
        if not key:
            return Outcome.ko("invalid_url", "The URL is empty.")
        if context.entry is not None:
            if context.entry.key == key:  # this step stored it before (a resumed job)
                return Outcome.ok("existing", f"The job's entry is {key}.")
            return Outcome.ko(
                "has_entry", "This job already has an entry; entry.fetch starts from args."
            )
        expected = context.job.workflow.schema
        existing = Entry.objects.in_workspace(context.workspace).filter(key=key).first()
        if existing is not None:
            if existing.schema != expected:
                return wrong_schema(f"The entry {key}", existing.schema, expected)
            return self.adopt(context, existing, "existing", f"Found the entry {key}.")
        response = self.fetch(context, config)
        if isinstance(response, Outcome):
            return response
        try:
            doc, schema = parse_document(response.body)
        except documents.DocumentError as error:
            return Outcome.ko("invalid_document", f"{response.host} sent no document: {error}")
        if schema != expected:
            return wrong_schema(response.host, schema, expected)
        entry, created = create_entry(
            context.workspace,
            doc,
            key=key,
            source=f"entry.fetch from {response.host}",
            job_id=context.job.id,
        )
        code = "created" if created else "existing"
        return self.adopt(context, entry, code, f"Stored {key} from {response.host}.")

    def fetch(self, context, config):
        headers = {"Accept": "application/json"}
        if config.secret:
            if not saved_by_an_owner(context):
                return Outcome.ko(
                    "secret_not_allowed",
                    "A secret is sent to the URL as it is, so only a version saved by an "
                    "owner of the workspace may send one; ask an owner to save this workflow.",
                )
            try:
                token = secrets.reveal(context.workspace, config.secret)
            except secrets.SecretError as error:
                return Outcome.ko("missing_secret", str(error))
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = outbound.request(
                "GET",
                config.url,
                allow_private=allows_private_network(context.workspace),
                headers=headers,
                timeout=config.timeout_s,
                max_bytes=settings.SILO_MAX_UPLOAD_BYTES,
            )
        except outbound.OutboundError as error:
            return unanswered(error)
        retry_if_busy(response)
        status = response.status
        if not 200 <= status < 300:
            return Outcome.ko(str(status), f"{response.host} answered {status}.")
        return response

    def adopt(self, context, entry, code, message):
        context.use_entry(entry)
        return Outcome.ok(code, message)


def wrong_schema(what, schema, expected):
    return Outcome.ko(
        "invalid_document", f"{what} is a {schema} document; this workflow is for {expected}."
    )
