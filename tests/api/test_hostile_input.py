"""Issue 12's findings 1-3, each with its exact request: text the stores cannot hold
(lone surrogates, NUL), cursors that overflow, and nesting too deep. Each is refused
with the documented error, and the pages of what exists keep rendering."""

import base64
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from console import storable
from jobs.models import Job
from silo.models import Entry
from silo.services import create_entry
from tests.factories import INVOICE_FLOW
from tests.jobs.flows import block, ok
from workflows import definition
from workflows.models import Workflow
from workflows.services import create_workflow

SURROGATE = '"\\ud800"'


@pytest.fixture
def flow(alice):
    return create_workflow(alice.workspace, INVOICE_FLOW)[0]


@pytest.fixture
def entry(alice, invoice_doc):
    return create_entry(alice.workspace, invoice_doc)[0]


# --- 1. lone surrogates and NUL ---------------------------------------------------------


def test_a_surrogate_in_an_entrys_meta_is_a_400_and_the_entry_page_still_renders(
    alice_api, alice_client, entry
):
    response = alice_api.patch(f"/silo/entries/{entry.id}", '{"meta": {"k": ' + SURROGATE + "}}")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert response.json()["fields"] == {"meta.k": storable.text_problem("\ud800")}
    entry.refresh_from_db()
    assert entry.meta == {}
    assert alice_client.get(f"/silo/{entry.id}/").status_code == 200


def test_a_surrogate_in_job_args_is_a_400_and_no_job_is_made(alice_api, flow):
    body = f'{{"workflow_id": "{flow.id}", "args": {{"a": {SURROGATE}}}}}'

    response = alice_api.post("/jobs", body)

    assert response.status_code == 400
    assert "surrogate" in response.json()["message"]
    assert list(response.json()["fields"]) == ["args.a"]
    assert not Job.objects.exists()


def test_a_surrogate_in_a_key_of_the_body_is_refused(alice_api, flow):
    body = f'{{"workflow_id": "{flow.id}", "args": {{"\\udfff": "b"}}}}'
    assert alice_api.post("/jobs", body).status_code == 400


def test_a_document_with_a_surrogate_in_a_party_name_is_refused_by_api_and_upload(
    alice_api, alice_client, invoice_doc
):
    import json

    invoice_doc["doc"]["supplier"]["name"] = "\ud800"
    text = json.dumps(invoice_doc)  # ensure_ascii writes it as \ud800

    through_api = alice_api.post("/silo/entries", '{"doc": ' + text + "}")
    upload = SimpleUploadedFile("doc.json", text.encode())
    through_console = alice_client.post("/silo/upload/", {"file": upload})

    assert through_api.status_code == 400
    assert through_api.json()["fields"] == {
        "doc.doc.supplier.name": storable.text_problem("\ud800")
    }
    assert through_console.status_code == 400
    assert "surrogate" in through_console.content.decode()
    assert not Entry.objects.exists()
    assert alice_client.get("/silo/").status_code == 200


def test_the_console_upload_refuses_nul_like_the_api(alice_client, invoice_doc):
    import json

    invoice_doc["doc"]["supplier"]["name"] = "A\x00B"
    upload = SimpleUploadedFile("doc.json", json.dumps(invoice_doc).encode())

    response = alice_client.post("/silo/upload/", {"file": upload})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not Entry.objects.exists()


@pytest.mark.parametrize("query", ["?q=%ED%A0%80", "?q=%FF%FE"])
def test_console_lists_answer_odd_query_text(alice_client, query):
    assert alice_client.get("/silo/" + query).status_code == 200
    assert alice_client.get("/jobs/" + query).status_code == 200


# --- 2. cursors --------------------------------------------------------------------------


def _cursor(raw):
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


OVERFLOWING = [
    _cursor(f"0001-01-01T00:00:00+05:00|{uuid.uuid4()}"),
    _cursor(f"9999-12-31T23:59:59-05:00|{uuid.uuid4()}"),
    _cursor(f"0001-01-01T00:00:00|{uuid.uuid4()}"),  # no offset: Django would add one
    _cursor("2026-01-01T00:00:00+00:00|not-a-uuid"),
    "!!!",
]


@pytest.mark.parametrize("cursor", OVERFLOWING)
@pytest.mark.parametrize("path", ["/jobs", "/workflows", "/silo/entries"])
def test_a_crafted_cursor_is_a_422_in_the_api(alice_api, path, cursor):
    response = alice_api.get(f"{path}?cursor={cursor}")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["cursor"]


@pytest.mark.parametrize("cursor", OVERFLOWING)
def test_a_crafted_cursor_is_page_one_in_the_console(alice_client, entry, cursor):
    silo = alice_client.get(f"/silo/?cursor={cursor}")
    history = alice_client.get(f"/jobs/?cursor={cursor}")

    assert silo.status_code == 200
    assert entry.code in silo.content.decode()
    assert history.status_code == 200


def test_a_cursor_the_api_gave_still_pages(alice_api, alice, invoice_doc):
    for number in range(3):
        create_entry(alice.workspace, invoice_doc, key=f"k{number}")
    first = alice_api.get("/silo/entries?limit=2").json()

    second = alice_api.get(f"/silo/entries?limit=2&cursor={first['next_cursor']}")

    assert second.status_code == 200
    assert len(second.json()["items"]) == 1


# --- 3. depth ----------------------------------------------------------------------------


def _nested(levels):
    """A workflow whose steps nest ``levels`` condition blocks deep."""
    step = ok(f"s{levels}")
    for level in range(levels - 1, -1, -1):
        step = ok(f"s{level}", next=[block("OK", step)])
    return {"name": "Deep", "schema": "bill/invoice", "steps": [step]}


def test_a_workflow_nested_past_the_limit_is_refused_by_the_api(alice_api):
    response = alice_api.put(f"/workflows/{uuid.uuid4()}", _nested(definition.MAX_NESTING + 1))

    assert response.status_code == 422
    [(path, message)] = response.json()["fields"].items()
    assert path.count(".next[") == definition.MAX_NESTING + 1
    assert "nested more than" in message
    assert not Workflow.objects.exists()


def test_a_workflow_nested_42_levels_is_refused_for_its_json_depth(alice_api):
    response = alice_api.put(f"/workflows/{uuid.uuid4()}", _nested(42))

    assert response.status_code == 400
    assert "nested more than" in response.json()["message"]


def test_the_editor_renders_a_workflow_at_the_deepest_nesting_allowed(alice_api, alice_client):
    workflow_id = uuid.uuid4()
    created = alice_api.put(f"/workflows/{workflow_id}", _nested(definition.MAX_NESTING))
    assert created.status_code == 201

    page = alice_client.get(f"/workflows/{workflow_id}/")
    developer = alice_client.get(f"/workflows/{workflow_id}/developer/")

    assert page.status_code == 200
    assert f"s{definition.MAX_NESTING}" in page.content.decode()
    assert developer.status_code == 200


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        '{"name": "x", "schema": "bill/invoice", "steps": [], "d": ' + "[" * 100 + "]" * 100 + "}",
        '{"name": "\\ud800", "schema": "bill/invoice"}',
        '{"name": "a\\u0000", "schema": "bill/invoice"}',
        '{"name": "x", "schema": "bill/invoice", "description": NaN}',
    ],
)
def test_import_json_and_developer_mode_answer_400_for_what_cannot_be_stored(
    alice_client, flow, text
):
    imported = alice_client.post("/workflows/import/", {"json": text})
    developer = alice_client.post(f"/workflows/{flow.id}/developer/", {"json": text})

    assert imported.status_code == 400
    assert developer.status_code == 400
    assert Workflow.objects.count() == 1
    assert alice_client.get("/workflows/").status_code == 200
    assert alice_client.get(f"/workflows/{flow.id}/").status_code == 200


def test_manage_py_workflow_refuses_a_surrogate(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "flow.json"
    path.write_text('{"name": "\\ud800", "schema": "bill/invoice", "steps": []}')

    with pytest.raises(CommandError, match="surrogate") as raised:
        call_command("workflow", "validate", str(path))
    assert raised.value.returncode == 2


# --- 6. idempotency that names what differs ----------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"args": {"a": "2"}}, ["args"]),
        ({"tags": ["other"]}, ["tags"]),
        ({"key": "another"}, ["key"]),
        ({"args": {"a": "2"}, "tags": []}, ["args", "tags"]),
    ],
)
def test_put_job_again_with_another_body_is_a_409_naming_what_differs(
    alice_api, flow, change, named
):
    job_id = uuid.uuid4()
    body = {"workflow_id": str(flow.id), "args": {"a": "1"}, "tags": ["t"], "key": "k"}
    assert alice_api.put(f"/jobs/{job_id}", body).status_code == 201

    again = alice_api.put(f"/jobs/{job_id}", {**body, **change})

    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert list(again.json()["fields"]) == named
    assert alice_api.put(f"/jobs/{job_id}", body).status_code == 200  # the same body still is
    assert Job.objects.count() == 1


def test_put_job_again_with_another_workflow_or_entry_is_a_409(alice_api, alice, flow, entry):
    other = create_workflow(alice.workspace, {**INVOICE_FLOW, "name": "Other"})[0]
    job_id = uuid.uuid4()
    body = {"workflow_id": str(flow.id), "silo_entry_id": str(entry.id)}
    alice_api.put(f"/jobs/{job_id}", body)

    workflow = alice_api.put(f"/jobs/{job_id}", {**body, "workflow_id": str(other.id)})
    no_entry = alice_api.put(f"/jobs/{job_id}", {"workflow_id": str(flow.id), "args": {"a": "b"}})

    assert (workflow.status_code, list(workflow.json()["fields"])) == (409, ["workflow_id"])
    assert (no_entry.status_code, list(no_entry.json()["fields"])) == (
        409,
        ["silo_entry_id", "args"],
    )


def test_a_reused_job_key_with_another_document_is_a_409_and_stores_nothing(
    alice_api, flow, invoice_doc
):
    body = {"workflow_id": str(flow.id), "data": invoice_doc, "key": "order-7"}
    first = alice_api.post("/jobs", body)
    changed = {**invoice_doc, "doc": {**invoice_doc["doc"], "code": "OTHER"}}

    again = alice_api.post("/jobs", {**body, "data": changed})
    same = alice_api.post("/jobs", body)

    assert again.status_code == 409
    assert list(again.json()["fields"]) == ["data"]
    assert (same.status_code, same.json()["id"]) == (200, first.json()["id"])
    assert Entry.objects.count() == 1


def test_a_job_key_still_matches_after_its_steps_changed_the_document(alice_api, flow, invoice_doc):
    from silo.services import update_entry

    body = {"workflow_id": str(flow.id), "data": invoice_doc, "key": "order-8"}
    first = alice_api.post("/jobs", body).json()
    entry = Entry.objects.get(pk=first["silo_entry_id"])
    update_entry(entry, doc={**invoice_doc, "doc": {**invoice_doc["doc"], "code": "CHANGED"}})

    assert alice_api.post("/jobs", body).status_code == 200


def test_a_put_with_a_key_another_job_holds_is_a_409_naming_the_id(alice_api, flow):
    body = {"workflow_id": str(flow.id), "args": {"a": "1"}, "key": "shared"}
    alice_api.put(f"/jobs/{uuid.uuid4()}", body)

    again = alice_api.put(f"/jobs/{uuid.uuid4()}", body)

    assert again.status_code == 409
    assert list(again.json()["fields"]) == ["id"]


# --- 8. the smaller points -----------------------------------------------------------------

UPLOAD = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nhello\r\n--x--\r\n"
)


def test_a_multipart_body_without_a_boundary_is_a_400_in_the_error_shape(alice_api, entry):
    response = alice_api.client.post(
        f"/api/v1/silo/entries/{entry.id}/attachments",
        data=b"garbage--",
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "multipart" in response.json()["message"]


def test_an_upload_without_a_length_is_a_411(alice_api, entry):
    response = alice_api.client.generic(
        "POST",
        f"/api/v1/silo/entries/{entry.id}/attachments",
        UPLOAD,
        content_type="multipart/form-data; boundary=x",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )

    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
    assert not entry.attachments.exists()


def test_an_archived_workflow_is_reported_and_can_be_restored(alice_api, flow):
    from workflows import services

    alice_api.post("/jobs", {"workflow_id": str(flow.id), "args": {"a": "b"}})
    assert services.remove(flow) == "archived"  # it has run, so it is kept

    read = alice_api.get(f"/workflows/{flow.id}")
    put = alice_api.put(f"/workflows/{flow.id}", INVOICE_FLOW)
    patch = alice_api.patch(f"/workflows/{flow.id}", INVOICE_FLOW)

    assert (read.status_code, put.status_code, patch.status_code) == (404, 409, 409)
    for response in (read, put, patch):
        assert response.json()["fields"] == {"id": "archived"}
        assert f"/workflows/{flow.id}/restore" in response.json()["message"]
    restored = alice_api.post(f"/workflows/{flow.id}/restore")
    assert restored.status_code == 200
    assert restored.json()["id"] == str(flow.id)
    assert alice_api.get(f"/workflows/{flow.id}").status_code == 200
    assert alice_api.patch(f"/workflows/{flow.id}", INVOICE_FLOW).status_code == 200


def test_restoring_another_workspaces_workflow_is_a_404(bob_api, flow):
    assert bob_api.post(f"/workflows/{flow.id}/restore").status_code == 404


# --- found by the property tests ---------------------------------------------------------


@pytest.mark.parametrize("name", ["?", "*"])
def test_an_attachment_named_only_odd_characters_is_stored(alice_api, entry, name):
    upload = SimpleUploadedFile(name, b"x")

    response = alice_api.upload(f"/silo/entries/{entry.id}/attachments", upload)

    assert response.status_code == 201
    assert entry.attachments.get().file.read() == b"x"


def test_import_json_names_a_surrogate_key_in_text_the_page_can_show(alice_client):
    response = alice_client.post(
        "/workflows/import/", {"json": '{"name": "x", "schema": "bill/invoice", "\\udf93": 1}'}
    )

    assert response.status_code == 400
    assert '<code class="path">\ufffd</code> key contains a lone UTF-16 surrogate' in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/silo/?q=a%00b", None),
        ("get", "/workflows/?q=%00", None),
        ("post", "/workflows/import/", {"json": "{}\x00"}),
    ],
)
def test_a_nul_anywhere_in_a_console_request_is_a_400_before_any_view(
    alice_client, method, path, data
):
    response = getattr(alice_client, method)(path, data) if data else alice_client.get(path)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_run_panel_searches_with_a_nul_are_refused(alice_client, flow, entry):
    assert alice_client.get(f"/silo/{entry.id}/run/?q=%00").status_code == 400
    assert alice_client.get(f"/workflows/{flow.id}/run/?q=%00").status_code == 400
