"""The live socket: a page follows its workspace's job changes (``jobs.live``).

Three routes, each authenticated and scoped to the session's current workspace:
``/ws/live/`` (every job of the workspace: History, the bell, a bulk run's progress),
``/ws/live/jobs/<id>/`` (one job: its page) and ``/ws/live/entries/<id>/`` (the jobs
of one entry: its page). A job or entry of another workspace, or no login, and the
handshake is refused. ``?since=<change id>`` replays what a reconnecting page missed.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from console.workspaces import SESSION_KEY, workspaces_of
from jobs import live
from jobs.models import Job
from silo.models import Entry


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
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

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(self.joined, self.channel_name)
        if self.relayed:
            live.relay.unsubscribe()

    async def job_changed(self, event):
        if self.job_id and event["job"] != str(self.job_id):
            return
        if self.entry_id and event["entry"] != str(self.entry_id):
            return
        await self.send_json({key: event[key] for key in ("change", "job", "entry", "status")})

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
        if since is None:
            return await self.send_json({"hello": newest})
        missed = await database_sync_to_async(live.changes_since)(
            self.workspace_id, since, job_id=self.job_id, entry_id=self.entry_id
        )
        if missed is None:
            return await self.send_json({"hello": newest, "reset": True})
        for change in missed:
            await self.job_changed(live.message(change))
        await self.send_json({"hello": max(newest, since)})
