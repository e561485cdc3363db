"""Through the ASGI app as daphne serves it: API operations take the lean path (no
session middleware), and answer as before, security headers included; the console's
pages under /api/ and the API docs still have the session."""

import asyncio

import httpx
import pytest

from console.api.tokens import create_token
from jobs.models import Job
from tests.api.conftest import INVOICE_FLOW
from workflows.services import create_workflow

pytestmark = pytest.mark.django_db(transaction=True)


def send(method, path, **kwargs):
    from console.asgi import application

    async def one():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(one())


def test_a_job_created_through_the_asgi_app(alice, patient_sqlite):
    workflow, _ = create_workflow(alice.workspace, INVOICE_FLOW)
    _, plaintext = create_token(alice.workspace, "tests", actor=alice.user)

    response = send(
        "POST",
        "/api/v1/jobs",
        json={"workflow_id": str(workflow.id), "args": {"n": "1"}},
        headers={"Authorization": f"Bearer {plaintext}"},
    )

    assert response.status_code == 201
    assert Job.objects.get(pk=response.json()["id"]).workspace == alice.workspace
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


def test_without_a_token_an_operation_is_a_401_not_a_login_page(patient_sqlite):
    response = send("GET", "/api/v1/jobs")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_the_docs_and_the_token_page_still_send_a_visitor_to_log_in(patient_sqlite):
    for path in ("/api/v1/docs", "/api/"):
        response = send("GET", path)
        assert response.status_code == 302
        assert "/login/" in response.headers["Location"]
