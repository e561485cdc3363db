"""Django's Redis cache with one client per process.

Django keeps a cache object per asynchronous context, and ``RedisCache`` builds its
client, with a new connection pool, per cache object; its client then builds a new
``redis.Redis`` (about 200 response callbacks copied into a dict) for every command.
Under ASGI every API request opened its own connection to Redis (a TCP handshake,
``HELLO``, the client library's version read from its package metadata) and built two
clients: a fifth of the request's Python time (``bench/create_profile.py``). Neither
holds anything per request, so a process shares one client and one ``redis.Redis`` per
server; keyed by pid, since workers fork.
"""

import os
import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients = {}
_lock = threading.Lock()


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._redis = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._redis[index] = self._client(connection_pool=pool)
        return client


class SharedRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client

    @property
    def _cache(self):
        key = (os.getpid(), tuple(self._servers), repr(sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                if _clients and next(iter(_clients))[0] != key[0]:
                    _clients.clear()  # forked: the parent's sockets are not ours
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = self._class(self._servers, **self._options)
        return client
