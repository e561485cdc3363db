"""The one validator: JSON paths in errors, conversions, round trips."""

import json

import pytest

from workflows import definition
from workflows.definition import DefinitionError, parse


def problems(data):
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    return {issue.path: issue.message for issue in caught.value.issues}


def workflow(*steps, **extra):
    return {"name": "W", "schema": "bill/invoice", "steps": list(steps), **extra}


def sim(step_id="a", **config):
    return {"id": step_id, "provider": "simulate.outcome", "config": {"status": "OK", **config}}


def test_a_valid_workflow_gets_ids_and_names():
    parsed, warnings = parse(workflow({"provider": "silo.state", "config": {"state": "sent"}}))
    step = parsed.steps[0]
    assert len(step.id) == 8 and step.name == "Set state" and warnings == []


def test_errors_name_their_json_path_and_expectation():
    found = problems(
        workflow(
            sim("a"),
            {
                "id": "b",
                "provider": "simulate.outcome",
                "config": {"status": "OK"},
                "next": [{"code": "x", "steps": []}, {"status": "MAYBE", "steps": []}],
            },
        )
    )
    assert found["steps[1].next[0].status"] == "required"
    assert "'OK', 'KO' or 'ANY'" in found["steps[1].next[1].status"]


def test_unknown_keys_are_refused():
    assert "unknown key" in problems(workflow(sim(), colour="blue"))["colour"]
    assert "unknown key" in problems(workflow({**sim(), "when": "now"}))["steps[0].when"]


def test_unknown_provider():
    found = problems(workflow({"id": "x", "provider": "fax.send"}))
    assert "unknown provider 'fax.send'" in found["steps[0].provider"]


def test_duplicate_step_ids_anywhere_in_the_workflow():
    nested = {**sim("a"), "next": [{"status": "OK", "steps": [sim("b")]}]}
    found = problems(workflow(nested, rescue=[sim("b")]))
    assert "duplicate step id 'b'" in found["rescue[0].id"]


def test_config_is_checked_against_the_action():
    found = problems(
        workflow(
            {"id": "s", "provider": "silo.state", "config": {"state": "lost"}},
            {"id": "t", "provider": "simulate.outcome", "config": {"status": "OK", "colour": 1}},
            {"id": "u", "provider": "simulate.outcome", "config": {}},
        )
    )
    assert "steps[0].config.state" in found
    assert "unknown key" in found["steps[1].config.colour"]
    assert found["steps[2].config.status"] == "required"


def test_templates_are_checked_for_syntax_and_accepted_for_typed_fields():
    parse(workflow({"id": "w", "provider": "delay.wait", "config": {"seconds": "{{ args.s }}"}}))
    found = problems(workflow(sim("a", message="{{ doc.code ")))
    assert "template syntax error" in found["steps[0].config.message"]


def test_a_jump_must_name_an_existing_step():
    found = problems(workflow({"id": "g", "provider": "flow.goto", "config": {"step_id": "zz"}}))
    assert "no step has the id 'zz'" in found["steps[0].config.step_id"]


def test_an_action_must_support_the_schema(monkeypatch):
    from workflows.actions import registry

    monkeypatch.setattr(registry.get("silo.state"), "schemas", ("org/party",))
    found = problems(workflow({"id": "s", "provider": "silo.state", "config": {"state": "sent"}}))
    assert "does not work on bill/invoice" in found["steps[0].provider"]


def test_not_an_object():
    assert problems([1, 2]) == {"": "expected a JSON object"}


def test_legacy_flat_jumps_are_converted():
    parsed, _ = parse(
        workflow(
            {
                **sim("a"),
                "next": [
                    {"status": "OK", "step_id": "c"},
                    {"status": "TIMEOUT", "step_id": "b", "stop": True},
                    {"status": "SKIP", "step_id": "c"},
                ],
            },
            sim("b"),
            sim("c"),
        )
    )
    blocks = parsed.steps[0].next
    assert [(b.status, b.code, b.stop) for b in blocks] == [
        ("OK", None, False),
        ("KO", "timeout", True),
        ("OK", "skip", False),
    ]
    assert blocks[1].steps[0].provider == "flow.goto"
    assert blocks[1].steps[0].config == {"step_id": "b"}


def test_export_import_export_is_identical_but_for_id_and_version():
    source = workflow(
        {
            **sim("a"),
            "retry": {"max_attempts": 3, "backoff_s": 1},
            "next": [{"status": "KO", "code": "x", "stop": True, "steps": [sim("b")]}],
        },
        {"provider": "if.compare", "config": {"path": "doc.currency"}},
        rescue=[{"provider": "silo.state", "config": {"state": "error"}}],
    )
    first = parse(source)[0].export()
    second = parse(json.loads(json.dumps({**first, "id": None, "version": 7})))[0].export()
    assert {**first, "version": None} == {**second, "version": None}


def test_the_json_schema_is_exported_from_the_code():
    schema = definition.json_schema()
    assert schema["title"] == "Workflow"
    assert set(schema["required"]) == {"name", "schema"}
    assert "Block" in schema["$defs"] and "Step" in schema["$defs"]
