"""The embedded broker wakes its reader when a task is enqueued instead of polling."""

import socket
import threading
import time

import pytest
from django_q.brokers import get_broker

from jobs import broker as wakeable

pytestmark = pytest.mark.django_db


@pytest.fixture
def wake_folder(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    yield tmp_path / "wake"
    listening = wakeable.WakeableORM._listening
    if listening and listening[1] is not None:
        listening[1].close()
    wakeable.WakeableORM._listening = None


def test_embedded_uses_the_wakeable_broker(settings):
    if settings.REDIS_URL:  # with Redis, django-q2's Redis broker wakes workers itself
        pytest.skip("the embedded broker is used only without REDIS_URL")
    assert isinstance(get_broker(), wakeable.WakeableORM)


def test_a_waiting_reader_wakes_on_a_ping_not_after_its_poll_period(wake_folder):
    broker = wakeable.WakeableORM(list_key="test")
    broker._listen()
    waited = {}

    def wait():
        started = time.monotonic()
        broker._wait(30)
        waited["s"] = time.monotonic() - started

    reader = threading.Thread(target=wait)
    reader.start()
    wakeable.ping()
    reader.join(10)
    assert not reader.is_alive()
    assert waited["s"] < 10


def test_a_socket_whose_reader_is_gone_is_removed_and_pings_go_on(wake_folder):
    wake_folder.mkdir()
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    gone.bind(str(wake_folder / "1.sock"))
    gone.close()
    wakeable.ping()
    assert not (wake_folder / "1.sock").exists()


def test_an_enqueued_task_is_dequeued(wake_folder):
    broker = wakeable.WakeableORM(list_key="test")
    assert broker.dequeue() is None  # empty: waits (here, for the poll period) and says so
    pk = broker.enqueue("payload")
    assert broker.dequeue() == [(pk, "payload")]
    assert broker.dequeue() is None  # locked by the first reader
