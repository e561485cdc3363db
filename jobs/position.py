"""Where a job is in its pinned definition, and where an outcome takes it (S1, S4-S6, S12).

Pure functions over a workflow definition: no database, no clock, nothing kept. A
position is JSON (it is stored on the job): ``{"flow": "main" | "rescue", "stack":
[[list path, index], ...]}``. The bottom frame is the main flow (``["steps"]``) or the
rescue flow (``["rescue"]``); a chosen block pushes ``[owner path + [i, "next", b,
"steps"], 0]``. Functions return new positions and never change the one given (nor
its frames, which the new one may share).

A frame's list path plus its index is the ``workflows.tree.Address`` of a step, but
the stack is more than the top step's address: it is a resumable cursor (an index may
be one past its list's end, and the frames below say where to continue when a block
ends), and jobs stored in the database hold it as is. ``at`` is the one conversion
from an Address to a position.
"""

from dataclasses import dataclass

from workflows import definition, tree

OK, KO = "OK", "KO"  # the values of jobs.models.Status a job ends with


def start(flow):
    """The position before the first step of the main flow or of rescue."""
    return {"flow": flow, "stack": [[["steps" if flow == "main" else "rescue"], 0]]}


def settle(position, workflow):
    """Step past finished lists (applying a finished block's ``stop``).

    Returns ``(position, step)``: the step to run next, or None when the flow is over.
    """
    stack = position["stack"]
    while stack:
        path, index = stack[-1]
        steps = tree.get(workflow, path)
        if index < len(steps):
            settled = position if stack is position["stack"] else {**position, "stack": stack}
            return settled, steps[index]
        stack = stack[:-1]
        if not stack:
            break
        if tree.get(workflow, path[:-1]).stop:  # the block that just finished
            stack = []
            break
        owner_path, owner_index = stack[-1]
        stack = [*stack[:-1], [owner_path, owner_index + 1]]
    return {**position, "stack": stack}, None


def advance(position, workflow, step, outcome):
    """Apply ``step``'s outcome (S4-S6, S12): the position after it, not yet settled,
    or None for a KO no block handles."""
    stack = position["stack"]
    path, index = stack[-1]
    if step.provider == definition.GOTO and outcome.status == OK:
        if len(stack) > 1 and tree.get(workflow, path[:-1]).stop:
            return {**position, "stack": []}  # a legacy jump with "stop": the job ends here
        return locate(workflow, step.config["step_id"])
    for b, block in enumerate(step.next):
        if block.matches(outcome.status, outcome.code):
            return {**position, "stack": [*stack, [[*path, index, "next", b, "steps"], 0]]}
    if outcome.status == KO:
        return None
    return {**position, "stack": [*stack[:-1], [path, index + 1]]}


def locate(workflow, step_id):
    """The position of a step, so a jump (or a rerun from it) continues there and
    onward in its list. Raises ValueError for an unknown step."""
    address = tree.find(workflow, lambda step: step.id == step_id)
    if address is None:
        raise ValueError(f"no step {step_id!r}")
    return at(address)


def at(address):
    """The position of the step at a ``tree.Address``: a frame for each list on the
    way down, so each block the step is in carries on after it as a block does."""
    flow = "main" if address.flow == "steps" else "rescue"
    return {"flow": flow, "stack": [[list(step[:-1]), step[-1]] for step in address.lineage()]}


def final_status(position):
    """How a job whose flow is over ends (S6, S7): KO after rescue, OK otherwise."""
    return KO if position["flow"] == "rescue" else OK


def fault(step, code, message):
    """What a job records of an unhandled KO (what rescue templates see as ``fault``)."""
    return {"step_id": step.id, "provider": step.provider, "code": code, "message": message}


@dataclass(slots=True)
class Move:
    """Where a job goes after a step's outcome."""

    position: dict
    faults: list
    following: definition.Step | None  # the step to run next; None: the job ends
    status: str | None  # the job's final status when it ends, else None


def after(workflow, position, faults, step, outcome, *, steps_run, step_limit):
    """The move an outcome causes: the next step, rescue after an unhandled KO (S6),
    or the job's end. ``steps_run`` counts the job's intents so far; at
    ``step_limit`` the job ends KO (a jump loop, S12)."""
    moved = advance(position, workflow, step, outcome)
    if moved is None:
        faults = [*faults, fault(step, outcome.code, outcome.message)]
        if position["flow"] == "rescue" or not workflow.rescue:
            return Move(position, faults, None, KO)
        moved = start("rescue")
    if steps_run >= step_limit:
        message = f"The job ran {step_limit} steps; it is stopped."
        return Move(moved, [*faults, fault(step, "step_limit", message)], None, KO)
    moved, following = settle(moved, workflow)
    status = final_status(moved) if following is None else None
    return Move(moved, faults, following, status)
