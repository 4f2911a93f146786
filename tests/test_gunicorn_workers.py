"""The README's production command, for real: gunicorn with 3 workers sharing the database
cache. Rate limits and lock-outs must count once across workers, whatever header the
client sends, and an oversized body is refused before it is sent."""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "CACHE_URL": "dbcache://entconv_cache",
        # A proxy that is not this test: the header below is the client's own invention.
        "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "TRUSTED_PROXIES": "10.0.0.1",
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "GUNICORN_THREADS": "2",
        "DJANGO_SUPERUSER_PASSWORD": "le-bon-mot-de-passe",
    }
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "-v0"],
        ["createcachetable"],
        ["createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, timeout=120)
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "entconv.wsgi"),
            *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
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
        yield port, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)


def request(port, method, path, body=None, headers=None):
    # A new connection each time, as separate clients: any worker may take it.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(), response.getheaders()
    finally:
        connection.close()


def wait_for_a_fresh_minute():
    # The portal limit counts per calendar minute: the requests must not straddle two.
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.5)


def test_limits_count_across_workers_and_ignore_the_clients_header(gunicorn):
    port, log = gunicorn
    wait_for_a_fresh_minute()
    statuses = [
        request(port, "GET", f"/convention/{'x' * 43}/", headers={"X-Real-IP": f"10.9.0.{n}"})[0]
        for n in range(31)
    ]
    assert statuses == [404] * 30 + [429]
    pids = {line.split()[0] for line in log.read_text().splitlines() if "/convention/" in line}
    assert len(pids) > 1, "toutes les requêtes sont allées au même worker"

    def attempt(password, n):
        _, page, headers = request(port, "GET", "/admin/login/")
        cookie = next(value for name, value in headers if name.lower() == "set-cookie")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": "admin", "password": password, "csrfmiddlewaretoken": csrf}
        return request(
            port,
            "POST",
            "/admin/login/",
            body=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie.split(";")[0],
                "X-Real-IP": f"10.8.0.{n}",
            },
        )

    for n in range(5):
        assert attempt("mauvais", n)[0] == 200
    status, page, _ = attempt("le-bon-mot-de-passe", 5)
    assert status == 429
    assert "Trop d'échecs de connexion" in page

    # One server start for both (it takes a while): the body cap, before the body is sent.
    check_an_oversized_body_is_refused_before_it_is_sent(port)


def check_an_oversized_body_is_refused_before_it_is_sent(port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /convention/" + b"x" * 43 + b"/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = b""
        while b"au plus." not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
    assert "La requête est trop volumineuse : 12 Mo au plus." in answer.decode()
