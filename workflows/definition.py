"""The workflow JSON of SPEC section 3, as typed objects, and its one validator.

Every entry point (editor, developer mode, API, command line) calls ``parse``: it
converts the older flat form (S12), checks the shape with pydantic, then checks what a
shape cannot say (known providers, unique step ids, each config against its action,
jump targets), and reports every problem with its JSON path.
"""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from console import storable
from workflows import templating, tree
from workflows.actions import registry

GOTO = "flow.goto"

# How deep steps may nest inside condition blocks ("steps[0].next[0].steps[0]" is 1,
# its tree.Address's depth).
# Real workflows branch two or three levels; 10 leaves room and keeps every recursive
# walk of a workflow (the editor's nested includes above all) far from Python's
# recursion limit.
MAX_NESTING = 10
LEGACY_STATUSES = {
    "OK": ("OK", None),
    "KO": ("KO", None),
    "SKIP": ("OK", "skip"),
    "TIMEOUT": ("KO", "timeout"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Retry(Strict):
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_s: float = Field(2.0, ge=0, le=86400)


class Step(Strict):
    id: str = Field(default="", max_length=100)
    name: str = Field(default="", max_length=200)
    provider: str = Field(min_length=1)
    notes: str = ""
    config: dict = Field(default_factory=dict)
    retry: Retry | None = None
    next: list["Block"] = Field(default_factory=list)


class Block(Strict):
    status: Literal["OK", "KO", "ANY"]
    code: str | None = None
    stop: bool = False
    steps: list[Step] = Field(default_factory=list)

    def matches(self, status, code):
        if self.status != "ANY" and self.status != status:
            return False
        return self.code is None or self.code == (code or "")


class Workflow(Strict):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    schema_: str = Field(alias="schema", min_length=1, max_length=64)
    version: int | None = None
    steps: list[Step] = Field(default_factory=list)
    rescue: list[Step] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property
    def schema(self):  # noqa: D102 - "schema" clashes with pydantic's own name
        return self.schema_

    def export(self):
        """The canonical JSON: what export, the API and developer mode show."""
        data = {
            "id": str(self.id) if self.id else None,
            "name": self.name,
            "description": self.description,
            "schema": self.schema,
            "version": self.version,
            "steps": [_export_step(s) for s in self.steps],
        }
        data["rescue"] = [_export_step(s) for s in self.rescue]
        return data


Step.model_rebuild()


def _export_step(step):
    data = {"id": step.id, "name": step.name, "provider": step.provider}
    if step.notes:
        data["notes"] = step.notes
    data["config"] = step.config
    if step.retry is not None:
        data["retry"] = step.retry.model_dump()
    data["next"] = [_export_block(b) for b in step.next]
    return data


def _export_block(block):
    data = {"status": block.status}
    if block.code is not None:
        data["code"] = block.code
    data["stop"] = block.stop
    data["steps"] = [_export_step(s) for s in block.steps]
    return data


class Issue(BaseModel):
    path: str
    message: str

    def __str__(self):
        return f"{self.path or '(root)'}: {self.message}"


class DefinitionError(ValueError):
    def __init__(self, issues):
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))


def _format_loc(loc):
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("function-after", "tagged-union") or "[" in str(part):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def _pydantic_issues(error, prefix="", skip=()):
    issues = []
    for item in error.errors(include_url=False):
        if item["loc"] and item["loc"][0] in skip and item["type"] != "extra_forbidden":
            continue
        path = _format_loc(item["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (not part of the format)"
        elif item["type"] == "missing":
            message = "required"
        issues.append(Issue(path=path, message=message))
    return issues


def _convert_legacy(data):
    """S12: rewrite flat jumps ``{"status", "step_id", "stop"}`` into goto blocks."""
    if not isinstance(data, dict):
        return data
    converted = dict(data)
    for flow in ("steps", "rescue"):
        if isinstance(data.get(flow), list):
            converted[flow] = [_convert_legacy_step(s) for s in data[flow]]
    return converted


def _convert_legacy_step(step):
    if not isinstance(step, dict) or not isinstance(step.get("next"), list):
        return step
    blocks = []
    for entry in step["next"]:
        if isinstance(entry, dict) and "step_id" in entry and "steps" not in entry:
            status, code = LEGACY_STATUSES.get(entry.get("status"), (entry.get("status"), None))
            block = {
                "status": status,
                "stop": bool(entry.get("stop", False)),
                "steps": [{"provider": GOTO, "config": {"step_id": entry["step_id"]}}],
            }
            if entry.get("code") is not None or code is not None:
                block["code"] = entry.get("code", code)
            blocks.append(block)
        elif isinstance(entry, dict) and isinstance(entry.get("steps"), list):
            blocks.append({**entry, "steps": [_convert_legacy_step(s) for s in entry["steps"]]})
        else:
            blocks.append(entry)
    return {**step, "next": blocks}


def parse(data, *, secrets=None):
    """Validate workflow JSON; returns ``(Workflow, warnings)`` or raises DefinitionError.

    Missing step ids are generated and missing names take the action's name, so what
    is stored is complete and exports the same way every time. ``secrets`` is the set
    of secret names the target workspace has; a config naming another gives a warning.
    """
    if not isinstance(data, dict):
        raise DefinitionError([Issue(path="", message="expected a JSON object")])
    try:
        storable.check(data)
    except storable.Unstorable as error:
        raise DefinitionError([Issue(path=error.path, message=error.problem)]) from None
    try:
        workflow = Workflow.model_validate(_convert_legacy(data))
    except PydanticError as error:
        raise DefinitionError(_pydantic_issues(error)) from None

    issues, warnings, seen = [], [], {}
    steps = [(str(address), address.depth, step) for address, step, _ in tree.walk(workflow)]
    for path, depth, step in steps:
        if depth == MAX_NESTING + 1:
            issues.append(
                Issue(path=path, message=f"nested more than {MAX_NESTING} condition blocks deep")
            )
        if step.id:
            if step.id in seen:
                issues.append(
                    Issue(
                        path=f"{path}.id",
                        message=f"duplicate step id {step.id!r} (also at {seen[step.id]})",
                    )
                )
            seen[step.id] = path
    for path, _depth, step in steps:
        if not step.id:
            step.id = _new_step_id(seen)
            seen[step.id] = path
        action = registry.get(step.provider)
        if action is None:
            issues.append(
                Issue(
                    path=f"{path}.provider",
                    message=f"unknown provider {step.provider!r}: expected an action id"
                    " from the catalogue",
                )
            )
            continue
        if not step.name:
            step.name = action.name
        if not action.supports(workflow.schema):
            issues.append(
                Issue(
                    path=f"{path}.provider",
                    message=f"{step.provider} does not work on {workflow.schema} documents",
                )
            )
        issues.extend(_config_issues(action, step, path))
        warnings.extend(_secret_warnings(action, step, path, secrets))
    for path, _depth, step in steps:
        target = step.config.get("step_id") if step.provider == GOTO else None
        if target is not None and target not in seen:
            issues.append(
                Issue(path=f"{path}.config.step_id", message=f"no step has the id {target!r}")
            )
    if issues:
        raise DefinitionError(issues)
    return workflow, warnings


def _new_step_id(taken):
    while True:
        candidate = uuid.uuid4().hex[:8]
        if candidate not in taken:
            return candidate


def _config_issues(action, step, path):
    prefix = f"{path}.config"
    issues = [
        Issue(path=f"{prefix}.{p}" if p else prefix, message=m)
        for p, m in templating.check(step.config)
    ]
    # A templated value is checked for syntax only: its value is known at run time.
    templated = {k for k, v in step.config.items() if isinstance(v, str) and "{{" in v}
    try:
        action.Config.model_validate(step.config)
    except PydanticError as error:
        issues.extend(_pydantic_issues(error, prefix, skip=templated))
    return issues


def _secret_warnings(action, step, path, secrets):
    if secrets is None:
        return []
    warnings = []
    for field in getattr(action, "secret_fields", ()):
        name = step.config.get(field)
        if name and name not in secrets:
            warnings.append(
                Issue(
                    path=f"{path}.config.{field}",
                    message=f"this workspace has no secret named {name!r}",
                )
            )
    return warnings


def json_schema():
    """The JSON Schema of the workflow format, exported from the code."""
    schema = Workflow.model_json_schema(by_alias=True)
    schema["$id"] = "workflow.schema.json"
    schema["title"] = "Workflow"
    return schema
