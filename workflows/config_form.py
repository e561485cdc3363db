"""A step's config form, generated from its action's config JSON Schema.

enum -> select, boolean -> checkbox, integer/number -> number, string -> text (a
textarea for long text), a list of strings -> one per line, anything else -> JSON.
Posted values are read back without judging them: a value the action would refuse is
kept as typed, so the validator can say what is wrong beside the field and nothing the
user typed is lost.
"""

import json
from dataclasses import dataclass, field

LONG_TEXT = ("body", "text", "html", "template", "message")


@dataclass
class Field:
    name: str
    label: str
    widget: str  # select, checkbox, number, text, textarea, lines, json
    required: bool
    help: str = ""
    choices: list = field(default_factory=list)
    value: object = ""
    default: object = None
    step: str = "1"
    errors: list = field(default_factory=list)


def fields(action, config, issues=()):
    """The form's fields for ``config``, with the step's issues under their fields."""
    schema = action.config_schema()
    required = set(schema.get("required", ()))
    defs = schema.get("$defs", {})
    result = []
    for name, spec in schema.get("properties", {}).items():
        spec = _resolve(spec, defs)
        widget, choices, step = _widget(name, spec, defs)
        default = spec.get("default")
        value = config.get(name, default)
        result.append(
            Field(
                name=name,
                label=spec.get("title") or name.replace("_", " ").capitalize(),
                widget=widget,
                required=name in required,
                help=spec.get("description", ""),
                choices=choices,
                value=_shown(widget, value),
                default=default,
                step=step,
                errors=[i.message for i in issues if i.path == f"config.{name}"],
            )
        )
    return result


def config_errors(issues, form_fields):
    """Issues about the config as a whole, or about keys the form does not show."""
    names = {f"config.{f.name}" for f in form_fields}
    return [
        i.message
        for i in issues
        if (i.path == "config" or i.path.startswith("config.")) and i.path not in names
    ]


PREFIX = "config."  # the form's own fields (name, notes, retry) never meet a config key


def read(action, config, post):
    """The config after the form's ``post``; keys the form does not show are kept."""
    result = dict(config)
    for item in fields(action, config):
        key = PREFIX + item.name
        raw = post.get(key, "")
        if item.widget == "checkbox":
            value = key in post
        elif raw.strip() == "":
            value = None
        else:
            value = _parsed(item.widget, raw)
        if value is None or (value == item.default and not item.required):
            result.pop(item.name, None)
        else:
            result[item.name] = value
    return result


def _resolve(spec, defs):
    ref = spec.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return {
            **defs.get(ref.rsplit("/", 1)[-1], {}),
            **{k: v for k, v in spec.items() if k != "$ref"},
        }
    return spec


def _widget(name, spec, defs):
    options = [_resolve(s, defs) for s in spec.get("anyOf", [])]
    concrete = [s for s in options if s.get("type") != "null"]
    if len(concrete) == 1:
        spec = {**spec, **concrete[0]}
    if "enum" in spec:
        return "select", list(spec["enum"]), "1"
    kind = spec.get("type")
    if kind == "boolean":
        return "checkbox", [], "1"
    if kind == "integer":
        return "number", [], "1"
    if kind == "number":
        return "number", [], "any"
    if kind == "string":
        long = spec.get("widget") == "textarea" or name in LONG_TEXT
        return ("textarea" if long else "text"), [], "1"
    if kind == "array" and spec.get("items", {}).get("type") == "string":
        return "lines", [], "1"
    if concrete and any(s.get("type") == "string" for s in concrete):
        return "text", [], "1"  # e.g. "a string or a list": the string form is enough
    return "json", [], "1"


def _shown(widget, value):
    if value is None:
        return ""
    if widget == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if widget == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if widget == "text" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _parsed(widget, raw):
    if widget == "number":
        for kind in (int, float):
            try:
                return kind(raw.strip())
            except ValueError:
                continue
        return raw.strip()  # a template, or a mistake the validator will name
    if widget == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if widget == "json":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def read_retry(post, current):
    """The step's retry override from the form: both fields empty means the action's own."""
    retry = {}
    for name in ("max_attempts", "backoff_s"):
        raw = post.get(f"retry.{name}", "").strip()
        if raw:
            retry[name] = _parsed("number", raw)
    return retry or None if "retry.max_attempts" in post else current
