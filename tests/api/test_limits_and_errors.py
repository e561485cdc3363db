"""What every endpoint shares: the JSON error shape, 413 over the body limit, 429
with Retry-After over the token's rate, and the OpenAPI document and docs behind a
login or a token."""

import uuid

import pytest
from django.test import Client

from console.api.tokens import create_token
from tests.api.client import ApiClient


def test_a_body_over_the_limit_is_413(alice_api, settings):
    settings.API_MAX_BODY_BYTES = 100

    response = alice_api.post("/silo/entries", {"doc": {"pad": "x" * 200}})

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_over_the_rate_the_token_gets_429_with_retry_after(alice_api, alice, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert alice_api.get("/jobs").status_code == 200

    response = alice_api.get("/jobs")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    _, other = create_token(alice.workspace, "another integration")
    assert ApiClient(other).get("/jobs").status_code == 200  # counted per token


def test_an_unknown_token_is_not_rate_counted_but_refused(db, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    client = Client(HTTP_AUTHORIZATION="Bearer wfc_unknown")
    assert [client.get("/api/v1/jobs").status_code for _ in range(3)] == [401, 401, 401]


def test_unknown_endpoints_and_methods_answer_json(alice_api):
    missing = alice_api.get("/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"

    wrong_method = alice_api.client.delete("/api/v1/jobs")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert set(wrong_method["Allow"].split(", ")) == {"GET", "POST"}
    async_view = alice_api.client.delete(f"/api/v1/jobs/{uuid.uuid4()}")
    assert async_view.status_code == 405
    assert async_view.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("body", ["{", "[1,", "\xff", '{"workflow_id": Infinity}'])
def test_a_body_that_is_not_json_is_400(alice_api, body):
    response = alice_api.post("/jobs", body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "bad_request",
        "message": "The request body is not valid JSON.",
        "fields": {},
    }


def test_a_body_nested_too_deeply_is_400(alice_api):
    response = alice_api.post("/silo/entries", '{"doc": ' + "[" * 5000 + "]" * 5000 + "}")
    assert response.status_code == 400
    assert response.json()["message"] == "The body is nested more than 64 levels deep."


def test_a_malformed_id_in_the_path_is_not_a_500(alice_api):
    assert alice_api.get("/jobs/not-a-uuid").status_code in (404, 422)
    assert alice_api.get("/silo/entries/123").status_code in (404, 422)


def test_the_openapi_document_is_served_to_a_token_or_a_login(alice_api, alice_client):
    document = alice_api.get("/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/jobs/{job_id}" in spec["paths"]
    assert "WorkflowDocument" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"

    assert alice_client.get("/api/v1/openapi.json").status_code == 200
    anonymous = Client()
    assert anonymous.get("/api/v1/openapi.json").status_code == 302
    assert anonymous.get("/api/v1/docs").status_code == 302


def test_a_body_over_djangos_own_limit_is_413_too(alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50  # what a body sent without a length meets

    response = alice_api.post("/silo/entries", {"doc": {"pad": "x" * 100}})

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/silo/entries", '{"doc": {"$schema": "x\\u0000"}}'),
        ("post", "/silo/entries", '{"doc": {}, "key": "k\\u0000"}'),
        ("post", "/jobs", '{"workflow_id": "x", "args": {"a\\u0000": "b"}}'),
        ("get", "/jobs/key/k%00", None),
        ("get", "/silo/entries?q=a%00b", None),
    ],
)
def test_nul_characters_are_a_400_not_a_database_error(alice_api, method, path, body):
    response = getattr(alice_api, method)(path, body) if body else alice_api.get(path)
    assert response.status_code == 400
    assert "NUL" in response.json()["message"]


def test_an_uploaded_file_name_loses_its_nul(alice_api, alice, invoice_doc):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from silo.services import create_entry

    entry, _ = create_entry(alice.workspace, invoice_doc)
    upload = SimpleUploadedFile("a\x00b.txt", b"x")
    response = alice_api.upload(f"/silo/entries/{entry.id}/attachments", upload)
    assert response.status_code == 201
    assert "\x00" not in response.json()["name"]
