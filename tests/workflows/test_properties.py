"""Property tests: the engine agrees with a tiny reference interpreter on random
workflows, and random JSON never makes the validator raise anything else."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.jobs.flows import executed, run_flow
from workflows.definition import DefinitionError, parse

counter = iter(range(10**9))


def steps_strategy(depth):
    def build(status, code, blocks):
        return {
            "id": f"s{next(counter)}",
            "provider": "simulate.outcome",
            "config": {"status": status, "code": code},
            "next": blocks,
        }

    block = st.builds(
        lambda status, code, stop, steps: {
            "status": status,
            "code": code,
            "stop": stop,
            "steps": steps,
        },
        st.sampled_from(["OK", "KO", "ANY"]),
        st.sampled_from([None, "a", "b"]),
        st.booleans(),
        steps_strategy(depth - 1) if depth else st.just([]),
    )
    step = st.builds(
        build,
        st.sampled_from(["OK", "KO"]),
        st.sampled_from(["", "a", "b"]),
        st.lists(block, max_size=2) if depth else st.just([]),
    )
    return st.lists(step, max_size=4)


def reference(main, rescue):
    trace = []

    def run(steps):
        for step in steps:
            trace.append(step["id"])
            status, code = step["config"]["status"], step["config"]["code"]
            chosen = next(
                (
                    b
                    for b in step["next"]
                    if b["status"] in (status, "ANY") and (b["code"] is None or b["code"] == code)
                ),
                None,
            )
            if chosen is not None:
                result = run(chosen["steps"])
                if result != "done":
                    return result
                if chosen["stop"]:
                    return "stop"
            elif status == "KO":
                return "unhandled"
        return "done"

    if run(main) == "unhandled":
        run(rescue)
        return trace, "KO"
    return trace, "OK"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(main=steps_strategy(2), rescue=steps_strategy(1))
def test_engine_agrees_with_the_reference(alice, main, rescue):
    job = run_flow(alice.workspace, main, rescue)
    trace, status = reference(main, rescue)
    assert (executed(job), job.status) == (trace, status)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "schema",
                    "steps",
                    "rescue",
                    "next",
                    "status",
                    "provider",
                    "config",
                    "id",
                    "code",
                    "stop",
                    "retry",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=json_values)
def test_random_json_only_ever_gives_a_validation_error(data):
    try:
        parse(data)
    except DefinitionError as error:
        assert error.issues and all(isinstance(i.path, str) for i in error.issues)
