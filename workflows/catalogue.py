"""The Actions page: every registered action documented from what it declares.

Nothing here is written per action: the page reads the registry (built-in modules and
installed packages alike) and each action's config JSON Schema, so a new action is
documented the moment it is registered.
"""

import json
from dataclasses import dataclass, field
from itertools import groupby

from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.workspaces import workspace_required
from workflows.actions import registry

# Codes any step may end with, whatever its action (see docs/actions.md).
COMMON_CODES = (
    ("template_error", "a template in the config failed"),
    ("template_budget", "a template in the config ran too long or made too much text"),
    ("invalid_config", "the templated config does not fit the action"),
    ("error", "the action failed unexpectedly"),
)


@dataclass
class ConfigField:
    name: str
    type: str
    required: bool
    default: str = ""
    description: str = ""
    choices: list = field(default_factory=list)
    limits: str = ""


@dataclass
class ActionDoc:
    id: str
    name: str
    group: str
    description: str
    schemas: list
    codes: list
    code_texts: list  # (code, what it means or "")
    fields: list
    needs_entry: bool
    max_attempts: int
    backoff_s: float
    example: str


def _resolve(spec, defs):
    while isinstance(spec, dict) and "$ref" in spec:
        spec = {**defs.get(spec["$ref"].rsplit("/", 1)[-1], {}), **_without(spec, "$ref")}
    return spec


def _without(spec, key):
    return {k: v for k, v in spec.items() if k != key}


def type_of(spec, defs):
    """A JSON Schema type in words: ``string``, ``list of string``, ``one of a, b``."""
    spec = _resolve(spec, defs)
    options = spec.get("anyOf") or spec.get("oneOf")
    if options:
        kinds = [type_of(option, defs) for option in options if option.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds)) or "null"
    if "enum" in spec:
        return "choice"
    if "const" in spec:
        return f"always {json.dumps(spec['const'])}"
    kind = spec.get("type", "any")
    if kind == "array":
        return f"list of {type_of(spec.get('items', {}), defs)}"
    if kind == "object":
        values = spec.get("additionalProperties")
        return f"object of {type_of(values, defs)}" if isinstance(values, dict) else "object"
    return {"integer": "whole number", "number": "number", "boolean": "true/false"}.get(kind, kind)


def _choices(spec, defs):
    spec = _resolve(spec, defs)
    for option in spec.get("anyOf", ()):
        found = _choices(option, defs)
        if found:
            return found
    return [str(value) for value in spec.get("enum", ())]


LIMITS = (
    ("minimum", "at least {}"),
    ("exclusiveMinimum", "more than {}"),
    ("maximum", "at most {}"),
    ("exclusiveMaximum", "less than {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matching {}"),
)


def _limits(spec, defs):
    spec = _resolve(spec, defs)
    found = [text.format(spec[key]) for key, text in LIMITS if key in spec]
    for option in spec.get("anyOf", ()):
        found += [text.format(option[key]) for key, text in LIMITS if key in option]
    return ", ".join(found)


def _model_defaults(model):
    """Defaults the JSON Schema leaves out (``default_factory``: ``[]``, ``{}``)."""
    defaults = {}
    for name, info in getattr(model, "model_fields", {}).items():
        if not info.is_required():
            value = info.get_default(call_default_factory=True)
            defaults[info.alias or name] = getattr(value, "value", value)  # an enum's value
    return defaults


def config_fields(schema, model=None):
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fallback = _model_defaults(model)
    result = []
    for name, spec in schema.get("properties", {}).items():
        resolved = _resolve(spec, defs)
        has_default = "default" in spec or "default" in resolved or name in fallback
        default = spec.get("default", resolved.get("default", fallback.get(name)))
        result.append(
            ConfigField(
                name=name,
                type=type_of(spec, defs),
                required=name in required,
                default=json.dumps(default, ensure_ascii=False, default=str) if has_default else "",
                description=spec.get("description") or resolved.get("description", ""),
                choices=_choices(spec, defs),
                limits=_limits(spec, defs),
            )
        )
    return result


def _example(action, fields):
    """A step as it would appear in workflow JSON, with the required config filled in."""
    config = {}
    for item in fields:
        if item.required:
            config[item.name] = item.choices[0] if item.choices else f"<{item.type}>"
    step = {"provider": action.id, "config": config}
    return json.dumps(step, indent=2, ensure_ascii=False)


def describe(action):
    fields = config_fields(action.config_schema(), action.Config)
    return ActionDoc(
        id=action.id,
        name=action.name,
        group=action.group,
        description=action.description,
        schemas=["every schema"] if "*" in action.schemas else list(action.schemas),
        codes=list(action.codes),
        code_texts=[(c, action.code_descriptions.get(c, "")) for c in action.codes],
        fields=fields,
        needs_entry=action.needs_entry,
        max_attempts=action.max_attempts,
        backoff_s=action.backoff_s,
        example=_example(action, fields),
    )


def _matches(doc, query):
    text = " ".join([doc.id, doc.name, doc.group, doc.description, *doc.codes]).lower()
    return all(word in text for word in query.lower().split())


def grouped(query=""):
    """``[(group, [ActionDoc, ...]), ...]`` by group, then name."""
    docs = [describe(action) for action in registry.all_actions()]
    if query:
        docs = [doc for doc in docs if _matches(doc, query)]
    docs.sort(key=lambda doc: (doc.group.lower(), doc.name.lower()))
    return [(group, list(items)) for group, items in groupby(docs, key=lambda doc: doc.group)]


@require_GET
@workspace_required
def index(request):
    query = request.GET.get("q", "").strip()[:100]
    groups = grouped(query)
    return render(
        request,
        "workflows/catalogue.html",
        {
            "groups": groups,
            "query": query,
            "count": sum(len(items) for _, items in groups),
            "common_codes": COMMON_CODES,
        },
    )
