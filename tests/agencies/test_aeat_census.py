"""aeat.census end to end: a workflow step asks the local AEAT's census (VNifV2) over
mutual TLS with the workspace's own certificate, as it will ask the AEAT."""

import json
from pathlib import Path

import pytest

from silo.services import create_entry
from tests.agencies.conftest import configure
from tests.jobs.flows import block, ok, run_flow
from workflows.actions.registry import get

DATA = Path(__file__).parent / "gobl"  # GOBL examples copied from the shared reference
FAST = {"max_attempts": 3, "backoff_s": 0}
FREELANCE = "es-invoice-es-es-freelance.json"  # customer ES 54387763P, Sample Consumer


def census(config=None, **extra):
    return {"id": "c", "provider": "aeat.census", "config": config or {}, **extra}


def run(workspace, document, steps):
    entry, _ = create_entry(workspace, json.loads((DATA / document).read_text()))
    job = run_flow(workspace, steps, entry=entry)
    return job, job.intents.get(step_id="c")


@pytest.fixture
def workspace(alice, aeat):
    configure(alice.workspace, aeat)
    return alice.workspace


def test_a_known_customer_is_OK_identified_with_the_census_name(workspace, aeat):
    aeat.set_census("54387763P", "CONSUMIDOR DE MUESTRA", "IDENTIFICADO")

    job, step = run(workspace, FREELANCE, [census()])

    assert job.status == "OK"
    assert (step.status, step.code) == ("OK", "identified")
    assert step.message == "AEAT census: 54387763P IDENTIFICADO as CONSUMIDOR DE MUESTRA"
    assert step.changes["aeat_census"]["name"] == "CONSUMIDOR DE MUESTRA"


@pytest.mark.parametrize(
    ("result", "code"),
    [
        ("NO IDENTIFICADO", "not_identified"),
        ("IDENTIFICADO-BAJA", "deregistered"),
        ("IDENTIFICADO-REVOCADO", "revoked"),
        ("NO IDENTIFICADO-SIMILAR", "similar"),
    ],
)
def test_every_other_answer_is_KO_with_its_code_a_condition_can_handle(
    workspace, aeat, result, code
):
    aeat.set_census("54387763P", "SOMEONE", result)
    handled = block("KO", ok("tell"), code=code)

    job, step = run(workspace, FREELANCE, [census(next=[handled])])

    assert (step.status, step.code) == ("KO", code)
    assert job.status == "OK"  # the KO block handled it
    assert job.intents.filter(step_id="tell", status="OK").exists()


def test_the_supplier_or_a_given_nif(workspace, aeat):
    _, supplier = run(workspace, FREELANCE, [census({"party": "supplier"})])
    job = run_flow(
        workspace, [census({"nif": "{{ args.nif }}", "name": "X"})], args={"nif": "ES B12345670"}
    )

    assert (supplier.status, supplier.code) == ("OK", "identified")  # valid check digit
    given = job.intents.get(step_id="c")
    assert (given.status, given.code) == ("KO", "not_identified")  # wrong check digit


def test_a_foreign_or_missing_tax_id_is_not_asked(workspace, aeat):
    _, foreign = run(workspace, "es-invoice-es-nl-tbai-b2c.json", [census()])
    _, greek = run(workspace, "gr-invoice-el-el.json", [census()])

    assert (foreign.status, foreign.code) == ("KO", "missing_tax_id")
    assert (greek.status, greek.code) == ("KO", "not_spanish")
    assert aeat.submissions() == 0


def test_the_aeat_down_is_retried_then_KO_unavailable(workspace, aeat):
    aeat.fail("down")

    job, step = run(workspace, FREELANCE, [census(retry=FAST)])

    assert (step.status, step.code) == ("KO", "unavailable")
    assert step.events.count() == 3


def test_without_settings_the_step_says_where_to_set_them(bob, aeat):
    _, workspace = bob

    _, step = run(workspace, FREELANCE, [census()])

    assert (step.status, step.code) == ("KO", "not_configured")
    assert "Settings > AEAT" in step.message


def test_a_certificate_the_aeat_does_not_trust_is_KO_certificate_refused(alice, aeat):
    _, workspace = alice
    foreign = aeat.client_p12("B12345674", "Acme", password="p12 password", foreign=True)
    configure(workspace, aeat, p12=foreign)

    _, step = run(workspace, FREELANCE, [census(retry=FAST)])

    assert (step.status, step.code) == ("KO", "certificate_refused")
    assert step.events.count() == 1  # not retried: waiting does not fix it


def test_the_action_is_in_the_tax_agencies_group_with_its_codes():
    action = get("aeat.census")

    assert (action.name, action.group) == ("AEAT census lookup", "Tax agencies")
    assert {"identified", "not_identified", "deregistered", "revoked", "similar"} <= set(
        action.codes
    )
    assert action.supports("bill/invoice") and action.supports("org/party")


def test_answers_the_console_does_not_know_and_faults_are_told_apart():
    from workflows.actions.base import TryLater
    from workflows.agencies.aeat import census

    envelope = (
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>{}'
        "</env:Body></env:Envelope>"
    )
    odd = envelope.format(
        f'<s:VNifV2Sal xmlns:s="{census.ANSWER_NS}"><s:Contribuyente><s:Nif>B12345674</s:Nif>'
        "<s:Nombre>ACME</s:Nombre><s:Resultado>NO PROCESADO</s:Resultado></s:Contribuyente>"
        "</s:VNifV2Sal>"
    )
    fault = "<env:Fault><faultcode>env:{}</faultcode><faultstring>{}</faultstring></env:Fault>"

    assert census.parse(odd.encode()).outcome == ("KO", "unknown_result")
    with pytest.raises(TryLater):
        census.parse(envelope.format(fault.format("Server", "busy")).encode())
    with pytest.raises(census.CensusError, match="Codigo\\[4102\\]"):
        census.parse(envelope.format(fault.format("Client", "Codigo[4102].bad")).encode())
    with pytest.raises(TryLater):
        census.parse(b"<html>proxy error</html")
