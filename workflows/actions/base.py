"""The contract every action fulfils, built-in or from an installed package.

An action is a small class: it declares what it is (id, name, group, the schemas it
works on, its config as a pydantic model, the codes it may return) and does its work
in ``run(context) -> Outcome``. A failure worth trying again later is raised as
``TryLater``; the engine owns retries, backoff and recording, never the action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from workflows import outbound


class ActionConfig(BaseModel):
    """Base of every action's config: unknown keys are an error, as in the JSON."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class Outcome:
    status: str  # "OK" or "KO"
    code: str = ""
    message: str = ""
    changes: dict = field(default_factory=dict)

    @classmethod
    def ok(cls, code: str = "", message: str = "", **changes: Any) -> Outcome:
        return cls("OK", code, message, changes)

    @classmethod
    def ko(cls, code: str = "", message: str = "", **changes: Any) -> Outcome:
        return cls("KO", code, message, changes)


class TryLater(Exception):
    """A transient failure (network, timeout, 429/5xx, SMTP 4xx): not an outcome.

    The engine retries the step with backoff, no sooner than ``retry_after`` seconds.
    """

    def __init__(self, code: str = "", message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message or code)
        self.code = str(code)
        self.message = message
        self.retry_after = retry_after


class Suspend(Exception):  # noqa: N818 - it is a request to the engine, not an error
    """Park the job until ``until`` without holding a worker (``delay.wait``)."""

    def __init__(self, until: datetime, message: str = "") -> None:
        super().__init__(message)
        self.until = until
        self.message = message


@dataclass
class Context:
    """What an action sees of the run. ``config`` is already templated and parsed."""

    workspace: Any
    job: Any
    step: Any
    config: Any
    entry: Any  # silo Entry or None
    args: dict
    attempt: int  # 1 for the first attempt
    idempotency_key: str  # "<job id>:<step id>", stable across attempts
    step_started_at: datetime  # when the first attempt of this step began
    fault: dict | None = None
    data: dict = field(default_factory=dict)  # what templates see: doc, entry, args, job
    # The job as the API shows it, built on demand by the engine (a webhook's payload):
    # actions get it here instead of importing the jobs app.
    job_json: Callable[[], dict] = dict

    def use_entry(self, entry: Any) -> None:
        """Make ``entry`` the job's entry (e.g. an import creating its document); the
        engine records it with the step's outcome, under the job's lease."""
        self.entry = entry
        self.job.entry = entry


class Action:
    id: ClassVar[str]
    name: ClassVar[str]
    group: ClassVar[str] = "Other"
    description: ClassVar[str] = ""
    schemas: ClassVar[tuple[str, ...]] = ("*",)  # "*" = every schema
    codes: ClassVar[tuple[str, ...]] = ()
    # What a code means, where the code alone does not say (an agency's numeric codes):
    # the condition popover and the catalogue show it beside the code.
    code_descriptions: ClassVar[dict[str, str]] = {}
    needs_entry: ClassVar[bool] = False
    max_attempts: ClassVar[int] = 5
    backoff_s: ClassVar[float] = 2.0
    timeout_s: ClassVar[float] = 30  # the longest one attempt may take; the lease covers it
    Config: ClassVar[type[ActionConfig]] = ActionConfig

    def supports(self, schema: str) -> bool:
        return "*" in self.schemas or schema in self.schemas

    def config_schema(self) -> dict[str, Any]:
        return self.Config.model_json_schema()

    def run(self, context: Context) -> Outcome:
        raise NotImplementedError


def unanswered(error: outbound.OutboundError) -> Outcome:
    """The one mapping of a call that got no answer: a transient failure (timeout,
    connection refused, DNS) is raised as ``TryLater``; any other (a refused address,
    a body too large) is the step's ``KO`` with the failure's code."""
    if error.transient:
        raise TryLater(error.code, error.message) from None
    return Outcome.ko(error.code, error.message)


def retry_if_busy(response: outbound.Response, who: str = "") -> None:
    """A 429 or 5xx answer is worth trying again, no sooner than its Retry-After."""
    if response.status == 429 or response.status >= 500:
        raise TryLater(
            str(response.status),
            f"{who or response.host} answered {response.status}.",
            response.retry_after,
        )
