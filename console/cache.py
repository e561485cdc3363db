"""Django's Redis cache with one client per process.

Django keeps a cache object per asynchronous context, and ``RedisCache`` builds its
client, with a new connection pool, per cache object; its client then builds a new
``redis.Redis`` (about 200 response callbacks copied into a dict) for every command.
Under ASGI every API request opened its own connection to Redis (a TCP handshake,
``HELLO``, the client library's version read from its package metadata) and built two
clients: a fifth of the request's Python time (docs/scaling.md). Neither
holds anything per request, so a process shares one client and one ``redis.Redis`` per
server; keyed by pid, since workers fork.
"""

import logging
import os
import threading

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)
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

    def validate_key(self, key):
        """Redis takes any key: Django's check for memcached's rules walked every
        character of every key, 3% of an API request's Python time."""

    def count(self, key, timeout):
        """Add one to a counter made (at 0) ``timeout`` s before it expires; its new
        value. One round trip: Django's ``add`` then ``incr`` took three."""
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]


def is_shared():
    """Is the default cache one that every process sees (Redis), not each its own?"""
    return isinstance(caches["default"], SharedRedisCache)


def count(key, timeout):
    """``SharedRedisCache.count`` on any cache: ``add`` then ``incr`` where it is not
    Redis (both atomic in the local-memory cache)."""
    if is_shared():
        return cache.count(key, timeout)
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: this one opens the window
        cache.set(key, 1, timeout=timeout)
        return 1


def get(*keys):
    """The values of ``keys`` in the shared cache, as a dict of those it holds: {} when
    the cache is each process's own (nothing is shared) or Redis is away (the caller
    reads the database, as it would without a cache)."""
    if not is_shared():
        return {}
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("shared cache unavailable", exc_info=True)
        return {}


def put(key, value, timeout, *, only_new=False):
    """Put ``value`` in the shared cache (``only_new``: unless ``key`` is there); without
    one, or with Redis away, nothing (copies then expire by their own timeout)."""
    if not is_shared():
        return
    try:
        if only_new:
            cache.add(key, value, timeout=timeout)
        else:
            cache.set(key, value, timeout=timeout)
    except Exception:
        logger.warning("shared cache unavailable: %s not written", key)
