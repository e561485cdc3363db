"""``manage.py verifactu convert``: what a script or an operator sees, and the exit codes."""

import json
import subprocess
import sys
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command

from tests.agencies.verifactu_samples import GOBL
from workflows.agencies.aeat import schemas, verifactu

FIRST = "2024-11-26T05:00:00+01:00"
PREVIOUS = {
    "issuer": "B98602642",
    "num_series": "SAMPLE-001",
    "issue_date": "2024-11-26",
    "fingerprint": "0123456789ABCDEF" * 4,
}
# sha256 of the README's formula over this invoice's values, chained to PREVIOUS
# (the same figure tests/agencies/test_verifactu_convert.py computes by hand).
HUELLA = "1A88F299181AAD1B074049FD74153BCE637396023B6D507D691191F643AA06BB"


def run(*args, capsys):
    try:
        call_command("verifactu", *args)
        code = 0
    except CommandError as error:
        sys.stderr.write(f"{error}\n")
        code = error.returncode
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, data, name):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_convert_prints_the_request_with_its_fingerprint(tmp_path, capsys):
    previous = write(tmp_path, PREVIOUS, "previous.json")
    code, out, err = run(
        "convert",
        str(GOBL / "es-invoice-es-es-verifactu.json"),
        "--previous",
        previous,
        "--generated-at",
        FIRST,
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    assert schemas.validate(out.encode()) == []
    assert f"<sum1:Huella>{HUELLA}</sum1:Huella>" in out
    assert "<sum1:RegistroAnterior>" in out
    assert "RegFactuSistemaFacturacion" in out


def test_without_previous_the_record_is_the_first(capsys):
    code, out, _ = run(
        "convert",
        str(GOBL / "es-invoice-es-es-verifactu.json"),
        "--generated-at",
        FIRST,
        capsys=capsys,
    )
    assert code == 0
    assert "<sum1:PrimerRegistro>S</sum1:PrimerRegistro>" in out


def test_the_generation_time_defaults_to_now_in_madrid(capsys):
    code, out, _ = run("convert", str(GOBL / "es-invoice-es-es-verifactu.json"), capsys=capsys)
    assert code == 0
    stamp = out.split("<sum1:FechaHoraHusoGenRegistro>")[1].split("<")[0]
    moment = datetime.fromisoformat(stamp)
    assert moment.utcoffset() == datetime.now(verifactu.MADRID).utcoffset()
    assert abs((datetime.now(verifactu.MADRID) - moment).total_seconds()) < 60


def test_cancel_prints_a_cancellation(capsys):
    code, out, _ = run(
        "convert",
        str(GOBL / "es-invoice-es-es-verifactu.json"),
        "--cancel",
        "--generated-at",
        FIRST,
        capsys=capsys,
    )
    assert code == 0
    assert "<sum1:RegistroAnulacion" in out
    assert schemas.validate(out.encode()) == []


@pytest.mark.parametrize(
    "name, expected",
    [
        ("es-invoice-es-es-verifactu-credit-note-no-preceding.json", "(no_preceding): preceding:"),
    ],
)
def test_an_example_that_cannot_be_converted_exits_2(name, expected, capsys):
    code, out, err = run("convert", str(GOBL / name), capsys=capsys)
    assert (code, out) == (2, "")
    assert expected in err


@pytest.mark.parametrize(
    "doc, expected",
    [
        (
            {"$schema": "https://gobl.org/draft-0/org/party", "name": "Provide One S.L."},
            "(not_an_invoice)",
        ),
        (
            {
                "$schema": "https://gobl.org/draft-0/bill/invoice",
                "code": "1",
                "issue_date": "2024-12-04",
                "supplier": {"name": "Acme GmbH", "tax_id": {"country": "DE", "code": "111111125"}},
            },
            "(not_spanish): supplier.tax_id",
        ),
        (
            {
                "$schema": "https://gobl.org/draft-0/bill/invoice",
                "code": "1",
                "issue_date": "2024-12-04",
                "supplier": {
                    "name": "Provide One",
                    "tax_id": {"country": "ES", "code": "B98602642"},
                },
            },
            "(missing_extension): tax.ext.es-verifactu-doc-type",
        ),
    ],
)
def test_a_document_that_cannot_be_converted_exits_2(tmp_path, doc, expected, capsys):
    code, out, err = run("convert", write(tmp_path, doc, "doc.json"), capsys=capsys)
    assert (code, out) == (2, "")
    assert expected in err


def test_bad_files_and_options_exit_2(tmp_path, capsys):
    doc = str(GOBL / "es-invoice-es-es-verifactu.json")
    cases = [
        (("convert", str(tmp_path / "missing.json")), "cannot read the document"),
        (("convert", write(tmp_path, "{not json", "bad.json")), "not valid JSON"),
        (("convert", doc, "--previous", write(tmp_path, {"issuer": "B1"}, "p.json")), "lacks"),
        (
            (
                "convert",
                doc,
                "--previous",
                write(tmp_path, {**PREVIOUS, "issue_date": "26/11"}, "q.json"),
            ),
            "not a date",
        ),
        (("convert", doc, "--generated-at", "yesterday"), "not a date-time"),
        (("convert", doc, "--generated-at", "2024-11-26T05:00:00"), "UTC offset"),
    ]
    for args, expected in cases:
        code, out, err = run(*args, capsys=capsys)
        assert (code, out) == (2, ""), args
        assert expected in err, (args, err)


def test_the_real_command_line_exit_codes(tmp_path):
    manage = [sys.executable, "manage.py", "verifactu", "convert"]
    ok = subprocess.run(
        [*manage, str(GOBL / "es-invoice-es-es-verifactu.json"), "--generated-at", FIRST],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("<soapenv:Envelope")
    bad = subprocess.run(
        [*manage, str(GOBL / "es-invoice-es-es-verifactu-credit-note-no-preceding.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "no_preceding" in bad.stderr
    assert "Traceback" not in bad.stderr
