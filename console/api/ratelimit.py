"""Requests per minute per API token, counted in Django's cache.

A fixed one-minute window: the first request of a window adds its counter, every
request increments it atomically (``console.cache.count``: one round trip to Redis),
and a request over ``API_RATE_LIMIT_PER_MINUTE`` is refused with 429 and the
seconds left in the window as ``Retry-After``. With ``REDIS_URL`` the cache is Redis,
so several web processes share one count per token.
"""

import math
import time

from django.conf import settings

from console import cache as shared_cache
from console.api.errors import ApiError

WINDOW_S = 60


def check(token):
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if not limit:
        return
    now = time.time()
    window = int(now // WINDOW_S)
    key = f"api:rate:{token.pk}:{window}"
    count = shared_cache.count(key, WINDOW_S + 5)
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_S - now))
        raise ApiError(
            429,
            "rate_limited",
            f"This token may make {limit} requests a minute; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
