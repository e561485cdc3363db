"""SPEC section 4, rule by rule: the exact steps executed and the job's status."""

import pytest

from tests.jobs.flows import block, executed, ko, ok, run_flow

FAST = {"max_attempts": 3, "backoff_s": 0}

CASES = [
    # S1 sequence
    ("S1 steps run in order", [ok("a"), ok("b"), ok("c")], [], ["a", "b", "c"], "OK"),
    ("S1 empty workflow ends OK", [], [], [], "OK"),
    # S3 retries
    ("S3 retries that succeed", [ok("a", transient=2, retry=FAST), ok("b")], [], ["a", "b"], "OK"),
    (
        "S3 retries that run out are an unhandled KO",
        [ok("a", transient=5, retry=FAST), ok("b")],
        [],
        ["a"],
        "KO",
    ),
    (
        "S3 retries that run out can be handled by their code",
        [ok("a", transient=5, retry=FAST, next=[block("KO", ok("h"), code="simulated")]), ok("b")],
        [],
        ["a", "h", "b"],
        "OK",
    ),
    # S4 block choice
    (
        "S4 the first matching block runs, only one",
        [ok("a", next=[block("KO", ok("x")), block("ANY", ok("y")), block("OK", ok("z"))])],
        [],
        ["a", "y"],
        "OK",
    ),
    (
        "S4 a code must match exactly",
        [ko("a", code="e1", next=[block("KO", ok("x"), code="e2")])],
        [],
        ["a"],
        "KO",
    ),
    (
        "S4 ANY with a code matches an OK with that code",
        [ok("a", code="c", next=[block("ANY", ok("x"), code="c")]), ok("b")],
        [],
        ["a", "x", "b"],
        "OK",
    ),
    (
        "S4 ANY with a code matches a KO with that code",
        [ko("a", code="c", next=[block("ANY", ok("x"), code="c")]), ok("b")],
        [],
        ["a", "x", "b"],
        "OK",
    ),
    (
        "S4 ANY with a code ignores another code",
        [ko("a", code="d", next=[block("ANY", ok("x"), code="c")]), ok("b")],
        [],
        ["a"],
        "KO",
    ),
    (
        "S4 an OK with no matching block goes on",
        [ok("a", next=[block("KO", ok("x"))]), ok("b")],
        [],
        ["a", "b"],
        "OK",
    ),
    # S5 block run
    (
        "S5 after a block the step after its owner runs",
        [ok("a", next=[block("OK", ok("x"), ok("y"))]), ok("b")],
        [],
        ["a", "x", "y", "b"],
        "OK",
    ),
    (
        "S5 stop ends the job after the block",
        [ok("a", next=[block("OK", ok("x"), stop=True)]), ok("b")],
        [],
        ["a", "x"],
        "OK",
    ),
    (
        "S5 an empty block with stop ends the job",
        [ko("a", next=[block("KO", stop=True)]), ok("b")],
        [],
        ["a"],
        "OK",
    ),
    (
        "S5 nested blocks return to each owner in turn",
        [ok("a", next=[block("OK", ok("b", next=[block("OK", ok("c"))]), ok("d"))]), ok("e")],
        [],
        ["a", "b", "c", "d", "e"],
        "OK",
    ),
    (
        "S5 a stop in a nested block ends the whole job",
        [
            ok("a", next=[block("OK", ok("b", next=[block("OK", ok("c"), stop=True)]), ok("d"))]),
            ok("e"),
        ],
        [],
        ["a", "b", "c"],
        "OK",
    ),
    # S6 unhandled KO and rescue
    (
        "S6 an unhandled KO stops the main flow and runs rescue",
        [ok("a"), ko("b"), ok("c")],
        [ok("r1"), ok("r2")],
        ["a", "b", "r1", "r2"],
        "KO",
    ),
    (
        "S6 a handled KO runs no rescue",
        [ko("a", next=[block("KO", ok("h"))]), ok("b")],
        [ok("r")],
        ["a", "h", "b"],
        "OK",
    ),
    (
        "S6 a KO inside a block is unhandled too",
        [ok("a", next=[block("OK", ko("x"), ok("y"))]), ok("b")],
        [ok("r")],
        ["a", "x", "r"],
        "KO",
    ),
    ("S6 a KO in rescue ends rescue", [ko("a")], [ko("r1"), ok("r2")], ["a", "r1"], "KO"),
    (
        "S6 a KO in rescue can be handled by a block",
        [ko("a")],
        [ko("r1", next=[block("KO", ok("r2"))]), ok("r3")],
        ["a", "r1", "r2", "r3"],
        "KO",
    ),
    (
        "S6 a stop in rescue ends the job KO",
        [ko("a")],
        [ok("r1", next=[block("OK", stop=True)]), ok("r2")],
        ["a", "r1"],
        "KO",
    ),
    ("S6 without rescue an unhandled KO ends the job", [ko("a"), ok("b")], [], ["a"], "KO"),
]


@pytest.mark.parametrize(
    ("steps", "rescue", "expected", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_semantics(alice, steps, rescue, expected, status):
    job = run_flow(alice.workspace, steps, rescue)
    assert executed(job) == expected
    assert job.status == status


def test_every_attempt_is_recorded_and_the_last_transient_code_is_the_outcome(alice):
    job = run_flow(alice.workspace, [ok("a", transient=9, retry=FAST)])
    intent = job.intents.get()
    assert [(e.index, e.status, e.code) for e in intent.events.all()] == [
        (1, "RETRY", "simulated"),
        (2, "RETRY", "simulated"),
        (3, "KO", "simulated"),
    ]
    assert job.faults == [
        {
            "step_id": "a",
            "provider": "simulate.outcome",
            "code": "simulated",
            "message": "Simulated transient failure 3",
        }
    ]


def test_the_outcome_code_and_message_are_kept(alice):
    job = run_flow(
        alice.workspace,
        [ko("a", code="E42", message="Tax agency said no", next=[block("KO", ok("h"))])],
    )
    intent = job.intents.get(step_id="a")
    assert (intent.status, intent.code, intent.message) == ("KO", "E42", "Tax agency said no")
