"""The live socket: a page follows its workspace's job changes (``jobs.live``).

Three routes, each authenticated and scoped to the session's current workspace:
``/ws/live/`` (every job of the workspace: History, the bell, a bulk run's progress),
``/ws/live/jobs/<id>/`` (one job: its page) and ``/ws/live/entries/<id>/`` (the jobs
of one entry: its page). A job or entry of another workspace, or no login, and the
handshake is refused; an open socket closes at its next sweep when its person leaves
the workspace (4403) or the session behind it ends (4401: logout, expiry, password
change). ``?since=<change id>`` replays what a reconnecting page missed.
"""

import asyncio
import logging
from datetime import timedelta
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.db.models import Max, Q
from django.utils import timezone

from console.models import Membership
from console.workspaces import SESSION_KEY, workspaces_of
from jobs import live
from jobs.models import Change, Job
from silo.models import Entry

logger = logging.getLogger(__name__)

SWEEP_S = 3
SWEEP_LIMIT = 5000  # changes read per sweep (ids only); more wait for the next one
# A change younger than this may still be on its way through the layer: the sweep
# leaves it for the next time. Without it, a busy workspace's sweeps found the last
# moments' changes "missing" and read and sent them again (a sixth of a web process's
# CPU in the soak). Longer saves more of that, but a change the layer is slow to bring
# or lost arrives only within this and one SWEEP_S: 1 s keeps that under 4 s.
DELIVERY_GRACE_S = 1


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.low, self.sent = 0, set()
        self.joined = None
        self.relayed = False
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(code=4401)
        kwargs = self.scope["url_route"]["kwargs"]
        self.job_id = kwargs.get("job_id")
        self.entry_id = kwargs.get("entry_id")
        self.workspace_id = await database_sync_to_async(self._workspace_id)(user)
        if self.workspace_id is None:
            return await self.close(code=4404)
        self.joined = live.group_name(self.workspace_id)
        await self.channel_layer.group_add(self.joined, self.channel_name)
        if not live.pushes():
            await live.relay.subscribe()
            self.relayed = True
        await self.accept()
        await self._catch_up(self._since())
        self.sweeper = asyncio.ensure_future(self._sweep())

    async def __call__(self, scope, receive, send):
        """However the socket ends, it leaves: a send that meets a socket the browser
        has just closed raises (autobahn's ``Disconnected``), and then ``disconnect`` is
        never called; the relay would poll for a listener that is gone, for ever."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._leave()

    async def disconnect(self, code):
        await self._leave()

    async def _leave(self):
        """Stop the sweep, leave the group, let the relay go; only once."""
        sweeper, self.sweeper = getattr(self, "sweeper", None), None
        if sweeper is not None:
            sweeper.cancel()
        joined, self.joined = getattr(self, "joined", None), None
        if joined:
            try:
                await self.channel_layer.group_discard(joined, self.channel_name)
            except Exception:  # Redis away: the group forgets the channel by expiry
                logger.debug("live: could not leave %s", joined, exc_info=True)
        if getattr(self, "relayed", False):
            self.relayed = False
            live.relay.unsubscribe()

    async def _sweep(self):
        """Now and then, send what the layer did not bring: a message dropped by a full
        channel, or published while Redis was down or restarting (its groups are lost
        with it, so the socket also joins its group again).

        ``self.low`` is the socket's low-water mark: every change up to it has been
        sent. It only moves past changes older than ``live.GAP_PATIENCE_S`` (a
        transaction may commit a lower id late), and the page is told it as
        ``hello``, which is what it asks to be replayed from when it reconnects.
        """
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                if not await database_sync_to_async(self._still_a_member)():
                    return await self.close(code=4403)
                if not await database_sync_to_async(self._session_still_valid)():
                    return await self.close(code=4401)
                await self.channel_layer.group_add(self.joined, self.channel_name)
                # A copy: the event loop adds to ``sent`` while the sweep's thread reads.
                low, missed = await database_sync_to_async(self._missed)(frozenset(self.sent))
            except Exception:  # Redis or the database is away: look again next time
                logger.debug("live sweep failed", exc_info=True)
                continue
            await self._send_changes([live.message(change) for change in missed])
            if low > self.low:
                self.low = low
                self.sent = {i for i in self.sent if i > low}
                await self.send_json({"hello": low})

    def _still_a_member(self):
        """A person removed from the workspace (or deactivated) hears nothing more: the
        socket closes at the next sweep, as their next page load would refuse them."""
        return Membership.objects.filter(
            user_id=self.scope["user"].pk, user__is_active=True, workspace_id=self.workspace_id
        ).exists()

    def _session_still_valid(self):
        """The session that opened the socket still signs this person in: not logged
        out, not expired, not ended by a password change (Django's session hash) or by
        "sign out of all other sessions". Read as a page load would read it."""
        key = getattr(self.scope.get("session"), "session_key", None)
        if not key:
            return False
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
        signed_in = auth.get_user(SimpleNamespace(session=store))
        return signed_in.is_authenticated and signed_in.pk == self.scope["user"].pk

    def _missed(self, sent):
        """The new low-water mark and the changes this socket has not been sent
        (``sent``: the ids it had sent when the sweep began).

        Only changes the layer has had ``DELIVERY_GRACE_S`` to bring are judged, up to
        ``edge``, the newest of them. One aggregate and one count first: when the feed
        holds as many changes up to the edge as this socket has sent, none is missing
        (the usual sweep: the layer brought them all) and no row is read. Only then are
        the ids read, to find the missing ones."""
        feed = Change.objects.filter(workspace_id=self.workspace_id, id__gt=self.low)
        if self.job_id:
            feed = feed.filter(job_id=self.job_id)
        if self.entry_id:
            feed = feed.filter(entry_id=self.entry_id)
        now = timezone.now()
        settled = now - timedelta(seconds=live.GAP_PATIENCE_S)
        due = now - timedelta(seconds=DELIVERY_GRACE_S)
        seen = feed.filter(at__lt=due).aggregate(
            edge=Max("id"), settled=Max("id", filter=Q(at__lt=settled))
        )
        low = max(self.low, seen["settled"] or 0)
        edge = seen["edge"]
        if edge is None:
            return low, []
        owed = feed.filter(id__lte=edge)
        if owed.count() == sum(1 for i in sent if self.low < i <= edge):
            return low, []
        recent = list(owed.order_by("id").values_list("id", flat=True)[:SWEEP_LIMIT])
        if len(recent) == SWEEP_LIMIT:  # the rest at the next sweep: the mark stops here
            low = min(low, recent[-1])
        missing = [i for i in recent if i not in sent]
        return low, list(Change.objects.filter(id__in=missing).order_by("id")) if missing else []

    async def dispatch(self, message):
        """The layer's messages go straight to their handler. Channels first closes the
        thread's old database connections before every handler, as a trip to the
        process's one sync thread, where API requests queue: under load every change
        for every socket waited there behind them (more than the sweep's grace, so the
        sweeps re-read what the layer was still bringing). These handlers read no
        database; the socket's own events (connect, receive) still go through it."""
        if message["type"] == "job.changes":
            return await self.job_changes(message)
        if message["type"] == "job.changed":
            return await self.job_changed(message)
        return await super().dispatch(message)

    async def job_changes(self, event):
        """A batch from a worker's publisher (``jobs.live._Publisher``): one frame."""
        await self._send_changes(event["changes"])

    async def job_changed(self, event):
        await self._send_changes([event])

    async def _send_changes(self, events):
        """``{"changes": [...]}``: what this socket follows and has not been sent, in one
        frame (a frame per change cost the web process more than the API requests
        that made the jobs, once a few pages watched a busy workspace)."""
        changes = []
        for event in events:
            if self.job_id and event["job"] != str(self.job_id):
                continue
            if self.entry_id and event["entry"] != str(self.entry_id):
                continue
            if event["change"] in self.sent or event["change"] <= self.low:
                continue  # the sweep found it first, or the page has it (hello)
            self.sent.add(event["change"])
            changes.append({key: event[key] for key in ("change", "job", "entry", "status")})
        if changes:
            await self.send_json({"changes": changes})

    async def receive_json(self, content, **kwargs):
        """The page may ask again for what it missed (``{"since": id}``)."""
        since = content.get("since") if isinstance(content, dict) else None
        if isinstance(since, int) and since >= 0:
            await self._catch_up(since)

    def _workspace_id(self, user):
        """The session's workspace (as ``console.workspaces`` resolves it for pages),
        and only if the followed job or entry is in it."""
        session = self.scope.get("session")
        wanted = session.get(SESSION_KEY) if session is not None else None
        mine = workspaces_of(user)
        workspace = (mine.filter(pk=wanted).first() if wanted else None) or mine.first()
        if workspace is None:
            return None
        if self.job_id and not Job.objects.in_workspace(workspace).filter(pk=self.job_id).exists():
            return None
        if (
            self.entry_id
            and not Entry.objects.in_workspace(workspace).filter(pk=self.entry_id).exists()
        ):
            return None
        return workspace.pk

    def _since(self):
        query = dict(
            part.split("=", 1)
            for part in self.scope.get("query_string", b"").decode().split("&")
            if "=" in part
        )
        try:
            return max(int(query.get("since", "")), 0)
        except ValueError:
            return None

    async def _catch_up(self, since):
        """Tell the page where the feed is; replay what it missed since ``since``."""
        newest = await database_sync_to_async(live.last_change_id)(self.workspace_id)
        self.low = newest if since is None else min(since, newest)
        if since is None:
            return await self.send_json({"hello": newest})
        missed = await database_sync_to_async(live.changes_since)(
            self.workspace_id, since, job_id=self.job_id, entry_id=self.entry_id
        )
        if missed is None:
            self.low = newest  # the page reloads its parts instead
            return await self.send_json({"hello": newest, "reset": True})
        await self._send_changes([live.message(change) for change in missed])
        self.low = max(self.low, newest)
        await self.send_json({"hello": self.low})
