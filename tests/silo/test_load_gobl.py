import io
import json

import pytest
from django.core.management import CommandError, call_command

from silo.models import Entry
from tests.factories import GOBL_DIR


def load(*folders, workspace="acme"):
    out, err = io.StringIO(), io.StringIO()
    call_command("load_gobl", *map(str, folders), workspace=workspace, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_loads_the_shared_examples_then_changes_nothing_on_a_second_run(alice):
    workspace = alice.workspace
    examples = list(GOBL_DIR.glob("*.json"))

    out, _ = load()

    entries = Entry.objects.in_workspace(workspace)
    documents = entries.filter(key__startswith="gobl:")
    # Two pairs of example files hold the very same document (same digest).
    assert documents.count() == len(examples) - 2
    assert documents.filter(schema="bill/invoice").count() >= 120
    assert f"Documents: {len(examples) - 2} created, 2 existing, 0 skipped." in out
    total = entries.count()

    out, _ = load()

    assert entries.count() == total
    assert "0 created" in out and "Parties: 0 created" in out


def test_derives_one_party_per_tax_id_or_name(alice, tmp_path):
    invoice = json.loads((GOBL_DIR / "es-invoice-es-es-freelance.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps(invoice))
    invoice["head"]["dig"]["val"] = "another document"
    invoice["doc"]["customer"] = {"name": "Walk-in Customer"}
    (tmp_path / "b.json").write_text(json.dumps(invoice))

    out, _ = load(tmp_path)

    parties = Entry.objects.in_workspace(alice.workspace).filter(schema="org/party")
    assert sorted(parties.values_list("key", flat=True)) == [
        "party:ES54387763P",
        "party:ES58384285G",
        "party:name:Walk-in Customer",
    ]
    supplier = parties.get(key="party:ES58384285G")
    assert supplier.doc["$schema"] == "https://gobl.org/draft-0/envelope"
    assert supplier.doc["doc"]["$schema"] == "https://gobl.org/draft-0/org/party"
    assert supplier.doc["doc"]["emails"] == [{"addr": "billing@example.com"}]
    assert supplier.supplier_name == "MªF. Services"
    assert "Documents: 2 created" in out and "Parties: 3 created, 0 existing" in out


def test_skips_unknown_schemas_and_bad_json_with_a_warning(alice, tmp_path):
    (tmp_path / "other.json").write_text('{"$schema": "https://example.com/thing"}')
    (tmp_path / "broken.json").write_text("{")

    out, err = load(tmp_path)

    assert "Skipped broken.json: The file is not valid JSON" in err
    assert "Skipped other.json: Unknown" in err
    assert "0 created, 0 existing, 2 skipped" in out
    assert not Entry.objects.exists()


def test_key_falls_back_to_the_file_name(alice, tmp_path):
    doc = {"$schema": "https://gobl.org/draft-0/org/party", "name": "Bare Party"}
    (tmp_path / "bare.json").write_text(json.dumps(doc))

    load(tmp_path)

    assert Entry.objects.get(schema="org/party", key="gobl:bare.json").supplier_name == "Bare Party"


def test_an_unknown_workspace_is_an_error(db):
    with pytest.raises(CommandError, match="No workspace"):
        load(workspace="nope")


def test_a_missing_folder_is_an_error(alice, tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        load(tmp_path / "missing")
