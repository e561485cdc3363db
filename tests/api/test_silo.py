"""The silo through the API: store a document (with key idempotency), read, search
and filter, change state and meta, upload and download attachments."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from silo.models import Activity, Attachment, Entry
from silo.services import add_attachment, create_entry


@pytest.fixture
def entry(alice, invoice_doc):
    return create_entry(alice.workspace, invoice_doc)[0]


def test_store_a_document(alice_api, alice, invoice_doc):
    response = alice_api.post("/silo/entries", {"doc": invoice_doc, "meta": {"source": "erp"}})

    assert response.status_code == 201
    entry = response.json()
    assert entry["schema"] == "bill/invoice"
    assert entry["state"] == "draft"
    assert entry["code"] == "SAMPLE-001"
    assert entry["doc"] == invoice_doc
    assert entry["meta"] == {"source": "erp"}
    assert entry["attachments"] == []
    assert Entry.objects.get(pk=entry["id"]).workspace == alice.workspace


def test_the_same_key_returns_the_first_entry(alice_api, invoice_doc):
    first = alice_api.post("/silo/entries", {"doc": invoice_doc, "key": "inv-1"})
    again = alice_api.post("/silo/entries", {"doc": invoice_doc, "key": "inv-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Entry.objects.count() == 1


def test_the_same_key_with_another_document_is_a_409(alice_api, invoice_doc):
    alice_api.post("/silo/entries", {"doc": invoice_doc, "key": "inv-1"})

    again = alice_api.post("/silo/entries", {"doc": PARTY, "key": "inv-1"})

    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert list(again.json()["fields"]) == ["doc"]
    assert Entry.objects.get().doc == invoice_doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"no": "schema"}, '"$schema"'),
        ({"$schema": "https://example.com/x"}, "GOBL"),
    ],
)
def test_a_document_that_is_not_gobl_is_refused(alice_api, doc, message):
    response = alice_api.post("/silo/entries", {"doc": doc})
    assert response.status_code == 422
    assert message in response.json()["fields"]["doc"]
    assert not Entry.objects.exists()


def test_nan_is_not_json(alice_api):
    response = alice_api.post("/silo/entries", '{"doc": {"$schema": NaN}}')
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_get_an_entry_with_its_attachments(alice_api, entry):
    add_attachment(entry, "note.txt", b"hello")

    response = alice_api.get(f"/silo/entries/{entry.id}")

    assert response.status_code == 200
    (attachment,) = response.json()["attachments"]
    assert attachment["name"] == "note.txt"
    assert attachment["size"] == 5
    assert attachment["sha256"] == hashlib.sha256(b"hello").hexdigest()
    download = alice_api.get(attachment["url"].removeprefix("/api/v1"))
    assert b"".join(download.streaming_content) == b"hello"


PARTY = {
    "$schema": "https://gobl.org/draft-0/org/party",
    "name": "Provide One S.L.",
    "tax_id": {"country": "ES", "code": "B98602642"},
}


def test_list_search_and_filters(alice_api, alice, entry):
    party, _ = create_entry(alice.workspace, PARTY)
    alice_api.patch(f"/silo/entries/{party.id}", {"state": "completed"})

    def listed(query):
        response = alice_api.get(f"/silo/entries?{query}")
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert listed("") == [str(party.id), str(entry.id)]
    assert listed("q=sample-001") == [str(entry.id)]
    assert listed("q=B98602642") == [str(party.id)]
    assert listed("schema=org/party") == [str(party.id)]
    assert listed("state=completed") == [str(party.id)]
    assert listed("state=draft&schema=org/party") == []
    first = alice_api.get("/silo/entries?limit=1").json()
    assert first["next_cursor"]
    assert listed(f"limit=1&cursor={first['next_cursor']}") == [str(entry.id)]


def test_change_state_and_meta(alice_api, entry):
    response = alice_api.patch(
        f"/silo/entries/{entry.id}", {"state": "sent", "meta": {"batch": "7"}}
    )

    assert response.status_code == 200
    assert response.json()["state"] == "sent"
    assert response.json()["meta"] == {"batch": "7"}
    assert response.json()["version"] == 2
    assert Activity.objects.filter(entry=entry, kind=Activity.Kind.STATE).exists()


def test_an_unknown_state_is_refused(alice_api, entry):
    response = alice_api.patch(f"/silo/entries/{entry.id}", {"state": "lost"})
    assert response.status_code == 422
    assert "state" in response.json()["fields"]
    entry.refresh_from_db()
    assert entry.state == "draft"


def test_an_empty_change_is_refused(alice_api, entry):
    assert alice_api.patch(f"/silo/entries/{entry.id}", {}).status_code == 422


def test_a_stale_if_match_is_a_conflict(alice_api, entry):
    assert (
        alice_api.patch(
            f"/silo/entries/{entry.id}", {"state": "sent"}, HTTP_IF_MATCH="1"
        ).status_code
        == 200
    )

    stale = alice_api.patch(f"/silo/entries/{entry.id}", {"state": "void"}, HTTP_IF_MATCH="1")

    assert stale.status_code == 409
    entry.refresh_from_db()
    assert entry.state == "sent"


def test_upload_and_download_an_attachment(alice_api, entry):
    pdf = b"%PDF-1.4 not really"
    upload = SimpleUploadedFile("scan.pdf", pdf, content_type="application/pdf")

    response = alice_api.upload(f"/silo/entries/{entry.id}/attachments", upload)

    assert response.status_code == 201
    attachment = response.json()
    assert attachment["mime"] == "application/pdf"
    assert attachment["sha256"] == hashlib.sha256(pdf).hexdigest()
    download = alice_api.get(f"/silo/entries/{entry.id}/attachments/{attachment['id']}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="scan.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == pdf


def test_an_upload_over_the_limit_is_413(alice_api, entry, settings):
    settings.SILO_MAX_UPLOAD_BYTES = 10
    upload = SimpleUploadedFile("big.bin", b"x" * 11)

    response = alice_api.upload(f"/silo/entries/{entry.id}/attachments", upload)

    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_an_upload_needs_a_file(alice_api, entry):
    response = alice_api.client.post(f"/api/v1/silo/entries/{entry.id}/attachments", data={})
    assert response.status_code == 422
    assert "file" in response.json()["fields"]


def test_another_workspaces_entries_are_404(alice_api, bob, invoice_doc):
    bobs, _ = create_entry(bob.workspace, invoice_doc, key="bobs")
    attachment = add_attachment(bobs, "secret.txt", b"bob's")
    upload = SimpleUploadedFile("x.txt", b"x")

    for response in (
        alice_api.get(f"/silo/entries/{bobs.id}"),
        alice_api.patch(f"/silo/entries/{bobs.id}", {"state": "void"}),
        alice_api.upload(f"/silo/entries/{bobs.id}/attachments", upload),
        alice_api.get(f"/silo/entries/{bobs.id}/attachments/{attachment.id}"),
    ):
        assert response.status_code == 404
    assert alice_api.get("/silo/entries").json()["items"] == []
    assert alice_api.post("/silo/entries", {"doc": invoice_doc, "key": "bobs"}).status_code == 201
    bobs.refresh_from_db()
    assert bobs.state == "draft"
    assert bobs.attachments.count() == 1


def test_an_attachment_of_another_entry_is_404(alice_api, alice, entry, invoice_doc):
    other, _ = create_entry(alice.workspace, invoice_doc)
    attachment = add_attachment(other, "a.txt", b"a")
    assert alice_api.get(f"/silo/entries/{entry.id}/attachments/{attachment.id}").status_code == 404
