"""Load GOBL documents from folders into a workspace's silo, then derive its parties.

Safe to run again: every document gets a stable key, and a key already in the
workspace is left alone. The example documents all share one envelope ``head.uuid``,
so the key adds the envelope's digest: ``gobl:<head.uuid>:<digest>``; two files with
the same digest are the same document and make one entry.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from console.models import Workspace
from silo import documents
from silo.models import Entry
from silo.services import create_entry, parse_document

SOURCE = "load_gobl"
DIGEST_LENGTH = 16
KEY_LENGTH = 200


def default_folders():
    """The shared GOBL examples, beside the project or inside it."""
    candidates = [
        settings.BASE_DIR.parent / "shared" / "data" / "gobl",
        settings.BASE_DIR / "shared" / "data" / "gobl",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return [candidate]
    raise CommandError(
        "No folder given and no GOBL examples found at "
        + " or ".join(str(c) for c in candidates)
        + "."
    )


def document_key(path, doc):
    head = doc.get("head") if doc.get("$schema") == documents.ENVELOPE else None
    uuid = head.get("uuid") if isinstance(head, dict) else None
    if not isinstance(uuid, str) or not uuid:
        return f"gobl:{path.name}"[:KEY_LENGTH]
    digest = head.get("dig")
    value = digest.get("val") if isinstance(digest, dict) else None
    if isinstance(value, str) and value:
        return f"gobl:{uuid}:{value[:DIGEST_LENGTH]}"[:KEY_LENGTH]
    return f"gobl:{uuid}"[:KEY_LENGTH]


def party_key(party):
    tax_id = party.get("tax_id") if isinstance(party.get("tax_id"), dict) else {}
    code = tax_id.get("code")
    if code:
        return f"party:{tax_id.get('country') or ''}{code}"[:KEY_LENGTH]
    name = party.get("name")
    if isinstance(name, str) and name.strip():
        return f"party:name:{name.strip()}"[:KEY_LENGTH]
    return None


def parties_of(invoices):
    """One ``org/party`` envelope per distinct supplier or customer, by key, in order."""
    parties = {}
    for invoice in invoices:
        for role in ("supplier", "customer"):
            party = invoice.get(role)
            if not isinstance(party, dict):
                continue
            key = party_key(party)
            if key and key not in parties:
                fields = {name: value for name, value in party.items() if name != "$schema"}
                parties[key] = {
                    "$schema": documents.ENVELOPE,
                    "doc": {"$schema": documents.GOBL_PREFIX + "org/party", **fields},
                }
    return parties


class Command(BaseCommand):
    help = (
        "Load every *.json GOBL document from the folders (default: the shared examples) "
        "into a workspace, then add one org/party entry per supplier and customer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="slug of the workspace")
        parser.add_argument("folders", nargs="*", type=Path, help="folders of *.json files")

    def handle(self, *args, workspace, folders, **options):
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        read, skipped = self.read(folders or default_folders())
        invoices = [documents.body(doc) for _, doc, schema in read if schema == "bill/invoice"]
        with transaction.atomic():
            created, existing = self.store(target, [(key, doc) for key, doc, _ in read])
            parties_created, parties_existing = self.store(
                target, list(parties_of(invoices).items())
            )
        self.stdout.write(
            f"Documents: {created} created, {existing} existing, {skipped} skipped.\n"
            f"Parties: {parties_created} created, {parties_existing} existing."
        )

    def read(self, folders):
        """``([(key, doc, schema)], skipped)`` for every *.json file of the folders."""
        read, skipped = [], 0
        for folder in folders:
            if not folder.is_dir():
                raise CommandError(f"{folder} is not a folder.")
            for path in sorted(folder.glob("*.json")):
                try:
                    doc, schema = parse_document(path.read_bytes())
                except documents.DocumentError as error:
                    self.stderr.write(self.style.WARNING(f"Skipped {path.name}: {error}"))
                    skipped += 1
                    continue
                read.append((document_key(path, doc), doc, schema))
        return read, skipped

    def store(self, workspace, keyed_docs):
        """Create the entries whose key is new; ``(created, existing)``."""
        known = set(
            Entry.objects.in_workspace(workspace)
            .filter(key__in=[key for key, _ in keyed_docs])
            .values_list("key", flat=True)
        )
        created = 0
        for key, doc in keyed_docs:
            if key in known:
                continue
            _, was_created = create_entry(workspace, doc, key=key, source=SOURCE)
            created += was_created
            known.add(key)
        return created, len(keyed_docs) - created
