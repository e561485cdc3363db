"""Where an outcome takes a job, without a database: ``jobs.position`` on its own."""

import pytest

from jobs import position
from tests.jobs.flows import block, ko, ok
from workflows import definition
from workflows.actions.base import Outcome


def workflow(steps, rescue=()):
    return definition.Workflow.model_validate(
        {"name": "w", "schema": "bill/invoice", "steps": list(steps), "rescue": list(rescue)}
    )


def run(flow, outcomes, *, step_limit=1000):
    """Walk ``flow`` giving each step its outcome from ``outcomes`` (OK by default);
    returns the steps run and the final move."""
    here, step = position.settle(position.start("main"), flow)
    faults, ran = [], []
    while step is not None:
        ran.append(step.id)
        outcome = outcomes.get(step.id, Outcome.ok())
        move = position.after(
            flow, here, faults, step, outcome, steps_run=len(ran), step_limit=step_limit
        )
        here, faults, step = move.position, move.faults, move.following
    return ran, move


def test_a_block_runs_then_the_flow_goes_on_after_its_owner():
    flow = workflow([ok("a", next=[block("OK", ok("b1"), ok("b2"))]), ok("c")])
    ran, move = run(flow, {})
    assert ran == ["a", "b1", "b2", "c"]
    assert move.status == "OK" and move.faults == []


def test_a_block_with_stop_ends_the_job_ok():
    flow = workflow([ko("a", next=[block("KO", ok("b"), stop=True)]), ok("c")])
    ran, move = run(flow, {"a": Outcome.ko("x")})
    assert ran == ["a", "b"]
    assert move.status == "OK"


def test_an_unhandled_ko_runs_rescue_and_ends_ko_with_its_fault():
    flow = workflow([ok("a"), ok("b")], rescue=[ok("r")])
    ran, move = run(flow, {"a": Outcome.ko("bad", "it broke")})
    assert ran == ["a", "r"]
    assert move.status == "KO"
    assert move.faults == [
        {"step_id": "a", "provider": "simulate.outcome", "code": "bad", "message": "it broke"}
    ]


def test_a_ko_inside_rescue_ends_rescue():
    flow = workflow([ok("a")], rescue=[ok("r1"), ok("r2")])
    ran, move = run(flow, {"a": Outcome.ko(), "r1": Outcome.ko("again")})
    assert ran == ["a", "r1"]
    assert move.status == "KO" and [f["step_id"] for f in move.faults] == ["a", "r1"]


def test_a_legacy_jump_continues_at_its_target_and_a_loop_meets_the_step_limit():
    legacy = [ok("a"), ok("b", next=[{"status": "OK", "step_id": "a"}])]
    flow, _ = definition.parse({"name": "w", "schema": "bill/invoice", "steps": legacy})
    ran, move = run(flow, {}, step_limit=7)
    assert ran[:4] == ["a", "b", ran[2], "a"]  # ran[2] is the converted jump step
    assert len(ran) == 7
    assert move.status == "KO" and move.faults[-1]["code"] == "step_limit"


def test_moves_never_change_the_position_they_are_given():
    flow = workflow([ok("a", next=[block("OK", ok("b"))]), ok("c")])
    start = position.start("main")
    here, a = position.settle(start, flow)
    kept = repr(here)
    position.after(flow, here, [], a, Outcome.ok(), steps_run=1, step_limit=10)
    assert repr(here) == kept and start == position.start("main")


def test_a_located_position_keeps_the_stored_frame_format():
    """Jobs in the database hold these frames: ``position.at`` must keep writing them."""
    flow = workflow([ok("a", next=[block("OK", ok("b"))]), ok("c")], rescue=[ok("r")])
    assert position.locate(flow, "b") == {
        "flow": "main",
        "stack": [[["steps"], 0], [["steps", 0, "next", 0, "steps"], 0]],
    }
    assert position.locate(flow, "r") == {"flow": "rescue", "stack": [[["rescue"], 0]]}
    stored = {"flow": "main", "stack": [[["steps"], 0], [["steps", 0, "next", 0, "steps"], 1]]}
    assert position.settle(stored, flow)[1].id == "c"  # past the block: on after its owner


def test_locate_finds_a_step_inside_a_block_and_refuses_an_unknown_one():
    flow = workflow([ok("a", next=[block("OK", ok("b"))]), ok("c")])
    here = position.locate(flow, "b")
    assert position.settle(here, flow)[1].id == "b"
    with pytest.raises(ValueError, match="nowhere"):
        position.locate(flow, "nowhere")
