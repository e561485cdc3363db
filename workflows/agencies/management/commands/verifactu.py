"""``manage.py verifactu convert ENVELOPE.json [--previous PREVIOUS.json] [--generated-at T]``.

Prints the SOAP request (``RegFactuSistemaFacturacion`` holding the record, with its
``Huella``) a GOBL invoice becomes, without sending it or touching any chain. Exit codes:
0 printed, 2 the document (or an option) cannot be converted, with the reason on stderr.
"""

import json
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workflows.agencies.aeat import verifactu


class InvalidInput(CommandError):
    def __init__(self, message):
        super().__init__(message, returncode=2)


def _read_json(path, what):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the {what}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: the {what} is not valid JSON: {error}") from None


def _generated_at(value):
    if value is None:
        return verifactu.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"--generated-at {value!r}: not a date-time (e.g. 2024-11-26T05:00:00+01:00)"
        ) from None
    if moment.utcoffset() is None:
        raise InvalidInput(
            f"--generated-at {value!r}: give its UTC offset (e.g. 2024-11-26T05:00:00+01:00)"
        )
    return moment


class Command(BaseCommand):
    help = "VERI*FACTU (Spain): print the AEAT request a GOBL invoice becomes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        convert = sub.add_parser(
            "convert", help="Print the RegFactuSistemaFacturacion request of a GOBL invoice"
        )
        convert.add_argument("envelope", help="A GOBL envelope (or bare invoice) JSON file")
        convert.add_argument(
            "--previous",
            help='The issuer\'s previous record: {"issuer", "num_series", "issue_date", '
            '"fingerprint"}; without it the record is the first (PrimerRegistro S)',
        )
        convert.add_argument(
            "--generated-at",
            help="The record's generation time with its offset (default: now, Europe/Madrid)",
        )
        convert.add_argument(
            "--cancel",
            action="store_true",
            help="Print a cancellation (RegistroAnulacion) of the invoice instead",
        )

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_convert(self, envelope, previous, generated_at, cancel, **_):
        doc = _read_json(envelope, "document")
        before = None
        if previous:
            try:
                before = verifactu.Previous.from_json(_read_json(previous, "previous record"))
            except ValueError as error:
                raise InvalidInput(f"{previous}: {error}") from None
        moment = _generated_at(generated_at)
        try:
            software = verifactu.Software.from_settings()
        except ValueError as error:
            raise InvalidInput(f"settings: {error}") from None
        build = verifactu.cancellation if cancel else verifactu.registration
        try:
            record = build(doc, previous=before, generated_at=moment, software=software)
        except verifactu.ConversionError as error:
            raise InvalidInput(
                f"{envelope}: cannot convert ({error.code}): {error.message}"
            ) from None
        request = verifactu.submission(
            [record], issuer=record.issuer, issuer_name=record.issuer_name
        )
        self.stdout.write(request.decode(), ending="")
