"""The embedded broker: django-q2's ORM broker, woken by a datagram instead of polling.

django-q2's ORM broker has one reader per cluster (the pusher), which looks for a task
and, finding none, sleeps ``Q_CLUSTER["poll"]`` (0.1 s) before looking again. Every job
created embedded therefore waited 50 ms on average (up to 100) before a drain started:
most of what made a 3-step ``PUT /jobs?wait`` take twice as long as with Redis, whose
broker blocks on ``BLPOP`` and wakes at once.

Here each pusher binds a Unix datagram socket in ``VAR_DIR/wake/`` and waits on it
for up to the poll period; ``enqueue`` sends one byte to every socket there after its
insert. Nothing depends on the byte arriving: a lost or early one (an enqueue inside a
transaction not yet committed) costs at most the poll period, as before. A socket whose
pusher is gone refuses the byte and is removed. Only for the ORM broker (embedded);
with ``REDIS_URL`` django-q2's Redis broker is used unchanged.
"""

import contextlib
import os
import socket
import time

from django.conf import settings
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf

# A Unix socket path longer than this (108 bytes on Linux, with its NUL) cannot be
# bound; with a var directory that deep the pusher polls as django-q2 does.
MAX_PATH = 100


def _folder():
    return settings.VAR_DIR / "wake"


class WakeableORM(ORM):
    _listening = None  # (pid, socket) of the pusher in this process

    def enqueue(self, task):
        pk = super().enqueue(task)
        ping()
        return pk

    def dequeue(self):
        # django-q2's own ORM dequeue, with its sleep replaced by a wait for a ping.
        queue = self.get_connection()
        tasks = queue.filter(key=self.list_key, lock__lt=timezone.now())[: Conf.BULK]
        if tasks:
            taken = []
            for task in tasks:
                if queue.filter(id=task.id, lock=task.lock).update(lock=self.timeout(task)):
                    taken.append((task.pk, task.payload))
            return taken
        self._wait(Conf.POLL)
        return None

    def _wait(self, seconds):
        listening = self._listen()
        if listening is None:
            time.sleep(seconds)
            return
        listening.settimeout(seconds)
        with contextlib.suppress(TimeoutError, OSError):
            listening.recv(16)
            listening.setblocking(False)
            while True:  # a burst of pings is one wake-up
                listening.recv(16)

    def _listen(self):
        pid = os.getpid()
        if WakeableORM._listening and WakeableORM._listening[0] == pid:
            return WakeableORM._listening[1]
        path = _folder() / f"{pid}.sock"
        if len(str(path)) > MAX_PATH:
            WakeableORM._listening = (pid, None)
            return None
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listening.bind(str(path))
        WakeableORM._listening = (pid, listening)
        return listening


def ping():
    """Wake every pusher listening in this var directory; never raises."""
    try:
        paths = [entry.path for entry in os.scandir(_folder()) if entry.name.endswith(".sock")]
    except OSError:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sending:
        sending.setblocking(False)
        for path in paths:
            try:
                sending.sendto(b"!", path)
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    os.unlink(path)  # its pusher is gone
            except OSError:
                pass  # its buffer is full: it has wake-ups pending already
