"""A real gunicorn serving the project, for the tests that need several worker processes
(tests/test_gunicorn_workers.py, tests/production/test_shared_cache.py)."""

import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp_path, cache_url):
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "CACHE_URL": cache_url,
        # A proxy that is not the test: the header the tests send is the client's invention.
        "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "TRUSTED_PROXIES": "10.0.0.1",
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "GUNICORN_THREADS": "2",
        "DJANGO_SUPERUSER_PASSWORD": "le-bon-mot-de-passe",
    }


def request(port, method, path, body=None, headers=None):
    # A new connection each time, as separate clients: any worker may take it.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(), response.getheaders()
    finally:
        connection.close()


def kept_alive(port, path, clients):
    """`clients` connections opened at once, as a bench's clients and a proxy's pool do, a
    GET of `path` on each; returns them, kept alive, and the statuses."""
    connections = [
        http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(clients)
    ]
    start = threading.Barrier(clients)
    statuses = []

    def open_one(connection):
        # Each client sends its request as soon as it is connected, as a browser does: a
        # worker's thread waits a few seconds for the request of a connection it took.
        start.wait()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)

    threads = [threading.Thread(target=open_one, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return connections, statuses


def worker_pids(log, path):
    """The workers that answered requests for `path` (the access log's first column)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return {line.split()[0] for line in lines if path in line}


def wait_for_every_worker(port, log, workers, deadline):
    """The socket answers as soon as gunicorn binds it, before each worker has imported the
    project: on a busy machine the first worker then takes every request. Health checks, on
    new connections, until each worker has answered one."""
    while True:
        request(port, "GET", "/sante/")
        if len(worker_pids(log, "/sante/")) >= workers:
            return
        assert time.monotonic() < deadline, f"les {workers} workers n'ont pas tous répondu"
        time.sleep(0.1)


@contextlib.contextmanager
def running_gunicorn(tmp_path, env, workers, setup_commands):
    """Run the setup commands, start gunicorn on a free port, yield (port, access log)."""
    for command in setup_commands:
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=120
        )
    port = free_port()
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "entconv.wsgi"),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
            *("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s %(U)s"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "gunicorn s'est arrêté au démarrage"
                assert time.monotonic() < deadline, "gunicorn n'a pas démarré en 60 s"
                time.sleep(0.2)
        wait_for_every_worker(port, log, workers, deadline)
        yield port, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
