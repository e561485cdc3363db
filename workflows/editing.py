"""The canvas editor's operations on workflow JSON, free of any request or template.

Every operation takes the definition (a dict as in SPEC section 3) and returns a new
one; the input is never changed, so the previous data can go on the undo stack as is.
Steps, blocks and lists are named by ``tree.Address`` (``steps[2].next[0].steps[1]``
in URLs and forms, as in validation errors); an operation also takes a plain tuple of
the same parts. A stale address raises ``tree.AddressError``.

Nothing here validates: a draft may hold an invalid step (a required config field not
yet filled in). ``issues`` runs ``definition.parse``, the one validator, and sorts its
findings by step so the canvas can mark them in place.
"""

import copy
import uuid

from workflows import definition, tree
from workflows.actions import registry
from workflows.tree import Address, AddressError

STATUSES = ("OK", "KO", "ANY")


KEEP = object()  # "leave this field as it is", where None means "remove it"


class EditError(ValueError):
    """An operation that cannot apply: an unknown action, a move into itself, ..."""


def _step(address):
    address = Address(address)
    if not address.is_step:
        raise AddressError(f"not a step address: {address}")
    return address[:-1], address[-1]


# --- Step ids -------------------------------------------------------------------------


def step_ids(data):
    return {place.step["id"] for place in tree.walk(data) if place.step.get("id")}


def _new_id(taken):
    while True:
        candidate = uuid.uuid4().hex[:8]
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _fresh_ids(step, taken):
    for place in tree.walk_list([step], Address()):
        place.step["id"] = _new_id(taken)


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
    list_path = Address(list_path)
    data = copy.deepcopy(data)
    steps = tree.steps_at(data, list_path, create=True)
    if not 0 <= index <= len(steps):
        raise EditError(f"cannot insert at {index} of {list_path}")
    steps.insert(index, new_step(data, provider))
    return data, list_path.then(index)


def update_step(data, address, *, name=None, notes=None, config=None, retry=KEEP):
    """Change a step's name, notes, config or retry override (None leaves name, notes
    and config as they are; ``retry=None`` removes the override)."""
    data = copy.deepcopy(data)
    step = tree.step_at(data, Address(address))
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
    step = tree.step_at(data, Address(address))
    if registry.get(provider) is None:
        raise EditError(f"unknown action {provider!r}")
    step.update(provider=provider, name=_action_name(provider), config={})
    step.setdefault("next", [])
    return data


def duplicate(data, address):
    """Insert a copy of the step (blocks included, every id fresh) right after it."""
    list_path, index = _step(address)
    data = copy.deepcopy(data)
    clone = copy.deepcopy(tree.step_at(data, Address(address)))
    _fresh_ids(clone, step_ids(data))
    tree.steps_at(data, list_path).insert(index + 1, clone)
    return data, list_path.then(index + 1)


def delete(data, address):
    """Remove the step and everything nested under it."""
    list_path, index = _step(address)
    data = copy.deepcopy(data)
    tree.step_at(data, Address(address))
    del tree.steps_at(data, list_path)[index]
    return data


def move(data, address, offset):
    """Move a step up (-1) or down (+1) within its list; returns (data, new address)."""
    list_path, index = _step(address)
    return move_to(data, address, list_path, index + offset + (1 if offset > 0 else 0))


def move_to(data, address, list_path, index):
    """Move a step (with its blocks) to ``index`` of any list, e.g. into a block.

    ``index`` counts positions in the target list as it is before the move, so dropping
    a step onto the card it should land before is ``index`` of that card. Returns
    (data, new address).
    """
    address, list_path = Address(address), Address(list_path)
    source_list, source_index = _step(address)
    if list_path[: len(address)] == address:
        raise EditError("a step cannot move into its own blocks")
    data = copy.deepcopy(data)
    step = tree.step_at(data, address)
    target = tree.steps_at(data, list_path, create=True)
    if not 0 <= index <= len(target):
        raise EditError(f"cannot move to {index} of {list_path}")
    if list_path == source_list:
        if index in (source_index, source_index + 1):
            return data, address
        if index > source_index:
            index -= 1
        del target[source_index]
        target.insert(index, step)
        return data, list_path.then(index)
    # Either list's path may run through the other, so both are held as objects before
    # anything moves, and the step leaves its list by identity, not by a stale index.
    source = tree.steps_at(data, source_list)
    target.insert(index, step)
    source[:] = [candidate for candidate in source if candidate is not step]
    return data, tree.find(data, lambda candidate: candidate is step)


def add_block(data, address, *, status, code=None, stop=False):
    """Add a condition (OK/ANY) or exception (KO) under a step; returns (data, address)."""
    address = Address(address)
    data = copy.deepcopy(data)
    step = tree.step_at(data, address)
    blocks = step.setdefault("next", [])
    blocks.append(_block(status, code, stop))
    return data, address.then("next", len(blocks) - 1)


def edit_block(data, address, *, status, code=None, stop=False):
    """Change a block's status, code and End-workflow-here; its steps stay."""
    data = copy.deepcopy(data)
    block = tree.block_at(data, Address(address))
    steps = block.get("steps") or []
    block.clear()
    block.update(_block(status, code, stop), steps=steps)
    return data


def remove_block(data, address):
    """Remove a condition or exception, with the steps it holds."""
    address = Address(address)
    data = copy.deepcopy(data)
    tree.block_at(data, address)
    del tree.get(data, address[:-1])[address[-1]]
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
    """What ``definition.parse`` finds, as ``({step Address: [Issue]}, [other Issue])``.

    A step's issue keeps its path relative to the step (``config.state``), so the
    config form can show it beside its field.
    """
    try:
        definition.parse(data)
    except definition.DefinitionError as error:
        by_step, general = {}, []
        for issue in error.issues:
            address, rest = tree.split_path(issue.path)
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
    return sum(place.step.get("provider") == definition.GOTO for place in tree.walk(data))
