"""The editor's operations on the definition, without a browser: each returns new data
that the one validator accepts (or marks), and never changes its input."""

import copy

import pytest

from workflows import editing
from workflows.definition import parse
from workflows.editing import EditError
from workflows.tree import Address, AddressError


def step(step_id, provider="silo.state", **extra):
    config = {"state": "sent"} if provider == "silo.state" else {}
    return {
        "id": step_id,
        "name": step_id,
        "provider": provider,
        "config": config,
        "next": [],
        **extra,
    }


def flow(*steps, rescue=()):
    return {
        "name": "Flow",
        "description": "",
        "schema": "bill/invoice",
        "steps": list(steps),
        "rescue": list(rescue),
    }


def ids(steps):
    return [s["id"] for s in steps]


@pytest.fixture
def three():
    return flow(step("a"), step("b"), step("c"))


def test_insert_adds_a_step_with_a_fresh_id_and_the_action_name(three):
    data, address = editing.insert(three, ("steps",), 1, "if.compare")
    assert address == ("steps", 1)
    new = data["steps"][1]
    assert new["provider"] == "if.compare" and new["name"] == "If / else"
    assert new["id"] not in {"a", "b", "c"}
    assert ids(three["steps"]) == ["a", "b", "c"]  # the input is untouched


def test_insert_at_the_end_and_into_rescue(three):
    data, address = editing.insert(three, ("steps",), 3, "silo.state")
    assert address == ("steps", 3)
    data, address = editing.insert(data, ("rescue",), 0, "silo.state")
    assert address == ("rescue", 0) and len(data["rescue"]) == 1


def test_insert_of_an_unknown_action_or_out_of_range_is_refused(three):
    with pytest.raises(EditError):
        editing.insert(three, ("steps",), 0, "no.such")
    with pytest.raises(EditError):
        editing.insert(three, ("steps",), 9, "silo.state")


def test_a_new_step_is_marked_until_its_config_is_filled_in(three):
    data, address = editing.insert(three, ("steps",), 0, "silo.state")
    by_step, general = editing.issues(data)
    assert general == []
    assert [i.path for i in by_step[Address.parse("steps[0]")]] == ["config.state"]
    data = editing.update_step(data, address, config={"state": "registered"}, name="Register")
    assert editing.issues(data) == ({}, [])
    assert data["steps"][0]["name"] == "Register"


def test_move_up_and_down_within_a_list(three):
    data, address = editing.move(three, ("steps", 2), -1)
    assert ids(data["steps"]) == ["a", "c", "b"] and address == ("steps", 1)
    data, address = editing.move(data, ("steps", 0), +1)
    assert ids(data["steps"]) == ["c", "a", "b"] and address == ("steps", 1)
    with pytest.raises(EditError):
        editing.move(data, ("steps", 0), -1)
    with pytest.raises(EditError):
        editing.move(data, ("steps", 2), +1)


def test_drag_to_another_place_in_the_same_list(three):
    data, address = editing.move_to(three, ("steps", 0), ("steps",), 3)
    assert ids(data["steps"]) == ["b", "c", "a"] and address == ("steps", 2)
    data, address = editing.move_to(three, ("steps", 2), ("steps",), 0)
    assert ids(data["steps"]) == ["c", "a", "b"] and address == ("steps", 0)


def test_nest_a_step_into_a_block_and_back_out(three):
    data, block = editing.add_block(three, ("steps", 0), status="KO", code="boom", stop=True)
    data, address = editing.move_to(data, ("steps", 2), (*block, "steps"), 0)
    assert ids(data["steps"]) == ["a", "b"]
    assert ids(data["steps"][0]["next"][0]["steps"]) == ["c"]
    assert address == ("steps", 0, "next", 0, "steps", 0)
    parse(data)  # still a valid workflow

    data, address = editing.move_to(data, address, ("steps",), 0)
    assert ids(data["steps"]) == ["c", "a", "b"] and address == ("steps", 0)
    assert data["steps"][1]["next"][0]["steps"] == []


def test_moving_a_step_out_of_a_block_of_a_later_step(three):
    data, block = editing.add_block(three, ("steps", 2), status="OK")
    data, inner = editing.insert(data, (*block, "steps"), 0, "silo.state")
    data, address = editing.move_to(data, inner, ("steps",), 0)
    assert data["steps"][0]["provider"] == "silo.state" and address == ("steps", 0)
    assert data["steps"][3]["next"][0]["steps"] == []


def test_a_step_cannot_move_into_its_own_blocks(three):
    data, block = editing.add_block(three, ("steps", 0), status="OK")
    with pytest.raises(EditError, match="own blocks"):
        editing.move_to(data, ("steps", 0), (*block, "steps"), 0)


def test_blocks_nest_to_any_depth(three):
    data, block = editing.add_block(three, ("steps", 1), status="KO")
    data, inner = editing.insert(data, (*block, "steps"), 0, "simulate.outcome")
    data, deeper = editing.add_block(data, inner, status="ANY", code="x")
    data, deepest = editing.insert(data, (*deeper, "steps"), 0, "silo.state")
    assert deepest == ("steps", 1, "next", 0, "steps", 0, "next", 0, "steps", 0)
    by_step, _ = editing.issues(data)
    assert {str(address) for address in by_step} == {
        "steps[1].next[0].steps[0]",
        "steps[1].next[0].steps[0].next[0].steps[0]",
    }


def test_edit_a_block_keeps_its_steps_and_remove_drops_them(three):
    data, block = editing.add_block(three, ("steps", 0), status="OK", code="true")
    data, _ = editing.insert(data, (*block, "steps"), 0, "silo.state")
    data = editing.edit_block(data, block, status="ANY", code="", stop=True)
    edited = data["steps"][0]["next"][0]
    assert edited["status"] == "ANY" and "code" not in edited and edited["stop"] is True
    assert len(edited["steps"]) == 1
    data = editing.remove_block(data, block)
    assert data["steps"][0]["next"] == []
    with pytest.raises(EditError):
        editing.add_block(data, ("steps", 0), status="MAYBE")


def test_replace_keeps_id_and_blocks_but_resets_config(three):
    data, block = editing.add_block(three, ("steps", 1), status="KO", code="x")
    data = editing.replace(data, ("steps", 1), "simulate.outcome")
    replaced = data["steps"][1]
    assert replaced["id"] == "b" and replaced["provider"] == "simulate.outcome"
    assert replaced["name"] == "Simulate outcome" and replaced["config"] == {}
    assert replaced["next"][0]["code"] == "x"


def test_duplicate_copies_blocks_with_fresh_ids(three):
    data, block = editing.add_block(three, ("steps", 0), status="KO")
    data, _ = editing.insert(data, (*block, "steps"), 0, "silo.state")
    data = editing.update_step(data, (*block, "steps", 0), config={"state": "error"})
    data, address = editing.duplicate(data, ("steps", 0))
    assert address == ("steps", 1)
    original, copied = data["steps"][0], data["steps"][1]
    assert copied["id"] != original["id"]
    assert copied["next"][0]["steps"][0]["id"] != original["next"][0]["steps"][0]["id"]
    assert copied["next"][0]["steps"][0]["config"] == {"state": "error"}
    parse(data)  # unique ids: the validator agrees


def test_delete_removes_the_step_and_what_it_holds(three):
    data, block = editing.add_block(three, ("steps", 1), status="KO")
    data, _ = editing.insert(data, (*block, "steps"), 0, "silo.state")
    data = editing.delete(data, ("steps", 1))
    assert ids(data["steps"]) == ["a", "c"]
    with pytest.raises(AddressError, match=r"nothing at steps\[5\]"):
        editing.delete(data, ("steps", 5))


def test_handle_errors_off_empties_the_rescue_flow():
    data = flow(step("a"), rescue=[step("r")])
    assert editing.set_rescue(data, True)["rescue"] == data["rescue"]
    assert editing.set_rescue(data, False)["rescue"] == []


def test_details_change_name_and_description_and_an_empty_name_is_marked(three):
    data = editing.set_details(three, name="  Send  ", description="Mails it")
    assert data["name"] == "Send" and data["description"] == "Mails it"
    data = editing.set_details(three, name="", description="")
    _, general = editing.issues(data)
    assert [i.path for i in general] == ["name"]


def test_legacy_jumps_are_counted_and_replace_makes_them_regular_steps():
    legacy = {
        "name": "Old",
        "schema": "bill/invoice",
        "steps": [
            {
                "id": "a",
                "provider": "silo.state",
                "config": {"state": "sent"},
                "next": [{"status": "KO", "step_id": "c"}],
            },
            {"id": "b", "provider": "silo.state", "config": {"state": "sent"}},
            {"id": "c", "provider": "silo.state", "config": {"state": "error"}},
        ],
    }
    parsed, _ = parse(legacy)
    data = parsed.export()
    assert editing.legacy_jumps(data) == 1
    jump = ("steps", 0, "next", 0, "steps", 0)
    data = editing.replace(data, jump, "silo.state")
    assert editing.legacy_jumps(data) == 0


def test_operations_never_change_their_input(three):
    before = copy.deepcopy(three)
    editing.insert(three, ("steps",), 0, "silo.state")
    editing.move(three, ("steps", 0), 1)
    editing.duplicate(three, ("steps", 0))
    editing.delete(three, ("steps", 0))
    editing.add_block(three, ("steps", 0), status="OK")
    editing.replace(three, ("steps", 0), "if.compare")
    assert three == before
