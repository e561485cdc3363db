"""verifactu.send end to end: a workflow step converts the invoice, chains it and sends it
to the local AEAT over mutual TLS with the workspace's certificate, as it will the AEAT."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from jobs import engine
from jobs.models import Intent, Job, Status
from jobs.services import create_job
from silo.models import Attachment
from silo.services import create_entry
from tests.agencies.conftest import configure
from tests.agencies.verifactu_samples import SOFTWARE, invoice
from tests.jobs.flows import block, ok
from workflows.agencies import chain
from workflows.agencies.aeat import verifactu
from workflows.agencies.aeat.local_server import LocalAEAT
from workflows.agencies.models import Chain, Record, Submission
from workflows.services import create_workflow

ISSUER = "B98602642"  # the supplier of the GOBL examples
NAME = "Provide One S.L."
FAST = {"max_attempts": 3, "backoff_s": 0}


def send(**extra):
    return {"id": "send", "provider": "verifactu.send", "config": {}, **extra}


@pytest.fixture
def workspace(alice, aeat):
    configure(alice.workspace, aeat, nif=ISSUER, name=NAME)
    return alice.workspace


def start(workspace, steps, *, code="004", rescue=(), doc=None):
    entry, _ = create_entry(workspace, doc or invoice(code=code))
    workflow, _ = create_workflow(
        workspace,
        {"name": "VERI*FACTU", "schema": "bill/invoice", "steps": steps, "rescue": list(rescue)},
    )
    job, _ = create_job(workspace, workflow, entry=entry)
    return job


def finish(job, on_wait=None):
    """Run the job to its end; each wait passes at once, as if the time had gone by (the
    step's own clock, the chain's flow control), after ``on_wait`` if given."""

    def time_passes(seconds):
        if on_wait is not None:
            on_wait()
        past = timedelta(seconds=seconds + 1)
        Intent.objects.filter(job=job, status=Status.WAIT).update(started_at=F("started_at") - past)
        Chain.objects.filter(next_send_at__isnull=False).update(
            next_send_at=F("next_send_at") - past
        )

    engine.run_in_process(job, sleep=time_passes)
    return Job.objects.get(pk=job.pk)


def step(job, step_id="send"):
    return job.intents.get(step_id=step_id)


def test_an_accepted_invoice_is_OK_chained_and_held_by_the_aeat(workspace, aeat):
    job = finish(start(workspace, [send()]))

    sent = step(job)
    assert (job.status, sent.status, sent.code) == ("OK", "OK", "")
    assert sent.message == f"AEAT: record accepted (#1 of {ISSUER})"
    record = Record.objects.get()
    assert (record.state, record.seq, record.num_series) == ("accepted", 1, "SAMPLE-004")
    assert [r["fingerprint"] for r in aeat.held(ISSUER)] == [record.fingerprint]
    names = set(Attachment.objects.filter(entry=job.entry).values_list("name", flat=True))
    assert names == {f"verifactu-{ISSUER}-1-request.xml", f"verifactu-{ISSUER}-1-answer.xml"}
    assert sent.changes["verifactu"]["fingerprint"] == record.fingerprint


def test_the_next_invoice_chains_to_the_previous_one(workspace, aeat):
    finish(start(workspace, [send()], code="004"))
    job = finish(start(workspace, [send()], code="005"))

    assert step(job).status == "OK"
    first, second = Record.objects.order_by("seq")
    assert second.previous_fingerprint == first.fingerprint
    held = aeat.held(ISSUER)
    assert [r["num_series"] for r in held] == ["SAMPLE-004", "SAMPLE-005"]
    assert held[1]["previous"] == first.fingerprint


def test_accepted_with_errors_is_OK_with_the_aeats_code_in_the_message(workspace, aeat):
    aeat.fail("code", code="2004", invoice="SAMPLE-004")

    job = finish(start(workspace, [send()]))

    sent = step(job)
    assert (sent.status, sent.code) == ("OK", "accepted_with_errors")
    assert "2004" in sent.message
    assert Record.objects.get().state == "accepted_with_errors"


def test_a_rejection_is_KO_with_the_aeats_code_which_a_condition_handles(workspace, aeat):
    aeat.fail("code", code="1104", invoice="SAMPLE-004")
    handled = block("KO", ok("fix-number"), code="1104")

    job = finish(start(workspace, [send(next=[handled])]))

    sent = step(job)
    assert (sent.status, sent.code) == ("KO", "1104")
    assert "NumSerieFactura" in sent.message
    assert job.status == "OK"
    assert job.intents.filter(step_id="fix-number", status="OK").exists()
    assert Record.objects.get().state == "rejected"


def test_a_rejected_invoice_sent_again_is_a_correction_chained_after_it(workspace, aeat):
    aeat.fail("code", code="1104", invoice="SAMPLE-004")
    first = finish(start(workspace, [send()]))
    aeat.recover()

    again = finish(create_job(workspace, first.workflow, entry=first.entry)[0])

    assert step(again).status == "OK"
    rejected, corrected = Record.objects.order_by("seq")
    assert (rejected.state, corrected.state) == ("rejected", "accepted")
    assert corrected.previous_fingerprint == rejected.fingerprint
    assert b"RechazoPrevio" in bytes(corrected.xml)


def test_a_resend_of_a_record_the_aeat_holds_is_OK_duplicate(workspace, aeat):
    first = finish(start(workspace, [send()]))
    # the answer was lost: the console thinks the record never went
    Record.objects.update(state="pending", submission=None, answered_at=None)

    again = finish(create_job(workspace, first.workflow, entry=first.entry)[0])

    sent = step(again)
    assert (sent.status, sent.code) == ("OK", "duplicate")
    assert Record.objects.count() == 1  # the same record, resent as it was
    assert len(aeat.held(ISSUER)) == 1


def test_the_service_down_is_retried_and_the_record_goes_once_it_is_back(workspace, aeat):
    aeat.fail("down")

    job = finish(start(workspace, [send(retry=FAST)]), on_wait=aeat.recover)

    sent = step(job)
    assert (job.status, sent.status) == ("OK", "OK")
    assert sent.events.filter(status="RETRY", code="unavailable").count() == 1
    assert Record.objects.count() == 1
    assert len(aeat.held(ISSUER)) == 1


def test_a_certificate_the_aeat_does_not_trust_is_KO_not_retried(alice, aeat):
    workspace = alice.workspace
    foreign = aeat.client_p12(ISSUER, NAME, password="p12 password", foreign=True)
    configure(workspace, aeat, nif=ISSUER, name=NAME, p12=foreign)

    job = finish(start(workspace, [send(retry=FAST)]))

    sent = step(job)
    assert (sent.status, sent.code) == ("KO", "certificate_refused")
    assert sent.events.filter(status="RETRY").count() == 0
    assert Record.objects.get().state == "pending"  # it goes once the certificate is right
    assert aeat.records() == []


def test_a_certificate_of_someone_else_is_KO_with_the_aeats_code(alice, aeat):
    workspace = alice.workspace
    other = aeat.client_p12("B12345674", "Someone Else SL", password="p12 password")
    configure(workspace, aeat, nif=ISSUER, name=NAME, p12=other)

    job = finish(start(workspace, [send()]))

    assert (step(job).status, step(job).code) == ("KO", "4112")
    assert aeat.records() == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"supplier": {"name": "NL BV", "tax_id": {"country": "NL", "code": "000099998B57"}}},
         "not_spanish"),
        ({"tax": None}, "missing_extension"),
    ],
)  # fmt: skip
def test_an_invoice_that_cannot_be_converted_is_KO_and_chains_nothing(
    workspace, aeat, change, code
):
    job = finish(start(workspace, [send()], doc=invoice(**change)))

    assert (step(job).status, step(job).code) == ("KO", code)
    assert not Record.objects.exists()


def test_without_aeat_settings_the_step_is_KO_not_configured(alice):
    job = finish(start(alice.workspace, [send()]))

    assert (step(job).status, step(job).code) == ("KO", "not_configured")


class Killed(BaseException):
    """The worker dies here (as under SIGKILL): nothing after this line runs."""


def test_a_job_resumed_after_a_crash_between_sending_and_recording_asks_the_aeat_first(
    workspace, aeat, alice_client, monkeypatch
):
    job = start(workspace, [send()])
    monkeypatch.setattr(chain, "_record_answer", lambda *a, **k: (_ for _ in ()).throw(Killed))
    with pytest.raises(Killed):
        engine.run(*engine.claim())
    monkeypatch.undo()
    page = alice_client.get(f"/silo/{job.entry_id}/").content.decode()
    assert Record.objects.get().state == "uncertain"
    assert "Uncertain" in page and "Not known yet" in page
    assert len(aeat.held(ISSUER)) == 1  # it did arrive
    past = timezone.now() - timedelta(seconds=1)  # the worker's lease and the batch's end
    Job.objects.filter(pk=job.pk).update(lease_until=past)
    Submission.objects.update(lease_until=past)

    job = finish(job)

    assert (step(job).status, step(job).code) == ("OK", "duplicate")
    assert aeat.submissions() == 1  # asked (Consulta), not sent again
    assert Record.objects.get().state == "accepted"
    assert job.status == "OK"


@pytest.fixture
def waiting_aeat(settings, alice):
    """A local AEAT with the AEAT's default wait between submissions (60 s)."""
    with LocalAEAT(wait_seconds=60) as server:
        settings.AEAT_LOCAL_URL = server.url
        settings.AEAT_LOCAL_CA = server.ca_file
        configure(alice.workspace, server, nif=ISSUER, name=NAME)
        yield server


def run_once(job):
    claimed = engine.claim()
    assert claimed is not None and claimed[0].pk == job.pk
    engine.run(*claimed)
    return Job.objects.get(pk=job.pk)


def test_the_next_invoice_waits_for_the_aeats_wait_time_without_a_worker(alice, waiting_aeat):
    workspace = alice.workspace
    finish(start(workspace, [send()], code="004"))
    next_send_at = Chain.objects.get().next_send_at

    job = run_once(start(workspace, [send()], code="005"))

    assert job.status == "WAIT" and job.lease_token is None  # no worker holds it
    assert job.due_at == next_send_at
    assert Record.objects.get(num_series="SAMPLE-005").state == "pending"
    assert waiting_aeat.submissions() == 1
    job = finish(job, on_wait=waiting_aeat.elapse_wait)
    assert step(job).status == "OK"
    assert waiting_aeat.submissions() == 2


def test_a_thousand_pending_records_go_in_one_batch_while_the_wait_holds_the_rest(
    alice, waiting_aeat
):
    workspace = alice.workspace
    finish(start(workspace, [send()], code="0000"))  # the AEAT now says: wait 60 s
    found = Chain.objects.get()
    for n in range(1, chain.BATCH_MAX + 2):  # 1,001 more, e.g. from other jobs
        chain.append(
            found,
            build=lambda head, at, n=n: verifactu.registration(
                invoice(code=f"{n:04}"),
                previous=verifactu.Previous(
                    ISSUER, head.num_series, head.issue_date, head.fingerprint
                ),
                generated_at=at,
                software=SOFTWARE,
            ),
            environment="local",
        )

    job = run_once(start(workspace, [send()], code="9999"))

    assert waiting_aeat.submissions() == 2  # the first invoice, then 1,000 at once
    assert len(waiting_aeat.held(ISSUER)) == 1 + chain.BATCH_MAX
    assert Submission.objects.order_by("created_at").last().size == chain.BATCH_MAX
    assert job.status == "WAIT"
    assert Record.objects.filter(state="pending").count() == 2  # the 1,001st and this one
    job = finish(job, on_wait=waiting_aeat.elapse_wait)
    assert step(job).status == "OK"
    assert waiting_aeat.submissions() == 3
    assert len(waiting_aeat.held(ISSUER)) == chain.BATCH_MAX + 3


def cancel():
    return {"id": "cancel", "provider": "verifactu.cancel", "config": {}}


def test_a_registered_invoice_is_cancelled_with_a_record_chained_after_it(workspace, aeat):
    job = finish(start(workspace, [send(), cancel()]))

    assert (job.status, step(job, "cancel").status) == ("OK", "OK")
    assert step(job, "cancel").message == f"AEAT: cancellation accepted (#2 of {ISSUER})"
    registration, cancellation = Record.objects.order_by("seq")
    assert (registration.kind, cancellation.kind) == ("alta", "anulacion")
    assert cancellation.previous_fingerprint == registration.fingerprint
    assert [r["cancelled"] for r in aeat.held(ISSUER) if r["kind"] == "alta"] == [1]


def test_an_invoice_never_registered_cannot_be_cancelled(workspace, aeat):
    job = finish(start(workspace, [cancel()]))

    assert (step(job, "cancel").status, step(job, "cancel").code) == ("KO", "not_registered")
    assert aeat.records() == []


def test_a_cancelled_invoice_prints_no_qr_and_the_entry_says_so(workspace, aeat, alice_client):
    job = finish(start(workspace, [send()]))
    page = alice_client.get(f"/silo/{job.entry_id}/").content.decode()
    assert 'id="verifactu-qr"' in page and "ValidarQR?nif=B98602642&amp;numserie=SAMPLE-004" in page

    cancelling, _ = create_workflow(
        workspace, {"name": "Cancel", "schema": "bill/invoice", "steps": [cancel()], "rescue": []}
    )
    again = finish(create_job(workspace, cancelling, entry=job.entry)[0])

    assert step(again, "cancel").status == "OK"
    page = alice_client.get(f"/silo/{job.entry_id}/").content.decode()
    assert 'id="verifactu-qr"' not in page
    assert "Cancellation #2" in page


def test_asking_about_an_uncertain_record_with_a_refused_certificate_is_KO(alice, aeat):
    workspace = alice.workspace
    other = aeat.client_p12("B12345674", "Someone Else SL", password="p12 password")
    configure(workspace, aeat, nif=ISSUER, name=NAME, p12=other)
    first = finish(start(workspace, [send()]))
    Record.objects.update(state="uncertain", code="", answered_at=None)  # as after a lost send

    again = finish(create_job(workspace, first.workflow, entry=first.entry)[0])

    assert (step(again).status, step(again).code) == ("KO", "4112")
    assert Record.objects.get().state == "pending"
