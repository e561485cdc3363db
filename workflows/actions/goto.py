from pydantic import Field

from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register


class GotoConfig(ActionConfig):
    step_id: str = Field(min_length=1)


@register
class Goto(Action):
    """Continue at another step (SPEC S12). The engine moves the position; this only
    records the jump, so it shows in the job's timeline."""

    id = "flow.goto"
    name = "Go to step"
    group = "Flow"
    description = "Continues at another step (converted from the older flat jumps)."
    Config = GotoConfig

    def run(self, context):
        return Outcome.ok(message=f"Go to {context.config.step_id}")
