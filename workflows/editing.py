"""The canvas editor's operations on workflow JSON, free of any request or template.

Every operation takes the definition (a dict as in SPEC section 3) and returns a new
one; the input is never changed, so the previous data can go on the undo stack as is.
A step is addressed like the engine's stack frames: the path of its list plus its
index, e.g. ``("steps", 2, "next", 0, "steps", 1)``; a block is its step's address
plus ``("next", b)``. In URLs and forms an address is written with dots:
``steps.2.next.0.steps.1``.

Nothing here validates: a draft may hold an invalid step (a required config field not
yet filled in). ``issues`` runs ``definition.parse``, the one validator, and sorts its
findings by step so the canvas can mark them in place.
"""

import copy
import re
import uuid

from workflows import definition
from workflows.actions import registry

FLOWS = ("steps", "rescue")
STATUSES = ("OK", "KO", "ANY")
_STEP_PATH = re.compile(r"^((?:steps|rescue)\[\d+\](?:\.next\[\d+\]\.steps\[\d+\])*)(.*)$")


KEEP = object()  # "leave this field as it is", where None means "remove it"


class EditError(ValueError):
    """An operation that cannot apply: a stale address, a move into itself, ..."""


# --- Addresses ------------------------------------------------------------------------


def parse_address(text):
    """``"steps.2.next.0.steps.1"`` -> ``("steps", 2, "next", 0, "steps", 1)``."""
    parts = str(text or "").split(".")
    if not parts or parts[0] not in FLOWS:
        raise EditError(f"not a step address: {text!r}")
    address = [parts[0]]
    expected = "index"
    for part in parts[1:]:
        if expected == "index":
            if not (part.isascii() and part.isdigit()):
                raise EditError(f"not a step address: {text!r}")
            address.append(int(part))
            expected = "next"
        elif expected == "next" and part == "next":
            address.append(part)
            expected = "block"
        elif expected == "block" and part.isascii() and part.isdigit():
            address.append(int(part))
            expected = "steps"
        elif expected == "steps" and part == "steps":
            address.append(part)
            expected = "index"
        else:
            raise EditError(f"not a step address: {text!r}")
    return tuple(address)


def format_address(address):
    return ".".join(str(part) for part in address)


def is_list_path(address):
    return bool(address) and isinstance(address[-1], str) and address[-1] in ("steps", "rescue")


def is_step_address(address):
    return (
        bool(address)
        and isinstance(address[-1], int)
        and (len(address) == 2 or address[-2] != "next")
    )


def is_block_address(address):
    return len(address) >= 4 and address[-2] == "next" and isinstance(address[-1], int)


def step_path(issue_path):
    """The address of the step a validator path such as ``steps[1].config.x`` is about,
    and the rest of the path (``config.x``); ``(None, path)`` for workflow-level ones."""
    match = _STEP_PATH.match(issue_path)
    if not match:
        return None, issue_path
    prefix = match.group(1).replace("[", ".").replace("]", "")
    return prefix, match.group(2).lstrip(".")


def _node(data, path):
    node = data
    try:
        for part in path:
            if isinstance(part, str):
                node = node.setdefault(part, []) if isinstance(node, dict) else node[part]
            else:
                node = node[part]
    except (IndexError, KeyError, TypeError):
        raise EditError(f"nothing at {format_address(path)}: reload the editor") from None
    return node


def _list(data, list_path):
    steps = _node(data, list_path)
    if not isinstance(steps, list):
        raise EditError(f"not a list of steps: {format_address(list_path)}")
    return steps


def _split(address):
    if not is_step_address(address):
        raise EditError(f"not a step address: {format_address(address)}")
    return address[:-1], address[-1]


def step_at(data, address):
    list_path, index = _split(address)
    steps = _list(data, list_path)
    if not 0 <= index < len(steps):
        raise EditError(f"no step at {format_address(address)}: reload the editor")
    return steps[index]


def block_at(data, address):
    step = step_at(data, address[:-2])
    blocks = step.get("next") or []
    if not 0 <= address[-1] < len(blocks):
        raise EditError(f"no block at {format_address(address)}: reload the editor")
    return blocks[address[-1]]


# --- Step ids -------------------------------------------------------------------------


def step_ids(data):
    ids = set()

    def collect(steps):
        for step in steps or []:
            if step.get("id"):
                ids.add(step["id"])
            for block in step.get("next") or []:
                collect(block.get("steps"))

    for flow in FLOWS:
        collect(data.get(flow))
    return ids


def _new_id(taken):
    while True:
        candidate = uuid.uuid4().hex[:8]
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _fresh_ids(step, taken):
    step["id"] = _new_id(taken)
    for block in step.get("next") or []:
        for inner in block.get("steps") or []:
            _fresh_ids(inner, taken)


# --- Operations -----------------------------------------------------------------------


def new_step(data, provider):
    """A step of the action ``provider`` with an id no other step of ``data`` has."""
    action = registry.get(provider)
    if action is None:
        raise EditError(f"unknown action {provider!r}")
    return {
        "id": _new_id(step_ids(data)),
        "name": action.name,
        "provider": provider,
        "config": {},
        "next": [],
    }


def insert(data, list_path, index, provider):
    """Add a new step of ``provider`` at ``index`` of the list; returns (data, address)."""
    data = copy.deepcopy(data)
    steps = _list(data, list_path)
    if not 0 <= index <= len(steps):
        raise EditError(f"cannot insert at {index} of {format_address(list_path)}")
    steps.insert(index, new_step(data, provider))
    return data, (*list_path, index)


def update_step(data, address, *, name=None, notes=None, config=None, retry=KEEP):
    """Change a step's name, notes, config or retry override (None leaves name, notes
    and config as they are; ``retry=None`` removes the override)."""
    data = copy.deepcopy(data)
    step = step_at(data, address)
    if name is not None:
        step["name"] = name.strip() or _action_name(step["provider"])
    if notes is not None:
        if notes.strip():
            step["notes"] = notes
        else:
            step.pop("notes", None)
    if config is not None:
        step["config"] = config
    if retry is None:
        step.pop("retry", None)
    elif retry is not KEEP:
        step["retry"] = retry
    return data


def replace(data, address, provider):
    """Make the step run another action: same id and blocks, a fresh name and config."""
    data = copy.deepcopy(data)
    step = step_at(data, address)
    if registry.get(provider) is None:
        raise EditError(f"unknown action {provider!r}")
    step.update(provider=provider, name=_action_name(provider), config={})
    step.setdefault("next", [])
    return data


def duplicate(data, address):
    """Insert a copy of the step (blocks included, every id fresh) right after it."""
    data = copy.deepcopy(data)
    list_path, index = _split(address)
    steps = _list(data, list_path)
    clone = copy.deepcopy(step_at(data, address))
    _fresh_ids(clone, step_ids(data))
    steps.insert(index + 1, clone)
    return data, (*list_path, index + 1)


def delete(data, address):
    """Remove the step and everything nested under it."""
    data = copy.deepcopy(data)
    list_path, index = _split(address)
    step_at(data, address)
    del _list(data, list_path)[index]
    return data


def move(data, address, offset):
    """Move a step up (-1) or down (+1) within its list; returns (data, new address)."""
    list_path, index = _split(address)
    return move_to(data, address, list_path, index + offset + (1 if offset > 0 else 0))


def move_to(data, address, list_path, index):
    """Move a step (with its blocks) to ``index`` of any list, e.g. into a block.

    ``index`` counts positions in the target list as it is before the move, so dropping
    a step onto the card it should land before is ``index`` of that card. Returns
    (data, new address).
    """
    source_list, source_index = _split(address)
    if tuple(list_path[: len(address)]) == tuple(address):
        raise EditError("a step cannot move into its own blocks")
    data = copy.deepcopy(data)
    step = step_at(data, address)
    target = _list(data, list_path)
    if not 0 <= index <= len(target):
        raise EditError(f"cannot move to {index} of {format_address(list_path)}")
    if tuple(list_path) == tuple(source_list):
        if index in (source_index, source_index + 1):
            return data, tuple(address)
        if index > source_index:
            index -= 1
        del target[source_index]
        target.insert(index, step)
        return data, (*list_path, index)
    # Either list's path may run through the other, so both are held as objects before
    # anything moves, and the step leaves its list by identity, not by a stale index.
    source = _list(data, source_list)
    target.insert(index, step)
    _remove_identical(source, step)
    return data, _address_of(data, step)


def _remove_identical(steps, step):
    for position, candidate in enumerate(steps):
        if candidate is step:
            del steps[position]
            return


def _address_of(data, wanted):
    def search(steps, path):
        for index, step in enumerate(steps):
            if step is wanted:
                return (*path, index)
            for b, block in enumerate(step.get("next") or []):
                found = search(block.get("steps") or [], (*path, index, "next", b, "steps"))
                if found:
                    return found
        return None

    for flow in FLOWS:
        found = search(data.get(flow) or [], (flow,))
        if found:
            return found
    raise EditError("the moved step went missing")  # unreachable


def add_block(data, address, *, status, code=None, stop=False):
    """Add a condition (OK/ANY) or exception (KO) under a step; returns (data, address)."""
    data = copy.deepcopy(data)
    step = step_at(data, address)
    blocks = step.setdefault("next", [])
    blocks.append(_block(status, code, stop))
    return data, (*address, "next", len(blocks) - 1)


def edit_block(data, address, *, status, code=None, stop=False):
    """Change a block's status, code and End-workflow-here; its steps stay."""
    data = copy.deepcopy(data)
    block = block_at(data, address)
    steps = block.get("steps") or []
    block.clear()
    block.update(_block(status, code, stop), steps=steps)
    return data


def remove_block(data, address):
    """Remove a condition or exception, with the steps it holds."""
    data = copy.deepcopy(data)
    block_at(data, address)
    del step_at(data, address[:-2])["next"][address[-1]]
    return data


def _block(status, code, stop):
    if status not in STATUSES:
        raise EditError(f"status must be one of {', '.join(STATUSES)}")
    block = {"status": status}
    if code is not None and str(code).strip():
        block["code"] = str(code).strip()
    block["stop"] = bool(stop)
    block["steps"] = []
    return block


def set_rescue(data, enabled):
    """Handle Errors: off empties the rescue flow (SPEC 3: empty = off)."""
    data = copy.deepcopy(data)
    if not enabled:
        data["rescue"] = []
    else:
        data.setdefault("rescue", [])
    return data


def set_details(data, *, name, description):
    """The sidebar's name and description; the schema is fixed once saved."""
    data = copy.deepcopy(data)
    data["name"] = name.strip()
    data["description"] = description
    return data


def _action_name(provider):
    action = registry.get(provider)
    return action.name if action else provider


# --- Reading --------------------------------------------------------------------------


def issues(data):
    """What ``definition.parse`` finds, as ``({step address: [Issue]}, [other Issue])``.

    A step's issue keeps its path relative to the step (``config.state``), so the
    config form can show it beside its field.
    """
    try:
        definition.parse(data)
    except definition.DefinitionError as error:
        by_step, general = {}, []
        for issue in error.issues:
            address, rest = step_path(issue.path)
            if address is None:
                general.append(issue)
            else:
                by_step.setdefault(address, []).append(
                    definition.Issue(path=rest, message=issue.message)
                )
        return by_step, general
    return {}, []


def legacy_jumps(data):
    """How many ``flow.goto`` steps (converted legacy jumps, S12) the workflow holds."""
    count = 0

    def walk(steps):
        nonlocal count
        for step in steps or []:
            count += step.get("provider") == definition.GOTO
            for block in step.get("next") or []:
                walk(block.get("steps"))

    for flow in FLOWS:
        walk(data.get(flow))
    return count
