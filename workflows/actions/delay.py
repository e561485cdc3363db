from datetime import timedelta

from django.utils import timezone
from pydantic import Field

from workflows.actions.base import Action, ActionConfig, Outcome, Suspend
from workflows.actions.registry import register


class DelayConfig(ActionConfig):
    seconds: float = Field(60, ge=0, le=30 * 24 * 3600)


@register
class Wait(Action):
    id = "delay.wait"
    name = "Wait"
    group = "Flow"
    description = "Waits the given number of seconds without holding a worker."
    Config = DelayConfig

    def run(self, context):
        until = context.step_started_at + timedelta(seconds=context.config.seconds)
        if timezone.now() < until:
            raise Suspend(until, f"Waiting until {until:%H:%M:%S} UTC")
        return Outcome.ok(message=f"Waited {context.config.seconds:g} s")
