"""``manage.py local_aeat``: the local AEAT as its own process, told to fail and read
through its control interface over HTTPS, as the demo and scripts use it."""

import json
import signal
import subprocess
import sys

import pytest

from tests.agencies import aeat_requests as build
from workflows import outbound
from workflows.actions.base import TryLater
from workflows.agencies.aeat import certificates, soap
from workflows.agencies.aeat.credentials import Credentials

ISSUER = "B12345674"


@pytest.fixture
def command(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "local_aeat",
            "--port",
            "0",
            "--state",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().split(" at ")[1].split()[0]  # waits for the first line
    yield process, url, tmp_path / "state"
    if process.poll() is None:
        process.kill()
        process.wait()


def issue(state, tmp_path):
    target = tmp_path / "seal.p12"
    subprocess.run(
        [sys.executable, "manage.py", "local_aeat", "--state", str(state),
         "--issue", ISSUER, "Acme SL", str(target), "--password", "pw"],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificates.load(target.read_bytes(), "pw")


def test_it_serves_is_controlled_and_stops_on_sigterm(command, tmp_path):
    process, url, state = command
    certificate = issue(state, tmp_path)
    ca = str(state / "ca.pem")
    caller = Credentials("local", ISSUER, "Acme SL", certificate, url + "/v", url + "/c", ca)

    def control(method, path, body=None):
        response = outbound.request(
            method, url + path, allow_private=True, client_certificate=certificate, trust=ca,
            content=json.dumps(body).encode() if body else None,
        )  # fmt: skip
        return response.status, json.loads(response.body)

    assert control("POST", "/control/fail", {"kind": "down"})[0] == 200
    record, _ = build.alta(ISSUER, "F-1")
    verifactu = url + "/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"
    with pytest.raises(TryLater):
        soap.call(verifactu, build.submission(ISSUER, "Acme SL", [record]), credentials=caller)
    control("POST", "/control/fail", {"kind": "clear"})
    soap.call(verifactu, build.submission(ISSUER, "Acme SL", [record]), credentials=caller)
    status, held = control("GET", f"/control/records?issuer={ISSUER}")
    assert status == 200
    assert [(r["num_series"], r["state"]) for r in held["records"]] == [("F-1", "Correcto")]
    assert control("POST", "/control/fail", {"kind": "sideways"}) == (
        400, {"error": "unknown failure 'sideways': down, slow, code or clear"}
    )  # fmt: skip

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert "stopped" in process.stdout.read()
