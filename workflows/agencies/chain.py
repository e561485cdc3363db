"""VERI*FACTU chains: appending records in strict order, and sending them in batches.

One chain per issuer NIF per workspace (``models.Chain``). ``append`` chains a new
record to the head under the chain's lock, so 50 jobs appending at once give 50
records each chained to the one before: the head row is locked with ``SELECT ... FOR
UPDATE`` on PostgreSQL, and SQLite's IMMEDIATE transactions take the write lock up
front. A record once made is final: every send, resend and resumed job uses its bytes.

Sending follows the AEAT's flow control: after each submission the AEAT says how long
to wait (``TiempoEsperaEnvio``, 60 s by default) unless 1,000 records are pending. So a
record waits for its issuer's next batch: ``take_batch`` hands the whole queue (up to
1,000, in chain order) to one job, the others park (``Suspend``) without holding a
worker, and the batch's answer wakes each of them with its own record's outcome
(``jobs.services.wake``). A batch whose answer never came (a killed worker, a timeout)
leaves its records ``uncertain``: the next sender asks the AEAT
(``ConsultaFactuSistemaFacturacion``) what it holds before sending them again.

The network calls are made outside any transaction; only the short claims and the
recording of an answer hold the chain's lock.
"""

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from lxml import etree

from jobs.services import wake
from workflows.actions.base import Suspend, TryLater
from workflows.agencies.aeat import soap, verifactu
from workflows.agencies.models import FINAL_STATES, Chain, Record, Submission

logger = logging.getLogger(__name__)

MADRID = ZoneInfo("Europe/Madrid")
BATCH_MAX = 1000  # the AEAT's limit per request, and the queue that may go at once
SEND_TIMEOUT_S = settings.AEAT_TIMEOUT  # one SOAP call (60 s unless the operator says)
SEND_LEASE_S = 2 * SEND_TIMEOUT_S + 30  # a query, a submission, and the recording
POLL_IN_FLIGHT_S = 5  # a job whose record is in another job's batch looks again after this
SOAP_ACTION_SEND = "RegFactuSistemaFacturacion"
SOAP_ACTION_QUERY = "ConsultaFactuSistemaFacturacion"

State = Record.State


# --- Appending ------------------------------------------------------------------------


def find_chain(workspace, issuer, issuer_name=""):
    """The issuer's chain, made on first use (two first uses at once make one)."""
    chain = Chain.objects.filter(workspace=workspace, issuer=issuer).first()
    if chain is not None:
        return chain
    try:
        with transaction.atomic():
            return Chain.objects.create(workspace=workspace, issuer=issuer, issuer_name=issuer_name)
    except IntegrityError:
        return Chain.objects.get(workspace=workspace, issuer=issuer)


def current_record(chain, kind, num_series, issue_date):
    """The record this invoice already has of this kind, unless the AEAT rejected it.

    A retry, a resumed job or a second run on the same invoice uses it as it is (the
    same XML, the same fingerprint); a rejected one is followed by a new record.
    """
    latest = (
        Record.objects.filter(chain=chain, num_series=num_series, issue_date=issue_date)
        .order_by("-seq")
        .first()
    )
    if latest is not None and latest.kind == kind and latest.state != State.REJECTED:
        return latest
    return None


def append(chain, *, build, environment, entry=None, job=None):
    """Chain a new record to the head, or give back the one this invoice already has.

    ``build(previous, generated_at)`` makes the record (a conversion ``Record``) from
    the head (the chain's last ``Record``, or None) and the generation time; it runs under
    the chain's lock, so nothing can slip in between reading the head and writing the
    new one. When the invoice already has its record (``current_record``) the one just
    made is dropped: a retry never makes a new time or fingerprint. Returns
    ``(record, created)``.
    """
    with transaction.atomic():
        head = _lock(chain)
        previous = head.head  # read after the lock; None for the issuer's first record
        generated_at = timezone.now().astimezone(MADRID).replace(microsecond=0)
        made = build(previous, generated_at)
        existing = current_record(head, made.kind, made.num_series, made.issue_date)
        if existing is not None:  # made again only to learn which invoice it is
            if job is not None and existing.job_id != job.pk:
                Record.objects.filter(pk=existing.pk).update(job=job)
                existing.job = job
            return existing, False
        record = Record.objects.create(
            workspace_id=head.workspace_id,
            chain=head,
            seq=head.length + 1,
            kind=made.kind,
            entry=entry,
            job=job,
            num_series=made.num_series,
            issue_date=made.issue_date,
            total=made.total or "",
            fingerprint=made.fingerprint,
            previous_fingerprint=previous.fingerprint if previous is not None else "",
            generated_at=made.generated_at,
            xml=made.xml,
            environment=environment,
        )
        Chain.objects.filter(pk=head.pk).update(length=record.seq, head=record)
        if not head.issuer_name and made.issuer_name:
            Chain.objects.filter(pk=head.pk).update(issuer_name=made.issuer_name)
    return record, True


def _lock(chain):
    """The chain's row, locked until the transaction ends (the head cannot move).

    The head record is read by a statement of its own after the lock: joined into the
    locking query, PostgreSQL would re-read the chain's row once the lock is granted
    but keep the join from before it, and see no head (or the old one).
    """
    rows = Chain.objects.all()
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return rows.get(pk=chain.pk)


def conversion_record(record):
    """The stored record as the conversion's ``Record``, to put in a submission."""
    return verifactu.Record(
        kind=record.kind,
        issuer=record.chain.issuer,
        issuer_name=record.chain.issuer_name,
        num_series=record.num_series,
        issue_date=record.issue_date,
        total=record.total,
        fingerprint=record.fingerprint,
        generated_at=record.generated_at,
        xml=bytes(record.xml),
    )


# --- Batching -------------------------------------------------------------------------


class Batch:
    """A claimed submission: its records in chain order, and those to ask about first."""

    def __init__(self, submission, records, unsure):
        self.submission = submission
        self.records = records
        self.unsure = unsure


def take_batch(chain, now=None):
    """Claim the chain's queue for one submission, or say until when to wait.

    Returns a ``Batch``, a datetime (wait until then: the AEAT's flow control, or
    another job's batch in flight), or None when nothing waits to be sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        head = _lock(chain)
        if head.sending_id is not None:
            flying = Submission.objects.get(pk=head.sending_id)
            if flying.lease_until > now:
                return min(flying.lease_until, now + timedelta(seconds=POLL_IN_FLIGHT_S))
            Submission.objects.filter(pk=flying.pk, state=Submission.State.SENDING).update(
                state=Submission.State.FAILED,
                status="lost",
                message="Its sender stopped before the answer was recorded.",
            )
            Chain.objects.filter(pk=head.pk).update(sending=None)
        queue = list(
            Record.objects.filter(chain=head, state__in=(State.PENDING, State.UNCERTAIN))
            .select_related("chain")
            .order_by("seq")[:BATCH_MAX]
        )
        if not queue:
            return None
        if head.next_send_at is not None and now < head.next_send_at and len(queue) < BATCH_MAX:
            return head.next_send_at
        submission = Submission.objects.create(
            workspace_id=head.workspace_id,
            chain=head,
            lease_until=now + timedelta(seconds=SEND_LEASE_S),
            size=len(queue),
        )
        unsure = [r for r in queue if r.state == State.UNCERTAIN]
        Record.objects.filter(pk__in=[r.pk for r in queue]).update(
            state=State.UNCERTAIN, submission=submission
        )
        Chain.objects.filter(pk=head.pk).update(sending=submission)
    return Batch(submission, queue, unsure)


def send(batch, credentials):
    """Send a claimed batch and record the answer; wakes the jobs of its records.

    Records the AEAT may have received before (``batch.unsure``) are first asked
    about, and only those it does not hold are sent. A transport failure (``TryLater``)
    frees the chain for the next attempt; what may have arrived stays uncertain.
    """
    chain = batch.submission.chain
    held, request, answer_body, answer = {}, b"", b"", None
    try:
        if batch.unsure:
            held = _ask(chain, batch.unsure, credentials)
        to_send = [r for r in batch.records if r.pk not in held]
        if to_send:
            request = verifactu.submission(
                [conversion_record(r) for r in to_send],
                issuer=chain.issuer,
                issuer_name=chain.issuer_name,
            )
            Submission.objects.filter(pk=batch.submission.pk).update(request=request)
            answer_body = soap.call(
                credentials.verifactu_url,
                request,
                credentials=credentials,
                soap_action=SOAP_ACTION_SEND,
                timeout=SEND_TIMEOUT_S,
            )
            answer = verifactu.parse_submission_answer(answer_body)
    except verifactu.SoapFault as fault:  # the whole request refused: nothing registered
        _record_refusal(batch, held, fault.code, fault.message, request, answer_body)
        return
    except soap.SoapError as error:  # refused before it was read (TLS, 4xx)
        _record_refusal(batch, {}, error.code, error.message, request, b"")
        return
    except verifactu.AnswerError as error:
        _release(batch, TryLater("bad_answer", f"The AEAT's answer was not understood: {error}"))
        raise TryLater("bad_answer", f"The AEAT's answer was not understood: {error}") from None
    except TryLater as failure:
        _release(batch, failure)
        raise
    _record_answer(batch, held, request, answer_body, answer)


# TryLater codes for calls the AEAT did not process (refused at once, or no such host):
# their records are simply pending again. Anything else (a timeout, a dropped connection)
# may have arrived, so it stays uncertain and is asked about before being sent again.
NOT_PROCESSED = ("unavailable", "dns")

HELD_STATES = {
    "Correcto": State.ACCEPTED,
    "Correcta": State.ACCEPTED,
    "AceptadoConErrores": State.ACCEPTED_WITH_ERRORS,
    "AceptadaConErrores": State.ACCEPTED_WITH_ERRORS,
}


def _ask(chain, records, credentials):
    """What the AEAT holds of these uncertain records: ``{record id: state}``.

    One query per month of issue (the Consulta's period, every page of it), narrowed to
    the invoice number when there is only one to ask about. A registration arrived when
    the AEAT holds it with its fingerprint; a cancellation, when its invoice shows as
    cancelled (``Anulado``).
    """
    months = {}
    for record in records:
        months.setdefault((record.issue_date.year, record.issue_date.month), []).append(record)
    held = {}
    for (year, month), asked in months.items():
        found = {}
        after = None
        while True:
            envelope = verifactu.query(
                issuer=chain.issuer,
                issuer_name=chain.issuer_name,
                year=year,
                month=month,
                num_series=asked[0].num_series if len(asked) == 1 else None,
                after=after,
            )
            body = soap.call(
                credentials.verifactu_url,
                envelope,
                credentials=credentials,
                soap_action=SOAP_ACTION_QUERY,
                timeout=SEND_TIMEOUT_S,
            )
            page = verifactu.parse_query_answer(body)
            found.update({(h.num_series, h.issue_date): h for h in page})
            after = page.next_page
            if not after:
                break
        for record in asked:
            match = found.get((record.num_series, record.issue_date))
            if match is None:
                continue
            if record.kind == Record.Kind.ANULACION:
                if match.state.startswith("Anulad"):
                    held[record.pk] = State.ACCEPTED
            elif match.fingerprint == record.fingerprint:
                held[record.pk] = HELD_STATES.get(match.state, State.ACCEPTED)
    return held


def _release(batch, failure):
    """The call failed in transit: free the chain; its records wait for the next try."""
    processed_maybe = failure.code not in NOT_PROCESSED
    with transaction.atomic():
        Submission.objects.filter(pk=batch.submission.pk).update(
            state=Submission.State.FAILED,
            status=(failure.code or "unavailable")[:40],
            message=failure.message or str(failure),
        )
        if not processed_maybe:
            unsure = {r.pk for r in batch.unsure}
            Record.objects.filter(
                pk__in=[r.pk for r in batch.records if r.pk not in unsure]
            ).update(state=State.PENDING)
        changes = {"sending": None}
        if failure.retry_after:  # the AEAT's own word on when to come back (429)
            changes["next_send_at"] = timezone.now() + timedelta(seconds=failure.retry_after)
        Chain.objects.filter(pk=batch.submission.chain_id, sending=batch.submission).update(
            **changes
        )


def _record_refusal(batch, held, code, message, request, body):
    """The AEAT refused the whole request (a SOAP fault: schema, certificate, header).

    Nothing of it was registered, so its records are pending again, to go in the next
    batch, and carry the refusal's code: the jobs waiting on them end KO with it.
    """
    now = timezone.now()
    with transaction.atomic():
        _settle_held(batch.records, held, now)
        Record.objects.filter(pk__in=[r.pk for r in batch.records if r.pk not in held]).update(
            state=State.PENDING,
            code=str(code)[:20],
            message=message,
            answered_at=now,
        )
        Submission.objects.filter(pk=batch.submission.pk).update(
            state=Submission.State.ANSWERED,
            answered_at=now,
            request=request,
            answer=body,
            status=f"refused {code}"[:40],
            message=message,
        )
        Chain.objects.filter(pk=batch.submission.chain_id).update(sending=None)
        _wake(batch.records)


def _record_answer(batch, held, request, body, answer):
    now = timezone.now()
    lines = {}
    if answer is not None:
        for line in answer.lines:
            lines[(line.num_series, line.issue_date, line.operation)] = line
    fragments = _line_fragments(body) if body else {}
    with transaction.atomic():
        _settle_held(batch.records, held, now)
        for record in batch.records:
            if record.pk in held:
                continue
            operation = "Alta" if record.kind == Record.Kind.ALTA else "Anulacion"
            line = lines.get((record.num_series, record.issue_date, operation))
            if line is None:  # the answer did not speak of it: ask about it next time
                continue
            state, code, message = _line_state(line)
            Record.objects.filter(pk=record.pk).update(
                state=state,
                code=code,
                message=message,
                duplicate=line.duplicate is not None,
                answered_at=now,
                answer_xml=fragments.get((record.num_series, record.issue_date), b""),
            )
        wait = answer.wait_seconds if answer is not None else None
        Submission.objects.filter(pk=batch.submission.pk).update(
            state=Submission.State.ANSWERED,
            answered_at=now,
            request=request,
            answer=body,
            status=(answer.state if answer is not None else "found by asking")[:40],
            wait_seconds=wait,
        )
        changes = {"sending": None}
        if wait is not None:
            changes["next_send_at"] = now + timedelta(seconds=wait)
        Chain.objects.filter(pk=batch.submission.chain_id).update(**changes)
        _wake(batch.records)


def _settle_held(records, held, now):
    for record in records:
        if record.pk in held:
            Record.objects.filter(pk=record.pk).update(
                state=held[record.pk],
                code="",
                duplicate=True,
                message="The AEAT already held this record (found by asking it after a "
                "send whose answer never came).",
                answered_at=now,
            )


def _line_state(line):
    """``(state, code, message)`` for one answer line; a duplicate is the AEAT saying it
    already holds the record, so it is registered (with that record's own state)."""
    if line.duplicate is not None:
        state = HELD_STATES.get(line.duplicate.state, State.ACCEPTED)
        return state, line.duplicate.code[:20], line.duplicate.description or line.description
    if line.state == "Correcto":
        return State.ACCEPTED, "", ""
    if line.state in ("AceptadoConErrores", "AceptadaConErrores"):
        return State.ACCEPTED_WITH_ERRORS, line.code[:20], line.description
    return State.REJECTED, line.code[:20], line.description


def _line_fragments(body):
    """Each record's ``RespuestaLinea`` as XML, for the entry's answer attachment."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return {}
    found = {}
    for line in root.iter("{*}RespuestaLinea"):
        number = line.findtext(".//{*}IDFactura/{*}NumSerieFactura")
        date_text = line.findtext(".//{*}IDFactura/{*}FechaExpedicionFactura") or ""
        try:
            day, month, year = (int(p) for p in date_text.split("-"))
            key = (number, date(year, month, day))
        except ValueError:
            continue
        found[key] = etree.tostring(line, encoding="UTF-8", xml_declaration=True)
    return found


def _wake(records):
    job_ids = [r.job_id for r in records if r.job_id]
    if job_ids:
        wake(job_ids)


# --- What a job sees ------------------------------------------------------------------


def waiting_for(record, credentials, *, since, now=None):
    """Move the record towards an answer: send its issuer's batch if that may go now.

    Returns the record once it is answered, or once the AEAT refused the whole request
    it went in after ``since`` (the step's start: state pending with the refusal's
    code). Raises ``Suspend`` (the batch goes later, or another job's batch is in
    flight) or ``TryLater`` (the AEAT is unreachable).
    """
    while True:
        record.refresh_from_db()
        if record.state in FINAL_STATES or refused_since(record, since):
            return record
        taken = take_batch(record.chain, now)
        if isinstance(taken, Batch):
            send(taken, credentials)
            if any(r.pk == record.pk for r in taken.records):
                record.refresh_from_db()
                if record.state not in FINAL_STATES and not refused_since(record, since):
                    raise TryLater(
                        "no_answer",
                        "The AEAT's answer did not speak of this record; it is asked "
                        "about before it is sent again.",
                    )
            continue
        if taken is None:  # nothing queued: another job settled it just now
            record.refresh_from_db()
            return record
        raise Suspend(
            taken, f"Waiting for the issuer's next batch to the AEAT at {taken:%H:%M:%S} UTC"
        )


def refused_since(record, since):
    return (
        record.state == State.PENDING
        and bool(record.code)
        and record.answered_at is not None
        and record.answered_at >= since
    )
