"""The chain page: an issuer's records in order with their state, scoped to the
workspace; the submissions' XML as downloads."""

from django.urls import reverse

from silo.services import create_entry
from tests.factories import VERIFACTU_ISSUER as ISSUER
from tests.factories import load_gobl
from tests.factories import make_verifactu_record as append
from workflows.agencies.models import Chain, Record, Submission


def test_the_chain_page_lists_records_newest_first_with_their_state(alice_client, alice):
    _, workspace = alice
    for number in ("F-1", "F-2", "F-3"):
        append(workspace, number)
    Record.objects.filter(num_series="F-1").update(state="accepted")
    Record.objects.filter(num_series="F-2").update(
        state="rejected", code="1104", message="El valor del campo NumSerieFactura es incorrecto."
    )

    page = alice_client.get(reverse("agencies:chain", args=[ISSUER])).content.decode()

    assert page.index("F-3") < page.index("F-2") < page.index("F-1")
    assert "Rejected" in page and "1104" in page and "NumSerieFactura" in page
    assert "Pending" in page and "Accepted" in page


def test_filtering_by_state_finds_the_rejected_record_at_once(alice_client, alice):
    _, workspace = alice
    for number in ("F-1", "F-2", "F-3"):
        append(workspace, number)
    Record.objects.filter(num_series="F-2").update(state="rejected", code="1104")

    page = alice_client.get(
        reverse("agencies:chain", args=[ISSUER]), {"state": "rejected"}
    ).content.decode()

    assert 'id="record-2"' in page
    assert 'id="record-1"' not in page and 'id="record-3"' not in page


def test_the_chains_list_counts_records_per_state(alice_client, alice):
    _, workspace = alice
    append(workspace, "F-1")

    page = alice_client.get(reverse("agencies:chains")).content.decode()

    assert ISSUER in page and "Provide One S.L." in page


def test_another_workspace_cannot_see_the_chain_or_its_submissions(client, alice, bob):
    _, workspace = alice
    append(workspace, "F-1")
    chain = Chain.objects.get()
    submission = Submission.objects.create(
        workspace=workspace, chain=chain, lease_until=chain.created_at, request=b"<secret/>"
    )
    client.force_login(bob.user)

    assert client.get(reverse("agencies:chain", args=[ISSUER])).status_code == 404
    url = reverse("agencies:submission_xml", args=[ISSUER, submission.pk, "request"])
    assert client.get(url).status_code == 404
    assert ISSUER not in client.get(reverse("agencies:chains")).content.decode()


def test_a_submissions_request_downloads_as_xml(alice_client, alice):
    _, workspace = alice
    append(workspace, "F-1")
    chain = Chain.objects.get()
    submission = Submission.objects.create(
        workspace=workspace, chain=chain, lease_until=chain.created_at, request=b"<sent/>"
    )

    response = alice_client.get(
        reverse("agencies:submission_xml", args=[ISSUER, submission.pk, "request"])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response.content == b"<sent/>"


def test_the_entry_page_shows_a_pending_registration(alice_client, alice):
    _, workspace = alice
    entry, _ = create_entry(workspace, load_gobl("es-invoice-es-es-freelance.json"))
    record, _ = append(workspace, "F-1")
    Record.objects.filter(pk=record.pk).update(entry=entry)

    page = alice_client.get(reverse("silo:entry", args=[entry.pk])).content.decode()

    assert "VERI*FACTU registration" in page
    assert "Waiting for the issuer's next batch" in page
    assert record.fingerprint in page
