"""Signing in, with failed attempts throttled so a password cannot be guessed at speed.

Failures are counted in Django's cache (Redis when ``REDIS_URL`` is set, so every web
process shares the count) in fixed windows of ``WINDOW_S`` from the first failure:
``FAILURES_PER_ACCOUNT`` per username from one client address, and
``FAILURES_PER_ADDRESS`` per client address over all usernames. Counting per address
(not per account alone) means a stranger cannot lock a person out from elsewhere.
Over either limit the form answers 429 with how long to wait, without checking the
password at all; a successful sign-in clears its account's count.
"""

import hashlib
import math
import time

from django.contrib.auth.views import LoginView
from django.core.cache import cache

FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 30
WINDOW_S = 15 * 60


def _keys(request):
    address = request.META.get("REMOTE_ADDR", "")
    username = request.POST.get("username", "").strip().lower()
    account = hashlib.sha256(f"{username}|{address}".encode()).hexdigest()
    return {
        f"login-failures:account:{account}": FAILURES_PER_ACCOUNT,
        f"login-failures:address:{hashlib.sha256(address.encode()).hexdigest()}": (
            FAILURES_PER_ADDRESS
        ),
    }


def seconds_to_wait(request):
    """0, or how long until this sign-in may be tried again."""
    waits = [
        cache.get(f"{key}:since", time.time()) + WINDOW_S - time.time()
        for key, limit in _keys(request).items()
        if cache.get(key, 0) >= limit
    ]
    return max([0, *waits])


def count_failure(request):
    for key in _keys(request):
        cache.add(f"{key}:since", time.time(), WINDOW_S)
        cache.add(key, 0, WINDOW_S)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_S)


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        wait = seconds_to_wait(request)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            message = (
                "Too many failed sign-ins from here: wait "
                f"{minutes} minute{'s' if minutes != 1 else ''} and try again."
            )
            form = self.form_class(
                request=request, initial={"username": request.POST.get("username", "")}
            )
            context = self.get_context_data(form=form, throttled=message)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        count_failure(self.request)
        return super().form_invalid(form)

    def form_valid(self, form):
        account = next(iter(_keys(self.request)))
        cache.delete_many([account, f"{account}:since"])
        return super().form_valid(form)
