"""``?wait=N``: hold an answer until a job ends or N seconds pass, holding no thread.

The waiting coroutine sleeps with asyncio and looks at the job's status in one short
query, on the event loop's shared thread pool: every 20 ms for the first half second
(most jobs end by then), then backing off to 250 ms. With a channel layer that reaches
the workers (Redis), it also listens to the workspace's live feed (``jobs.live``) and
looks at once when a change of this job is announced, so it answers within a few
milliseconds of the end; the polls stay, so a lost message only costs latency.
"""

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import InterfaceError, OperationalError, connection

from jobs import live
from jobs.models import ACTIVE, Job

logger = logging.getLogger(__name__)

FIRST_POLL_S = 0.02
EAGER_S = 0.5
LONGEST_POLL_S = 0.25


def is_active(job_id):
    """Runs on the shared thread pool, outside any request. Without a connection pool
    its threads keep their database connections (one that broke, after a database
    restart, is replaced here); with one, the connection goes back after each look."""
    try:
        return Job.objects.filter(pk=job_id, status__in=ACTIVE).exists()
    except (OperationalError, InterfaceError):
        connection.close()
        return Job.objects.filter(pk=job_id, status__in=ACTIVE).exists()
    finally:
        if getattr(connection, "pool", None) is not None:
            connection.close()


async def until_finished(job_id, workspace_id, seconds):
    if not seconds:
        return
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + seconds
    delay = FIRST_POLL_S
    poll = sync_to_async(is_active, thread_sensitive=False)
    async with _news_of(job_id, workspace_id) as news:
        while await poll(job_id):
            left = deadline - loop.time()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), min(delay, left))
            news.clear()
            if loop.time() - started > EAGER_S:
                delay = min(delay * 1.5, LONGEST_POLL_S)


@contextlib.asynccontextmanager
async def _news_of(job_id, workspace_id):
    """An event set whenever the live feed mentions the job; never set without one."""
    news = asyncio.Event()
    layer = get_channel_layer() if live.pushes() else None
    if layer is None:
        yield news
        return
    group = live.group_name(workspace_id)
    try:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
    except Exception:  # no feed: the polls alone will do
        logger.warning("?wait: cannot listen to the live feed", exc_info=True)
        yield news
        return
    listener = asyncio.ensure_future(_listen(layer, channel, str(job_id), news))
    try:
        yield news
    finally:
        listener.cancel()
        with contextlib.suppress(Exception):
            await layer.group_discard(group, channel)


async def _listen(layer, channel, job_id, news):
    while True:
        try:
            message = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("?wait: the live feed failed; polling only", exc_info=True)
            return
        # jobs.live sends one change ("job.changed") or a batch ("job.changes").
        changes = message.get("changes") or [message]
        if any(isinstance(c, dict) and c.get("job") == job_id for c in changes):
            news.set()
