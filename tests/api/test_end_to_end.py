"""An integration seen only through the API: store an invoice, create a workflow from
JSON, run it with ``?wait``, download the PDF it made. The token comes from the
console's API page, as a user would get it; a worker thread runs the job."""

import re
import subprocess
import uuid

import pytest

from tests.api.client import ApiClient
from tests.factories import load_gobl

pytest.importorskip("workflows.actions.pdf")

PRINT_AND_REGISTER = {
    "name": "Print and register",
    "schema": "bill/invoice",
    "steps": [
        {"id": "print", "provider": "pdf.generate", "config": {}},
        {"id": "register", "provider": "silo.state", "config": {"state": "registered"}},
    ],
}


def test_upload_an_invoice_run_a_workflow_and_download_its_pdf(alice_client, worker):
    page = alice_client.post("/api/tokens/", {"name": "integration"}).content.decode()
    api = ApiClient(re.search(r'value="(wfc_[^"]+)"', page).group(1))

    invoice = load_gobl("es-invoice-es-es-freelance.json")
    entry = api.post("/silo/entries", {"doc": invoice, "key": "SAMPLE-001"}).json()
    workflow_id = uuid.uuid4()
    created = api.put(f"/workflows/{workflow_id}", PRINT_AND_REGISTER)
    assert created.status_code == 201, created.json()

    job = api.put(
        f"/jobs/{uuid.uuid4()}?wait=30",
        {"workflow_id": str(workflow_id), "silo_entry_id": entry["id"], "tags": ["e2e"]},
    ).json()

    assert job["status"] == "OK", job
    assert [i["step_id"] for i in job["intents"]] == ["print", "register"]
    stored = api.get(f"/silo/entries/{entry['id']}").json()
    assert stored["state"] == "registered"
    (pdf,) = [a for a in stored["attachments"] if a["mime"] == "application/pdf"]
    download = api.get(pdf["url"].removeprefix("/api/v1"))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF")
    assert len(content) == pdf["size"]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    assert "SAMPLE-001" in text
