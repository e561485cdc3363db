from typing import Literal

from pydantic import Field

from workflows.actions.base import Action, ActionConfig, Outcome, TryLater
from workflows.actions.registry import register


class SimulateConfig(ActionConfig):
    status: Literal["OK", "KO"]
    code: str = ""
    message: str = ""
    transient_failures: int = Field(0, ge=0, le=100, description="Transient failures first")


@register
class SimulateOutcome(Action):
    id = "simulate.outcome"
    name = "Simulate outcome"
    group = "Testing"
    description = (
        "Ends with the configured outcome, optionally after some transient failures: "
        "for trying branches and error handling."
    )
    Config = SimulateConfig
    codes = ("simulated",)

    def run(self, context):
        config = context.config
        if context.attempt <= config.transient_failures:
            raise TryLater("simulated", f"Simulated transient failure {context.attempt}")
        return Outcome(config.status, config.code, config.message)
