"""What the editor's canvas draws: a card for each step and each of its blocks.

View-models for the templates (``workflows/_step.html``, ``_block.html``): plain data
with the few properties a template needs, built from a draft's JSON and its issues.
"""

import json
from dataclasses import dataclass, field

from workflows.actions import registry
from workflows.definition import GOTO

# Debian's Chromium has no emoji font, so an action's icon is its group's initial on
# the group's colour: readable everywhere, and a new group needs no artwork.
GROUP_COLOURS = ("#444ce7", "#c11574", "#067647", "#b54708", "#5925dc", "#0e7090", "#b42318")
SUMMARY_LENGTH = 80


@dataclass
class StepCard:
    address: str
    step: dict
    action: object
    icon: str
    summary: str
    issues: list
    first: bool
    last: bool
    jump_target: str = ""  # a deprecated jump: the action of the step it continues at
    jump_target_name: str = ""  # ... and that step's own name, when it says more
    jumped_to: bool = False  # a deprecated jump continues at this step
    blocks: list = field(default_factory=list)

    @property
    def slot(self):
        return "popover-" + self.address.replace(".", "-")

    @property
    def vals(self):
        return json.dumps({"address": self.address, "step_id": self.step.get("id", "")})

    @property
    def title(self):
        if self.jump_target:
            return f"⚠ Go to {self.jump_target}"
        return self.step.get("name") or self.step.get("provider", "")

    @property
    def provider_name(self):
        """The action's name, when the step's own name does not already say it."""
        if self.jump_target:
            return ""  # the title says "Go to <action>"; the target step's name is beside
        name = self.action.name if self.action else self.step.get("provider", "")
        return "" if name == self.step.get("name") else name

    @property
    def classes(self):
        classes = "step-card"
        if self.issues:
            classes += " invalid"
        if self.jump_target:
            classes += " legacy"
        return classes

    @property
    def issue_text(self):
        return "; ".join(f"{i.path}: {i.message}" if i.path else i.message for i in self.issues)

    @property
    def has_jumps(self):
        return any(card.jump_target for block in self.blocks for card in block.cards)


@dataclass
class BlockCard:
    address: str
    block: dict
    cards: list
    owner_id: str

    @property
    def vals(self):
        return json.dumps({"address": self.address, "step_id": self.owner_id})

    @property
    def list_address(self):
        return f"{self.address}.steps"

    @property
    def kind(self):
        return "Exception" if self.block.get("status") == "KO" else "Condition"


def step_cards(steps, list_address, issues, names):
    """A StepCard for each step of the list at ``list_address``, with its blocks' cards."""
    made = []
    for index, step in enumerate(steps or []):
        address = f"{list_address}.{index}"
        action = registry.get(step.get("provider", ""))
        card = StepCard(
            address=address,
            step=step,
            action=action,
            icon=icon(action.group if action else ""),
            summary=_summary(step.get("config")) or "No settings",
            issues=issues.get(address, []),
            first=index == 0,
            last=index == len(steps) - 1,
        )
        if step.get("provider") == GOTO:
            target = (step.get("config") or {}).get("step_id", "")
            name, action_name = names.get(target, (target, target))
            card.jump_target = action_name or "?"
            card.jump_target_name = name if name != action_name else ""
        card.jumped_to = step.get("id") in names.jumped_to
        card.blocks = [
            BlockCard(
                address=f"{address}.next.{b}",
                block=block,
                cards=step_cards(block.get("steps"), f"{address}.next.{b}.steps", issues, names),
                owner_id=step.get("id", ""),
            )
            for b, block in enumerate(step.get("next") or [])
        ]
        made.append(card)
    return made


def icon(group):
    """``(letter, colour)`` for an action group; "?" for an action no longer installed."""
    if not group:
        return "?", "#667085"
    colour = GROUP_COLOURS[sum(map(ord, group)) % len(GROUP_COLOURS)]
    return group[0].upper(), colour


def _summary(config):
    parts = []
    for key, value in (config or {}).items():
        if isinstance(value, (dict, list)):
            value = f"{len(value)} item{'s' if len(value) != 1 else ''}"
        parts.append(f"{key}: {value}")
    text = " · ".join(parts)
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


class StepNames(dict):
    """``{step id: (step name, action name)}``, and the ids deprecated jumps go to."""

    jumped_to = frozenset()


def step_names(data):
    """What each step is called, over the whole workflow (see ``StepNames``)."""
    names, jumped_to = StepNames(), set()

    def walk(steps):
        for step in steps or []:
            provider = step.get("provider", "")
            action = registry.get(provider)
            action_name = action.name if action else provider
            names[step.get("id")] = (step.get("name") or action_name, action_name)
            if provider == GOTO:
                jumped_to.add((step.get("config") or {}).get("step_id"))
            for block in step.get("next") or []:
                walk(block.get("steps"))

    walk(data.get("steps"))
    walk(data.get("rescue"))
    names.jumped_to = frozenset(jumped_to)
    return names
