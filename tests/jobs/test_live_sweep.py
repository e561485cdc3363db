"""A change the channel layer never delivered (dropped by a full channel, or published
while Redis was restarting) still reaches an open socket, from the change feed."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from jobs import consumers, live
from jobs.models import Change
from tests.jobs.sockets import APP, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("patient_sqlite")]
JOB = "6f1d3f8a-4a6e-4f7e-9a52-0c1d2e3f4a5b"


async def opened(cookie):
    """A History socket, open; returns it and its hello."""
    communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie.encode())])
    accepted, _ = await communicator.connect(timeout=5)
    assert accepted
    return communicator, await communicator.receive_json_from(timeout=5)


def written_to_the_feed_only(workspace):
    """A change no publisher sends and no relay is told of."""
    return Change.objects.acreate(workspace_id=workspace.pk, job_id=JOB, status="OK")


def test_an_undelivered_change_reaches_the_open_socket(client, alice, monkeypatch):
    user, workspace = alice
    monkeypatch.setattr(consumers, "SWEEP_S", 0.2)
    monkeypatch.setattr(consumers, "DELIVERY_GRACE_S", 0.5)
    cookie = session_cookie(client, user)

    async def story():
        communicator, hello = await opened(cookie)
        change = await written_to_the_feed_only(workspace)
        message = (await communicator.receive_json_from(timeout=5))["changes"][0]
        await communicator.disconnect()
        return hello, change, message

    hello, change, message = async_to_sync(story)()
    assert message["change"] == change.id > hello["hello"]
    assert message["status"] == "OK"


def test_a_sweep_with_more_missed_than_it_reads_sends_the_rest_next_time(
    client, alice, monkeypatch
):
    user, workspace = alice
    monkeypatch.setattr(consumers, "SWEEP_S", 0.2)
    monkeypatch.setattr(consumers, "SWEEP_LIMIT", 3)
    monkeypatch.setattr(live, "GAP_PATIENCE_S", 0)  # the mark may move past them at once
    monkeypatch.setattr(consumers, "DELIVERY_GRACE_S", 0)
    cookie = session_cookie(client, user)

    async def story():
        communicator, _ = await opened(cookie)
        written = [await written_to_the_feed_only(workspace) for _ in range(7)]
        received = []
        while len(received) < len(written):
            message = await communicator.receive_json_from(timeout=5)
            received += [change["change"] for change in message.get("changes", [])]
        await communicator.disconnect()
        return [change.id for change in written], received

    written, received = async_to_sync(story)()
    assert received == written


def test_a_sweep_leaves_a_change_the_layer_may_still_bring(alice, monkeypatch):
    """Under load a change is often committed a moment before the layer brings it; a
    sweep that read and sent those again took 14-19% of a busy web process's CPU.
    Only a change older than the grace is looked for in the feed."""
    _, workspace = alice
    socket = consumers.LiveConsumer()
    socket.workspace_id, socket.job_id, socket.entry_id, socket.low = workspace.pk, None, None, 0
    change = Change.objects.create(workspace_id=workspace.pk, job_id=JOB, status="RUN")

    assert socket._missed(frozenset()) == (0, [])  # just committed: on its way
    monkeypatch.setattr(consumers, "DELIVERY_GRACE_S", 0)
    assert socket._missed(frozenset())[1] == [change]  # the layer had its chance
    assert socket._missed(frozenset({change.id}))[1] == []  # it did bring it
