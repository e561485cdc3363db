"""Reading the chains for the screens: an entry's registrations, an issuer's records."""

import segno
from django.db.models import Count

from workflows.agencies.models import Chain, Record

STATE_ORDER = ("pending", "uncertain", "accepted", "accepted_with_errors", "rejected")


def qr_address(record):
    """The address the AEAT's QR of a registered invoice encodes (reference README)."""
    from workflows.agencies.aeat import verifactu

    return verifactu.qr_url(
        environment=record.environment,
        issuer=record.chain.issuer,
        num_series=record.num_series,
        issue_date=record.issue_date,
        total=record.total,
    )


def qr_svg(address, *, scale=3):
    """The QR code as inline SVG (segno: pure Python, no image library)."""
    return segno.make(address, error="m").svg_inline(scale=scale, border=2)


def qr_data_url(address):
    return segno.make(address, error="m").svg_data_uri(scale=4, border=2)


def registered(entry):
    """The entry's registration the AEAT holds (its latest accepted alta), or None."""
    record = (
        Record.objects.filter(entry=entry, kind=Record.Kind.ALTA)
        .select_related("chain")
        .order_by("-seq")
        .first()
    )
    if record is None or record.state not in (
        Record.State.ACCEPTED,
        Record.State.ACCEPTED_WITH_ERRORS,
    ):
        return None
    later_cancellation = Record.objects.filter(
        chain=record.chain,
        kind=Record.Kind.ANULACION,
        num_series=record.num_series,
        issue_date=record.issue_date,
        seq__gt=record.seq,
        state__in=(Record.State.ACCEPTED, Record.State.ACCEPTED_WITH_ERRORS),
    ).exists()
    return None if later_cancellation else record


def entry_registrations(entry):
    """What the entry page shows: the entry's records, newest first, the QR on the one
    the AEAT holds."""
    records = list(
        Record.objects.filter(entry=entry)
        .select_related("chain", "submission")
        .order_by("-seq")[:10]
    )
    if not records:
        return None
    current = registered(entry)
    qr = None
    if current is not None:
        address = qr_address(current)
        qr = {"address": address, "svg": qr_svg(address)}
    return {"records": records, "current": current, "qr": qr}


def chains(workspace):
    return Chain.objects.in_workspace(workspace).order_by("issuer")


def state_counts(chain):
    counts = dict(
        Record.objects.filter(chain=chain)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [(state, Record.State(state).label, counts.get(state, 0)) for state in STATE_ORDER]
