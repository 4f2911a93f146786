"""gunicorn's settings for entconv, read from the working directory (`gunicorn entconv.wsgi`).

Threaded workers keep HTTP connections alive and let a request waiting on PostgreSQL or on a
file make room for another: measured by bench/portal.py, twice the requests per second of
the default synchronous workers on the portal's pages. Each thread keeps its own database
connection (CONN_MAX_AGE), so PostgreSQL needs workers × threads connections at most.

Two threads, not four: once the pages are cheap in CPU, more threads on the 2-core machine
mostly add GIL contention. bench/portal.py, 2 workers, 20 clients, December 2026, on a machine
shared with other work (load average 3 to 8: the figures move by ±30 % from run to run):
- `--confirmation --seconds 15`, GET req/s and p95, POST p95, two series:
  4 threads 116/402/631 ms and 176/222/448 ms; 2 threads 157/290/564 ms and 169/148/510 ms;
  1 thread 160/278/562 ms and 151/182/506 ms. The GET's p95 is better with 2 in both
  series; the POST's is within the noise.
- `--seconds 10`, the three portal pages, total req/s and worst p95, cached then uncached:
  4 threads 236/188 ms and 99/459 ms; 2 threads 314/138 ms and 119/416 ms; 1 thread
  316/195 ms and 79/609 ms (one thread lets a slow uncached page hold up the others).
GUNICORN_THREADS overrides it.

The workers share one socket, and each takes a new connection only while no sibling holds
fewer (entconv/balanced_worker.py): a client keeps its connection, so their spread at arrival
sets which processor serves them. With one shared socket as such, the worker that woke first
took most of the kept-alive connections and kept them: 18 of the 20 clients of
`bench/portal.py --confirmation` on one worker, whose one processor (the GIL) then set their
latency while the other served 2. With one socket per worker (SO_REUSEPORT), the kernel spread
them by a hash of each connection: even on average, not at each start (16 of 20 on one worker
in one run of ten, the only run whose answer's p95 passed 100 ms). December 2026, the answer's
p95: 198 ms (split 18/2, one socket) and 128 ms (10/10, SO_REUSEPORT); 111 ms (4/16,
SO_REUSEPORT). bench/connection_spread.py, 20 connections opened together, 100 times:
SO_REUSEPORT split them 13/7 or worse 29 times (15/5 4 times), balanced 10/10 every time
(7/7/6 every time of 30 with 3 workers). The answer's p95 in six paired runs of
bench/portal.py --confirmation: 48.1 to 50.1 ms (10/10 each time) against 48.0 to 59.6 ms
(10/10 to 13/7, the worst split the worst p95).
"""

import os
from pathlib import Path

worker_class = "entconv.balanced_worker.BalancedThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))


def post_worker_init(worker):
    """Once the worker has loaded Django and its URLconf, its objects (about 155,000) leave
    the garbage collector's reach (gc.freeze): they live as long as the worker, and a full
    collection scanned them all. bench/portal.py --confirmation, December 2026, with each
    collection logged (GUNICORN_GC_LOG): full collections paused a worker, all its threads,
    for 92 to 190 ms, four times in a run; frozen, 14 of them took 9 to 21 ms at most,
    86 to 94 ms in all per worker instead of 387 to 497 ms."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loaded here, not at the first request)
    gc.freeze()
    if folder := os.environ.get("GUNICORN_GC_LOG"):
        log_collections(Path(folder) / f"gc-{os.getpid()}.log")


def log_collections(path):
    """Append each collection's generation and length in milliseconds to `path`."""
    import gc
    import time

    log = path.open("a", buffering=1)
    started = []

    def callback(phase, info):
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            log.write(f"{info['generation']} {(time.perf_counter() - started[0]) * 1000:.3f}\n")

    callback.log = log  # open for the worker's life
    gc.callbacks.append(callback)
