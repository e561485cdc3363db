"""A Python client generated from the served OpenAPI document (openapi-python-client)
works: it stores an invoice, creates a workflow with a PDF step, runs a job with
``?wait``, lists it and downloads the PDF, all through its typed functions.

The generated client talks to the app in-process (httpx's WSGI transport); a worker
thread runs the job, so the data is committed (``worker`` uses transactional_db).
"""

import importlib
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from django.core.wsgi import get_wsgi_application

from tests.factories import load_gobl

GENERATOR = shutil.which("openapi-python-client") or str(
    Path(sys.executable).parent / "openapi-python-client"
)
if not Path(GENERATOR).exists():
    pytest.skip("openapi-python-client is not installed", allow_module_level=True)

PRINT = {
    "name": "Print",
    "schema": "bill/invoice",
    "steps": [{"id": "print", "provider": "pdf.generate", "config": {}}],
}


@pytest.fixture
def generated(alice_api, tmp_path, monkeypatch):
    """The client package generated from /api/v1/openapi.json, imported."""
    spec = tmp_path / "openapi.json"
    spec.write_bytes(alice_api.get("/openapi.json").content)
    subprocess.run(
        [GENERATOR, "generate", "--path", spec, "--meta", "none"]
        + ["--output-path", tmp_path / "console_client"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield lambda name: importlib.import_module(f"console_client.{name}")
    for name in [m for m in sys.modules if m.split(".")[0] == "console_client"]:
        del sys.modules[name]


def test_a_generated_client_runs_a_workflow_and_downloads_its_pdf(alice_api, generated, worker):
    client = generated("client").AuthenticatedClient(
        base_url="http://localhost", token=alice_api.plaintext
    )
    client.set_httpx_client(
        httpx.Client(
            base_url="http://localhost",
            transport=httpx.WSGITransport(app=get_wsgi_application()),
            headers={"Authorization": f"Bearer {alice_api.plaintext}"},
        )
    )
    models = generated("models")
    create_entry = generated("api.silo.create_entry")
    put_workflow = generated("api.workflows.put_workflow")
    put_job = generated("api.jobs.put_job")
    list_jobs = generated("api.jobs.list_jobs")
    get_entry = generated("api.silo.get_entry")
    download = generated("api.silo.download_attachment")

    entry = create_entry.sync(
        client=client,
        body=models.EntryIn.from_dict({"doc": load_gobl("es-invoice-es-es-freelance.json")}),
    )
    assert isinstance(entry, models.EntryOut), entry
    workflow_id = uuid.uuid4()
    saved = put_workflow.sync(
        workflow_id, client=client, body=models.WorkflowDocument.from_dict(PRINT)
    )
    assert isinstance(saved, models.SavedOut), saved

    job = put_job.sync(
        uuid.uuid4(),
        client=client,
        body=models.JobIn.from_dict({"workflow_id": str(workflow_id), "silo_entry_id": entry.id}),
        wait=30,
    )

    assert isinstance(job, models.JobOut), job
    assert job.status == models.JobOutStatus.OK
    assert job.intents[0].events[0].status == "OK"
    page = list_jobs.sync(client=client, workflow_id=workflow_id)
    assert [found.id for found in page.items] == [job.id]
    stored = get_entry.sync(entry.id, client=client)
    (pdf,) = stored.attachments
    file = download.sync(entry.id, pdf.id, client=client)
    assert file.payload.read().startswith(b"%PDF")
