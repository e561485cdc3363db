import re
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field

from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register

MISSING = object()


class CompareConfig(ActionConfig):
    path: str = Field(
        min_length=1,
        max_length=300,
        description="Where the value is: doc.totals.payable, args.country, entry.state",
    )
    operator: Literal["equals", "not_equals", "in", "exists", "greater", "less", "matches"] = (
        "equals"
    )
    value: str | list[str] = Field("", description='For "in", a comma-separated list')


def lookup(data, path):
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def _number(value):
    try:
        return Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        return None


def compare(actual, operator, expected):
    if operator == "exists":
        return actual is not MISSING and actual is not None
    if actual is MISSING:
        return operator == "not_equals"
    text = actual if isinstance(actual, str) else str(actual)
    if operator == "equals":
        return text == expected
    if operator == "not_equals":
        return text != expected
    if operator == "in":
        options = expected if isinstance(expected, list) else expected.split(",")
        return text in [o.strip() for o in options]
    if operator == "matches":
        return re.search(expected, text) is not None
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        left, right = text, expected
    return left > right if operator == "greater" else left < right


@register
class Compare(Action):
    id = "if.compare"
    name = "If / else"
    group = "Flow"
    description = (
        "Compares a value of the document, the arguments or the entry; ends OK with "
        'code "true" or "false", so conditions on the step choose the branch.'
    )
    Config = CompareConfig
    codes = ("true", "false")

    def run(self, context):
        config = context.config
        root, _, rest = config.path.partition(".")
        data = {
            "doc": context.data["doc"],
            "args": context.args,
            "entry": context.data["entry"],
            "job": context.data["job"],
        }
        if root not in data:
            return Outcome.ko(
                "invalid_path", f"{config.path!r} must start with doc, args, entry or job"
            )
        actual = lookup(data[root], rest) if rest else data[root]
        try:
            result = compare(actual, config.operator, config.value)
        except re.error as error:
            return Outcome.ko("invalid_pattern", f"The pattern is not valid: {error}")
        shown = "missing" if actual is MISSING else repr(actual)
        return Outcome.ok(str(result).lower(), f"{config.path} is {shown}")
