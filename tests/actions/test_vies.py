"""vies.lookup against a local server that speaks VIES's SOAP protocol (checkVatService):
registered, not registered, refused input, and the member state's service being down,
which is transient and retried."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from defusedxml import ElementTree

from silo.services import create_entry
from tests.factories import load_gobl
from tests.jobs.flows import block, ok, run_flow
from workflows.actions.vies import SOAP, TYPES

FAST = {"max_attempts": 3, "backoff_s": 0}

RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body>
<ns2:checkVatResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types">
<ns2:countryCode>{country}</ns2:countryCode><ns2:vatNumber>{number}</ns2:vatNumber>
<ns2:requestDate>2026-11-26+01:00</ns2:requestDate><ns2:valid>{valid}</ns2:valid>
<ns2:name>{name}</ns2:name><ns2:address>{address}</ns2:address>
</ns2:checkVatResponse></env:Body></env:Envelope>"""

FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><env:Fault>
<faultcode>env:Server</faultcode><faultstring>{fault}</faultstring>
</env:Fault></env:Body></env:Envelope>"""


class FakeVies:
    """VIES on loopback: knows some registered numbers; ``down`` lists member states
    whose service is unavailable (each entry serves one request)."""

    def __init__(self, registered=None, down=()):
        self.registered = registered or {}
        self.down = list(down)
        self.asked = []
        vies = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ElementTree.fromstring(body).find(f"{{{SOAP}}}Body/{{{TYPES}}}checkVat")
                country = request.findtext(f"{{{TYPES}}}countryCode")
                number = request.findtext(f"{{{TYPES}}}vatNumber")
                vies.asked.append((country, number, self.headers["Content-Type"]))
                status, content = vies.answer(country, number)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml;charset=UTF-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/checkVatService"

    def answer(self, country, number):
        if country in self.down:
            self.down.remove(country)
            return 500, FAULT.format(fault="MS_UNAVAILABLE").encode()
        if not number or not number.isalnum() or len(number) > 12:
            return 500, FAULT.format(fault="INVALID_INPUT").encode()
        name, address = self.registered.get(f"{country}{number}", ("---", "---"))
        valid = "true" if f"{country}{number}" in self.registered else "false"
        content = RESPONSE.format(
            country=country, number=number, valid=valid, name=name, address=address
        )
        return 200, content.encode()

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vies(settings):
    registered = {
        "ES54387763P": ("SAMPLE CONSUMER", "CALLE MAYOR 1\n28001 MADRID"),
        "EL841442160": ("ACME HELLAS", "ATHENS"),
    }
    with FakeVies(registered) as server:
        settings.VIES_URL = server.url
        yield server


def lookup(config=None, **extra):
    return {"id": "v", "provider": "vies.lookup", "config": config or {}, **extra}


def run(workspace, document, steps, **options):
    entry, _ = create_entry(workspace, load_gobl(document))
    job = run_flow(workspace, steps, entry=entry, **options)
    return job, job.intents.get(step_id="v")


def test_a_registered_customer_is_OK_with_its_name(alice, vies):
    _, workspace = alice

    job, step = run(workspace, "es-invoice-es-es-freelance.json", [lookup()])

    assert job.status == "OK"
    assert (step.status, step.code) == ("OK", "registered")
    assert step.message == "VIES: ES 54387763P is registered (SAMPLE CONSUMER)"
    assert step.changes["vies"]["address"] == "CALLE MAYOR 1\n28001 MADRID"
    assert vies.asked == [("ES", "54387763P", "text/xml; charset=utf-8")]


def test_an_unregistered_number_is_KO_not_registered(alice, vies):
    _, workspace = alice
    handled = block("KO", ok("tell"), code="not_registered")

    job, step = run(
        workspace,
        "es-invoice-es-es-freelance.json",
        [lookup({"party": "supplier"}, next=[handled])],
    )

    assert job.status == "OK"
    assert (step.status, step.code) == ("KO", "not_registered")
    assert step.message == "VIES: ES 58384285G is not registered"


def test_a_member_state_that_is_down_is_retried(alice, vies):
    _, workspace = alice
    vies.down = ["EL", "EL"]

    job, step = run(workspace, "gr-invoice-el-el.json", [lookup(retry=FAST)])

    assert (step.status, step.code) == ("OK", "registered")
    events = list(step.events.order_by("index").values_list("status", "code"))
    assert [code for _, code in events] == ["ms_unavailable", "ms_unavailable", "registered"]
    assert len(vies.asked) == 3


def test_when_attempts_run_out_the_step_is_KO_with_the_transient_code(alice, vies):
    _, workspace = alice
    vies.down = ["EL"] * 3

    job, step = run(workspace, "gr-invoice-el-el.json", [lookup(retry=FAST)])

    assert job.status == "KO"
    assert (step.status, step.code) == ("KO", "ms_unavailable")


def test_input_vies_refuses_is_KO_invalid_input(alice, vies):
    _, workspace = alice

    job = run_flow(workspace, [lookup({"vat_number": "ES 12-34"})], args={"k": "v"})

    step = job.intents.get(step_id="v")
    assert (step.status, step.code) == ("KO", "invalid_input")


def test_a_number_from_the_arguments_without_an_entry(alice, vies):
    _, workspace = alice

    job = run_flow(
        workspace, [lookup({"vat_number": "{{ args.vat }}"})], args={"vat": "el 841442160"}
    )

    step = job.intents.get(step_id="v")
    assert (step.status, step.code) == ("OK", "registered")
    assert vies.asked[0][:2] == ("EL", "841442160")


def test_outside_the_eu_nothing_is_asked(alice, vies):
    _, workspace = alice

    _, step = run(workspace, "es-invoice-es-es-sii-N2.json", [lookup()])
    _, missing = run(workspace, "es-invoice-es-nl-tbai-b2c.json", [lookup()])

    assert (step.status, step.code) == ("KO", "not_in_eu")
    assert (missing.status, missing.code) == ("KO", "missing_tax_id")
    assert vies.asked == []


def test_an_unreachable_service_is_transient(alice, settings):
    _, workspace = alice
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.VIES_URL = f"http://127.0.0.1:{closed.getsockname()[1]}/checkVatService"

        job, step = run(workspace, "es-invoice-es-es-freelance.json", [lookup(retry=FAST)])

    assert (step.status, step.code) == ("KO", "network")
    assert step.events.count() == 3
