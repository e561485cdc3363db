"""Digits that are not ASCII ("²" is a digit to str.isdigit, not to int) are bad
input with a clear answer, never a 500."""

import copy

from silo.services import create_entry, update_entry
from tests.factories import load_gobl
from workflows.outbound import parse_retry_after
from workflows.services import create_workflow


def test_an_editor_address_with_a_superscript_digit_is_refused(alice_client, alice):
    workflow, _ = create_workflow(
        alice.workspace,
        {
            "name": "w",
            "schema": "bill/invoice",
            "steps": [{"id": "a", "provider": "simulate.outcome", "config": {"status": "OK"}}],
        },
    )
    response = alice_client.post(
        f"/workflows/{workflow.pk}/edit/do/delete/", {"address": "steps.²", "step_id": "a"}
    )
    assert response.status_code == 400


def test_a_revision_asked_for_with_a_superscript_digit_shows_the_newest(alice_client, alice):
    entry, _ = create_entry(alice.workspace, load_gobl("es-invoice-es-es-freelance.json"))
    changed = copy.deepcopy(entry.doc)
    changed["doc"]["code"] = "CHANGED-1"
    update_entry(entry, doc=changed, expected_version=entry.version)
    response = alice_client.get(f"/silo/{entry.pk}/?tab=revisions&revision=²")
    assert response.status_code == 200


def test_a_retry_after_of_a_superscript_digit_is_no_retry_after():
    assert parse_retry_after("²") is None
    assert parse_retry_after("7") == 7
