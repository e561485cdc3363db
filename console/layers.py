"""The channel layer for production (``REDIS_URL``): channels-redis, with a receive
that ends when it is cancelled.

A consumer's receive waits on Redis in a loop of 5-second blocking pops
(``RedisChannelLayer.receive_single``) until a message comes. When the socket goes
away, Channels cancels that wait. We saw the cancellation get lost on its way up
from the pop, inside the Redis client, with the task still marked as cancelling:
the loop then popped again, and again, for ever (a stuck task per closed socket in a
server, and an event loop that never shut down in the test suite). So after each pop
that brought nothing, a task with a cancellation pending stops there.
"""

import asyncio

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer


class RedisChannelLayer(BaseRedisChannelLayer):
    async def _brpop_with_clean(self, index, channel, timeout):
        member = await super()._brpop_with_clean(index, channel, timeout)
        task = asyncio.current_task()
        if member is None and task is not None and task.cancelling():
            raise asyncio.CancelledError
        return member
