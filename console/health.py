"""Health endpoints for load balancers and orchestrators (docs/deploy.md).

- ``/health/live``: the web process answers (no database): restart it if not.
- ``/health/ready``: it can serve: the database answers and, with Redis, the channel
  layer does; take it out of rotation (503) if not.
- ``/health/workers``: the job side, seen from the database: due jobs waiting, the
  oldest one's wait, jobs running, and each worker machine's last heartbeat; 503 when
  no worker has reported for ``Worker.STALE_S`` seconds.

They answer without a login. ``/health/workers`` gives its details (queue depth,
running jobs, worker machines as host:pid) only to a signed-in operator (a staff
user) or to a caller on the machine itself (loopback, with no proxy's
``X-Forwarded-For`` or ``Forwarded`` header, so a local reverse proxy does not make
everyone local); anyone else gets the status alone, with the same HTTP status, which is
all a load balancer needs. None of them shows a workspace's data.
"""

import asyncio
import ipaddress
import time
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import connection
from django.db.models import Min
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jobs.models import Job, Status, Worker

QUEUE_COUNT_CAP = 100_000  # past this the depth reads "100000+": counting costs time


@require_GET
@never_cache
def live(request):
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def ready(request):
    checks = {"database": _timed(_database)}
    if not isinstance(get_channel_layer(), InMemoryChannelLayer):
        checks["channel_layer"] = _timed(_channel_layer)
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)


@require_GET
@never_cache
def workers(request):
    now = timezone.now()
    machines = [
        {
            "name": w.name,
            "processes": w.processes,
            "started_at": w.started_at.isoformat(),
            "seen_s_ago": round((now - w.seen_at).total_seconds(), 1),
            "stale": now - w.seen_at > timedelta(seconds=Worker.STALE_S),
        }
        for w in Worker.objects.order_by("name")
    ]
    alive = [m for m in machines if not m["stale"]]
    status = {"status": "ok" if alive else "no_workers"}
    if not _may_see_details(request):
        return JsonResponse(status, status=200 if alive else 503)
    due = Job.objects.filter(status__in=(Status.QUEUED, Status.WAIT), due_at__lte=now)
    depth = due[:QUEUE_COUNT_CAP].count()
    oldest = due.aggregate(oldest=Min("due_at"))["oldest"]
    body = {
        **status,
        "queue_depth": f"{QUEUE_COUNT_CAP}+" if depth == QUEUE_COUNT_CAP else depth,
        "oldest_due_s": round((now - oldest).total_seconds(), 1) if oldest else 0,
        "running": Job.objects.filter(status=Status.RUN).count(),
        "workers": machines,
    }
    return JsonResponse(body, status=200 if alive else 503)


def _may_see_details(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _timed(check):
    started = time.perf_counter()
    try:
        check()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__, "ms": _ms(started)}
    return {"ok": True, "ms": _ms(started)}


def _ms(started):
    return round((time.perf_counter() - started) * 1000, 1)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _channel_layer():
    """A message sent to a fresh channel comes back: Redis answers both ways."""

    async def round_trip():
        layer = get_channel_layer()
        channel = await layer.new_channel("health.")
        await layer.send(channel, {"type": "health.check"})
        await asyncio.wait_for(layer.receive(channel), timeout=2)

    async_to_sync(round_trip)()
