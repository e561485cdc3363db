"""doc.modify: set and remove fields by path with templated values; the entry keeps the
document it had before, so the change can be undone from the entry page."""

from types import SimpleNamespace

from silo.models import Activity, Entry, Revision
from silo.services import update_entry
from tests.factories import make_entry
from tests.jobs.flows import block, ok, run_flow
from workflows.actions.base import Context
from workflows.actions.doc_modify import ModifyConfig, ModifyDocument


def modify(config, **extra):
    return {"id": "m", "provider": "doc.modify", "config": config, **extra}


def intent(job):
    return job.intents.get(step_id="m")


def test_sets_and_removes_fields_with_templated_values(alice):
    _, workspace = alice
    entry = make_entry(workspace)
    job = run_flow(
        workspace,
        [
            modify(
                {
                    "set": {
                        "notes": [{"text": "Paid by {{ args.method }} to {{ doc.supplier.name }}"}],
                        "ordering.code": "PO-{{ args.po }}",
                        "lines[0].quantity": "3",
                    },
                    "remove": ["customer.emails", "not.there"],
                }
            )
        ],
        entry=entry,
        args={"method": "transfer", "po": "77"},
    )

    assert job.status == "OK", intent(job).message
    doc = Entry.objects.get(pk=entry.pk).doc["doc"]
    assert doc["notes"] == [{"text": "Paid by transfer to Acme Supplies S.L."}]
    assert doc["ordering"] == {"code": "PO-77"}
    assert doc["lines"][0]["quantity"] == "3"
    assert "emails" not in doc["customer"]
    assert intent(job).changes == {
        "revision": 1,
        "fields": ["notes", "ordering.code", "lines[0].quantity", "customer.emails", "not.there"],
    }


def test_the_previous_document_is_kept_as_a_revision(alice):
    _, workspace = alice
    entry = make_entry(workspace)
    original = entry.doc

    run_flow(workspace, [modify({"set": {"supplier.name": "Renamed S.L."}})], entry=entry)

    entry.refresh_from_db()
    assert entry.version == 2
    assert entry.supplier_name == "Renamed S.L."  # the list's columns follow the document
    revision = Revision.objects.get(entry=entry)
    assert revision.number == 1
    assert revision.doc == original
    assert revision.job_id is not None
    assert Activity.objects.filter(entry=entry, message="Document modified: supplier.name").exists()


def test_a_path_through_a_value_is_KO_invalid_path_and_changes_nothing(alice):
    _, workspace = alice
    entry = make_entry(workspace)
    handled = block("KO", ok("after"), code="invalid_path")

    job = run_flow(
        workspace,
        [modify({"set": {"currency": "EUR", "supplier.name.first": "X"}}, next=[handled])],
        entry=entry,
    )

    assert job.status == "OK"
    assert intent(job).code == "invalid_path"
    assert "'supplier.name.first'" in intent(job).message
    entry.refresh_from_db()
    assert entry.version == 1
    assert not Revision.objects.filter(entry=entry).exists()


def test_list_index_out_of_range_and_schema_are_invalid_paths(alice):
    _, workspace = alice
    entry = make_entry(workspace)

    far = run_flow(workspace, [modify({"set": {"lines.99.quantity": "1"}})], entry=entry)
    schema = run_flow(workspace, [modify({"set": {"$schema": "x"}})], entry=entry)
    empty = run_flow(workspace, [modify({"remove": ["lines..x"]})], entry=entry)

    assert [intent(j).code for j in (far, schema, empty)] == ["invalid_path"] * 3
    assert "no item 99" in intent(far).message
    assert "document's type" in intent(schema).message


def test_setting_what_is_already_there_writes_nothing(alice):
    _, workspace = alice
    entry = make_entry(workspace)

    job = run_flow(workspace, [modify({"set": {"currency": "EUR"}})], entry=entry)

    assert intent(job).status == "OK"
    assert "already had" in intent(job).message
    assert Entry.objects.get(pk=entry.pk).version == 1


def test_a_concurrent_edit_is_not_lost(alice):
    """The action re-reads the entry when someone wrote meanwhile, and applies its change
    to the new document instead of overwriting it."""
    _, workspace = alice
    entry = make_entry(workspace)
    stale = Entry.objects.get(pk=entry.pk)
    doc = dict(entry.doc, doc={**entry.doc["doc"], "currency": "USD"})
    update_entry(entry, doc=doc)

    context = Context(
        workspace=workspace,
        job=SimpleNamespace(id=None),
        step=None,
        config=ModifyConfig(set={"supplier.name": "Both"}),
        entry=stale,
        args={},
        attempt=1,
        idempotency_key="j:m",
        step_started_at=None,
    )
    outcome = ModifyDocument().run(context)

    assert outcome.status == "OK"
    fresh = Entry.objects.get(pk=entry.pk)
    assert fresh.doc["doc"]["currency"] == "USD"
    assert fresh.doc["doc"]["supplier"]["name"] == "Both"
    assert fresh.version == 3
    assert outcome.changes["revision"] == 2


def test_without_an_entry_it_is_KO_no_entry(alice):
    _, workspace = alice
    job = run_flow(workspace, [modify({"set": {"a": "b"}})])
    assert (intent(job).status, intent(job).code) == ("KO", "no_entry")
