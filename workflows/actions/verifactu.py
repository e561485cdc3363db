"""``verifactu.send`` and ``verifactu.cancel``: register an invoice with Spain's AEAT.

Each converts the entry's GOBL invoice into a VERI*FACTU record (a ``RegistroAlta`` or
``RegistroAnulacion``, ``workflows.agencies.aeat.verifactu``), chains it to the
issuer's previous record and waits for the issuer's next batch to the AEAT
(``workflows.agencies.chain``): the job parks in WAIT without holding a worker, and
the batch's answer wakes it. The outcome is the AEAT's word on that one record:

- ``OK`` when accepted; ``OK`` ``accepted_with_errors`` (the AEAT's codes in the
  message) when accepted with errors; ``OK`` ``duplicate`` when the AEAT already held it;
- ``KO`` with the AEAT's own ``CodigoErrorRegistro`` (``1104``, ...) when rejected,
  or with the code of a refusal of the whole request (a certificate the AEAT does not
  accept, ``4112``...);
- ``KO`` with a short code when the invoice cannot be converted (``not_spanish``,
  ``missing_extension``...) or the workspace has no AEAT settings (``not_configured``);
- network errors, timeouts and the service being down are retried with backoff
  (``TryLater``): the record stays the same, never a fork of the chain.
"""

from silo.services import add_attachment
from workflows.actions.base import Action, ActionConfig, Outcome, TryLater
from workflows.actions.registry import register
from workflows.agencies import chain
from workflows.agencies.aeat import credentials, errors, verifactu
from workflows.agencies.models import Record

OWN_CODES = {
    "accepted_with_errors": "The AEAT accepted the record with errors (its codes in the message).",
    "duplicate": "The AEAT already held this record (a resend): registered.",
    "no_entry": "The job has no invoice to register.",
    "not_configured": "The workspace has no usable AEAT settings (issuer, certificate).",
    "issuer_mismatch": "The invoice's supplier is not the issuer of the workspace's settings.",
    "not_registered": "There is no registration of this invoice to cancel.",
    # the conversion's (workflows.agencies.aeat.verifactu, docs/agencies.md)
    "not_an_invoice": "The document is not an invoice.",
    "not_spanish": "The supplier has no Spanish (ES) tax ID.",
    "bad_nif": "A Spanish tax ID is not valid.",
    "missing_field": "The invoice lacks a field the record needs (the message names it).",
    "missing_extension": "The invoice lacks an es-verifactu-v1 extension the record needs.",
    "bad_extension": "An es-verifactu-v1 extension has a value VERI*FACTU does not know.",
    "no_preceding": "A rectifying or replacing invoice without its preceding invoice.",
    "no_preceding_tax": "A preceding invoice without its tax amounts.",
    "no_customer": "The invoice type needs a customer and there is none.",
    "not_euro": "The invoice is not in euros.",
    "no_taxes": "The invoice has no VAT (or IGIC, IPSI) breakdown.",
    "too_many_rates": "More tax rates than a VERI*FACTU record can hold.",
    "bad_amount": "An amount is not a number the AEAT accepts.",
    "bad_date": "A date is not valid.",
    "bad_number": "The invoice's series and code are not a valid invoice number.",
    "bad_id": "A customer's foreign ID is not valid.",
    "invalid_record": "The record would not pass the AEAT's schema.",
    # transport (workflows.agencies.aeat.soap): what waiting does not fix
    "certificate_refused": "The AEAT refused the certificate at the connection (TLS).",
}


def _known_codes():
    return {**OWN_CODES, **errors.CODES}


class IssuerMismatch(Exception):
    pass


class VerifactuConfig(ActionConfig):
    pass


class _Registration(Action):
    group = "Tax agencies"
    schemas = ("bill/invoice",)
    needs_entry = True
    max_attempts = 8
    backoff_s = 15.0
    timeout_s = chain.SEND_LEASE_S  # a query and a submission of up to 1,000 records
    Config = VerifactuConfig
    kind: str

    def run(self, context):
        entry = context.entry
        if entry is None:
            return Outcome.ko("no_entry", "This job has no invoice to register.")
        try:
            settings = credentials.for_workspace(context.workspace)
        except credentials.NotConfigured as error:
            return Outcome.ko("not_configured", str(error))
        try:
            record = self.record(context, settings)
            if isinstance(record, Outcome):
                return record
            record = chain.waiting_for(record, settings, since=context.step_started_at)
        except verifactu.ConversionError as error:
            return Outcome.ko(error.code, error.message)
        except IssuerMismatch as error:
            return Outcome.ko("issuer_mismatch", str(error))
        return _outcome(record, context)

    def record(self, context, settings):
        raise NotImplementedError

    def _append(self, context, settings, build):
        issuer = settings.issuer
        found = chain.find_chain(context.workspace, issuer, settings.issuer_name)

        def checked(head, generated_at):
            previous = None
            if head is not None:
                previous = verifactu.Previous(
                    issuer=head.chain.issuer,
                    num_series=head.num_series,
                    issue_date=head.issue_date,
                    fingerprint=head.fingerprint,
                )
            made = build(previous, generated_at)
            if made.issuer != issuer:
                raise IssuerMismatch(
                    f"The invoice's supplier is {made.issuer}; this workspace registers "
                    f"invoices of {issuer} (Settings, VERI*FACTU).",
                )
            return made

        record, _ = chain.append(
            found,
            build=checked,
            environment=settings.environment,
            entry=context.entry,
            job=context.job,
        )
        return record


@register
class SendVerifactu(_Registration):
    id = "verifactu.send"
    name = "Send VERI*FACTU (Spain)"
    description = (
        "Registers the invoice with Spain's AEAT: converts it into a VERI*FACTU record, "
        "chains it to the issuer's previous one and sends it in the issuer's next batch. "
        "KO with the AEAT's own error code when it is rejected."
    )
    codes = tuple(_known_codes())
    code_descriptions = _known_codes()
    kind = Record.Kind.ALTA

    def record(self, context, settings):
        software = verifactu.Software.from_settings()
        correction = "rejected" if _latest_rejected(context, Record.Kind.ALTA) else None
        return self._append(
            context,
            settings,
            lambda previous, at: verifactu.registration(
                context.entry.doc,
                previous=previous,
                generated_at=at,
                software=software,
                correction=correction,
            ),
        )


@register
class CancelVerifactu(_Registration):
    id = "verifactu.cancel"
    name = "Cancel VERI*FACTU registration"
    description = (
        "Cancels the invoice's registration with Spain's AEAT: chains a cancellation "
        "record (RegistroAnulacion) and sends it in the issuer's next batch. KO "
        "not_registered when the invoice was never registered."
    )
    codes = tuple(_known_codes())
    code_descriptions = _known_codes()
    kind = Record.Kind.ANULACION

    def record(self, context, settings):
        registered = (
            Record.objects.filter(
                workspace=context.workspace, entry=context.entry, kind=Record.Kind.ALTA
            )
            .order_by("-seq")
            .first()
        )
        if registered is None:
            return Outcome.ko(
                "not_registered", "This invoice has no VERI*FACTU registration to cancel."
            )
        registered = chain.waiting_for(registered, settings, since=context.step_started_at)
        if registered.state == Record.State.REJECTED or registered.state == Record.State.PENDING:
            return Outcome.ko(
                "not_registered",
                "The AEAT did not register this invoice "
                f"({registered.code} {registered.message}); there is nothing to cancel.",
            )
        software = verifactu.Software.from_settings()
        rejected_before = _latest_rejected(context, Record.Kind.ANULACION)
        return self._append(
            context,
            settings,
            lambda previous, at: verifactu.cancellation(
                context.entry.doc,
                previous=previous,
                generated_at=at,
                software=software,
                rejected_before=rejected_before,
            ),
        )


def _latest_rejected(context, kind):
    """Whether the AEAT rejected this invoice's last record of ``kind``: the next one is
    its correction (``RechazoPrevio``), not a new history."""
    latest = (
        Record.objects.filter(workspace=context.workspace, entry=context.entry, kind=kind)
        .order_by("-seq")
        .values_list("state", flat=True)
        .first()
    )
    return latest == Record.State.REJECTED


def _outcome(record, context):
    state = Record.State
    what = "cancellation" if record.kind == Record.Kind.ANULACION else "record"
    changes = {
        "verifactu": {
            "issuer": record.chain.issuer,
            "record": record.seq,
            "state": record.state,
            "fingerprint": record.fingerprint,
        }
    }
    if record.state in (state.ACCEPTED, state.ACCEPTED_WITH_ERRORS, state.REJECTED):
        _attach(record, context)
    if record.state == state.ACCEPTED:
        if record.duplicate:
            return Outcome.ok(
                "duplicate",
                f"AEAT: the {what} was already registered (#{record.seq} of {record.chain.issuer})",
                **changes,
            )
        return Outcome.ok(
            "", f"AEAT: {what} accepted (#{record.seq} of {record.chain.issuer})", **changes
        )
    if record.state == state.ACCEPTED_WITH_ERRORS:
        return Outcome.ok(
            "accepted_with_errors",
            f"AEAT: {what} accepted with errors: {record.code} {record.message}".strip(),
            **changes,
        )
    if record.state == state.REJECTED:
        return Outcome.ko(
            record.code or "rejected",
            f"AEAT: {what} rejected: {record.code} {record.message}".strip(),
            **changes,
        )
    if chain.refused_since(record, context.step_started_at):
        return Outcome.ko(
            record.code,
            f"AEAT: the whole request was refused: {record.code} {record.message}".strip(),
            **changes,
        )
    raise TryLater("uncertain", "The AEAT's answer about this record is not known yet.")


def _attach(record, context):
    """The record as sent and the AEAT's answer line, on the entry (replaced on rerun)."""
    entry = context.entry
    name = f"verifactu-{record.chain.issuer}-{record.seq}"
    add_attachment(
        entry,
        f"{name}-request.xml",
        bytes(record.xml),
        mime="application/xml",
        source=f"verifactu:{record.pk}:request",
        job_id=context.job.pk,
    )
    if record.answer_xml:
        add_attachment(
            entry,
            f"{name}-answer.xml",
            bytes(record.answer_xml),
            mime="application/xml",
            source=f"verifactu:{record.pk}:answer",
            job_id=context.job.pk,
        )
