"""The live socket: who may connect, what each socket hears, and catching up.

Run on SQLite these exercise the embedded relay (the feed is polled); in the
PostgreSQL + Redis pass the same stories go through channels-redis pushes.
"""

import asyncio
import os
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from console.models import Membership
from jobs import consumers, engine, live
from jobs.services import create_job
from silo.services import create_entry
from tests.factories import load_gobl
from tests.jobs.sockets import APP, session_cookie
from workflows.services import create_workflow

# The consumer reaches the database from other threads and closes stale connections,
# which a test wrapped in one transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)

FLOW = {
    "name": "Register",
    "schema": "bill/invoice",
    "steps": [{"id": "s", "provider": "silo.state", "config": {"state": "registered"}}],
}


@pytest.fixture(autouse=True)
def no_wake(settings, patient_sqlite):
    """No django-q2 here; and SQLite waits for the sockets' own reads (relay, sweep)."""
    settings.JOBS_WAKE_WORKERS = False


def setup_invoice(workspace):
    entry, _ = create_entry(workspace, load_gobl("es-invoice-es-es-freelance.json"))
    workflow, _ = create_workflow(workspace, FLOW)
    return entry, workflow


def connect(path, cookie=None):
    """Open a socket; returns (communicator, accepted, first message or None)."""

    async def go():
        headers = [(b"cookie", cookie.encode())] if cookie else []
        communicator = WebsocketCommunicator(APP, path, headers=headers)
        accepted, _ = await communicator.connect(timeout=5)
        hello = await communicator.receive_json_from(timeout=5) if accepted else None
        return communicator, accepted, hello

    return async_to_sync(go)()


def listen(path, cookie, action, count):
    """Connect, run ``action`` (sync, in a thread), collect ``count`` changes (a frame
    carries one or more); ``quiet`` says no further change came, in those frames or in
    the next half second. The socket's periodic ``hello`` (where the feed is) carries
    no change and is skipped."""
    from asgiref.sync import sync_to_async

    async def go():
        communicator = WebsocketCommunicator(APP, path, headers=[(b"cookie", cookie.encode())])
        accepted, _ = await communicator.connect(timeout=5)
        assert accepted
        hello = await communicator.receive_json_from(timeout=5)
        await sync_to_async(action)()
        messages = []
        while len(messages) < count:
            messages += (await communicator.receive_json_from(timeout=5)).get("changes", [])
        quiet = len(messages) == count
        messages = messages[:count]
        while not await communicator.receive_nothing(timeout=0.5):
            if (await communicator.receive_json_from()).get("changes"):
                quiet = False
        await communicator.disconnect()
        return hello, messages, quiet

    return async_to_sync(go)()


def test_a_visitor_who_is_not_logged_in_is_refused(alice):
    _, accepted, _ = connect("/ws/live/")
    assert not accepted


def test_alice_hears_her_job_being_created_and_run(client, alice):
    entry, workflow = setup_invoice(alice.workspace)
    created = []

    def run_a_job():
        job, _ = create_job(alice.workspace, workflow, entry=entry)
        created.append(job)
        engine.run_in_process(job)

    hello, messages, quiet = listen("/ws/live/", session_cookie(client, alice.user), run_a_job, 3)

    job = created[0]
    # Created, claimed with its first step begun, finished.
    assert [m["status"] for m in messages] == ["QUEUED", "RUN", "OK"]
    assert {m["job"] for m in messages} == {str(job.pk)}
    assert {m["entry"] for m in messages} == {str(entry.pk)}
    assert hello["hello"] < messages[0]["change"] < messages[1]["change"] < messages[2]["change"]
    assert quiet


def test_a_job_socket_hears_only_that_job(client, alice):
    entry, workflow = setup_invoice(alice.workspace)
    watched, _ = create_job(alice.workspace, workflow, entry=entry)
    other, _ = create_job(alice.workspace, workflow, entry=entry)

    def cancel_both():
        engine.cancel(other)
        engine.cancel(watched)

    path = f"/ws/live/jobs/{watched.pk}/"
    _, messages, quiet = listen(path, session_cookie(client, alice.user), cancel_both, 1)

    assert messages == [
        {
            "change": messages[0]["change"],
            "job": str(watched.pk),
            "entry": str(entry.pk),
            "status": "CANCEL",
        }
    ]
    assert quiet


def test_bob_cannot_open_a_socket_on_alices_job_or_entry(client, alice, bob):
    entry, workflow = setup_invoice(alice.workspace)
    job, _ = create_job(alice.workspace, workflow, entry=entry)
    cookie = session_cookie(client, bob.user)

    for path in (f"/ws/live/jobs/{job.pk}/", f"/ws/live/entries/{entry.pk}/"):
        _, accepted, _ = connect(path, cookie)
        assert not accepted, path
    _, accepted, _ = connect(f"/ws/live/jobs/{job.pk}/", session_cookie(client, alice.user))
    assert accepted


def test_bob_hears_nothing_of_alices_jobs(client, alice, bob):
    entry, workflow = setup_invoice(alice.workspace)

    def alice_runs_a_job():
        job, _ = create_job(alice.workspace, workflow, entry=entry)
        engine.cancel(job)

    communicator_messages = listen(
        "/ws/live/", session_cookie(client, bob.user), alice_runs_a_job, 0
    )
    _, messages, quiet = communicator_messages
    assert messages == [] and quiet


def test_a_page_that_reconnects_is_sent_what_it_missed(client, alice):
    entry, workflow = setup_invoice(alice.workspace)
    first, _ = create_job(alice.workspace, workflow, entry=entry)
    seen = live.last_change_id(alice.workspace.pk)
    engine.cancel(first)  # while the page was away
    second, _ = create_job(alice.workspace, workflow, entry=entry)

    cookie = session_cookie(client, alice.user).encode()

    async def reconnect():
        path = f"/ws/live/?since={seen}"
        communicator = WebsocketCommunicator(APP, path, headers=[(b"cookie", cookie)])
        assert (await communicator.connect(timeout=5))[0]
        received = []
        while not received or "hello" not in received[-1]:
            received.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return received

    *frames, hello = async_to_sync(reconnect)()
    missed = [change for frame in frames for change in frame["changes"]]

    assert [(m["job"], m["status"]) for m in missed] == [
        (str(first.pk), "CANCEL"),
        (str(second.pk), "QUEUED"),
    ]
    assert hello == {"hello": live.last_change_id(alice.workspace.pk)}


def test_the_feed_forgets_changes_older_than_a_day(alice):
    from datetime import timedelta

    from django.utils import timezone

    from jobs.models import Change

    entry, workflow = setup_invoice(alice.workspace)
    old, _ = create_job(alice.workspace, workflow, entry=entry)
    engine.cancel(old)
    recent, _ = create_job(alice.workspace, workflow, entry=entry)
    first_recent = Change.objects.filter(job_id=recent.pk).order_by("id").first().id
    Change.objects.filter(id__lt=first_recent).update(at=timezone.now() - timedelta(days=2))

    assert live.prune() == 3  # the entry's creation, the old job's QUEUED and CANCEL
    assert list(Change.objects.values_list("job_id", flat=True)) == [recent.pk]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (make test's second pass)")
def test_an_idle_socket_outlives_the_layers_blocking_receive(client, alice):
    """channels-redis waits 5 s per blocking receive; the socket must survive it idle."""
    cookie = session_cookie(client, alice.user).encode()
    entry, workflow = setup_invoice(alice.workspace)

    async def idle_then_hear():
        from asgiref.sync import sync_to_async

        communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie)])
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)  # hello
        await asyncio.sleep(7)
        await sync_to_async(create_job)(alice.workspace, workflow, entry=entry)
        while "changes" not in (message := await communicator.receive_json_from(timeout=5)):
            pass
        await communicator.disconnect()
        return message["changes"][0]

    assert async_to_sync(idle_then_hear)()["status"] == "QUEUED"


def test_a_socket_that_dies_while_connecting_lets_the_relay_go(client, alice, monkeypatch):
    """A send to a socket the browser has just closed raises; the consumer then ends
    without ``disconnect``, and must still stop the relay it started (embedded mode)."""

    async def closed_meanwhile(self, since):
        raise ConnectionError("Attempt to send on a closed protocol")

    monkeypatch.setattr(consumers.LiveConsumer, "_catch_up", closed_meanwhile)
    monkeypatch.setattr(live, "pushes", lambda: False)  # the relay, as on SQLite
    cookie = session_cookie(client, alice.user).encode()

    async def open_and_die():
        communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie)])
        await communicator.connect(timeout=5)
        with pytest.raises(ConnectionError):
            await communicator.wait(timeout=5)
        return live.relay.listeners, live.relay.task

    assert async_to_sync(open_and_die)() == (0, None)


@pytest.mark.parametrize("leaves", ["removed from the workspace", "deactivated"])
def test_a_socket_closes_when_its_user_leaves_the_workspace(client, alice, monkeypatch, leaves):
    monkeypatch.setattr(consumers, "SWEEP_S", 0.2)
    cookie = session_cookie(client, alice.user).encode()

    async def leave_then_listen():
        from asgiref.sync import sync_to_async

        communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie)])
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)  # hello
        if leaves == "deactivated":
            await sync_to_async(type(alice.user).objects.filter(pk=alice.user.pk).update)(
                is_active=False
            )
        else:
            await sync_to_async(Membership.objects.filter(user=alice.user).delete)()
        while (output := await communicator.receive_output(timeout=5))["type"] != (
            "websocket.close"
        ):
            pass  # the sweep's own hello, if it came first
        await communicator.disconnect()
        return output

    assert async_to_sync(leave_then_listen)() == {"type": "websocket.close", "code": 4403}


def test_the_relay_picks_up_a_change_committed_after_a_newer_one(alice):
    """PostgreSQL may commit id 7 after id 8: the relay looks for the missing id again."""
    from jobs.models import Change

    def change(change_id):
        return Change.objects.create(
            id=change_id, workspace=alice.workspace, job_id=uuid.uuid4(), status="RUN"
        )

    relay = live.Relay()
    relay.last = 100
    change(102)
    assert [c.id for c in relay._read()] == [102]
    change(101)  # committed late
    assert [c.id for c in relay._read()] == [101]
    assert relay._read() == []  # nothing twice


def test_an_entry_socket_hears_a_persons_change_and_a_job_socket_does_not(client, alice):
    from silo.services import update_entry

    entry, workflow = setup_invoice(alice.workspace)
    job, _ = create_job(alice.workspace, workflow, entry=entry)
    cookie = session_cookie(client, alice.user)

    def edit():
        update_entry(entry, state="sent", actor=alice.user)

    _, messages, quiet = listen(f"/ws/live/entries/{entry.pk}/", cookie, edit, 1)
    assert messages[0]["job"] is None and messages[0]["entry"] == str(entry.pk)
    assert quiet

    def edit_again():
        update_entry(entry, state="registered", actor=alice.user)

    _, messages, quiet = listen(f"/ws/live/jobs/{job.pk}/", cookie, edit_again, 0)
    assert quiet


def _closed_after(cookie, ending):
    """Open a socket, run ``ending`` (sync), return the close message the socket gets."""

    async def end_then_listen():
        from asgiref.sync import sync_to_async

        communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie)])
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)  # hello
        await sync_to_async(ending)()
        while (output := await communicator.receive_output(timeout=5))["type"] != (
            "websocket.close"
        ):
            pass  # the sweep's own hello, if it came first
        await communicator.disconnect()
        return output

    return async_to_sync(end_then_listen)()


@pytest.mark.parametrize("ends", ["logout", "expiry", "password change", "signed out elsewhere"])
def test_a_socket_closes_when_the_session_behind_it_ends(client, alice, monkeypatch, ends):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    monkeypatch.setattr(consumers, "SWEEP_S", 0.2)
    cookie = session_cookie(client, alice.user).encode()

    def ending():
        if ends == "logout":
            client.post("/logout/")
        elif ends == "expiry":
            Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
        elif ends == "signed out elsewhere":
            from django.test import Client

            elsewhere = Client()
            elsewhere.force_login(alice.user)
            elsewhere.post("/account/sessions/end/")
        else:
            alice.user.set_password("a new one entirely")
            alice.user.save()

    assert _closed_after(cookie, ending) == {"type": "websocket.close", "code": 4401}


def test_a_socket_stays_open_while_its_session_lasts(client, alice, monkeypatch):
    monkeypatch.setattr(consumers, "SWEEP_S", 0.1)
    cookie = session_cookie(client, alice.user).encode()

    async def listen_through_sweeps():
        communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie)])
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)  # hello
        quiet = await communicator.receive_nothing(timeout=1)  # ten sweeps
        await communicator.disconnect()
        return quiet

    assert async_to_sync(listen_through_sweeps)()


def test_changes_published_together_reach_the_page_in_one_frame(client, alice):
    """A worker's publisher sends a workspace's changes in batches; a socket passes a
    batch on as one frame, not a frame per change."""
    from channels.layers import get_channel_layer

    cookie = session_cookie(client, alice.user).encode()
    job = str(uuid.uuid4())

    async def hear_a_batch():
        communicator = WebsocketCommunicator(APP, "/ws/live/", headers=[(b"cookie", cookie)])
        assert (await communicator.connect(timeout=5))[0]
        hello = (await communicator.receive_json_from(timeout=5))["hello"]
        batch = [
            {"change": hello + n, "job": job, "entry": None, "status": status}
            for n, status in ((1, "RUN"), (2, "RUN"), (3, "OK"))
        ]
        await get_channel_layer().group_send(
            live.group_name(alice.workspace.pk), {"type": "job.changes", "changes": batch}
        )
        frame = await communicator.receive_json_from(timeout=5)
        quiet = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return frame, quiet

    frame, quiet = async_to_sync(hear_a_batch)()
    assert [(c["job"], c["status"]) for c in frame["changes"]] == [
        (job, "RUN"),
        (job, "RUN"),
        (job, "OK"),
    ]
    assert quiet


def test_a_change_reaches_the_page_while_the_process_is_busy_with_requests(client, alice):
    """A process runs its sync work (every API request's, every page's) on one thread.
    A change arriving for an open page must not wait for that thread: under load it
    did (channels closes old database connections there before every handler), and
    History fell seconds behind, updated only by the sweep."""
    import threading

    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    user, workspace = alice
    cookie = session_cookie(client, user)

    async def go():
        communicator = WebsocketCommunicator(
            APP, "/ws/live/", headers=[(b"cookie", cookie.encode())]
        )
        accepted, _ = await communicator.connect(timeout=5)
        assert accepted
        hello = (await communicator.receive_json_from(timeout=5))["hello"]
        release = threading.Event()
        busy = asyncio.ensure_future(sync_to_async(release.wait)(10))  # a long request
        await asyncio.sleep(0.1)
        change = {"change": hello + 1, "job": str(uuid.uuid4()), "entry": None, "status": "OK"}
        await get_channel_layer().group_send(
            live.group_name(workspace.pk), {"type": "job.changes", "changes": [change]}
        )
        try:
            frame = await communicator.receive_json_from(timeout=2)
        finally:
            release.set()
            await busy
        await communicator.disconnect()
        return change, frame

    change, frame = async_to_sync(go)()
    assert frame == {"changes": [change]}
