"""The step tree on its own: the one address notation and the one walk, over the JSON
and over the typed definition alike."""

import pytest

from workflows import definition, tree
from workflows.tree import Address, AddressError


def step(step_id, *blocks):
    return {
        "id": step_id,
        "provider": "silo.state",
        "config": {"state": "sent"},
        "next": list(blocks),
    }


def block(status, *steps, **extra):
    return {"status": status, "steps": list(steps), **extra}


# a: if OK -> a1 (if KO -> a1x), else (KO, error flow) -> a2; then b. Rescue: r.
FLOW = {
    "name": "Tree",
    "schema": "bill/invoice",
    "steps": [
        step("a", block("OK", step("a1", block("KO", step("a1x")))), block("KO", step("a2"))),
        step("b"),
    ],
    "rescue": [step("r")],
}


def test_the_walk_is_depth_first_main_flow_then_rescue():
    walked = [(str(place.address), place.step["id"]) for place in tree.walk(FLOW)]
    assert walked == [
        ("steps[0]", "a"),
        ("steps[0].next[0].steps[0]", "a1"),
        ("steps[0].next[0].steps[0].next[0].steps[0]", "a1x"),
        ("steps[0].next[1].steps[0]", "a2"),
        ("steps[1]", "b"),
        ("rescue[0]", "r"),
    ]


def test_the_walk_gives_each_step_its_list_and_reads_the_typed_definition_too():
    for place in tree.walk(FLOW):
        assert place.siblings[place.address[-1]] is place.step
    workflow, _ = definition.parse(FLOW)
    typed = [(place.address, place.step.id) for place in tree.walk(workflow)]
    assert typed == [(place.address, place.step["id"]) for place in tree.walk(FLOW)]


def test_a_draft_missing_lists_walks_as_empty():
    assert list(tree.walk({"steps": [{"id": "x", "next": None}]}))[0].step["id"] == "x"
    assert list(tree.walk({})) == []


@pytest.mark.parametrize(
    "text, parts",
    [
        ("steps[2].next[0].steps[1]", ("steps", 2, "next", 0, "steps", 1)),
        ("steps[2].next[0]", ("steps", 2, "next", 0)),
        ("steps[2].next[0].steps", ("steps", 2, "next", 0, "steps")),
        ("rescue", ("rescue",)),
        ("rescue[3]", ("rescue", 3)),
    ],
)
def test_addresses_round_trip_through_the_validators_notation(text, parts):
    address = Address.parse(text)
    assert address == parts and str(address) == text
    assert Address.parse(str(Address(parts))) == address


def test_the_dotted_form_older_editor_pages_posted_is_still_read():
    assert Address.parse("steps.2.next.0.steps.1") == ("steps", 2, "next", 0, "steps", 1)
    assert str(Address.parse("steps.2.next.0")) == "steps[2].next[0]"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "doc[1]",
        "steps[x]",
        "steps[-1]",
        "steps[1].config",
        "steps[1].next.steps",
        "steps[1].next[0].steps[0",
        "steps[1]]",
        "steps[0].0",
        "steps.1.config",
        "rescue.next",
    ],
)
def test_a_bad_address_says_what_was_expected(bad):
    with pytest.raises(AddressError, match=r"not a step address: .*expected e\.g\. steps\[2\]"):
        Address.parse(bad)


def test_an_address_knows_what_it_names():
    step_address = Address.parse("steps[0].next[1].steps[0]")
    assert step_address.is_step and not step_address.is_block and not step_address.is_list
    assert step_address.depth == 1 and step_address.flow == "steps"
    assert step_address[:-2].is_block and step_address[:-1].is_list
    assert str(step_address[:-2]) == "steps[0].next[1]"  # a slice is an Address again
    assert step_address.slug == "steps-0-next-1-steps-0"
    assert [str(a) for a in step_address.lineage()] == ["steps[0]", "steps[0].next[1].steps[0]"]
    assert not Address(("steps", "next")).well_formed


def test_get_reads_steps_blocks_and_lists_in_nested_if_else_and_error_flow():
    assert tree.step_at(FLOW, Address.parse("steps[0].next[0].steps[0].next[0].steps[0]"))[
        "id"
    ] == ("a1x")
    error_flow = tree.block_at(FLOW, Address.parse("steps[0].next[1]"))
    assert error_flow["status"] == "KO" and error_flow["steps"][0]["id"] == "a2"
    assert [s["id"] for s in tree.steps_at(FLOW, Address.parse("rescue"))] == ["r"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tree.step_at(FLOW, Address.parse("steps[5]")), "nothing at steps[5]"),
        (lambda: tree.step_at(FLOW, Address.parse("steps[0].next[4].steps[0]")), "nothing at"),
        (lambda: tree.step_at(FLOW, Address.parse("steps[0].next[0]")), "not a step address"),
        (lambda: tree.block_at(FLOW, Address.parse("steps[0]")), "not a block address"),
        (lambda: tree.steps_at(FLOW, Address.parse("steps[0]")), "not a list of steps"),
    ],
)
def test_get_of_a_stale_or_wrong_kind_of_address_is_an_address_error(call, message):
    with pytest.raises(AddressError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_steps_at_can_add_the_list_a_draft_leaves_out():
    data = {"steps": [{"id": "a", "next": [{"status": "OK"}]}]}
    with pytest.raises(AddressError):
        tree.steps_at(data, Address.parse("rescue"))
    tree.steps_at(data, Address.parse("rescue"), create=True).append(step("r"))
    tree.steps_at(data, Address.parse("steps[0].next[0].steps"), create=True).append(step("i"))
    assert [str(place.address) for place in tree.walk(data)] == [
        "steps[0]",
        "steps[0].next[0].steps[0]",
        "rescue[0]",
    ]


def test_find_and_split_path():
    assert str(tree.find(FLOW, lambda s: s["id"] == "a2")) == "steps[0].next[1].steps[0]"
    assert tree.find(FLOW, lambda s: s["id"] == "nowhere") is None
    address, rest = tree.split_path("steps[0].next[0].steps[0].config.state")
    assert str(address) == "steps[0].next[0].steps[0]" and rest == "config.state"
    assert tree.split_path("steps[1].next[0].code") == (Address.parse("steps[1]"), "next[0].code")
    assert tree.split_path("name") == (None, "name")
    assert tree.split_path("steps") == (None, "steps")
