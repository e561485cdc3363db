import hashlib

from django.urls import reverse

from silo.services import add_attachment
from tests.factories import make_entry

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def download(client, attachment, **params):
    url = reverse("silo:attachment", args=[attachment.entry_id, attachment.pk])
    return client.get(url, params)


def test_the_attachments_tab_lists_name_size_type_and_hash(alice_client, alice):
    entry = make_entry(alice.workspace)
    add_attachment(entry, "invoice.pdf", PDF)
    add_attachment(entry, "notes.txt", b"hello")

    response = alice_client.get(reverse("silo:entry", args=[entry.pk]), {"tab": "attachments"})

    html = response.content.decode()
    assert "invoice.pdf" in html and "notes.txt" in html
    assert "application/pdf" in html and "text/plain" in html
    assert hashlib.sha256(PDF).hexdigest()[:12] in html
    assert "5\xa0bytes" in html


def test_a_pdf_is_previewed_inline_in_a_frame(alice_client, alice):
    entry = make_entry(alice.workspace)
    pdf = add_attachment(entry, "invoice.pdf", PDF)

    response = alice_client.get(reverse("silo:entry", args=[entry.pk]), {"tab": "attachments"})

    inline_url = reverse("silo:attachment", args=[entry.pk, pdf.pk]) + "?inline=1"
    assert f'<iframe class="pdf-preview" src="{inline_url}"' in response.content.decode()


def test_download_serves_the_file_as_an_attachment(alice_client, alice):
    entry = make_entry(alice.workspace)
    attachment = add_attachment(entry, "facture été.pdf", PDF)

    response = download(alice_client, attachment)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "facture%20%C3%A9t%C3%A9.pdf" in response["Content-Disposition"]


def test_inline_serves_a_pdf_for_the_browser_to_show(alice_client, alice):
    entry = make_entry(alice.workspace)
    attachment = add_attachment(entry, "invoice.pdf", PDF)

    response = download(alice_client, attachment, inline="1")

    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_other_files_are_never_served_inline(alice_client, alice):
    entry = make_entry(alice.workspace)
    attachment = add_attachment(entry, "page.html", b"<script>alert(1)</script>")

    response = download(alice_client, attachment, inline="1")

    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_attachment_of_another_entry_is_a_404(alice_client, alice):
    entry = make_entry(alice.workspace)
    other = make_entry(alice.workspace)
    attachment = add_attachment(entry, "invoice.pdf", PDF)

    url = reverse("silo:attachment", args=[other.pk, attachment.pk])

    assert alice_client.get(url).status_code == 404


def test_a_file_missing_from_storage_is_a_404(alice_client, alice):
    entry = make_entry(alice.workspace)
    attachment = add_attachment(entry, "invoice.pdf", PDF)
    attachment.file.storage.delete(attachment.file.name)

    assert download(alice_client, attachment).status_code == 404


def test_no_attachments_says_so(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = alice_client.get(reverse("silo:entry", args=[entry.pk]), {"tab": "attachments"})

    assert "No attachments yet" in response.content.decode()
