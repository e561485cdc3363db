"""What the editor's canvas draws: a card for each step and each of its blocks.

View-models for the templates (``workflows/_step.html``, ``_block.html``): plain data
with the few properties a template needs, built from a draft's JSON and its issues.
"""

import json
from dataclasses import dataclass, field

from workflows import tree
from workflows.actions import registry
from workflows.definition import GOTO

# Debian's Chromium has no emoji font, so an action's icon is its group's initial on
# the group's colour: readable everywhere, and a new group needs no artwork.
GROUP_COLOURS = ("#444ce7", "#c11574", "#067647", "#b54708", "#5925dc", "#0e7090", "#b42318")
SUMMARY_LENGTH = 80


@dataclass
class StepCard:
    address: str  # the step's tree.Address, written out
    slot: str  # the HTML id of the card's popover
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
    address: str  # the block's tree.Address, written out
    list_address: str  # ... and that of its list of steps
    block: dict
    cards: list
    owner_id: str

    @property
    def vals(self):
        return json.dumps({"address": self.address, "step_id": self.owner_id})

    @property
    def kind(self):
        return "Exception" if self.block.get("status") == "KO" else "Condition"


def step_cards(data, issues, names):
    """``{"steps": [StepCard], "rescue": [StepCard]}``: a card for each top-level step
    of each flow, each holding its blocks' cards, which hold their steps' cards."""
    made = {flow: [] for flow in tree.FLOWS}
    blocks = {}  # block address -> its BlockCard, for the steps inside it
    for address, step, siblings in tree.walk(data):
        card = _step_card(address, step, siblings, issues, names)
        for b, block in enumerate(step.get("next") or []):
            block_address = address.then("next", b)
            blocks[block_address] = BlockCard(
                address=str(block_address),
                list_address=str(block_address.then("steps")),
                block=block,
                cards=[],
                owner_id=step.get("id", ""),
            )
            card.blocks.append(blocks[block_address])
        if address.depth:
            blocks[address[:-2]].cards.append(card)
        else:
            made[address.flow].append(card)
    return made


def _step_card(address, step, siblings, issues, names):
    action = registry.get(step.get("provider", ""))
    card = StepCard(
        address=str(address),
        slot="popover-" + address.slug,
        step=step,
        action=action,
        icon=icon(action.group if action else ""),
        summary=_summary(step.get("config")) or "No settings",
        issues=issues.get(address, []),
        first=address[-1] == 0,
        last=address[-1] == len(siblings) - 1,
    )
    if step.get("provider") == GOTO:
        target = (step.get("config") or {}).get("step_id", "")
        name, action_name = names.get(target, (target, target))
        card.jump_target = action_name or "?"
        card.jump_target_name = name if name != action_name else ""
    card.jumped_to = step.get("id") in names.jumped_to
    return card


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
    for place in tree.walk(data):
        provider = place.step.get("provider", "")
        action = registry.get(provider)
        action_name = action.name if action else provider
        names[place.step.get("id")] = (place.step.get("name") or action_name, action_name)
        if provider == GOTO:
            jumped_to.add((place.step.get("config") or {}).get("step_id"))
    names.jumped_to = frozenset(jumped_to)
    return names
