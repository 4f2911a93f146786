"""The connections kept alive by clients (or by the reverse proxy) are spread evenly between
gunicorn's workers at their arrival, whatever the kernel's hash (gunicorn.conf.py,
entconv/balanced_worker.py): a worker holding most of them would serve them on one processor
while the other idles."""

import collections
import os
import signal
import time

import pytest

from entconv.balanced_worker import NOT_TAKING, SECOND, STALE_SECONDS, ConnectionTable
from tests.gunicorn_server import kept_alive, production_env, running_gunicorn

WORKERS = 2
CLIENTS = 20


@pytest.fixture
def gunicorn(tmp_path):
    env = production_env(tmp_path, "locmemcache://")
    # The clients stay connected, idle, while the test counts them.
    env["GUNICORN_CMD_ARGS"] = "--keep-alive 60"
    with running_gunicorn(tmp_path, env, WORKERS, [["migrate", "-v0"]]) as (port, log):
        yield port, log


def connect_all(port, clients):
    connections, statuses = kept_alive(port, "/mentions-legales/", clients)
    assert statuses == [200] * clients
    return connections


def answered(log, count, deadline=30):
    """The worker (pid) that answered each of the first `count` requests for the legal page,
    once logged: one request per connection, so which worker holds each connection."""
    end = time.monotonic() + deadline
    while True:
        lines = log.read_text().splitlines()
        pids = [line.split()[0].strip("<>") for line in lines if "/mentions-legales/" in line]
        if len(pids) >= count:
            return pids[:count]
        assert time.monotonic() < end, "le journal d'accès n'a pas toutes les requêtes"
        time.sleep(0.05)


def test_kept_alive_connections_are_spread_evenly(gunicorn):
    port, log = gunicorn
    held = []
    for _ in range(2):  # 20 clients, then 20 more beside them
        held += connect_all(port, CLIENTS)
        spread = collections.Counter(answered(log, len(held)))
        # By a hash of each connection, as with SO_REUSEPORT, half of the starts would be
        # further apart than 2 (for 20, binomial law: 12/8 or worse in 50 % of them).
        assert len(spread) == WORKERS
        assert max(spread.values()) - min(spread.values()) <= 2, spread
    for connection in held:
        connection.close()


def test_a_killed_worker_does_not_hold_back_new_connections(gunicorn):
    port, log = gunicorn
    held = connect_all(port, 10)
    killed, survivor = collections.Counter(answered(log, 10))
    os.kill(int(killed), signal.SIGKILL)
    # The killed worker's last count stays in the table: the survivor, keeping its clients,
    # holds as many, then more. It stops counting the killed one once that has not written
    # for STALE_SECONDS; and the worker the master starts instead takes its share.
    more = connect_all(port, 10)
    taken = collections.Counter(answered(log, 20)[10:])
    assert killed not in taken
    assert taken[survivor] >= 1
    for connection in held + more:
        connection.close()


def test_the_table_leaves_out_stopped_full_and_silent_workers():
    table = ConnectionTable(slots=4)
    now = 100 * SECOND
    assert [table.reserve(now) for _ in range(4)] == [0, 1, 2, 3]
    assert table.reserve(now) is None
    # Reserved but still loading: not counted, not given out again.
    assert table.least_held(now, besides=0) is None
    table.publish(1, 7, now)
    table.publish(2, 5, now - (STALE_SECONDS + 1) * SECOND)  # silent: left out
    table.publish(3, NOT_TAKING, now)  # full or stopping: left out
    assert table.least_held(now, besides=0) == 7
    assert table.least_held(now, besides=1) is None
    table.publish(0, 3, now)
    assert table.least_held(now, besides=1) == 3
    # The silent worker's slot and a released one are given out again.
    table.release(0)
    assert table.reserve(now) == 0
    assert table.reserve(now) == 2
    assert table.reserve(now) is None
