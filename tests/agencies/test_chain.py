"""The chain on its own: records constructed here stand for the conversion's, so what
is tested is the order, the finality and the batching, not the XML."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import VERIFACTU_ISSUER as ISSUER
from tests.factories import make_verifactu_record as append
from workflows.agencies import chain
from workflows.agencies.models import Chain, Record, Submission


def assert_whole(workspace, issuer=ISSUER):
    """Every record chains to the one before: no fork, no gap."""
    found = Chain.objects.get(workspace=workspace, issuer=issuer)
    records = list(Record.objects.filter(chain=found).order_by("seq"))
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert records[0].previous_fingerprint == ""
    for before, after in zip(records, records[1:], strict=False):
        assert after.previous_fingerprint == before.fingerprint
    assert found.length == len(records)
    assert found.head_id == records[-1].pk
    return records


def test_records_chain_in_order_each_to_the_one_before(alice):
    _, workspace = alice

    for number in ("F-1", "F-2", "F-3"):
        append(workspace, number)

    records = assert_whole(workspace)
    assert [r.num_series for r in records] == ["F-1", "F-2", "F-3"]
    assert all(r.state == "pending" for r in records)
    assert records[0].generated_at.utcoffset() is not None


def test_a_record_once_made_is_final_a_retry_gets_the_same_one(alice):
    _, workspace = alice
    first, created = append(workspace, "F-1")
    append(workspace, "F-2")

    again, created_again = append(workspace, "F-1")

    assert created and not created_again
    assert again.pk == first.pk
    assert bytes(again.xml) == bytes(first.xml)
    assert again.fingerprint == first.fingerprint
    assert len(assert_whole(workspace)) == 2


def test_a_rejected_record_stays_in_the_chain_and_a_new_one_follows(alice):
    _, workspace = alice
    first, _ = append(workspace, "F-1")
    Record.objects.filter(pk=first.pk).update(state="rejected", code="1104")

    second, created = append(workspace, "F-1")

    assert created and second.seq == 2
    assert second.previous_fingerprint == first.fingerprint
    assert Record.objects.get(pk=first.pk).state == "rejected"


def test_each_workspace_and_issuer_has_its_own_chain(alice, bob):
    _, acme = alice
    _, globex = bob

    append(acme, "F-1")
    append(acme, "F-2")
    record, _ = append(globex, "F-1")

    assert record.seq == 1 and record.previous_fingerprint == ""
    assert Chain.objects.count() == 2


def test_a_failed_build_leaves_the_chain_as_it_was(alice):
    _, workspace = alice
    append(workspace, "F-1")

    def broken(previous, generated_at):
        raise ValueError("no supplier")

    with pytest.raises(ValueError):
        chain.append(chain.find_chain(workspace, ISSUER), build=broken, environment="local")

    assert len(assert_whole(workspace)) == 1


# --- Batching -------------------------------------------------------------------------


def test_the_whole_queue_goes_in_one_batch_in_chain_order(alice):
    _, workspace = alice
    for n in range(5):
        append(workspace, f"F-{n}")

    batch = chain.take_batch(Chain.objects.get())

    assert [r.num_series for r in batch.records] == [f"F-{n}" for n in range(5)]
    assert batch.unsure == []
    assert set(Record.objects.values_list("state", flat=True)) == {"uncertain"}
    assert Chain.objects.get().sending_id == batch.submission.pk


def test_while_a_batch_is_in_flight_the_next_waits(alice):
    _, workspace = alice
    append(workspace, "F-1")
    first = chain.take_batch(Chain.objects.get())
    append(workspace, "F-2")

    later = chain.take_batch(Chain.objects.get())

    assert isinstance(first, chain.Batch)
    assert later <= first.submission.lease_until
    assert Record.objects.get(num_series="F-2").state == "pending"


def test_the_aeats_wait_holds_the_queue_until_it_is_over(alice):
    _, workspace = alice
    append(workspace, "F-1")
    until = timezone.now() + timedelta(seconds=60)
    Chain.objects.update(next_send_at=until)

    assert chain.take_batch(Chain.objects.get()) == until
    assert isinstance(
        chain.take_batch(Chain.objects.get(), now=until + timedelta(seconds=1)), chain.Batch
    )


def test_a_thousand_pending_records_go_at_once_despite_the_wait(alice):
    _, workspace = alice
    for n in range(chain.BATCH_MAX + 3):
        append(workspace, f"F-{n:04}")
    Chain.objects.update(next_send_at=timezone.now() + timedelta(seconds=60))

    batch = chain.take_batch(Chain.objects.get())

    assert len(batch.records) == chain.BATCH_MAX
    assert batch.records[0].num_series == "F-0000"
    assert Record.objects.filter(state="pending").count() == 3


def test_a_batch_whose_sender_died_leaves_its_records_uncertain_to_ask_about(alice):
    _, workspace = alice
    append(workspace, "F-1")
    lost = chain.take_batch(Chain.objects.get())
    append(workspace, "F-2")
    after_lease = lost.submission.lease_until + timedelta(seconds=1)

    batch = chain.take_batch(Chain.objects.get(), now=after_lease)

    assert [r.num_series for r in batch.records] == ["F-1", "F-2"]
    assert [r.num_series for r in batch.unsure] == ["F-1"]
    assert Submission.objects.get(pk=lost.submission.pk).state == "failed"


# --- Under load (PostgreSQL) ----------------------------------------------------------


@pytest.mark.postgres
def test_fifty_concurrent_appends_give_fifty_records_no_fork_no_gap(transactional_db):
    from tests.factories import make_member

    _, workspace = make_member("carol", "Initech")
    chain.find_chain(workspace, ISSUER, "Provide One S.L.")
    start = threading.Barrier(50)
    errors = []

    def one(n):
        try:
            start.wait()
            append(workspace, f"F-{n:02}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    records = assert_whole(workspace)
    assert len(records) == 50
    assert len({r.num_series for r in records}) == 50


def test_a_chain_cannot_be_deleted_alone_but_goes_with_its_workspace(alice):
    from django.db.models import RestrictedError

    _, workspace = alice
    append(workspace, "F-1")
    append(workspace, "F-2")

    with pytest.raises(RestrictedError):
        Chain.objects.get().delete()
    workspace.delete()

    assert not Chain.objects.exists() and not Record.objects.exists()
