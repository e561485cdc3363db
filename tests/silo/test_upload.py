import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from silo.models import Activity, Entry
from tests.factories import load_gobl


def json_file(content, name="invoice.json"):
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


def upload(client, content, **fields):
    return client.post(reverse("silo:upload"), {"file": json_file(content), **fields}, follow=True)


def test_upload_stores_the_document_and_opens_its_page(alice_client, alice, invoice_doc):
    response = upload(alice_client, invoice_doc)

    entry = Entry.objects.in_workspace(alice.workspace).get()
    assert response.redirect_chain == [(reverse("silo:entry", args=[entry.pk]), 302)]
    assert entry.schema == "bill/invoice"
    assert entry.doc == invoice_doc
    assert entry.code == "SAMPLE-001"
    assert "Uploaded SAMPLE-001" in response.content.decode()
    assert Activity.objects.filter(entry=entry, kind="created").exists()


def test_upload_of_a_party(alice_client, alice):
    upload(alice_client, load_gobl("es-party.json"))

    entry = Entry.objects.in_workspace(alice.workspace).get()
    assert entry.schema == "org/party"
    assert entry.supplier_name == "Provide One S.L."


def test_bad_json_is_refused_with_a_message(alice_client, alice):
    response = upload(alice_client, b'{"$schema": "https://gobl.org/draft-0/envelope",')

    assert response.status_code == 400
    assert "The file is not valid JSON" in response.content.decode()
    assert not Entry.objects.exists()


def test_unknown_schema_is_refused(alice_client):
    response = upload(alice_client, {"$schema": "https://example.com/my-invoice", "code": "1"})

    assert response.status_code == 400
    assert "Unknown &quot;$schema&quot;" in response.content.decode()
    assert not Entry.objects.exists()


def test_a_json_array_is_refused(alice_client):
    response = upload(alice_client, [1, 2, 3])

    assert response.status_code == 400
    assert "must be a JSON object" in response.content.decode()


def test_oversized_file_is_refused_with_413(alice_client, settings, invoice_doc):
    settings.SILO_MAX_UPLOAD_BYTES = 1000

    response = upload(alice_client, invoice_doc)

    assert response.status_code == 413
    assert "the largest file the silo accepts is 1000" in response.content.decode()
    assert not Entry.objects.exists()


def test_missing_file_is_a_400(alice_client):
    response = alice_client.post(reverse("silo:upload"), {"key": "k"})

    assert response.status_code == 400
    assert not Entry.objects.exists()


def test_same_key_twice_returns_the_first_entry(alice_client, alice, invoice_doc):
    upload(alice_client, invoice_doc, key="inv-2024-1")

    response = upload(alice_client, invoice_doc, key="inv-2024-1")

    first = Entry.objects.in_workspace(alice.workspace).get()
    assert response.redirect_chain[-1][0] == reverse("silo:entry", args=[first.pk])
    assert "already existed" in response.content.decode()


def test_same_key_with_another_file_is_refused(alice_client, alice, invoice_doc):
    upload(alice_client, invoice_doc, key="inv-2024-1")
    other = load_gobl("es-invoice-es-es.json")

    response = upload(alice_client, other, key="inv-2024-1")

    assert response.status_code == 409
    assert "was used before for another document" in response.content.decode()
    assert Entry.objects.in_workspace(alice.workspace).get().doc == invoice_doc


def test_upload_needs_the_csrf_token(client, alice, invoice_doc):
    client.handler.enforce_csrf_checks = True
    client.force_login(alice.user)

    response = client.post(reverse("silo:upload"), {"file": json_file(invoice_doc)})

    assert response.status_code == 403
    assert not Entry.objects.exists()
