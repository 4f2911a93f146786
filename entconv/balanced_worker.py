"""gunicorn's threaded worker, taking a new connection only while it holds no more connections
than the least loaded of its siblings (gunicorn.conf.py's `worker_class`).

A client keeps its connection (keep-alive; the reverse proxy keeps its own to each server), so
the worker that accepts it serves all its requests, on one processor (the GIL). The spread of
the connections at their arrival sets the latencies: a worker holding 16 of 20 clients needs
more than one processor, and its clients wait while the other worker idles.
- With one socket shared as such, the worker that woke first took most of them (18 of 20).
- With one socket per worker (SO_REUSEPORT), the kernel picks by a hash of the connection:
  even on average, not at each start (16 of 20 on one worker in one bench run of ten).

Here the workers share one socket again, and each publishes, in memory shared with its
siblings (created by the master before forking them), how many connections it holds and when
it last did. A worker holding more than the least loaded stops watching the socket; the new
connection waits in the socket's queue for a worker allowed to take it. A worker re-reads the
table at each turn of its loop (each event, and at least every second). A sibling that has
not written for STALE_SECONDS (stopped, killed, or its loop stuck) is left out; one that is
full (`worker_connections`) or stopping writes -1 and is left out too.
"""

import mmap
import time

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 64
STALE_SECONDS = 3
# A slot is kept that long for a forked worker loading the application before its first turn.
BOOT_SECONDS = 300
NOT_TAKING = -1
SECOND = 1_000_000_000


class ConnectionTable:
    """For each slot (a worker): the connections it holds, or NOT_TAKING, and when it last
    wrote (time.monotonic_ns(), the same clock in every process). Anonymous shared memory:
    a process forked after the table was created writes where its siblings read. A slot is
    written only by its worker, and by the master when it gives it out."""

    def __init__(self, slots=SLOTS):
        self._memory = mmap.mmap(-1, 8 * (2 * slots + 1))  # MAP_SHARED
        values = memoryview(self._memory).cast("q")
        self.held, self.seen = values[:slots], values[slots : 2 * slots]
        self.used = values[2 * slots :]  # one more than the highest slot given out

    def reserve(self, now):
        """A free slot for a worker about to be forked (its sibling stopped, or never started),
        or None when all are taken: that worker then takes connections as they come."""
        for slot, seen in enumerate(self.seen.tolist()):
            if seen < now - STALE_SECONDS * SECOND:
                self.held[slot] = NOT_TAKING
                self.seen[slot] = now + BOOT_SECONDS * SECOND
                self.used[0] = max(self.used[0], slot + 1)
                return slot
        return None

    def publish(self, slot, held, now):
        self.held[slot] = held
        self.seen[slot] = now

    def release(self, slot):
        self.held[slot] = NOT_TAKING
        self.seen[slot] = 0

    def least_held(self, now, besides):
        """The fewest connections held by a worker other than `besides` taking new ones, None
        if no other is."""
        fresh, used = now - STALE_SECONDS * SECOND, self.used[0]
        held = [
            count
            for slot, (count, seen) in enumerate(
                zip(self.held[:used].tolist(), self.seen[:used].tolist(), strict=True)
            )
            if slot != besides and count != NOT_TAKING and seen >= fresh
        ]
        return min(held, default=None)


class BalancedThreadWorker(ThreadWorker):
    table = None  # created in the master, for the first worker; shared with every fork

    def __init__(self, *args, **kwargs):
        # In the master, before the fork: one slot for the worker's life.
        super().__init__(*args, **kwargs)
        if BalancedThreadWorker.table is None:
            BalancedThreadWorker.table = ConnectionTable()
        self.slot = self.table.reserve(time.monotonic_ns())

    def run(self):
        try:
            super().run()
        finally:
            if self.slot is not None:
                self.table.release(self.slot)

    def set_accept_enabled(self, enabled):
        """The base loop turns accepting on below `worker_connections`; only when no sibling
        holds fewer connections here."""
        if enabled and self.slot is not None:
            least = self.table.least_held(time.monotonic_ns(), besides=self.slot)
            enabled = least is None or self.nr_conns <= least
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        # Each turn of the loop, before waiting: publish, then take or leave the socket.
        if self.slot is not None:
            taking = self.alive and self.nr_conns < self.worker_connections
            self.table.publish(
                self.slot, self.nr_conns if taking else NOT_TAKING, time.monotonic_ns()
            )
            if taking:
                self.set_accept_enabled(True)
        super().wait_for_and_dispatch_events(timeout)
