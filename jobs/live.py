"""Live updates: how a change a worker commits reaches the browsers watching it.

Every commit that changes a job (claim, a step recorded, parked, finished, cancelled,
created) calls ``job_changed`` inside its transaction, which writes one ``Change`` row:
a monotonic feed that commits or rolls back with the change itself. Browsers follow
it through ``jobs.consumers.LiveConsumer`` in one of two ways:

- with a cross-process channel layer (channels-redis, ``REDIS_URL``), the process
  that committed sends the change to the workspace's group right after the commit,
  and consumers push it at once;
- in the embedded default the workers are other processes and Channels' in-memory
  layer cannot reach them, so one ``Relay`` per web process reads the feed every
  ``POLL_S`` seconds and sends what is new to the (in-memory) groups; a change the
  web process commits itself (a run started from a page or the API) wakes it at once.

Either way a message says only *what* changed (job, entry, status, change id); the
page then fetches the fragment it shows from the usual, workspace-scoped views, so
there is one template per fragment. A browser that reconnects sends the last change
id it saw and is sent every change since (see ``changes_since``).
"""

import asyncio
import contextlib
import logging
import threading
import time
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

from jobs.models import Change

logger = logging.getLogger(__name__)

POLL_S = 0.05  # a primary-key range read: 20 a second while anyone watches
CATCH_UP_LIMIT = 500  # more missed changes than this: the page reloads its parts
GAP_PATIENCE_S = 5  # how long a missing id may still turn up (a transaction in flight)
KEEP = timedelta(days=1)
BATCH_S = 0.025  # how long a published change waits for others to share its send


def group_name(workspace_id):
    return f"live.{workspace_id}"


def pushes():
    """Does the channel layer reach other processes (Redis), or must we poll?"""
    layer = get_channel_layer()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


def job_changed(job, status):
    """Record that ``job`` changed to ``status``; call inside the change's transaction.

    Costs one INSERT; with Redis also one publish after the commit.
    """
    change = Change.objects.create(
        workspace_id=job.workspace_id, job_id=job.pk, entry_id=job.entry_id, status=status
    )
    committed(change)
    return change


def committed(change):
    """Publish a change once its transaction commits (the engine's one-statement step
    commit writes its Change row itself and calls this)."""
    if pushes():
        transaction.on_commit(lambda: publish(change))
    else:
        transaction.on_commit(relay.wake)


def entry_changed(sender, entry, job_id=None, **kwargs):
    """A person changed an entry (``silo.signals.entry_changed``): its page follows.

    A job's changes to its entry are already in the feed as the job's own changes.
    """
    if job_id is None:
        change = Change.objects.create(
            workspace_id=entry.workspace_id, job_id=None, entry_id=entry.pk, status=""
        )
        committed(change)


def message(change):
    return {
        "type": "job.changed",
        "change": change.id,
        "job": str(change.job_id) if change.job_id else None,
        "entry": str(change.entry_id) if change.entry_id else None,
        "status": change.status,
    }


def publish(change):
    """Hand the change to this process's publisher; returns at once."""
    _publisher.send(change)


class _Publisher:
    """One event loop per process, on a daemon thread, sends the changes to the layer.

    A worker records a change at every step; starting an event loop for each one
    (``async_to_sync``) cost about 2 ms of CPU per step, more than the step's commit,
    and one channels-redis ``group_send`` costs about 0.8 ms more. So changes queue
    here and each send carries all those of a workspace that queued meanwhile: one
    at a time when it is quiet, batches under load. A change waits ``BATCH_S`` at
    most for others to join it.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.loop = None
        self.thread = None
        self.pending = []
        self.flushing = False

    def send(self, change):
        with self.lock:
            if self.thread is None or not self.thread.is_alive():  # first use, or forked
                self.loop = asyncio.new_event_loop()
                self.thread = threading.Thread(
                    target=self.loop.run_forever, name="live-publisher", daemon=True
                )
                self.thread.start()
                self.pending, self.flushing = [], False
            self.pending.append(change)
            if self.flushing:
                return
            self.flushing = True
        asyncio.run_coroutine_threadsafe(self._flush(), self.loop)

    async def _flush(self):
        layer = get_channel_layer()
        while True:
            await asyncio.sleep(BATCH_S)  # let a running job's next changes join
            with self.lock:
                batch, self.pending = self.pending, []
                if not batch:
                    self.flushing = False
                    return
            by_workspace = {}
            for change in batch:
                by_workspace.setdefault(change.workspace_id, []).append(message(change))
            for workspace_id, messages in by_workspace.items():
                try:
                    await layer.group_send(
                        group_name(workspace_id), {"type": "job.changes", "changes": messages}
                    )
                except Exception:  # sockets sweep the feed (jobs.consumers); never fail a job
                    logger.warning("could not publish %d changes", len(messages), exc_info=True)


_publisher = _Publisher()


def last_change_id(workspace_id):
    last = Change.objects.filter(workspace_id=workspace_id).order_by("-id").first()
    return last.id if last else 0


def changes_since(workspace_id, since, *, job_id=None, entry_id=None):
    """The workspace's changes after ``since`` (oldest first), or None if too many."""
    changes = Change.objects.filter(workspace_id=workspace_id, id__gt=since)
    if job_id:
        changes = changes.filter(job_id=job_id)
    if entry_id:
        changes = changes.filter(entry_id=entry_id)
    found = list(changes.order_by("id")[: CATCH_UP_LIMIT + 1])
    return None if len(found) > CATCH_UP_LIMIT else found


def prune(keep=KEEP):
    """Forget changes older than ``keep``; the workers' clock calls this hourly.

    Ids grow with time, so the first id still to keep is found by walking the primary
    key from the oldest row (only the rows about to go are read: ``at`` has no index,
    which every change would pay for) and everything below it goes in one range.
    """
    cutoff = timezone.now() - keep
    first_kept = (
        Change.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
    )
    if first_kept is None:
        return Change.objects.filter(at__lt=cutoff).delete()[0]
    return Change.objects.filter(id__lt=first_kept).delete()[0]


class Relay:
    """Tails the change feed for one web process while any consumer listens.

    PostgreSQL may commit ids out of order (a transaction that took id 7 can commit
    after the one that took 8), so an id missing below the newest one read is looked
    for again until it turns up or ``GAP_PATIENCE_S`` passes.
    """

    def __init__(self):
        self.listeners = 0
        self.task = None
        self.last = 0
        self.gaps = {}  # id -> monotonic time first missed
        self.woken = None  # set to read now instead of at the next poll

    def wake(self):
        """Read the feed now: this process has just committed a change (from any
        thread). Does nothing where no relay runs (workers, commands)."""
        task, woken = self.task, self.woken
        if task is None or woken is None or task.done():
            return
        with contextlib.suppress(RuntimeError):  # the loop has just closed
            task.get_loop().call_soon_threadsafe(woken.set)

    async def subscribe(self):
        loop = asyncio.get_running_loop()
        if self.task is not None and self.task.get_loop() is not loop:
            self.task, self.listeners = None, 0  # a new event loop (tests): start over
        self.listeners += 1
        if self.task is None or self.task.done():
            self.last = await database_sync_to_async(_newest_id)()
            self.gaps.clear()
            self.woken = asyncio.Event()
            self.task = asyncio.ensure_future(self._run())

    def unsubscribe(self):
        self.listeners = max(0, self.listeners - 1)
        if not self.listeners and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self):
        layer = get_channel_layer()
        while self.listeners:
            try:
                # Its own thread, not the one the process's sync views queue on.
                read = database_sync_to_async(self._read, thread_sensitive=False)
                for change in await read():
                    await layer.group_send(group_name(change.workspace_id), message(change))
            except Exception:
                logger.exception("live relay: reading the change feed failed")
            woken = self.woken
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), POLL_S)
            woken.clear()

    def _read(self):
        now = time.monotonic()
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_PATIENCE_S}
        floor = min([self.last, *(i - 1 for i in self.gaps)])
        fresh = [
            c
            for c in Change.objects.filter(id__gt=floor).order_by("id")[:1000]
            if c.id > self.last or c.id in self.gaps
        ]
        for change in fresh:
            self.gaps.pop(change.id, None)
            if change.id > self.last:
                if change.id - self.last < 1000:
                    self.gaps.update({i: now for i in range(self.last + 1, change.id)})
                self.last = change.id
        return fresh


def _newest_id():
    newest = Change.objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0


relay = Relay()
